//! `minilpu ring`: run one program per card on a ring of cards, in Verilator (all
//! cards in one simulation, each on its own clock, faults on the wires) and in the
//! golden ring model, and report results and link statistics.

use crate::run_cmd::{parse_dump, parse_load};
use crate::TileArgs;
use clap::{Args, ValueEnum};
use minilpu_model::asm::assemble;
use minilpu_model::isa::{Instr, Status, VAddr};
use minilpu_model::link::budget::BudgetParams;
use minilpu_model::npy;
use minilpu_model::ring::demos::{allgather, mlp2, RingDemo};
use minilpu_model::ring::run_ring;
use minilpu_model::schedule::check;
use minilpu_model::TileConfig;
use minilpu_testbench::link_sim::Faults;
use minilpu_testbench::program::Region;
use minilpu_testbench::ring_sim::{CardLoad, RingOptions, RingSim};
use serde_json::json;
use std::path::PathBuf;

/// Help text shown after the options.
pub const RING_HELP: &str = "\
Card i sends east to card (i + 1) % N and receives from card (i - 1) % N
(docs/ring.md). Programs use `send` / `recv` (docs/isa.md, \"The link instructions\").

Programs:
  --program-dir DIR   card0.s .. card<N-1>.s; memory with --load / --dump, prefixed
                      with the card: --load 0:b0:0=x.npy, --dump 1:b0:16:8=h.npy
  --demo allgather    ring all-gather of --vlen words per card (default 8)
  --demo mlp          two-card pipelined MLP (card 0: layer 1, card 1: layer 2) over
                      --frames batches (default 4); 4-lane presets only
  --demo stream       every card streams --frames frames (default 1000) east: link
                      statistics under load (receivers do not consume; their queues
                      overflow, which only a recv would report)

Every program set is first run on the golden ring model, which bounds each frame's
arrival over every phase of the link's slot grid and reports any recv scheduled too
early (a budget finding: exit 1). The RTL runs with clocks at +X / -X ppm around the
ring (--ppm) and a random bit error rate on every wire (--ber).

--json prints one object: per card status, pc, cycles (RTL and model) and whether
its dumped results equal the model's; per link and in total frames_sent,
frames_delivered, crc_errors, undetected_errors (delivered payload that differs from
what was sent), payload_efficiency (payload bits / wire bits from the first data
frame to the last, framing, ALIGN columns and idle slots included) and
hop_latency_cycles {mean, std, min, max} (receiver cycles); card_cycles_per_s.

Exit status: 0 when every card halts OK with the model's results and no frame was
delivered corrupted; 1 when a card stops with an error, results differ, a frame was
delivered corrupted or the model finds a budget violation; 2 on bad input.";

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Demo {
    /// Ring all-gather.
    Allgather,
    /// Two-card pipelined MLP.
    Mlp,
    /// Frames streamed around the ring.
    Stream,
}

#[derive(Args)]
pub struct RingArgs {
    #[command(flatten)]
    tile: TileArgs,
    /// Cards in the ring (2..=8).
    #[arg(long, default_value_t = 4)]
    cards: usize,
    /// Directory with card0.s .. card<N-1>.s.
    #[arg(long, conflicts_with = "demo", required_unless_present = "demo")]
    program_dir: Option<PathBuf>,
    /// A built-in demo instead of --program-dir.
    #[arg(long, value_enum)]
    demo: Option<Demo>,
    /// Bit error rate on every wire (0 <= RATE < 0.5).
    #[arg(long, default_value_t = 0.0)]
    ber: f64,
    /// Clock offsets: even cards +X ppm, odd cards -X ppm (|X| <= 5000).
    #[arg(long, default_value_t = 0.0)]
    ppm: f64,
    /// Frames to stream (demo stream) or batches (demo mlp).
    #[arg(long)]
    frames: Option<u64>,
    /// Words per card (demo allgather).
    #[arg(long, default_value_t = 8)]
    vlen: usize,
    /// Seed of the demo data and of the bit errors.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Load a .npy before the run: CARD:bK:W=FILE.npy (repeatable).
    #[arg(long = "load", value_name = "CARD:bK:W=FILE")]
    loads: Vec<String>,
    /// Dump a region after the run: CARD:bK:W:N=FILE.npy (repeatable).
    #[arg(long = "dump", value_name = "CARD:REGION=FILE")]
    dumps: Vec<String>,
    /// Write the demo's card programs to this directory (card0.s ..).
    #[arg(long)]
    write_programs: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn card_of<'a>(spec: &'a str, n: usize, opt: &str) -> Result<(usize, &'a str), String> {
    let (c, rest) = spec
        .split_once(':')
        .ok_or_else(|| format!("{opt} `{spec}`: expected CARD:..."))?;
    let c: usize = c
        .parse()
        .map_err(|_| format!("{opt} `{spec}`: card `{c}` is not a number"))?;
    if c >= n {
        return Err(format!("{opt} `{spec}`: card {c} not in 0..{n}"));
    }
    Ok((c, rest))
}

/// The stream demo: `frames` one-frame sends per card, paced at `T`.
fn stream(cfg: &TileConfig, n: usize, frames: u64) -> Result<RingDemo, String> {
    if !(1..1 << 24).contains(&frames) {
        return Err(format!("--frames {frames}: 1..16777216"));
    }
    let p = cfg.link_frame_words();
    let t = cfg.link_frame_cycles();
    let src = format!(
        "; stream {frames} frames east, one per T = {t} cycles\n    vlen {p}\n    loop {frames}, end\n    send b0:0\n    wait {}\nend:\n    halt\n",
        t - 2
    );
    let sources = vec![src; n];
    let progs = sources
        .iter()
        .map(|s| {
            assemble(s, "stream.s", Some(cfg))
                .map(|p| p.instrs)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RingDemo {
        name: "stream".into(),
        sources,
        progs,
        images: vec![Vec::new(); n],
        expect: Vec::new(),
    })
}

fn stats(v: &[f64]) -> serde_json::Value {
    if v.is_empty() {
        return json!(null);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    json!({
        "mean": mean,
        "std": var.sqrt(),
        "min": v.iter().cloned().fold(f64::INFINITY, f64::min),
        "max": v.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
        "count": v.len(),
    })
}

/// Run the command; `Ok(true)` when everything checked out.
pub fn run(args: RingArgs) -> Result<bool, String> {
    let cfg = args.tile.load()?;
    let n = args.cards;
    if !(2..=8).contains(&n) {
        return Err(format!("--cards {n}: a ring has 2..=8 cards"));
    }
    if !(0.0..0.5).contains(&args.ber) {
        return Err(format!("--ber {}: a bit error rate in [0, 0.5)", args.ber));
    }
    if args.ppm.abs() > 5000.0 {
        return Err(format!("--ppm {}: at most 5000 ppm either way", args.ppm));
    }
    let mut demo = match (args.demo, &args.program_dir) {
        (Some(Demo::Allgather), _) => allgather(&cfg, n, args.vlen, args.seed)?,
        (Some(Demo::Mlp), _) => {
            if n != 2 {
                return Err(format!("--demo mlp runs on 2 cards, not --cards {n}"));
            }
            mlp2(&cfg, args.frames.unwrap_or(4) as usize, args.seed)?
        }
        (Some(Demo::Stream), _) => stream(&cfg, n, args.frames.unwrap_or(1000))?,
        (None, Some(dir)) => {
            let mut sources = Vec::new();
            let mut progs = Vec::new();
            for c in 0..n {
                let path = dir.join(format!("card{c}.s"));
                let src = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let p = assemble(&src, &path.display().to_string(), Some(&cfg))
                    .map_err(|e| e.to_string())?;
                check(&cfg, &p.instrs).map_err(|e| {
                    let first = &e[0];
                    format!("{}: pc {}: {}", path.display(), first.pc, first.message)
                })?;
                sources.push(src);
                progs.push(p.instrs);
            }
            RingDemo {
                name: dir.display().to_string(),
                sources,
                progs,
                images: vec![Vec::new(); n],
                expect: Vec::new(),
            }
        }
        (None, None) => return Err("give --program-dir DIR or --demo NAME".into()),
    };
    for spec in &args.loads {
        let (c, rest) = card_of(spec, n, "--load")?;
        demo.images[c].extend(parse_load(rest, &cfg)?);
    }
    let mut dumps: Vec<(usize, VAddr, usize, PathBuf)> = Vec::new();
    for spec in &args.dumps {
        let (c, rest) = card_of(spec, n, "--dump")?;
        match parse_dump(rest, &cfg)? {
            (Region::Bank { at, len }, file) => dumps.push((c, at, len, file)),
            _ => return Err(format!("--dump `{spec}`: only bank regions on a ring")),
        }
    }
    if let Some(dir) = &args.write_programs {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (c, s) in demo.sources.iter().enumerate() {
            let p = dir.join(format!("card{c}.s"));
            std::fs::write(&p, s).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    // Golden model.
    if !args.json {
        eprintln!("ring: golden model of {n} cards ({})", demo.name);
    }
    let model = run_ring(
        &cfg,
        &demo.progs,
        demo.machines(&cfg),
        &BudgetParams::default(),
    );
    // RTL.
    let mut loads: Vec<CardLoad> = (0..n)
        .map(|c| CardLoad {
            program: demo.progs[c].iter().map(Instr::encode).collect(),
            image: demo.images[c].clone(),
            dumps: Vec::new(),
        })
        .collect();
    for (c, at, len, _) in &dumps {
        loads[*c].dumps.push((*at, *len));
    }
    for (c, at, w) in &demo.expect {
        loads[*c].dumps.push((*at, w.len()));
    }
    let mut opts = RingOptions::new(n).with_ppm(args.ppm);
    for (i, f) in opts.faults.iter_mut().enumerate() {
        *f = Faults {
            ber: args.ber,
            seed: args.seed.wrapping_mul(1000).wrapping_add(i as u64),
            ..Default::default()
        };
    }
    if !args.json {
        opts.progress_every = 20_000_000;
        eprintln!(
            "ring: building {n} cards of preset {} in Verilator",
            cfg.name
        );
    }
    let sim = RingSim::build(&cfg, n).map_err(|e| e.to_string())?;
    let rtl = sim.run(&loads, &opts).map_err(|e| e.to_string())?;
    // Compare and report.
    let mut ok = model.findings.is_empty();
    let mut cards = Vec::new();
    for (c, card) in rtl.cards.iter().enumerate() {
        let m = &model.results[c];
        // The expected regions follow the user's dumps in the card's dump list.
        let first = dumps.iter().filter(|d| d.0 == c).count();
        let results_match = demo
            .expect
            .iter()
            .filter(|e| e.0 == c)
            .enumerate()
            .all(|(k, e)| card.status != Status::Ok || card.dumps[first + k] == e.2);
        let same = card.status == m.status && card.pc == m.pc && card.cycles == m.cycles;
        ok &= card.status == Status::Ok && same && results_match;
        cards.push(json!({
            "card": c,
            "status": card.status.name(),
            "pc": card.pc,
            "cycles": card.cycles,
            "model_status": m.status.name(),
            "model_cycles": m.cycles,
            "matches_model": same,
            "results_match": results_match,
            "tx_frames": card.counters[0],
            "rx_frames": card.counters[1],
            "crc_errors": card.counters[2],
            "align_lost": card.counters[3],
            "overflows": card.counters[4],
            "missing": card.counters[5],
        }));
    }
    for (c, at, len, file) in &dumps {
        let k = dumps
            .iter()
            .take_while(|d| !(d.0 == *c && d.1 == *at && d.3 == *file))
            .filter(|d| d.0 == *c)
            .count();
        let words = &rtl.cards[*c].dumps[k];
        let data: Vec<i8> = words.concat();
        npy::write_i8(file, &[*len, cfg.lanes], &data).map_err(|e| e.to_string())?;
    }
    let mut links = Vec::new();
    let mut hops = Vec::new();
    let (mut sent, mut delivered, mut crc, mut undetected) = (0, 0, 0, 0);
    let mut effs = Vec::new();
    for (i, l) in rtl.links.iter().enumerate() {
        sent += l.frames_sent;
        delivered += l.frames_delivered;
        crc += l.crc_errors;
        undetected += l.undetected_errors;
        if l.frames_sent > 0 {
            effs.push(l.payload_efficiency);
        }
        hops.extend_from_slice(&l.hop_latency);
        links.push(json!({
            "link": format!("{i}->{}", (i + 1) % n),
            "frames_sent": l.frames_sent,
            "frames_delivered": l.frames_delivered,
            "crc_errors": l.crc_errors,
            "undetected_errors": l.undetected_errors,
            "bit_flips": l.bit_flips,
            "payload_efficiency": l.payload_efficiency,
            "hop_latency_cycles": stats(&l.hop_latency),
        }));
    }
    ok &= undetected == 0;
    let efficiency = if effs.is_empty() {
        0.0
    } else {
        effs.iter().sum::<f64>() / effs.len() as f64
    };
    let speed = rtl.card_cycles as f64 / rtl.wall.as_secs_f64();
    let report = json!({
        "preset": cfg.name,
        "cards": n,
        "program": demo.name,
        "ber": args.ber,
        "ppm": args.ppm,
        "frames_sent": sent,
        "frames_delivered": delivered,
        "crc_errors": crc,
        "undetected_errors": undetected,
        "payload_efficiency": efficiency,
        "hop_latency_cycles": stats(&hops),
        "model_findings": model.findings.iter().map(|f| format!("card {} pc {}: {}", f.card, f.pc, f.message)).collect::<Vec<_>>(),
        "per_card": cards,
        "per_link": links,
        "card_cycles": rtl.card_cycles,
        "card_cycles_per_s": speed,
        "ok": ok,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    } else {
        for f in &model.findings {
            println!("model: card {} pc {}: {}", f.card, f.pc, f.message);
        }
        for c in &cards {
            println!(
                "card {}: {} at pc {}, {} cycles (model: {} {}), results {}",
                c["card"],
                c["status"].as_str().unwrap_or(""),
                c["pc"],
                c["cycles"],
                c["model_status"].as_str().unwrap_or(""),
                c["model_cycles"],
                if c["results_match"] == json!(true) {
                    "match"
                } else {
                    "DIFFER"
                }
            );
        }
        println!(
            "links: {sent} frames sent, {delivered} delivered, {crc} CRC errors, {undetected} undetected; \
             payload efficiency {efficiency:.4}; hop latency {}",
            stats(&hops)
        );
        println!(
            "simulation: {} card-cycles in {:.2} s ({:.2} M card-cycles/s)",
            rtl.card_cycles,
            rtl.wall.as_secs_f64(),
            speed / 1e6
        );
    }
    Ok(ok)
}
