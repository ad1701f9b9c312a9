//! The `minilpu` binary end to end: results agree with an independent reference
//! (NumPy when it is installed, else the golden model), and bad input exits non-zero
//! with a message naming the file and what was expected.

use minilpu_model::arith::{matmul, requantize, Requant};
use minilpu_model::npy;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_minilpu"))
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run minilpu")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn numpy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn matmul_agrees_with_numpy_and_reports_json() {
    let d = dir("agree");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let (m, k, n) = (9, 21, 13);
    let a: Vec<i8> = (0..m * k).map(|_| rng.gen()).collect();
    let b: Vec<i8> = (0..k * n).map(|_| rng.gen()).collect();
    npy::write_i8(&d.join("a.npy"), &[m, k], &a).unwrap();
    npy::write_i8(&d.join("b.npy"), &[k, n], &b).unwrap();
    for backend in ["verilator", "model"] {
        let out = d.join(format!("c_{backend}.npy"));
        let o = run(&[
            "matmul",
            "--preset",
            "sim-small",
            "--a",
            s(&d.join("a.npy")),
            "--b",
            s(&d.join("b.npy")),
            "--out",
            s(&out),
            "--backend",
            backend,
            "--json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(report["backend"], backend);
        assert_eq!(report["macs"], (m * k * n) as u64);
        assert_eq!(report["cycles"], report["predicted_cycles"]);
        let cycles = report["cycles"].as_f64().unwrap();
        let util = report["utilization"].as_f64().unwrap();
        assert!((util - (m * k * n) as f64 / (cycles * 16.0)).abs() < 1e-9);
        let c = npy::read_i32(&out, 2).unwrap();
        assert_eq!(c.shape, vec![m, n]);
        assert_eq!(c.data, matmul(&a, &b, m, k, n), "{backend}");
        if numpy_available() {
            let script = format!(
                "import numpy as np, sys\n\
                 a = np.load('{a}'); b = np.load('{b}'); c = np.load('{c}')\n\
                 sys.exit(0 if c.dtype == np.int32 and np.array_equal(c, a.astype(np.int32) @ b.astype(np.int32)) else 1)",
                a = s(&d.join("a.npy")),
                b = s(&d.join("b.npy")),
                c = s(&out)
            );
            let st = Command::new("python3")
                .args(["-c", &script])
                .status()
                .unwrap();
            assert!(st.success(), "NumPy disagrees with {backend}");
        } else {
            eprintln!("note: numpy not available; checked against the golden model only");
        }
    }
}

#[test]
fn requantized_matmul_writes_int8() {
    let d = dir("requant");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let (m, k, n) = (3, 10, 6);
    let a: Vec<i8> = (0..m * k).map(|_| rng.gen()).collect();
    let b: Vec<i8> = (0..k * n).map(|_| rng.gen()).collect();
    let bias: Vec<i32> = (0..n).map(|_| rng.gen_range(-5000..5000)).collect();
    let mm: Vec<u16> = (0..n).map(|_| rng.gen()).collect();
    let sh: Vec<i32> = (0..n).map(|j| [0, 47, 12, 16, 20, 1][j]).collect();
    npy::write_i8(&d.join("a.npy"), &[m, k], &a).unwrap();
    npy::write_i8(&d.join("b.npy"), &[k, n], &b).unwrap();
    npy::write_i32(&d.join("bias.npy"), &[n], &bias).unwrap();
    npy::write_u16(&d.join("m.npy"), &[n], &mm).unwrap();
    npy::write_i32(&d.join("s.npy"), &[n], &sh).unwrap();
    let out = d.join("y.npy");
    let o = run(&[
        "matmul",
        "--preset",
        "icebreaker",
        "--a",
        s(&d.join("a.npy")),
        "--b",
        s(&d.join("b.npy")),
        "--out",
        s(&out),
        "--bias",
        s(&d.join("bias.npy")),
        "--m",
        s(&d.join("m.npy")),
        "--s",
        s(&d.join("s.npy")),
        "--relu",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let y = npy::read_i8(&out, 2).unwrap();
    let c = matmul(&a, &b, m, k, n);
    let want: Vec<i8> = c
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let j = i % n;
            requantize(
                x,
                Requant {
                    bias: bias[j],
                    m: mm[j],
                    s: sh[j] as u8,
                },
                true,
            )
        })
        .collect();
    assert_eq!(y.data, want);
}

#[test]
fn bad_input_is_named_and_exits_nonzero() {
    let d = dir("bad");
    npy::write_i8(&d.join("a.npy"), &[2, 3], &[1; 6]).unwrap();
    npy::write_i8(&d.join("b.npy"), &[3, 2], &[1; 6]).unwrap();
    npy::write_i8(&d.join("b4.npy"), &[4, 2], &[1; 8]).unwrap();
    npy::write_i32(&d.join("a32.npy"), &[2, 3], &[1; 6]).unwrap();
    npy::write_i8(&d.join("big.npy"), &[3000, 4], &vec![1; 12000]).unwrap();
    npy::write_i8(&d.join("b44.npy"), &[4, 4], &[1; 16]).unwrap();
    npy::write_i32(&d.join("bias2.npy"), &[2], &[0, 0]).unwrap();
    npy::write_u16(&d.join("m2.npy"), &[2], &[1, 1]).unwrap();
    npy::write_i32(&d.join("s_bad.npy"), &[2], &[0, 48]).unwrap();
    npy::write_i32(&d.join("bias3.npy"), &[3], &[0, 0, 0]).unwrap();
    let p = |f: &str| d.join(f).to_str().unwrap().to_string();
    let out = p("out.npy");
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            vec!["--a".into(), p("missing.npy"), "--b".into(), p("b.npy")],
            vec!["missing.npy"],
        ),
        (
            vec!["--a".into(), p("a32.npy"), "--b".into(), p("b.npy")],
            vec!["a32.npy", "int8", "int32"],
        ),
        (
            vec!["--a".into(), p("a.npy"), "--b".into(), p("b4.npy")],
            vec!["b4.npy", "K = 3"],
        ),
        (
            vec!["--a".into(), p("big.npy"), "--b".into(), p("b44.npy")],
            vec!["A [3000, 4]", "activation bank"],
        ),
        (
            vec![
                "--a".into(),
                p("a.npy"),
                "--b".into(),
                p("b.npy"),
                "--bias".into(),
                p("bias2.npy"),
                "--m".into(),
                p("m2.npy"),
                "--s".into(),
                p("s_bad.npy"),
            ],
            vec!["s_bad.npy", "s[1] = 48", "0..=47"],
        ),
        (
            vec![
                "--a".into(),
                p("a.npy"),
                "--b".into(),
                p("b.npy"),
                "--bias".into(),
                p("bias3.npy"),
                "--m".into(),
                p("m2.npy"),
                "--s".into(),
                p("s_bad.npy"),
            ],
            vec!["bias3.npy", "(2,)"],
        ),
    ];
    for (args, needles) in cases {
        let mut full = vec![
            "matmul".to_string(),
            "--backend".into(),
            "model".into(),
            "--out".into(),
            out.clone(),
        ];
        full.extend(args);
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let o = run(&refs);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{full:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        for n in needles {
            assert!(err.contains(n), "{full:?}: `{n}` not in: {err}");
        }
    }
    let o = run(&["emit", "--preset", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("sim-small"));
}

#[test]
fn emit_writes_verilog_and_manifest() {
    let d = dir("emit");
    let o = run(&["emit", "--preset", "ulx3s-85f", "--out", s(&d), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(manifest["mac_units"], 256);
    assert_eq!(manifest["config"]["lanes"], 16);
    let v = std::fs::read_to_string(d.join("ulx3s-85f.v")).unwrap();
    assert!(v.contains("module top("));
    let from_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("ulx3s-85f.json")).unwrap()).unwrap();
    assert_eq!(from_file, manifest);
    // `config` prints TOML that `--config` accepts.
    let t = run(&["config", "--preset", "icebreaker"]);
    std::fs::write(d.join("ice.toml"), &t.stdout).unwrap();
    let o = run(&["emit", "--config", s(&d.join("ice.toml")), "--out", s(&d)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn ring_runs_demos_and_program_dirs_and_reports_link_figures() {
    // The all-gather demo at +-300 ppm: every card OK with the model's results.
    let o = run(&[
        "ring",
        "--preset",
        "sim-small",
        "--cards",
        "3",
        "--demo",
        "allgather",
        "--vlen",
        "5",
        "--ppm",
        "300",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["ok"], true);
    assert_eq!(j["frames_sent"], 6);
    assert_eq!(j["frames_delivered"], 6);
    assert_eq!(j["undetected_errors"], 0);
    for key in ["mean", "std", "min", "max"] {
        assert!(j["hop_latency_cycles"][key].is_number(), "{key}");
    }
    assert!(j["payload_efficiency"].as_f64().unwrap() > 0.0);
    assert_eq!(j["per_card"].as_array().unwrap().len(), 3);
    // Write the demo's programs, change card 1's wait so its recv comes too early, and
    // run the directory: the model finds it, the RTL stops with LINK, exit 1.
    let d = dir("ring_prog");
    let o = run(&[
        "ring",
        "--cards",
        "2",
        "--demo",
        "allgather",
        "--vlen",
        "4",
        "--write-programs",
        s(&d),
        "--json",
    ]);
    assert!(o.status.success());
    let card1 = std::fs::read_to_string(d.join("card1.s")).unwrap();
    let early: String = card1
        .lines()
        .map(|l| {
            if l.trim().starts_with("wait") {
                "    wait 100"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(d.join("card1.s"), early).unwrap();
    let o = run(&["ring", "--cards", "2", "--program-dir", s(&d), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["per_card"][1]["status"], "LINK");
    assert_eq!(j["per_card"][1]["model_status"], "LINK");
    assert!(!j["model_findings"].as_array().unwrap().is_empty());
    // A dump of card 0's vector.
    let out = d.join("v.npy");
    let spec = format!("0:b0:0:4={}", s(&out));
    let o = run(&[
        "ring",
        "--cards",
        "2",
        "--demo",
        "allgather",
        "--vlen",
        "4",
        "--dump",
        &spec,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(npy::read_i8(&out, 2).unwrap().shape, vec![4, 4]);
}

#[test]
fn ring_bad_input_is_named() {
    for (args, want) in [
        (
            vec!["ring", "--cards", "9", "--demo", "allgather"],
            "--cards 9",
        ),
        (
            vec!["ring", "--demo", "allgather", "--ber", "0.7"],
            "--ber 0.7",
        ),
        (
            vec!["ring", "--demo", "allgather", "--ppm", "9000"],
            "--ppm 9000",
        ),
        (vec!["ring", "--demo", "mlp", "--cards", "3"], "2 cards"),
        (
            vec!["ring", "--demo", "allgather", "--vlen", "0"],
            "vlen = 0",
        ),
        (
            vec!["ring", "--cards", "2", "--program-dir", "/nonexistent"],
            "card0.s",
        ),
        (
            vec!["ring", "--demo", "allgather", "--dump", "7:b0:0:1=x.npy"],
            "card 7",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(want), "{args:?}: {e}");
    }
    let o = run(&["ring", "--help"]);
    let h = String::from_utf8_lossy(&o.stdout);
    for w in [
        "--demo",
        "allgather",
        "undetected_errors",
        "hop_latency_cycles",
        "Exit status",
    ] {
        assert!(h.contains(w), "{w}");
    }
}
