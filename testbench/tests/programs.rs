//! Programs on the RTL (Verilator) against the golden model: random checker-clean
//! programs, programs that stop with each hardware error, undecodable words in
//! instruction memory, the example programs, and `rq.param` / `rq.run` at the minimum
//! spacing the requantizer accepts. Final SRAM and accumulator contents,
//! status, pc and cycle counts must be identical, and every cycle count must equal the
//! static prediction.

use minilpu_model::exec::{self, Machine};
use minilpu_model::isa::{Instr, Status, VAddr};
use minilpu_model::randprog::{random_illegal, random_program};
use minilpu_model::TileConfig;
use minilpu_testbench::program::{run_program, ProgramOutcome, Region, RegionData};
use minilpu_testbench::runner::Backend;
use minilpu_testbench::tile_sim::TileSim;

/// The tests' fixed-seed generator (xorshift64): steps `x` and returns it.
fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Every bank word and accumulator row.
fn everything(cfg: &TileConfig) -> Vec<Region> {
    let mut r: Vec<Region> = (0..cfg.banks)
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
    r.push(Region::Acc {
        row: 0,
        len: cfg.acc_depth,
    });
    r
}

/// The words of `m` that differ from `prev` (what must be written to turn one into
/// the other).
fn diff_image(m: &Machine, prev: &Machine) -> Vec<(VAddr, Vec<i8>)> {
    let mut out = Vec::new();
    for (b, (words, old)) in m.banks.iter().zip(&prev.banks).enumerate() {
        for (w, (x, y)) in words.iter().zip(old).enumerate() {
            if x != y {
                out.push((
                    VAddr {
                        bank: b as u8,
                        word: w as u16,
                    },
                    x.clone(),
                ));
            }
        }
    }
    out
}

/// Run `prog` from memory `init` on both backends; `state` is what both tiles hold
/// from earlier programs (accumulator, weights, parameters carry over; banks are
/// rewritten where `init` differs).
fn compare(
    cfg: &TileConfig,
    sim: &mut TileSim,
    state: &mut Machine,
    prog: &[Instr],
    init: &Machine,
    what: &str,
) -> ProgramOutcome {
    let words: Vec<u64> = prog.iter().map(|i| i.encode()).collect();
    let image = diff_image(init, state);
    let regions = everything(cfg);
    let mut m = state.clone();
    m.banks = init.banks.clone();
    let r = exec::run(cfg, prog, &mut m);
    let rtl = run_program(
        cfg,
        Backend::Verilator,
        Some(sim),
        &words,
        &image,
        &regions,
        None,
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        (rtl.status, rtl.pc, rtl.cycles),
        (r.status, r.pc, r.cycles),
        "{what}: status, pc, cycles (RTL vs model)"
    );
    assert_eq!(rtl.cycles, r.predicted_cycles, "{what}: prediction");
    for (i, d) in rtl.dumps.iter().enumerate() {
        let first = match d {
            RegionData::Bank(a) => a
                .iter()
                .zip(&m.banks[i])
                .position(|(x, y)| x != y)
                .map(|w| {
                    format!(
                        "bank {i} word {w}: RTL {:?} model {:?}",
                        a[w], m.banks[i][w]
                    )
                }),
            RegionData::Acc(a) => a
                .iter()
                .zip(&m.acc)
                .position(|(x, y)| x != y)
                .map(|w| format!("acc row {w}: RTL {:?} model {:?}", a[w], m.acc[w])),
        };
        if let Some(f) = first {
            panic!("{what}: {f}");
        }
    }
    *state = m;
    rtl
}

fn random_programs(preset: &str, count: u64, len: usize) {
    random_programs_with(preset, TileConfig::preset(preset).unwrap(), count, len);
}

fn random_programs_with(preset: &str, cfg: TileConfig, count: u64, len: usize) {
    let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
    let mut state = Machine::new(&cfg);
    let mut instructions = 0;
    for seed in 0..count {
        let (prog, init) = random_program(&cfg, 1000 + seed, len);
        instructions += prog.len();
        let o = compare(
            &cfg,
            &mut sim,
            &mut state,
            &prog,
            &init,
            &format!("{preset} seed {seed}"),
        );
        assert_eq!(
            o.status,
            Status::Ok,
            "{preset} seed {seed}: random programs halt"
        );
    }
    eprintln!("{preset}: {count} random programs, {instructions} instructions: RTL == model");
}

