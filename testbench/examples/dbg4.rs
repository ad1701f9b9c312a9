use minilpu_model::exec::{self};
use minilpu_model::isa::{Instr, VAddr};
use minilpu_testbench::program::{run_program, Region, RegionData};
use minilpu_testbench::runner::Backend;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cfg = minilpu_model::TileConfig::preset(&args[1]).unwrap();
    let seed: u64 = args[2].parse().unwrap();
    let cut: usize = args[3].parse().unwrap();
    let mut sim = minilpu_testbench::tile_sim::TileSim::build(&cfg, false).unwrap();
    let (mut prog, init) = minilpu_model::randprog::random_program(&cfg, seed, 120);
    prog.truncate(cut);
    prog.push(Instr::Wait(40));
    prog.push(Instr::Halt);
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
    let mut regions: Vec<Region> = (0..cfg.banks)
        .map(|b| Region::Bank {
            at: VAddr {
                bank: b as u8,
                word: 0,
            },
            len: if b == 0 { cfg.act_depth.min(64) } else { 64 },
        })
        .collect();
    regions.push(Region::Acc { row: 0, len: 64 });
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
        match d {
            RegionData::Bank(a) => {
                for (w, x) in a.iter().enumerate() {
                    if *x != m.banks[b][w] {
                        println!("b{b}:{w} rtl {:?} model {:?}", x, m.banks[b][w]);
                    }
                }
            }
            RegionData::Acc(a) => {
                for (w, x) in a.iter().enumerate() {
                    if *x != m.acc[w] {
                        println!("acc {w} rtl {:?} model {:?}", x, m.acc[w]);
                    }
                }
            }
        }
    }
}
