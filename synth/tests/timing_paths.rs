//! `scripts/timing-paths.py` on a small nextpnr report written here: it must count the
//! endpoints over the period per block and register, take each endpoint's worst
//! arrival, time only the chosen clock, and refuse a report without arrivals.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/timing-paths.py")
}

fn endpoint(cell: &str, port: &str, clock: &str, max: f64) -> serde_json::Value {
    serde_json::json!({"cell": cell, "port": port, "event": format!("posedge {clock}"),
                       "delay": [1.0, max]})
}

fn run(report: &serde_json::Value, args: &[&str]) -> (bool, String, String) {
    let dir = std::env::temp_dir().join(format!("minilpu-tp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = dir.join(format!("r{}.json", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, report.to_string()).unwrap();
    let out = Command::new("python3")
        .arg(script())
        .arg(&path)
        .args(args)
        .output()
        .expect("python3 runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The `(name, endpoints)` pairs of the report's list `list`, named by `key`.
fn counts(v: &serde_json::Value, list: &str, key: &str) -> Vec<(String, u64)> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b[key].as_str().unwrap().into(),
                b["endpoints"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn counts_endpoints_over_the_period_by_block_and_register() {
    let clk = "$glbnet$act.clock";
    let report = serde_json::json!({"detailed_net_timings": [
        {"net": "a", "driver": "x", "port": "F", "event": "", "endpoints": [
            endpoint("card.tile.seq.fault_r.q_TRELLIS_FF_Q", "M", clk, 13.2),
            endpoint("card.tile.seq.waitc.q_TRELLIS_FF_Q_3", "DI", clk, 12.5),
            endpoint("card.tile.seq.waitc.q_TRELLIS_FF_Q_4", "DI", clk, 9.5),
            endpoint("card.tile.acc.mem.mem0.0.2", "DIA3", clk, 11.0),
            // An iCE40 logic cell, named after its LUT: not a separate register.
            endpoint("card.tile.seq.waitc.q_SB_DFFE_Q_9_D_SB_LUT4_O_LC", "I1", clk, 10.2),
            // iCE40 block RAMs: one memory however many slices.
            endpoint("card.tile.acc.mem.mem0.0.4_RAM", "WDATA_3", clk, 10.9),
            endpoint("card.rx.align.d2_TRELLIS_FF_Q", "DI", "$glbnet$link_rx_clk", 14.0),
        ]},
        // The same pin again through another net: its worst arrival counts once.
        {"net": "b", "driver": "y", "port": "F", "event": "", "endpoints": [
            endpoint("card.tile.seq.waitc.q_TRELLIS_FF_Q_4", "DI", clk, 10.5),
        ]},
    ]});
    let (ok, out, err) = run(&report, &["--period-ns", "10", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["clock"], clk, "the clock with the most endpoints");
    assert_eq!(v["endpoints"], 6);
    assert_eq!(v["over_period"], 6);
    assert_eq!(v["worst_arrival_ns"], 13.2);
    let blocks = counts(&v, "blocks", "block");
    assert_eq!(
        blocks,
        [("card.tile.seq".into(), 4), ("card.tile.acc".into(), 2)]
    );
    let regs = counts(&v, "registers", "register");
    assert_eq!(
        regs,
        [
            ("card.tile.seq.fault_r".into(), 1),
            ("card.tile.seq.waitc".into(), 3),
            ("card.tile.acc.mem".into(), 2)
        ]
    );
    // At 12 ns only two are over; the other clock on request.
    let (_, out, _) = run(&report, &["--period-ns", "12", "--json", "--top", "5"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["over_period"], 2);
    let (ok, out, _) = run(&report, &["--clock", "$glbnet$link_rx_clk", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["endpoints"].as_u64(), v["over_period"].as_u64()),
        (Some(1), Some(1))
    );
}

/// `--pins`: a block's worst endpoint pins, each with the driver of its worst net.
#[test]
fn lists_a_blocks_worst_pins_with_their_drivers() {
    let clk = "$glbnet$act.clock";
    let report = serde_json::json!({"detailed_net_timings": [
        {"net": "a", "driver": "card.tile.acc.ra_LUT4_Z", "port": "F", "event": "", "endpoints": [
            endpoint("card.tile.acc.mem.mem0.0.2", "ADB6", clk, 11.2),
            endpoint("card.tile.acc.mem.mem0.0.3", "ADB6", clk, 10.4),
            endpoint("card.tile.rq.t_TRELLIS_FF_Q", "DI", clk, 12.0),
        ]},
        // The second pin's worse path comes through another net: that net's driver.
        {"net": "b", "driver": "card.tile.host.sel_FF", "port": "Q", "event": "", "endpoints": [
            endpoint("card.tile.acc.mem.mem0.0.3", "ADB6", clk, 11.5),
            endpoint("card.tile.acc.mem.mem0.0.2", "ADB6", clk, 3.0),
        ]},
    ]});
    let (ok, out, err) = run(&report, &["--pins", "card.tile.acc", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let line = |p: &serde_json::Value| {
        format!(
            "{}.{} {} <- {}",
            p["cell"], p["port"], p["arrival_ns"], p["driver"]
        )
        .replace('"', "")
    };
    let pins: Vec<String> = v["pins"].as_array().unwrap().iter().map(line).collect();
    assert_eq!(
        pins,
        [
            "card.tile.acc.mem.mem0.0.3.ADB6 11.5 <- card.tile.host.sel_FF.Q",
            "card.tile.acc.mem.mem0.0.2.ADB6 11.2 <- card.tile.acc.ra_LUT4_Z.F",
        ]
    );
    let (ok, out, _) = run(&report, &["--pins", "card.nothing"]);
    assert!(
        ok && out.contains("none: no endpoint's cell name starts with it"),
        "{out}"
    );
}

#[test]
fn refuses_reports_without_arrivals_and_bad_arguments() {
    let (ok, _, err) = run(&serde_json::json!({"fmax": {}}), &[]);
    assert!(!ok && err.contains("--detailed-timing-report"), "{err}");
    let report = serde_json::json!({"detailed_net_timings": [
        {"net": "a", "driver": "x", "port": "F", "event": "", "endpoints": [
            endpoint("card.tile.seq.pc", "DI", "clk", 3.0)]}]});
    let (ok, _, err) = run(&report, &["--period-ns", "0"]);
    assert!(
        !ok && err.contains("--period-ns must be > 0 (got 0.0)"),
        "{err}"
    );
    let (ok, _, err) = run(&report, &["--clock", "nope"]);
    assert!(
        !ok && err.contains("no endpoints on clock 'nope'; clocks: clk"),
        "{err}"
    );
}