#[test]
fn random_programs_sim_small() {
    random_programs("sim-small", 40, 120);
}

#[test]
fn random_programs_icebreaker() {
    random_programs("icebreaker", 12, 120);
}

#[test]
fn random_programs_ulx3s_85f() {
    random_programs("ulx3s-85f", 8, 120);
}

/// The serial requantizer forms no preset uses (the iCEBreaker's is 1 lane x 4 steps
/// with its parameters in RAM): parameters in RAM with 8 and 16 steps, rotating parameter
/// bytes with 2 and 4 steps and 2 or 4 lanes.
#[test]
fn random_programs_serial_requantizers() {
    for (rql, steps) in [(1, 8), (1, 16), (2, 2), (4, 4)] {
        let mut cfg = TileConfig::preset("sim-small").unwrap();
        (cfg.requant_dsp, cfg.requant_lanes, cfg.requant_steps) = (false, rql, steps);
        cfg.validate().expect("valid serial requantizer config");
        random_programs_with(&format!("sim-small rql {rql} steps {steps}"), cfg, 4, 120);
    }
}

/// One array feed stage (the `ulx3s-85f` preset has two, so `random_programs_ulx3s_85f`
/// covers that): every array event one cycle later, the bank reads unchanged.
#[test]
fn random_programs_one_array_feed_stage() {
    let mut cfg = TileConfig::preset("sim-small").unwrap();
    cfg.array_feed_stages = 1;
    cfg.validate().expect("valid feed stage config");
    random_programs_with("sim-small feed 1", cfg, 8, 120);
}

/// Bank read stages: with one every bank read reaches the block RAM a cycle later, and
/// everything that follows from it (writes, the array, the parameters, posts) too; with
/// two the data takes one more cycle back, with three one more again (registered at the
/// SRAMs' outputs). The units' occupancy does not change. Block-RAM banks with the
/// vector operand stage (`sim-small`), SPRAM weights, the parameter RAM and no operand
/// stage (`icebreaker`), and with two array feed stages (`ulx3s-85f`; its preset's own
/// three stages are `random_programs_ulx3s_85f`).
#[test]
fn random_programs_bank_read_stages() {
    for b in [1, 2, 3] {
        for (preset, count) in [("sim-small", 10), ("icebreaker", 4), ("ulx3s-85f", 2)] {
            if b == 3 && preset == "ulx3s-85f" {
                continue;
            }
            let mut cfg = TileConfig::preset(preset).unwrap();
            cfg.bank_read_stages = b;
            cfg.validate().expect("valid bank read stage config");
            random_programs_with(&format!("{preset} read stages {b}"), cfg, count, 120);
        }
    }
}

/// The accumulator read stage (`acc_read_stage`): `mxu.run` reads each accumulator row a
/// cycle earlier into a register, adds and writes it when it did. Block-RAM banks
/// without bank read stages (`sim-small`, and the 16x16 `ulx3s-85f` with its array feed
/// stages but none of its bank read stages; the preset itself, with both and the
/// stage, is `random_programs_ulx3s_85f`), and SPRAM weights with the tags in a block
/// RAM (`icebreaker`, whose one serial requantizer lane keeps its parameters in a RAM).
/// The same register delays `rq.run`'s rows into the requantizer: `sim-small` also with
/// two column groups of two-step LUT lanes, whose bias bytes turn as each group enters.
#[test]
fn random_programs_acc_read_stage() {
    for (preset, rql, count) in [
        ("sim-small", 0, 10),
        ("sim-small", 2, 6),
        ("icebreaker", 0, 4),
        ("ulx3s-85f", 0, 2),
    ] {
        let mut cfg = TileConfig::preset(preset).unwrap();
        cfg.acc_read_stage = true;
        cfg.bank_read_stages = 0;
        if rql > 0 {
            cfg.requant_lanes = rql;
            cfg.requant_steps = 2;
            cfg.requant_dsp = false;
        }
        cfg.validate().expect("valid accumulator read stage config");
        let name = format!(
            "{preset} acc read stage, {} requant lanes",
            cfg.requant_lanes
        );
        random_programs_with(&name, cfg, count, 120);
    }
}

