//! The example programs (`examples/programs/*.s`) on both backends, checked against
//! the arithmetic contract computed directly (not through the tile's layout code
//! alone), and a VCD of the two-layer MLP.

use minilpu_model::arith::{add_sat, argmax, dense_layer, Requant};
use minilpu_model::asm::assemble;
use minilpu_model::exec::encode_params;
use minilpu_model::isa::{Status, VAddr};
use minilpu_model::layout::MatmulPlan;
use minilpu_model::schedule::check;
use minilpu_model::TileConfig;
use minilpu_testbench::program::{run_program, ProgramOutcome, Region, RegionData};
use minilpu_testbench::runner::Backend;
use minilpu_testbench::tile_sim::TileSim;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

fn example(name: &str) -> (String, PathBuf) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/programs")
        .join(name);
    (
        std::fs::read_to_string(&path).expect("example exists"),
        path,
    )
}

type Image = Vec<(VAddr, Vec<i8>)>;

/// Assemble, check, and run on both backends; both must agree on everything.
fn run_both(
    cfg: &TileConfig,
    sim: &mut TileSim,
    name: &str,
    image: &Image,
    regions: &[Region],
) -> ProgramOutcome {
    let (src, path) = example(name);
    let prog =
        assemble(&src, &path.display().to_string(), Some(cfg)).unwrap_or_else(|e| panic!("{e}"));
    check(cfg, &prog.instrs).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let words: Vec<u64> = prog.instrs.iter().map(|i| i.encode()).collect();
    let model = run_program(cfg, Backend::Model, None, &words, image, regions, None).unwrap();
    let rtl = run_program(
        cfg,
        Backend::Verilator,
        Some(sim),
        &words,
        image,
        regions,
        None,
    )
    .unwrap();
    assert_eq!(model, rtl, "{name}: model vs RTL");
    assert_eq!(rtl.status, Status::Ok, "{name}");
    assert_eq!(rtl.cycles, rtl.predicted_cycles, "{name}: prediction");
    rtl
}

fn bank(o: &ProgramOutcome, i: usize) -> &Vec<Vec<i8>> {
    match &o.dumps[i] {
        RegionData::Bank(w) => w,
        RegionData::Acc(_) => panic!("not a bank region"),
    }
}

fn weights_at(cfg: &TileConfig, plan: &MatmulPlan, b: &[i8], base: u16, image: &mut Image) {
    for (k, words) in plan.weight_words(cfg, b).into_iter().enumerate() {
        for (w, word) in words.into_iter().enumerate() {
            image.push((
                VAddr {
                    bank: k as u8 + 1,
                    word: base + w as u16,
                },
                word,
            ));
        }
    }
}

fn params_at(cfg: &TileConfig, q: &[Requant], word: u16, image: &mut Image) {
    for (i, w) in encode_params(cfg, q).into_iter().enumerate() {
        image.push((
            VAddr {
                bank: 1,
                word: word + i as u16,
            },
            w,
        ));
    }
}

fn random_params(rng: &mut impl Rng, n: usize) -> Vec<Requant> {
    (0..n)
        .map(|_| Requant {
            bias: rng.gen_range(-2000..2000),
            m: rng.gen_range(1..400),
            s: rng.gen_range(8..14),
        })
        .collect()
}

fn rows_of(words: &[Vec<i8>], n: usize) -> Vec<i8> {
    words.iter().flat_map(|w| w[..n].to_vec()).collect()
}

