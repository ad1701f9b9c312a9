//! `minilpu synth` / `minilpu flash` / `minilpu ping` on the boards of `fpga/`.
//!
//! The fast tests check board resolution, PLL and UART settings, and that flashing
//! without a board stops at the probe with a clear message (no board is attached on the
//! dev and CI machines). The bitstream builds take minutes and are `#[ignore]`d: run them
//! with `scripts/board-test.sh` (or `cargo test --release -p minilpu-cli --test board --
//! --ignored`).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_minilpu"))
}

fn run(args: &[&str]) -> Output {
    bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run minilpu")
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("board")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json_of(o: &Output) -> Value {
    let s = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(s.trim()).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {s}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn unknown_board_lists_the_boards() {
    let o = run(&["synth", "--board", "nexys-a7"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    for b in ["icebreaker", "orangecrab", "ulx3s"] {
        assert!(e.contains(b), "{e}");
    }
    let o = run(&["synth", "--board", "ulx3s-99f"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("85f"));
}

#[test]
fn emit_only_reports_pll_and_uart() {
    let d = dir("emit");
    let o = run(&[
        "synth",
        "--board",
        "icebreaker",
        "--emit-only",
        "--json",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j = json_of(&o);
    assert_eq!(j["pll"]["kind"], "SB_PLL40_PAD");
    assert_eq!(
        (&j["pll"]["divr"], &j["pll"]["divf"], &j["pll"]["divq"]),
        (&Value::from(0), &Value::from(71), &Value::from(5))
    );
    assert_eq!(j["pll"]["f_out_mhz"], 27.0);
    assert_eq!(j["uart"]["divisor"], 27);
    assert_eq!(j["uart"]["bus_stages"], 0);
    let v = std::fs::read_to_string(d.join("top.v")).unwrap();
    assert!(v.contains("SB_PLL40_PAD") && v.contains("module top("));
    assert!(
        !v.contains("s_wdata$0"),
        "the iCEBreaker has no host bus stages"
    );

    for (board, kind, divisor) in [
        ("ulx3s-85f", "EHXPLLL", 50),
        ("ulx3s-25f", "EHXPLLL", 50),
        ("orangecrab", "none", 48),
    ] {
        let o = run(&[
            "synth",
            "--board",
            board,
            "--emit-only",
            "--json",
            "--out",
            d.join(board).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let j = json_of(&o);
        assert_eq!(j["pll"]["kind"], kind, "{board}");
        assert_eq!(j["uart"]["divisor"], divisor, "{board}");
        // Every ECP5 variant registers the host bus each way (`bus_stages = 1`).
        assert_eq!(j["uart"]["bus_stages"], 1, "{board}");
        let v = std::fs::read_to_string(d.join(board).join("top.v")).unwrap();
        assert!(
            v.contains("s_wdata$0") && v.contains("s_rdata$0"),
            "{board}"
        );
    }
    // A clock no PLL can make is refused with a reason.
    let o = run(&[
        "synth",
        "--board",
        "icebreaker",
        "--clock-mhz",
        "2",
        "--emit-only",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("PLL"));
}

#[test]
fn flash_without_a_board_stops_at_the_probe() {
    let d = dir("flash");
    let fake = d.join("top.bit");
    std::fs::write(&fake, b"not a bitstream").unwrap();
    let o = run(&[
        "flash",
        "--board",
        "ulx3s-85f",
        "--bitstream",
        fake.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    let openfpgaloader = Command::new("openFPGALoader")
        .arg("--Version")
        .output()
        .is_ok();
    if openfpgaloader {
        assert_eq!(o.status.code(), Some(3), "{e}");
        assert!(e.contains("no ulx3s board found"), "{e}");
    } else {
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains("not installed"), "{e}");
    }
    // No bitstream: says how to make one.
    let o = run(&[
        "flash",
        "--board",
        "icebreaker",
        "--bitstream",
        d.join("missing.bin").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("minilpu synth --board icebreaker"));
}

#[test]
fn ping_without_a_device_is_a_clear_error() {
    let o = run(&["ping", "--port", "/dev/ttyUSB-minilpu-none"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("/dev/ttyUSB-minilpu-none"), "{e}");
}

/// Run `minilpu synth --json` with a time limit; returns (exit code, report, seconds).
fn synth(args: &[&str], limit: Duration) -> (Option<i32>, Value, f64) {
    let start = Instant::now();
    let mut child = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["synth", "--json"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("minilpu synth {args:?} ran over {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let o = child.wait_with_output().unwrap();
    let secs = start.elapsed().as_secs_f64();
    (o.status.code(), json_of(&o), secs)
}

/// The CI-sized board build: the iCEBreaker bitstream and a ULX3S-85F bitstream, each
/// bounded in time. The ULX3S-85F build is a flow test, reported as such
/// in its JSON (`tile_source`, `requested_mhz`): the 85F board top (EHXPLLL, pins, UART
/// bridge) with the small 4x4 tile (`--preset sim-small`) at 20 MHz (`--clock-mhz 20`),
/// a clock that tile meets. The board's own policy (the 256-MAC `ulx3s-85f` tile at
/// 50 MHz) takes about half an hour with the WebAssembly nextpnr
/// (`full_ulx3s_85f_bitstream`, docs/boards.md).
#[test]
#[ignore = "minutes: yosys + nextpnr (scripts/board-test.sh)"]
fn board_bitstreams_ci() {
    let out = dir("ci");
    let t0 = Instant::now();
    let (code, j, secs) = synth(
        &[
            "--board",
            "icebreaker",
            "--out",
            out.join("icebreaker").to_str().unwrap(),
        ],
        Duration::from_secs(25 * 60),
    );
    eprintln!("icebreaker: exit {code:?} in {secs:.0} s: {j}");
    // The board top fits the UP5K (with a few cells to spare: this guards the fit) and
    // meets the board's 27 MHz clock. At ~5260 of 5280 logic cells its router needs ~8 to
    // 20 minutes on these 2-core machines (more with other jobs on the second core), hence
    // the 25-minute bound: a limit against a hang, not a performance figure.
    assert_eq!(
        code,
        Some(0),
        "the icebreaker board top must fit and meet its clock: {j}"
    );
    assert_eq!(j["fits"], true);
    assert_eq!(j["meets_timing"], true);
    assert!(j["fmax_mhz"].as_f64().unwrap() >= j["target_mhz"].as_f64().unwrap());
    assert_eq!(j["target_mhz"], 27.0);
    assert_eq!(j["mac_units"], 16);
    // The variants' nextpnr limits (fpga/*/board.toml): the default here, two hours on
    // the 85F below.
    assert_eq!(j["timeout_min"], 60);
    let bin = PathBuf::from(j["bitstream"].as_str().unwrap());
    assert!(std::fs::metadata(&bin).unwrap().len() > 100_000, "{bin:?}");

    let (code, j, secs) = synth(
        &[
            "--board",
            "ulx3s-85f",
            "--preset",
            "sim-small",
            "--clock-mhz",
            "20",
            "--out",
            out.join("ulx3s-85f").to_str().unwrap(),
        ],
        Duration::from_secs(12 * 60),
    );
    eprintln!("ulx3s-85f (sim-small tile): exit {code:?} in {secs:.0} s: {j}");
    assert_eq!(code, Some(0), "{j}");
    assert_eq!(j["fits"], true);
    assert_eq!(j["meets_timing"], true);
    assert!(j["fmax_mhz"].as_f64().unwrap() >= j["target_mhz"].as_f64().unwrap());
    assert_eq!(j["target_mhz"], 20.0);
    assert_eq!(j["pll"]["kind"], "EHXPLLL");
    assert_eq!(j["device"], "85k");
    assert_eq!(j["timeout_min"], 120);
    let bit = PathBuf::from(j["bitstream"].as_str().unwrap());
    assert!(std::fs::metadata(&bit).unwrap().len() > 100_000, "{bit:?}");
    eprintln!(
        "board_bitstreams_ci: {:.0} s in all",
        t0.elapsed().as_secs_f64()
    );
    assert!(t0.elapsed() < Duration::from_secs(30 * 60));
}

/// The full ULX3S-85F tile (256 MACs) through the flow: yosys ~5 to 12 min, the static
/// placer ~8 to 10 min, then router1 ~30 to 60 min (docs/boards.md: 83.49 MHz at seed 1,
/// exit 0, in the seventeenth session). A build that does not route (out of time while
/// routing, or a router2 stopped by `--router-patience`) is reported as not routed
/// (exit 1, no bitstream). This test checks that the report is one of the two,
/// consistently.
#[test]
#[ignore = "an hour or more: full ulx3s-85f place and route"]
fn full_ulx3s_85f_bitstream() {
    let out = dir("ulx3s-85f-full");
    let (code, j, secs) = synth(
        &["--board", "ulx3s-85f", "--out", out.to_str().unwrap()],
        // The variant's own nextpnr limit (120 minutes, fpga/ulx3s/board.toml) and yosys.
        Duration::from_secs(135 * 60),
    );
    eprintln!("ulx3s-85f: exit {code:?} in {secs:.0} s: {j}");
    // The static placer comes from the board variant (fpga/ulx3s/board.toml).
    assert_eq!(j["nextpnr_args"], serde_json::json!(["--placer", "static"]));
    assert_eq!(j["fits"], true, "{j}");
    assert_eq!(j["mac_units"], 256);
    assert!(
        j["placed_fmax_mhz"].as_f64().is_some_and(|f| f > 0.0),
        "{j}"
    );
    if j["routed"] == true {
        // Packed even when it misses the clock (nextpnr --timing-allow-fail), and then the
        // exit status says so.
        assert!(j["bitstream"].is_string(), "{j}");
        assert_eq!(code, Some(if j["meets_timing"] == true { 0 } else { 1 }));
    } else {
        // Stopped while routing: the router's counts, no bitstream, exit 1.
        let why = j["route_failure"].as_str().unwrap_or_default();
        assert!(why.contains("overused wires"), "{j}");
        assert!(j["bitstream"].is_null(), "{j}");
        assert_eq!(code, Some(1), "{j}");
    }
}

/// `minilpu run --backend board:PATH` on the simulated board behind a pseudo-terminal:
/// the same host code a real board gets, the same results as the golden model.
#[test]
fn run_on_a_simulated_board_matches_the_model() {
    use minilpu_testbench::board_sim::BoardSim;
    let cfg = minilpu_model::TileConfig::preset("sim-small").unwrap();
    // 8 cycles per UART bit; a generous inter-byte timeout (the host is another process).
    let sim = BoardSim::build(&cfg, 8, 200_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .spawn_pty()
        .unwrap();
    let d = dir("run_board");
    let s1: Vec<i8> = (0..16).map(|i| (i * 7 % 23) as i8 - 11).collect();
    let s2: Vec<i8> = (0..16).map(|i| (i * 5 % 19) as i8 - 9).collect();
    let (f1, f2) = (d.join("s1.npy"), d.join("s2.npy"));
    minilpu_model::npy::write_i8(&f1, &[4, 4], &s1).unwrap();
    minilpu_model::npy::write_i8(&f2, &[4, 4], &s2).unwrap();
    let prog = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/programs/argmax.s");
    let args = |backend: &str, out: &PathBuf| -> Vec<String> {
        vec![
            "run".into(),
            "--preset".into(),
            "sim-small".into(),
            "--program".into(),
            prog.display().to_string(),
            "--load".into(),
            format!("b0:0={}", f1.display()),
            "--load".into(),
            format!("b1:0={}", f2.display()),
            "--dump".into(),
            format!("b0:8:9={}", out.display()),
            "--backend".into(),
            backend.into(),
            "--json".into(),
        ]
    };
    let (ob, om) = (d.join("board.npy"), d.join("model.npy"));
    let board = format!("board:{}", sim.path().display());
    let o = bin().args(args(&board, &ob)).output().unwrap();
    let jb = json_of(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin().args(args("model", &om)).output().unwrap();
    let jm = json_of(&o);
    for k in ["status", "pc", "cycles"] {
        assert_eq!(jb[k], jm[k], "{k}");
    }
    assert_eq!(jb["backend"], Value::String(board.clone()));
    assert_eq!(std::fs::read(&ob).unwrap(), std::fs::read(&om).unwrap());
    // A preset that is not the board's tile is refused by name.
    let o = bin()
        .args([
            "run",
            "--preset",
            "ulx3s-85f",
            "--program",
            &prog.display().to_string(),
            "--backend",
            &board,
            "--no-check",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("config `ulx3s-85f`"));
    drop(sim);
    // No such port: a clear error.
    let o = bin()
        .args([
            "run",
            "--program",
            &prog.display().to_string(),
            "--backend",
            "board:/dev/ttyUSB-none",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/dev/ttyUSB-none"));
}