/// The ECP5 boards' own tiles (`fpga/*/tile-*.toml`: the 4x4 of the ULX3S 12F/25F and the
/// OrangeCrab, the 8x8 of the ULX3S 45F, whose 48 array multipliers in DSPs no preset
/// has), as the board flows build them.
#[test]
fn random_programs_board_tiles() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (file, count) in [
        ("fpga/ulx3s/tile-25f.toml", 4),
        ("fpga/ulx3s/tile-45f.toml", 3),
        ("fpga/orangecrab/tile-25f.toml", 2),
    ] {
        let cfg = TileConfig::from_toml_file(&root.join(file)).unwrap_or_else(|e| panic!("{e}"));
        random_programs_with(file, cfg, count, 120);
    }
}

/// Two one-row `mxu.run`s add into one accumulator row at the minimum spacing the
/// checker allows with the accumulator read stage (3 cycles; 2 without), with random
/// activations and weights: the second must read the first's sum, in the RTL as in the
/// model. At 2 cycles the checker refuses the program, and the RTL, which then reads
/// the row on the edge it is written, really gives another result.
#[test]
fn acc_updates_of_one_row_at_minimum_spacing_match_the_model() {
    use minilpu_model::schedule::check;
    for preset in ["sim-small", "ulx3s-85f"] {
        let mut cfg = TileConfig::preset(preset).unwrap();
        cfg.acc_read_stage = true;
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let mut state = Machine::new(&cfg);
        let prog = |gap: u32| {
            vec![
                Instr::MxuLoad { w: 0 },
                Instr::Wait(cfg.install_cycles() as u32),
                Instr::MxuRun {
                    a: 0,
                    rows: 1,
                    acc: 5,
                    swap: true,
                    accumulate: false,
                    load: None,
                },
                Instr::Wait(gap - 2),
                Instr::MxuRun {
                    a: 1,
                    rows: 1,
                    acc: 5,
                    swap: false,
                    accumulate: true,
                    load: None,
                },
                Instr::Halt,
            ]
        };
        let mut init = Machine::new(&cfg);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || xorshift(&mut x) as i8;
        for b in 0..cfg.banks {
            for w in 0..2 * cfg.rows {
                for l in 0..cfg.lanes {
                    init.banks[b][w][l] = next();
                }
            }
        }
        check(&cfg, &prog(3)).unwrap_or_else(|e| panic!("{preset}: {e:?}"));
        assert!(
            check(&cfg, &prog(2)).is_err(),
            "{preset}: one cycle tighter"
        );
        let o = compare(&cfg, &mut sim, &mut state, &prog(3), &init, preset);
        assert_eq!(o.status, Status::Ok, "{preset}");
        let sum = state.acc[5].clone();
        assert!(sum.iter().any(|&v| v != 0), "{preset}: a non-zero sum");
        // One cycle tighter the RTL misses the first product (the model, in program
        // order, does not).
        let words: Vec<u64> = prog(2).iter().map(|i| i.encode()).collect();
        let rtl = run_program(
            &cfg,
            Backend::Verilator,
            Some(&mut sim),
            &words,
            &[],
            &[Region::Acc { row: 5, len: 1 }],
            None,
        )
        .unwrap();
        let RegionData::Acc(rows) = &rtl.dumps[0] else {
            panic!("{preset}: an accumulator dump")
        };
        assert_ne!(rows[0], sum, "{preset}: the hazard is real");
    }
}

/// Every hardware error stops the RTL exactly where the model says, with the same
/// state and cycle count.
#[test]
fn hardware_errors_match_the_model() {
    let mut cfg = TileConfig::preset("sim-small").unwrap();
    cfg.imem_depth = 64; // small, so that PC errors are reachable
                         // Without and with bank read stages (which move `send`'s posts, not its checks), and
                         // with the fetch stage (the checks then read the instruction word register).
    for (b, fs) in [(0, false), (1, false), (2, false), (3, false), (0, true)] {
        cfg.bank_read_stages = b;
        cfg.fetch_stage = fs;
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let mut state = Machine::new(&cfg);
        for status in [
            Status::Illegal,
            Status::Range,
            Status::Busy,
            Status::Link,
            Status::Pc,
        ] {
            for seed in 0..6 {
                let case = random_illegal(&cfg, seed, status);
                let what = format!(
                    "b {b} fetch stage {fs}: {} seed {seed} ({})",
                    status.name(),
                    case.what
                );
                let o = compare(&cfg, &mut sim, &mut state, &case.prog, &case.machine, &what);
                assert_eq!((o.status, o.pc), (case.status, case.pc), "{what}");
            }
        }
    }
}

