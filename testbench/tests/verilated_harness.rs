//! End-to-end checks of the run-time Verilator harness on small hand-written designs.

use minilpu_testbench::verilated::{BuildOptions, Dir, HarnessError, PortSpec, VerilatedModel};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Non-ANSI header in the style rust-hdl 0.46 emits.
const NON_ANSI: &str = r#"
module harness_top(clock,reset,a,b,c,w,count,acc,prod,echo_c,a_plus,w_q,odd);
    // Inputs
    input wire  clock;
    input wire  reset;
    input wire  [7:0] a;
    input wire  [39:0] b;
    input wire  [99:0] c;
    input wire  [519:0] w;
    // Outputs
    output reg  [15:0] count;
    output reg  [99:0] acc;
    output reg  [47:0] prod;
    output wire  [99:0] echo_c;
    output wire  [8:0] a_plus;
    output reg  [519:0] w_q;
    output wire  odd;
    // Logic (a function with its own `input` must not be taken for a port)
    function [8:0] inc9;
        input [7:0] x;
        inc9 = {1'b0, x} + 9'd1;
    endfunction
    assign echo_c = c;
    assign a_plus = inc9(a);
    assign odd = count[0];
    always @(posedge clock) begin
        if (reset) begin
            count <= 16'd0;
            acc <= 100'd0;
            prod <= 48'd0;
            w_q <= 520'd0;
        end else begin
            count <= count + 16'd1;
            acc <= acc + c;
            prod <= $signed(a) * $signed(b);
            w_q <= ~w;
        end
    end
endmodule
"#;

/// ANSI header: a registered adder (with a delay, ignored) and a sign extension.
const ANSI: &str = r#"
module other(input wire x, output wire y); assign y = ~x; endmodule
module ansi_top #(parameter W = 12) (
    input  wire         clock,
    input  wire [W-1:0] p, q,
    input  wire signed [69:0] s,
    output reg  [W:0]   sum,
    output wire [127:0] ext
);
    assign ext = {{58{s[69]}}, s};
    always @(posedge clock) sum <= #1 p + q; // delay: ignored (--no-timing)
endmodule
"#;

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("../verilator-cache")
}

fn build(verilog: &str, top: &str, trace: bool) -> VerilatedModel {
    let opts = BuildOptions {
        trace,
        ..BuildOptions::new(cache_dir())
    };
    let t0 = Instant::now();
    let m = VerilatedModel::build(verilog, top, &opts).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("build {top} trace={trace}: {:.2?}", t0.elapsed());
    m
}

const MASK100: u128 = (1 << 100) - 1;

fn u128_words(v: u128, n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| if i < 4 { (v >> (32 * i)) as u32 } else { 0 })
        .collect()
}

fn words_u128(w: &[u32]) -> u128 {
    w.iter()
        .take(4)
        .enumerate()
        .fold(0, |acc, (i, &x)| acc | (x as u128) << (32 * i))
}

