//! One requantizer lane in Verilator against the arithmetic contract
//! (`minilpu_model::arith::requantize`), for every `requant_steps` form: the parallel
//! lanes (LUT and DSP multiplier) and the digit-serial ones (2, 4, 8, 16 steps), on the
//! edge values of every operand and on random ones, values back to back (one every
//! `steps` cycles) with garbage on the inputs between the `start` cycles; and the serial
//! lanes with late parameters (`m` one cycle, the shift two cycles after `start`).

use minilpu_hdl::requant_lanes::{requant_lane_latency, requant_lanes_late_verilog};
use minilpu_hdl::requant_lanes_verilog_with;
use minilpu_model::arith::{requantize, Requant};
use minilpu_testbench::verilated::{BuildOptions, VerilatedModel};
use rand::{Rng, SeedableRng};

/// A scalar-port wrapper around the one-lane top module.
const PROBE: &str = "
module probe(input wire clock, input wire [31:0] c, input wire [31:0] bias,
             input wire [15:0] m, input wire [7:0] s, input wire relu, input wire start,
             output wire [7:0] y);
    top lane(.clock(clock), .c$0(c),
        .bias_b$0(bias[7:0]), .bias_b$1(bias[15:8]), .bias_b$2(bias[23:16]),
        .bias_b$3(bias[31:24]), .m_b$0(m[7:0]), .m_b$1(m[15:8]), .s_b$0(s),
        .relu(relu), .start(start), .y$0(y));
endmodule
";

/// (c, bias, m, shift byte, relu)
type Case = (i32, i32, u16, u8, bool);

fn cases(seed: u64) -> Vec<Case> {
    let mut out = Vec::new();
    let cs = [i32::MIN, i32::MIN + 1, -1, 0, 1, 12345, i32::MAX];
    let biases = [i32::MIN, -1, 0, 1, i32::MAX];
    let ms = [0u16, 1, 2, 255, 256, 32768, 65534, 65535];
    let ss = [0u8, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 40, 46, 47, 48, 255];
    for &c in &cs {
        for &bias in &biases {
            for &m in &ms {
                for &s in &ss {
                    out.push((c, bias, m, s, (c ^ bias ^ m as i32 ^ s as i32) & 1 == 1));
                }
            }
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for i in 0..20_000 {
        let s: u8 = rng.gen_range(0..=47);
        let case = if i % 2 == 0 {
            // Near the rounding and clamp boundaries: t*m close to k * 2^(s-1).
            let k: i64 = rng.gen_range(-600..=600);
            let m: u16 = if rng.gen() {
                1
            } else {
                rng.gen_range(1..=65535)
            };
            let t = (k << s.saturating_sub(1)) / m as i64 + rng.gen_range(-2..=2);
            let bias: i32 = rng.gen_range(-1000..=1000);
            let c = (t - bias as i64).clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            (c, bias, m, s, rng.gen())
        } else {
            (rng.gen(), rng.gen(), rng.gen(), s, rng.gen())
        };
        out.push(case);
    }
    out
}

fn check_lane(dsp: bool, steps: usize) {
    check_lane_with(dsp, steps, false, true);
}

/// `late`: the lane samples `m` one cycle and the shift two cycles after `start`
/// (garbage elsewhere, as for the other inputs).
fn check_lane_with(dsp: bool, steps: usize, late: bool, split: bool) {
    let verilog = if late {
        requant_lanes_late_verilog(1, steps)
    } else {
        requant_lanes_verilog_with(1, dsp, steps, split)
    } + PROBE;
    let mut sim = VerilatedModel::build(&verilog, "probe", &BuildOptions::default())
        .unwrap_or_else(|e| panic!("steps {steps}: {e}"));
    let port = |n: &str| sim.port(n).unwrap();
    let (pc, pb, pm, ps, pr, pst, py) = (
        port("c"),
        port("bias"),
        port("m"),
        port("s"),
        port("relu"),
        port("start"),
        port("y"),
    );
    let cases = cases(steps as u64 + 10 * dsp as u64);
    let lat = requant_lane_latency(steps);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(99);
    let total = cases.len() * steps + lat;
    let mut checked = 0;
    for n in 0..total {
        let start = n % steps == 0 && n / steps < cases.len();
        let (mut c, mut bias, mut m, mut s, mut relu): Case = if start {
            cases[n / steps]
        } else {
            // Between starts the lane must ignore its inputs.
            (rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen())
        };
        if late {
            // `m` and the shift of the value started one / two cycles ago, garbage
            // (including at `start`) otherwise.
            let (gc, gb, gm, gs, gr): Case =
                (rng.gen(), rng.gen(), rng.gen(), rng.gen(), rng.gen());
            let case_at = |back: usize| {
                (n >= back && (n - back).is_multiple_of(steps) && (n - back) / steps < cases.len())
                    .then(|| cases[(n - back) / steps])
            };
            m = case_at(1).map_or(gm, |k| k.2);
            s = case_at(2).map_or(gs, |k| k.3);
            if !start {
                (c, bias, relu) = (gc, gb, gr);
            }
        }
        sim.set_u64(pc, c as u32 as u64);
        sim.set_u64(pb, bias as u32 as u64);
        sim.set_u64(pm, m as u64);
        sim.set_u64(ps, s as u64);
        sim.set_u64(pr, relu as u64);
        sim.set_u64(pst, start as u64);
        sim.eval();
        sim.tick();
        // Now in cycle n + 1: the value started in cycle n + 1 - lat is out.
        if n + 1 >= lat && (n + 1 - lat).is_multiple_of(steps) {
            let i = (n + 1 - lat) / steps;
            if i < cases.len() {
                let (c, bias, m, s, relu) = cases[i];
                let q = Requant {
                    bias,
                    m,
                    s: s.min(47),
                };
                let want = requantize(c, q, relu);
                let got = sim.get_u64(py) as u8 as i8;
                assert_eq!(
                    got, want,
                    "dsp {dsp} split {split} steps {steps} late {late}: c {c} bias {bias} m {m} s {s} relu {relu}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, cases.len());
}

#[test]
fn parallel_lut_lane_matches_the_contract() {
    check_lane(false, 1);
}

#[test]
fn parallel_dsp_lane_matches_the_contract() {
    check_lane(true, 1);
    // The product in one cycle (`requant_split_product = false`, the 85F preset).
    check_lane_with(true, 1, false, false);
}

#[test]
fn serial_lanes_match_the_contract() {
    for steps in [2, 4, 8, 16] {
        check_lane(false, steps);
    }
}

#[test]
fn serial_lanes_with_late_parameters_match_the_contract() {
    for steps in [4, 8, 16] {
        check_lane_with(false, steps, true, true);
    }
}