/// `send`'s buffer writes and posts on the tile's transmitter ports, cycle by cycle, as
/// `hdl/src/link_send.rs` documents them: issued at `t` (= 1 here), frame `j` starts at
/// `b_j = t + j*T`, writes buffer word `slot*P + i` in `b_j+2+b+i` (`i < P`, zero bytes
/// past the vector) and posts in `b_j+2+b+P`, with `b` bank read stages (0 to 3; with
/// one or more the strobes, the address and the post come from registers set a cycle
/// ahead). A one-word vector, and two frames whose second is partly filled; the slot is
/// 0 (the tile alone: the transmitter's `next_slot` input is 0). Lane 0 of each written
/// word is the vector's (bank 0 holds `1 + word` there) or 0 past its end.
#[test]
fn send_writes_and_posts_in_the_documented_cycles() {
    for b in 0..=3 {
        let mut cfg = TileConfig::preset("sim-small").unwrap();
        cfg.bank_read_stages = b;
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let (p, t) = (
            cfg.link_frame_words() as i64,
            cfg.link_frame_cycles() as i64,
        );
        for w in 0..2 * p {
            let mut word = vec![0i8; cfg.lanes];
            word[0] = (1 + w) as i8;
            sim.write_word(
                VAddr {
                    bank: 0,
                    word: w as u16,
                },
                &word,
            );
        }
        for len in [1, p + 3] {
            let src = format!("vlen {len}\nsend b0:0\nhalt\n");
            let prog = minilpu_model::asm::assemble(&src, "send.s", Some(&cfg)).unwrap();
            let words: Vec<u64> = prog.instrs.iter().map(|i| i.encode()).collect();
            sim.load_program(&words);
            // The unit paces its last frame for `T` cycles after its issue, past the
            // end of the run that issued it (`busy` follows its last post): a run
            // started sooner finds it busy.
            sim.idle(t as u64);
            let (st, trace) = sim
                .run_traced(&["tx_we", "tx_waddr", "tx_post", "tx_wdata$0"])
                .expect("run");
            assert_eq!(st.status, Status::Ok, "b {b} len {len}: {st:?}");
            let first = 1 - cfg.start_cycles() as i64;
            let (mut writes, mut posts) = (vec![], vec![]);
            for (k, v) in trace.iter().enumerate() {
                let c = first + k as i64;
                if v[0] == 1 {
                    writes.push((c, v[1] as i64, v[3] as i64));
                }
                if v[2] == 1 {
                    posts.push(c);
                }
            }
            let (mut want_w, mut want_p) = (vec![], vec![]);
            for j in 0..(len + p - 1) / p {
                let bj = 1 + j * t;
                let lane0 = |i: i64| if j * p + i < len { 1 + j * p + i } else { 0 };
                want_w.extend((0..p).map(|i| (bj + 2 + b as i64 + i, i, lane0(i))));
                want_p.push(bj + 2 + b as i64 + p);
            }
            assert_eq!(
                writes, want_w,
                "b {b} len {len}: buffer writes (cycle, word, lane 0)"
            );
            assert_eq!(posts, want_p, "b {b} len {len}: posts");
        }
    }
}

/// `words` (no memory loads or dumps) on the model and on the verilated tile `sim`.
fn model_and_rtl(
    cfg: &TileConfig,
    sim: &mut TileSim,
    words: &[u64],
) -> (ProgramOutcome, ProgramOutcome) {
    let model = run_program(cfg, Backend::Model, None, words, &[], &[], None).unwrap();
    let rtl = run_program(cfg, Backend::Verilator, Some(sim), words, &[], &[], None).unwrap();
    (model, rtl)
}

/// Run `prog` on the model and on `sim`: the model must end OK, and the RTL with the
/// model's status, pc and cycle count.
fn run_ok_as_the_model_says(cfg: &TileConfig, sim: &mut TileSim, prog: &[Instr], what: &str) {
    let words: Vec<u64> = prog.iter().map(|i| i.encode()).collect();
    let (model, rtl) = model_and_rtl(cfg, sim, &words);
    assert_eq!(model.status, Status::Ok, "{what}");
    assert_eq!(
        (rtl.status, rtl.pc, rtl.cycles),
        (model.status, model.pc, model.cycles),
        "{what}"
    );
}

