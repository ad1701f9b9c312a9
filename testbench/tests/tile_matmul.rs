//! RTL-vs-model sign-off of the matmul datapath in Verilator, for every preset:
//! bit-exact results and cycle-exact timing on random and edge-case data.

use minilpu_model::arith::{matmul, requantize, Requant};
use minilpu_model::config::PRESET_NAMES;
use minilpu_model::TileConfig;
use minilpu_testbench::runner::{run_matmul, Backend, RequantSpec};
use minilpu_testbench::tile_sim::{Flavour, TileSim};
use rand::{Rng, SeedableRng};

fn rand_vec(rng: &mut impl Rng, n: usize, edge: bool) -> Vec<i8> {
    (0..n)
        .map(|_| {
            if edge {
                [-128i8, 127][rng.gen_range(0..2)]
            } else {
                rng.gen()
            }
        })
        .collect()
}

fn check_preset(name: &str, seed: u64, flavour: Flavour) {
    check_config(name, &TileConfig::preset(name).unwrap(), seed, flavour);
}

fn check_config(name: &str, cfg: &TileConfig, seed: u64, flavour: Flavour) {
    let cfg = cfg.clone();
    let mut sim = TileSim::build_flavour(&cfg, false, flavour).expect("build the verilated tile");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (l, c) = (cfg.lanes, cfg.cols);
    // (m, k, n, edge values?) including M = 1, K not a multiple of the array, and
    // shapes of several tiles in K and N.
    let shapes = [
        (1, 1, 1, false),
        (1, l, c, true),
        (1, 3 * l + 1, 2 * c + 3, false),
        (2, l - 1, c, false),
        (5, 2 * l, 3 * c, true),
        (17, 3 * l + 2, c + 1, false),
        (64, 2 * l, 2 * c, false),
    ];
    for (m, k, n, edge) in shapes {
        let a = rand_vec(&mut rng, m * k, edge);
        let b = rand_vec(&mut rng, k * n, edge);
        let out = run_matmul(
            &cfg,
            Backend::Verilator,
            Some(&mut sim),
            &a,
            &b,
            (m, k, n),
            None,
        )
        .unwrap_or_else(|e| panic!("{name} {m}x{k}x{n}: {e}"));
        assert_eq!(
            out.c.as_ref().unwrap(),
            &matmul(&a, &b, m, k, n),
            "{name} {m}x{k}x{n}"
        );
        assert_eq!(
            out.cycles, out.predicted_cycles,
            "{name} {m}x{k}x{n}: cycles"
        );
        let model = run_matmul(&cfg, Backend::Model, None, &a, &b, (m, k, n), None).unwrap();
        assert_eq!(model, out, "{name} {m}x{k}x{n}: model backend");
    }
    // Requantization: random parameters plus zero and maximal shift, ReLU on and off.
    for (i, relu) in [(0, false), (1, true), (2, false)] {
        let (m, k, n) = (3 + i, 2 * l + 1, c + 2);
        let a = rand_vec(&mut rng, m * k, i == 2);
        let b = rand_vec(&mut rng, k * n, i == 2);
        let params: Vec<Requant> = (0..n)
            .map(|j| Requant {
                bias: if j == 0 {
                    i32::MIN
                } else {
                    rng.gen_range(-100_000..100_000)
                },
                m: if j == 1 { 65535 } else { rng.gen() },
                s: match j {
                    0 => 47,
                    1 => 0,
                    _ => rng.gen_range(0..=47),
                },
            })
            .collect();
        let spec = RequantSpec {
            params: params.clone(),
            relu,
        };
        let out = run_matmul(
            &cfg,
            Backend::Verilator,
            Some(&mut sim),
            &a,
            &b,
            (m, k, n),
            Some(&spec),
        )
        .unwrap();
        let cm = matmul(&a, &b, m, k, n);
        let want: Vec<i8> = cm
            .iter()
            .enumerate()
            .map(|(idx, &x)| requantize(x, params[idx % n], relu))
            .collect();
        assert_eq!(
            out.y.as_ref().unwrap(),
            &want,
            "{name} requant {m}x{k}x{n} relu={relu}"
        );
        let model = run_matmul(&cfg, Backend::Model, None, &a, &b, (m, k, n), Some(&spec)).unwrap();
        assert_eq!(model, out, "{name} requant: model backend");
    }
}

#[test]
fn sim_small_matches_model() {
    check_preset("sim-small", 1, Flavour::Behavioural);
}

/// The accumulator read stage on the small tile, without and with bank read stages:
/// every K tile after the first adds into the rows the one before wrote.
#[test]
fn sim_small_with_acc_read_stage_matches_model() {
    for b in [0, 2, 3] {
        let mut cfg = TileConfig::preset("sim-small").unwrap();
        cfg.acc_read_stage = true;
        cfg.bank_read_stages = b;
        check_config(
            &format!("sim-small acc stage b {b}"),
            &cfg,
            3,
            Flavour::Behavioural,
        );
    }
}

#[test]
fn icebreaker_matches_model() {
    check_preset("icebreaker", 2, Flavour::Behavioural);
}

#[test]
fn ulx3s_85f_matches_model() {
    check_preset("ulx3s-85f", 3, Flavour::Behavioural);
}

/// The iCE40 netlist's primitives (SB_MAC16 in dual 8x8 mode, SB_SPRAM256KA), in
/// yosys's own simulation models, against the golden model.
#[test]
fn icebreaker_with_ice40_primitives_matches_model() {
    check_preset("icebreaker", 4, Flavour::Ice40Cells);
}

/// The `icebreaker` tile as the iCE40 flow synthesizes it (yosys 0.23, `synth_ice40`),
/// gate-level in Verilator with yosys's cell models, against the golden model.
#[test]
fn icebreaker_synthesized_netlist_matches_model() {
    check_preset("icebreaker", 5, Flavour::Ice40Netlist);
}

/// The ECP5 forms of the array (the `ulx3s-85f` preset's: every multiplier a pair of
/// `CCU2C` carry chains with `TRELLIS_FF` activation registers, two array feed stages
/// whose last is `TRELLIS_FF` copies) in yosys's own cell models, on a 4 x 4 array.
#[test]
fn ecp5_array_forms_match_model() {
    let mut cfg = TileConfig::preset("sim-small").unwrap();
    cfg.name = "sim-small-ecp5".into();
    (cfg.array_dsp_mults, cfg.array_feed_stages) = (0, 2);
    cfg.validate().unwrap();
    check_config("sim-small-ecp5", &cfg, 6, Flavour::Ecp5Cells);
}

#[test]
fn every_preset_is_covered() {
    assert_eq!(PRESET_NAMES.len(), 3);
}