fn sext(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

#[test]
fn non_ansi_ports_are_discovered_in_order() {
    let m = build(NON_ANSI, "harness_top", false);
    let spec = |name: &str, width, dir| PortSpec {
        name: name.into(),
        width,
        dir,
    };
    let expected = [
        spec("clock", 1, Dir::In),
        spec("reset", 1, Dir::In),
        spec("a", 8, Dir::In),
        spec("b", 40, Dir::In),
        spec("c", 100, Dir::In),
        spec("w", 520, Dir::In),
        spec("count", 16, Dir::Out),
        spec("acc", 100, Dir::Out),
        spec("prod", 48, Dir::Out),
        spec("echo_c", 100, Dir::Out),
        spec("a_plus", 9, Dir::Out),
        spec("w_q", 520, Dir::Out),
        spec("odd", 1, Dir::Out),
    ];
    assert_eq!(m.ports(), &expected);
}

#[test]
fn registered_outputs_match_rust_model() {
    let mut m = build(NON_ANSI, "harness_top", false);
    let id = |n: &str| m.port(n).unwrap();
    let [reset, a, b, c, w] = ["reset", "a", "b", "c", "w"].map(id);
    let [count, acc, prod, echo_c, a_plus, w_q, odd] =
        ["count", "acc", "prod", "echo_c", "a_plus", "w_q", "odd"].map(id);
    m.set_u64(reset, 1);
    m.tick();
    m.set_u64(reset, 0);
    assert_eq!(
        (m.get_u64(count), m.get(acc), m.get_u64(prod)),
        (0, vec![0; 4], 0)
    );

    let mut rng = StdRng::seed_from_u64(0x5eed_1234);
    let a_edges = [0u64, 1, 0x7f, 0x80, 0xff];
    let b_edges = [0u64, 1, (1 << 39) - 1, 1 << 39, (1 << 40) - 1];
    let c_edges = [0u128, 1, MASK100, 1 << 99, MASK100 - 1];
    let (mut exp_count, mut exp_acc) = (0u64, 0u128);
    for i in 0..400usize {
        let av = a_edges
            .get(i)
            .copied()
            .unwrap_or_else(|| rng.gen::<u64>() & 0xff);
        let bv = b_edges
            .get(i)
            .copied()
            .unwrap_or_else(|| rng.gen::<u64>() & ((1 << 40) - 1));
        let cv = c_edges
            .get(i)
            .copied()
            .unwrap_or_else(|| rng.gen::<u128>() & MASK100);
        let wv: Vec<u32> = (0..17).map(|_| rng.gen()).collect();
        // Extra high bits beyond the port width must be ignored.
        m.set_u64(a, av | 0xff00);
        m.set_u64(b, bv | (0xabu64 << 40));
        m.set(c, &u128_words(cv | (0xf << 100), 4));
        m.set(w, &wv);
        m.eval();
        assert_eq!(words_u128(&m.get(echo_c)), cv, "combinational 100-bit echo");
        assert_eq!(m.get_u64(a_plus), av + 1, "combinational function output");
        m.tick();
        exp_count = (exp_count + 1) & 0xffff;
        exp_acc = (exp_acc + cv) & MASK100;
        let exp_prod = (sext(av, 8) * sext(bv, 40)) as u64 & ((1 << 48) - 1);
        assert_eq!(m.get_u64(count), exp_count, "count after tick {i}");
        assert_eq!(m.get_u64(odd), exp_count & 1);
        assert_eq!(words_u128(&m.get(acc)), exp_acc, "acc after tick {i}");
        assert_eq!(m.get_u64(acc), exp_acc as u64, "get_u64 is the low 64 bits");
        assert_eq!(m.get_u64(prod), exp_prod, "prod for a={av:#x} b={bv:#x}");
        let mut exp_w: Vec<u32> = wv.iter().map(|x| !x).collect();
        exp_w[16] &= 0xff; // 520 = 16*32 + 8
        assert_eq!(m.get(w_q), exp_w, "520-bit register after tick {i}");
    }
    assert_eq!(m.cycles(), 401);

    // Speed: plain ticks with constant inputs.
    let n = 200_000;
    let t0 = Instant::now();
    for _ in 0..n {
        m.tick();
    }
    let dt = t0.elapsed();
    eprintln!(
        "{n} ticks in {dt:.2?}: {:.0} ticks/s",
        n as f64 / dt.as_secs_f64()
    );
    assert_eq!(m.get_u64(count), (exp_count + n) & 0xffff);
}

#[test]
fn unknown_port_and_vcd_without_trace_are_errors() {
    let mut m = build(NON_ANSI, "harness_top", false);
    let err = m.port("nope").unwrap_err();
    assert!(matches!(err, HarnessError::UnknownPort { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("`nope`") && msg.contains("clock") && msg.contains("w_q"),
        "{msg}"
    );
    let err = m.open_vcd(Path::new("/dev/null")).unwrap_err();
    assert!(matches!(err, HarnessError::VcdNotEnabled), "{err}");
}

#[test]
fn missing_top_and_bad_verilog_are_reported() {
    let opts = BuildOptions::new(cache_dir());
    let err = VerilatedModel::build(NON_ANSI, "no_such_top", &opts)
        .err()
        .unwrap();
    assert!(err.to_string().contains("harness_top"), "{err}");
    let broken =
        "module broken(clock, y);\n input wire clock;\n output wire y;\n assign y = ;\nendmodule\n";
    let err = VerilatedModel::build(broken, "broken", &opts)
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        matches!(err, HarnessError::Build { .. }) && msg.contains("syntax error"),
        "{msg}"
    );
}

#[test]
fn vcd_is_written_with_signal_names() {
    let mut m = build(NON_ANSI, "harness_top", true);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vcd");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("harness_{}.vcd", std::process::id()));
    let [c, reset] = ["c", "reset"].map(|n| m.port(n).unwrap());
    m.open_vcd(&path).unwrap();
    m.set_u64(reset, 1);
    m.tick();
    m.set_u64(reset, 0);
    m.set_u64(c, 3);
    for _ in 0..5 {
        m.tick();
    }
    m.close_vcd();
    let vcd = std::fs::read_to_string(&path).unwrap();
    for needle in [
        "$var",
        " clock ",
        " count [15:0] ",
        " acc [99:0] ",
        " w_q [519:0] ",
        "#12",
    ] {
        assert!(
            vcd.contains(needle),
            "VCD lacks {needle:?}:\n{}",
            &vcd[..vcd.len().min(3000)]
        );
    }
    // Reopening after a close starts a fresh file.
    m.open_vcd(&path).unwrap();
    m.tick();
    drop(m);
    let vcd = std::fs::read_to_string(&path).unwrap();
    assert!(vcd.contains("#12") && vcd.contains("#13") && !vcd.contains("#11"));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn ansi_module_builds_once_for_concurrent_callers() {
    let opts = BuildOptions::new(cache_dir());
    let models: Vec<VerilatedModel> = std::thread::scope(|s| {
        let build = || VerilatedModel::build(ANSI, "ansi_top", &opts);
        let hs: Vec<_> = (0..3).map(|_| s.spawn(build)).collect();
        hs.into_iter()
            .map(|h| h.join().unwrap().unwrap_or_else(|e| panic!("{e}")))
            .collect()
    });
    let lib = models[0].library_path().to_owned();
    assert!(models.iter().all(|m| m.library_path() == lib));
    let key = lib
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(key.len(), 64, "sha256 hex");
    let leftovers: Vec<String> = std::fs::read_dir(cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(&format!(".tmp-{}", &key[..16])))
        .collect();
    assert!(leftovers.is_empty(), "temp dirs left behind: {leftovers:?}");
    let t0 = Instant::now();
    let cached = VerilatedModel::build(ANSI, "ansi_top", &opts).unwrap();
    assert!(
        t0.elapsed().as_secs_f64() < 5.0,
        "cache hit took {:.2?}",
        t0.elapsed()
    );
    for mut m in models.into_iter().chain([cached]) {
        let names: Vec<(&str, usize)> = m
            .ports()
            .iter()
            .map(|p| (p.name.as_str(), p.width))
            .collect();
        let expected = [
            ("clock", 1),
            ("p", 12),
            ("q", 12),
            ("s", 70),
            ("sum", 13),
            ("ext", 128),
        ];
        assert_eq!(names, expected);
        let [p, q, s, sum, ext] = ["p", "q", "s", "sum", "ext"].map(|n| m.port(n).unwrap());
        assert_eq!(m.get_u64(sum), 0, "registers start at zero");
        m.set_u64(p, 0xfff);
        m.set_u64(q, 0xfff);
        m.set(s, &[0, 0, 1 << 5]); // bit 69: negative
        m.tick();
        assert_eq!(m.get_u64(sum), 0x1ffe);
        assert_eq!(m.get(ext), vec![0, 0, 0xffff_ffe0, 0xffff_ffff]);
    }
}