/// Undecodable words written straight into instruction memory stop the tile with
/// ILLEGAL at their pc, after the instructions before them finish.
#[test]
fn undecodable_words_stop_with_illegal() {
    let cfg = TileConfig::preset("sim-small").unwrap();
    let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
    let prefix = [Instr::Vlen(2), Instr::Wait(3), Instr::Nop];
    let bad_words = [
        0u64,                                         // empty memory
        0x1f << 59,                                   // unknown opcode
        Instr::Nop.encode() | 1,                      // non-zero unused bit
        Instr::Halt.encode() | (1 << 40),             // non-zero unused bit
        Instr::Vlen(1).encode() & !1,                 // vlen 0
        Instr::MxuLoad { w: 0 }.encode() | (1 << 20), // bits beyond the field
    ];
    for bad in bad_words {
        assert!(Instr::decode(bad).is_err());
        let mut words: Vec<u64> = prefix.iter().map(|i| i.encode()).collect();
        words.push(bad);
        words.push(Instr::Halt.encode());
        let (model, rtl) = model_and_rtl(&cfg, &mut sim, &words);
        assert_eq!(
            (rtl.status, rtl.pc),
            (Status::Illegal, prefix.len()),
            "{bad:#x}"
        );
        assert_eq!(rtl.cycles, model.cycles, "{bad:#x}");
        assert_eq!(rtl.cycles, rtl.predicted_cycles, "{bad:#x}");
    }
}

/// A `loop` whose end is not past its body's first word (`end <= pc + 1`) stops the tile
/// with ILLEGAL at its pc, as the model says; `end = pc + 2` (a one-word body) runs. The
/// hardware decides this when the host stores the word (the predecoder knows the word's
/// address), not at issue.
#[test]
fn loops_ending_too_early_stop_with_illegal() {
    let cfg = TileConfig::preset("sim-small").unwrap();
    let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
    let prefix = [Instr::Vlen(2), Instr::Nop, Instr::Nop];
    let pc = prefix.len() as u16;
    for (end, legal) in [(0, false), (pc, false), (pc + 1, false), (pc + 2, true)] {
        let mut words: Vec<u64> = prefix.iter().map(|i| i.encode()).collect();
        words.push(Instr::Loop { n: 3, end }.encode());
        words.push(Instr::Nop.encode());
        words.push(Instr::Halt.encode());
        let (model, rtl) = model_and_rtl(&cfg, &mut sim, &words);
        let want = if legal {
            (Status::Ok, words.len() - 1)
        } else {
            (Status::Illegal, prefix.len())
        };
        assert_eq!((model.status, model.pc), want, "model, end {end}");
        assert_eq!((rtl.status, rtl.pc), want, "rtl, end {end}");
        assert_eq!(rtl.cycles, model.cycles, "end {end}");
    }
}