#[test]
fn examples_on_both_backends() {
    let cfg = TileConfig::preset("sim-small").unwrap();
    let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let (m, k, n) = (8, 8, 4);
    let a: Vec<i8> = (0..m * k).map(|_| rng.gen()).collect();
    let w1: Vec<i8> = (0..k * n).map(|_| rng.gen()).collect();
    let w2: Vec<i8> = (0..n * n).map(|_| rng.gen()).collect();
    let q1 = random_params(&mut rng, n);
    let q2 = random_params(&mut rng, n);
    let p1 = MatmulPlan::new(&cfg, m, k, n).unwrap();
    let p2 = MatmulPlan::new(&cfg, m, n, n).unwrap();
    let mut base = Image::new();
    for (i, w) in p1.act_words(&cfg, &a).into_iter().enumerate() {
        base.push((
            VAddr {
                bank: 0,
                word: i as u16,
            },
            w,
        ));
    }

    // layer.s: Y = relu(requant(A · W)) at b0:16.
    let mut image = base.clone();
    weights_at(&cfg, &p1, &w1, 0, &mut image);
    params_at(&cfg, &q1, 4, &mut image);
    let o = run_both(
        &cfg,
        &mut sim,
        "layer.s",
        &image,
        &[Region::Bank {
            at: VAddr { bank: 0, word: 16 },
            len: 8,
        }],
    );
    assert_eq!(
        rows_of(bank(&o, 0), n),
        dense_layer(&a, &w1, (m, k, n), &q1, true),
        "layer.s"
    );

    // mlp.s: H = relu(requant1(A · W1)) at b0:16, Y = requant2(H · W2) at b0:24.
    let mut image = base.clone();
    weights_at(&cfg, &p1, &w1, 0, &mut image);
    weights_at(&cfg, &p2, &w2, 4, &mut image);
    params_at(&cfg, &q1, 6, &mut image);
    params_at(&cfg, &q2, 13, &mut image);
    let regions = [
        Region::Bank {
            at: VAddr { bank: 0, word: 16 },
            len: 8,
        },
        Region::Bank {
            at: VAddr { bank: 0, word: 24 },
            len: 8,
        },
    ];
    let o = run_both(&cfg, &mut sim, "mlp.s", &image, &regions);
    let h = dense_layer(&a, &w1, (m, k, n), &q1, true);
    assert_eq!(rows_of(bank(&o, 0), n), h, "mlp.s hidden layer");
    assert_eq!(
        rows_of(bank(&o, 1), n),
        dense_layer(&h, &w2, (m, n, n), &q2, false),
        "mlp.s output"
    );

    // argmax.s: m = max(s1, s2), argmax(m), s1 + s2.
    let s1: Vec<i8> = (0..16).map(|_| rng.gen_range(-100..100)).collect();
    let mut s2: Vec<i8> = (0..16).map(|_| rng.gen_range(-100..100)).collect();
    s2[9] = 127; // a clear winner, and a tie right after it
    s2[10] = 127;
    let mut image = Image::new();
    for i in 0..4 {
        image.push((
            VAddr { bank: 0, word: i },
            s1[4 * i as usize..4 * i as usize + 4].to_vec(),
        ));
        image.push((
            VAddr { bank: 1, word: i },
            s2[4 * i as usize..4 * i as usize + 4].to_vec(),
        ));
    }
    let regions = [
        Region::Bank {
            at: VAddr { bank: 0, word: 8 },
            len: 4,
        },
        Region::Bank {
            at: VAddr { bank: 0, word: 12 },
            len: 1,
        },
        Region::Bank {
            at: VAddr { bank: 0, word: 16 },
            len: 4,
        },
    ];
    let o = run_both(&cfg, &mut sim, "argmax.s", &image, &regions);
    let mx: Vec<i8> = s1.iter().zip(&s2).map(|(&x, &y)| x.max(y)).collect();
    assert_eq!(rows_of(bank(&o, 0), 4), mx, "argmax.s max");
    let idx = i32::from_le_bytes(
        bank(&o, 1)[0][..4]
            .iter()
            .map(|&b| b as u8)
            .collect::<Vec<_>>()
            .try_into()
            .unwrap(),
    );
    assert_eq!(idx as usize, argmax(&mx).unwrap(), "argmax.s index");
    assert_eq!(idx, 9);
    let sum: Vec<i8> = s1.iter().zip(&s2).map(|(&x, &y)| add_sat(x, y)).collect();
    assert_eq!(rows_of(bank(&o, 2), 4), sum, "argmax.s add");
}

/// A VCD of the MLP example with the tile's signal names in it.
#[test]
fn mlp_vcd_has_readable_signals() {
    let cfg = TileConfig::preset("sim-small").unwrap();
    let mut sim = TileSim::build(&cfg, true).expect("verilated tile with tracing");
    let (src, path) = example("mlp.s");
    let prog = assemble(&src, &path.display().to_string(), Some(&cfg)).unwrap();
    let words: Vec<u64> = prog.instrs.iter().map(|i| i.encode()).collect();
    let vcd = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mlp.vcd");
    let o = run_program(
        &cfg,
        Backend::Verilator,
        Some(&mut sim),
        &words,
        &[],
        &[],
        Some(&vcd),
    )
    .unwrap();
    assert_eq!(o.status, Status::Ok);
    let text = std::fs::read_to_string(&vcd).unwrap();
    let header = &text[..text.find("$enddefinitions").expect("a VCD header")];
    // One scope per block instance; signals keep their rust-hdl names.
    let vars: Vec<&str> = header
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("$var "))
        .collect();
    assert!(vars.len() > 100, "only {} signals traced", vars.len());
    for scope in [
        "top", "seq", "mxr", "mxl", "array", "acc", "rq", "vxu", "host",
    ] {
        assert!(
            header.contains(&format!("$scope module {scope} $end")),
            "scope {scope} missing"
        );
    }
    for name in [
        " clock ",
        " bus_addr ",
        " pc$q ",
        " seq$iss_mxr ",
        " left$q ",
        " acc$valid ",
        " vxu$we ",
    ] {
        assert!(
            vars.iter().any(|v| v.contains(name)),
            "signal `{}` missing",
            name.trim()
        );
    }
    // The trace covers the whole run: at least one value change per cycle of it.
    let stamps = text.lines().filter(|l| l.starts_with('#')).count() as u64;
    assert!(
        stamps >= o.cycles,
        "{stamps} time stamps for {} cycles",
        o.cycles
    );
}
