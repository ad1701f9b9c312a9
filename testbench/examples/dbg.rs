fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cfg = minilpu_model::TileConfig::preset(&args[1]).unwrap();
    let seed: u64 = args[2].parse().unwrap();
    let (prog, _) = minilpu_model::randprog::random_program(&cfg, seed, 120);
    let sched = minilpu_model::schedule::schedule(&cfg, &prog);
    for i in &sched.issues {
        println!(
            "{:5} pc {:3} {}",
            i.cycle,
            i.pc,
            minilpu_model::asm::format_instr(&i.instr)
        );
    }
}