/// `rq.param` and `rq.run` issued at the earliest cycles the requantizer accepts them:
/// a run right after a parameter load, a new load right after the run's last read, and
/// a second run right after that load, with parameters that differ in every column.
/// The parameters each row uses must switch exactly where the model switches them
/// (the requantizer rotates its bias bytes during a run and shifts new parameters in
/// during a load; this is where the two meet).
#[test]
fn rq_param_and_run_at_minimum_spacing_match_the_model() {
    use minilpu_model::schedule::{check, param_sections, param_words};
    // `sim-small` also with the accumulator read stage and no bank read stages: there the
    // second load must wait a cycle after the run's busy window (its last parameter read).
    for (preset, acc_stage) in [
        ("sim-small", false),
        ("sim-small", true),
        ("icebreaker", false),
        ("ulx3s-85f", true),
    ] {
        let mut cfg = TileConfig::preset(preset).unwrap();
        cfg.acc_read_stage = acc_stage;
        let preset = &format!("{preset} acc stage {acc_stage}");
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let mut state = Machine::new(&cfg);
        let pw = param_words(&cfg);
        let [wb, wm, _] = param_sections(&cfg);
        let rows: u16 = 3;
        // `wait n` takes 1 + n cycles: the next instruction issues `busy` cycles after
        // the one before the wait.
        let gap = |busy: usize| Instr::Wait((busy - 2) as u32);
        let p = |word: usize| VAddr {
            bank: 1,
            word: word as u16,
        };
        let d = |word: u16| VAddr { bank: 0, word };
        // With bank read stages the parameters land `b` cycles after the unit frees; with
        // the accumulator read stage the lanes take them two cycles later, and the next
        // load waits for the run's last parameter read.
        let pw_b = cfg.requant_param_to_run(pw as u64) as usize;
        let run_busy = cfg.requant_run_to_param(rows as u64) as usize;
        let prog = vec![
            Instr::RqParam { src: p(0) },
            gap(pw_b),
            Instr::RqRun {
                acc: 0,
                rows,
                dst: d(100),
                relu: false,
            },
            gap(run_busy),
            Instr::RqParam { src: p(pw) },
            gap(pw_b),
            Instr::RqRun {
                acc: 0,
                rows,
                dst: d(200),
                relu: true,
            },
            Instr::Halt,
        ];
        // Two parameter blocks of random biases and multipliers; shifts 20..=35 so
        // that the results are not all saturated (the accumulator holds zeros).
        let mut init = Machine::new(&cfg);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for block in 0..2 {
            for w in 0..pw {
                for l in 0..cfg.lanes {
                    xorshift(&mut x);
                    let shift_byte = w >= wb + wm;
                    init.banks[1][block * pw + w][l] = if shift_byte {
                        (20 + x % 16) as i8
                    } else {
                        x as i8
                    };
                }
            }
        }
        // The minimum: the checker takes the program, and refuses it a cycle tighter.
        check(&cfg, &prog).unwrap_or_else(|e| panic!("{preset}: {e:?}"));
        for (at, busy) in [(1, pw_b), (3, run_busy)] {
            let mut tight = prog.clone();
            tight[at] = gap(busy - 1);
            assert!(
                check(&cfg, &tight).is_err(),
                "{preset}: one cycle tighter at {at}"
            );
        }
        let o = compare(&cfg, &mut sim, &mut state, &prog, &init, preset);
        assert_eq!(
            o.status,
            Status::Ok,
            "{preset}: the spacing is the minimum the unit accepts"
        );
        // The two runs used different parameters: their first rows differ.
        assert_ne!(state.banks[0][100], state.banks[0][200], "{preset}");
    }
}

/// The sequencer's fetch stage (`fetch_stage`): the instruction word from a register, the
/// fetch address two ahead. No ISA timing changes, so the same random programs must match
/// the model cycle for cycle: block-RAM banks (`sim-small`), SPRAM weights (`icebreaker`)
/// and the 16x16 tile with its bank read stages (`ulx3s-85f`, here also with the argmax
/// tree's flat halves and the requantizer's split products, which its preset leaves
/// off).
#[test]
fn random_programs_fetch_stage() {
    for (preset, count) in [("sim-small", 12), ("icebreaker", 4), ("ulx3s-85f", 2)] {
        let mut cfg = TileConfig::preset(preset).unwrap();
        cfg.fetch_stage = true;
        cfg.argmax_flat_halves = true;
        cfg.requant_split_product = true;
        cfg.validate().expect("valid fetch stage config");
        random_programs_with(&format!("{preset} fetch stage"), cfg, count, 120);
    }
}

/// Append a random nest of loops around waits (`wait 0` included) to `out`, for the
/// loop-end cases of the fetch address: one-word bodies, counts 1 to 4, inner loops
/// whose last word is right before the enclosing loop's last word, pops down several
/// levels in a row. At most `room` more words.
fn loop_nest(out: &mut Vec<Instr>, rng: &mut u64, depth: usize, room: &mut usize) {
    let next = |rng: &mut u64, n: u64| xorshift(rng) % n;
    let items = 1 + next(rng, 3);
    let first = out.len();
    for _ in 0..items {
        if *room == 0 {
            break;
        }
        if depth < 4 && next(rng, 2) == 0 && *room >= 3 {
            let n = 1 + next(rng, 4) as u32;
            *room -= 2;
            let at = out.len();
            out.push(Instr::Nop);
            loop_nest(out, rng, depth + 1, room);
            // The loop's end is the word after its body: a wait of the enclosing body,
            // so the inner loop ends strictly before the enclosing one.
            let end = out.len() as u16;
            out[at] = Instr::Loop { n, end };
            out.push(Instr::Wait(next(rng, 3) as u32));
        } else {
            *room -= 1;
            out.push(Instr::Wait(next(rng, 4) as u32));
        }
    }
    if out.len() == first {
        out.push(Instr::Nop);
    }
}

