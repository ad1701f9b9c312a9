use minilpu_model::exec::{self, Machine};
use minilpu_model::isa::VAddr;
use minilpu_testbench::program::{run_program, Region, RegionData};
use minilpu_testbench::runner::Backend;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cfg = minilpu_model::TileConfig::preset(&args[1]).unwrap();
    let seed: u64 = args[2].parse().unwrap();
    let mut sim = minilpu_testbench::tile_sim::TileSim::build(&cfg, false).unwrap();
    let (prog, init) = minilpu_model::randprog::random_program(&cfg, seed, 120);
    let mut image = Vec::new();
    for (b, words) in init.banks.iter().enumerate() {
        for (w, x) in words.iter().enumerate() {
            if x.iter().any(|&v| v != 0) {
                image.push((
                    VAddr {
                        bank: b as u8,
                        word: w as u16,
                    },
                    x.clone(),
                ));
            }
        }
    }
    let words: Vec<u64> = prog.iter().map(|i| i.encode()).collect();
    let mut m = init.clone();
    let r = exec::run(&cfg, &prog, &mut m);
    let regions: Vec<Region> = (0..cfg.banks)
        .map(|b| Region::Bank {
            at: VAddr {
                bank: b as u8,
                word: 0,
            },
            len: if b == 0 {
                cfg.act_depth
            } else {
                cfg.bank_depth
            },
        })
        .collect();
    let o = run_program(
        &cfg,
        Backend::Verilator,
        Some(&mut sim),
        &words,
        &image,
        &regions,
        None,
    )
    .unwrap();
    println!(
        "model {:?} {} rtl {:?} {}",
        r.status, r.cycles, o.status, o.cycles
    );
    for (b, d) in o.dumps.iter().enumerate() {
        if let RegionData::Bank(a) = d {
            for (w, x) in a.iter().enumerate() {
                if *x != m.banks[b][w] {
                    println!(
                        "b{b}:{w} rtl {:?} model {:?} init {:?}",
                        x, m.banks[b][w], init.banks[b][w]
                    );
                }
            }
        }
    }
}