/// Loop nests on the tile with and without the fetch stage: status, pc and cycle count
/// as the model says. A wrong fetch address runs a wrong word, so the count moves.
#[test]
fn loop_nests_match_the_model_with_and_without_the_fetch_stage() {
    for fs in [false, true] {
        let mut cfg = TileConfig::preset("sim-small").unwrap();
        cfg.fetch_stage = fs;
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut one_word_bodies = 0;
        for case in 0..150 {
            let mut prog = vec![Instr::Vlen(1)];
            let mut room = 24;
            loop_nest(&mut prog, &mut rng, 0, &mut room);
            prog.push(Instr::Halt);
            for (pc, i) in prog.iter().enumerate() {
                if let Instr::Loop { end, .. } = i {
                    one_word_bodies += (*end as usize == pc + 2) as usize;
                }
            }
            let what = format!("fetch stage {fs} case {case}: {prog:?}");
            run_ok_as_the_model_says(&cfg, &mut sim, &prog, &what);
        }
        assert!(one_word_bodies > 20, "{one_word_bodies} one-word bodies");
    }
}

/// A run starts with an empty loop stack whatever an earlier run left in its levels (the
/// stack's entries are not cleared, only its depth). A nest four deep leaves every level
/// holding its outermost body's last word (9). The next run then passes pc 9 at the top
/// level (straight code), or pops its only loop with pc 9 up next. Neither may read as
/// the end of a body: a stale level taken for a live one would pop an empty stack, and
/// the `loop` after it would stop the run with ILLEGAL.
#[test]
fn stale_loop_levels_from_an_earlier_run_are_not_read() {
    let nop = |n: usize| vec![Instr::Nop; n];
    let lp = |n: u32, end: u16| Instr::Loop { n, end };
    let nest = [
        vec![Instr::Vlen(1), lp(2, 10), lp(2, 9), lp(2, 8), lp(2, 7)],
        nop(5),
        vec![Instr::Halt],
    ]
    .concat();
    let straight = [
        vec![Instr::Vlen(1)],
        nop(10),
        vec![lp(2, 13), Instr::Nop, Instr::Halt],
    ]
    .concat();
    let pop_at_9 = [
        vec![Instr::Vlen(1), lp(2, 9)],
        nop(8),
        vec![lp(2, 12), Instr::Nop, Instr::Halt],
    ]
    .concat();
    for fs in [false, true] {
        let mut cfg = TileConfig::preset("sim-small").unwrap();
        cfg.fetch_stage = fs;
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        for after in [&straight, &pop_at_9] {
            for prog in [&nest, after] {
                let what = format!("fetch stage {fs}: {prog:?}");
                run_ok_as_the_model_says(&cfg, &mut sim, prog, &what);
            }
        }
    }
}

/// `v.argmax` where ties decide: words drawn from a few values (-128, -1, 0, 127, ...),
/// so that the maximum often sits in several lanes and several words, over one word and
/// over several, on 4, 8 and 16 lanes (8 and 16 with tree halves of two levels done as
/// one level of compares, `argmax_flat_halves`, `hdl/src/vec_alu.rs`; 16 also without,
/// as the 85F preset has it). The first maximum must win everywhere.
#[test]
fn argmax_ties_and_edge_values_match_the_model() {
    use minilpu_model::isa::VUnOp;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tile45 = "fpga/ulx3s/tile-45f.toml";
    let mut flat85 = TileConfig::preset("ulx3s-85f").unwrap();
    flat85.argmax_flat_halves = true;
    let tiles = [
        ("sim-small", TileConfig::preset("sim-small").unwrap()),
        (
            tile45,
            TileConfig::from_toml_file(&root.join(tile45)).unwrap_or_else(|e| panic!("{e}")),
        ),
        ("ulx3s-85f", TileConfig::preset("ulx3s-85f").unwrap()),
        ("ulx3s-85f flat halves", flat85),
    ];
    for (preset, cfg) in tiles {
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let mut state = Machine::new(&cfg);
        let mut init = Machine::new(&cfg);
        let mut x = 0x1234_5678_9abc_def1u64;
        let vals = [-128i8, -127, -1, 0, 1, 126, 127];
        let words = 48;
        for w in 0..words {
            // A few words with one value everywhere (all -128, all 127, ...).
            let flat = (w % 8 == 0).then(|| vals[w / 8 % vals.len()]);
            for l in 0..cfg.lanes {
                let k = (xorshift(&mut x) % vals.len() as u64) as usize;
                init.banks[0][w][l] = flat.unwrap_or(vals[k]);
            }
        }
        let argmax = |src: usize, dst: usize| Instr::VUn {
            op: VUnOp::Argmax,
            dst: VAddr {
                bank: 1,
                word: dst as u16,
            },
            a: VAddr {
                bank: 0,
                word: src as u16,
            },
        };
        let mut prog = vec![Instr::Vlen(1)];
        for w in 0..words {
            prog.push(argmax(w, w));
            prog.push(Instr::Wait(2));
        }
        for (k, v) in [2u16, 3, 5, 8].into_iter().enumerate() {
            prog.push(Instr::Vlen(v));
            for s in (0..words - v as usize).step_by(7) {
                prog.push(argmax(s, words + 16 * k + s / 7));
                prog.push(Instr::Wait(v as u32 + 1));
            }
        }
        prog.push(Instr::Wait(8));
        prog.push(Instr::Halt);
        minilpu_model::schedule::check(&cfg, &prog).unwrap_or_else(|e| panic!("{preset}: {e:?}"));
        let o = compare(&cfg, &mut sim, &mut state, &prog, &init, preset);
        assert_eq!(o.status, Status::Ok, "{preset}");
        // The results are not all alike: ties were really decided.
        let idx: std::collections::BTreeSet<i8> =
            (0..words).map(|w| state.banks[1][w][0]).collect();
        assert!(idx.len() >= cfg.lanes.min(6), "{preset}: indices {idx:?}");
    }
}

/// Host loads of every space, one after another, with the load stages the ECP5 tiles
/// use (`TileConfig::host_load_stages`; with two or more the instruction word and the
/// accumulator row's piece are registered next to their memories, `hdl/src/tile.rs`):
/// random instruction words and bank words written and read back, each read right after
/// a read of another space, so that a register still holding the other space's word, or
/// the word of the address before, shows. Accumulator rows are read back (through the
/// same path) by every `compare` above.
#[test]
fn host_loads_of_every_space_read_back() {
    for (b, acc_stage) in [(0, true), (2, false), (3, true)] {
        let mut cfg = TileConfig::preset("sim-small").unwrap();
        cfg.bank_read_stages = b;
        cfg.acc_read_stage = acc_stage;
        cfg.validate().expect("valid load stage config");
        let what = format!("sim-small, {b} bank read stages, acc read stage {acc_stage}");
        let mut sim = TileSim::build(&cfg, false).expect("verilated tile");
        let mut x = 0x0bad_cafe_1234_5678u64 ^ b as u64;
        let words: Vec<u64> = (0..48).map(|_| xorshift(&mut x)).collect();
        sim.load_program(&words);
        let mut bank_words = Vec::new();
        for k in 0..16 {
            // Distinct addresses: every bank, words spread over the bank.
            let at = VAddr {
                bank: (k % cfg.banks) as u8,
                word: (61 * k % cfg.act_depth.min(cfg.bank_depth)) as u16,
            };
            let w: Vec<i8> = (0..cfg.lanes).map(|_| xorshift(&mut x) as i8).collect();
            sim.write_word(at, &w);
            bank_words.push((at, w));
        }
        for (i, (at, w)) in bank_words.iter().enumerate() {
            let pc = (7 * i) % words.len();
            assert_eq!(sim.read_instr(pc), words[pc], "{what}: instruction {pc}");
            assert_eq!(&sim.read_word(*at), w, "{what}: bank word {at:?}");
            let pc2 = (pc + 1) % words.len();
            assert_eq!(sim.read_instr(pc2), words[pc2], "{what}: instruction {pc2}");
        }
    }
}
