//! The chip-to-chip link through the board tops' pins, end to end: board tops
//! (`minilpu_hdl::BoardTop`: PLL + UART bridge + card) simulated in Verilator, their
//! `link_tx_clk` / `link_tx_d` pins cabled to a neighbour's `link_rx_clk` / `link_rx_d`
//! (`minilpu_testbench::board_sim::BoardLinks`), every board driven by its own host
//! over the UART byte protocol (`HostLink`, `docs/host-protocol.md`).
//!
//! - two boards (600 ppm apart, different clock phases): board 0 runs
//!   `vlen 8; send b0:0; halt`, board 1 `vlen 8; wait <budget>; recv b1:0; halt`,
//!   started by their hosts at the same moment; the words arrive, status, pc and cycles
//!   equal the golden ring model's, `LINK_STATUS` says locked, the counters say one
//!   frame sent and one delivered, no CRC error;
//! - one board cabled to itself with a 2-lane link: lanes 2 and 3 stay low, the
//!   forwarded clock is the clock inverted, and a `send` comes back to its own `recv`.
//!
//! Run with `cargo test --release -p minilpu-testbench --test board_link -- --nocapture`
//! for the figures.

use minilpu_hdl::host_bridge::proto;
use minilpu_model::asm::assemble;
use minilpu_model::exec::{run_linked, Machine};
use minilpu_model::isa::{Instr, Status, VAddr};
use minilpu_model::link::budget::{budget, BudgetParams};
use minilpu_model::schedule::LinkIn;
use minilpu_model::TileConfig;
use minilpu_testbench::board_sim::{BoardLinks, BoardSim, SimPipe};
use minilpu_testbench::host_link::{encode_request, HostLink};
use minilpu_testbench::tile_sim::reg;
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// The same bridge as `host_bridge.rs` (so the sim-small board top is one cached build).
const DIVISOR: u32 = 8;
const TIMEOUT: u32 = 1000;

/// Link registers of the host port (`hdl/src/host_port.rs`).
const LINK_STATUS: u16 = 0x008;
/// First of the link counters: TX frames, RX frames, CRC errors, ...
const TX_FRAMES: u16 = 0x009;

fn asm(cfg: &TileConfig, src: &str) -> Vec<Instr> {
    assemble(src, "t.s", Some(cfg)).unwrap().instrs
}

fn words(prog: &[Instr]) -> Vec<u64> {
    prog.iter().map(Instr::encode).collect()
}

/// Poll `LINK_STATUS` until bit 0 (locked) is set; returns the register.
fn wait_locked(link: &mut HostLink<SimPipe>, what: &str) -> u32 {
    for _ in 0..200 {
        let s = link.bus_read(LINK_STATUS).unwrap();
        if s & 1 == 1 {
            return s;
        }
    }
    panic!("{what}: link receiver never locked");
}

fn random_words(cfg: &TileConfig, n: usize, seed: u64) -> Vec<Vec<i8>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| (0..cfg.lanes).map(|_| rng.gen()).collect())
        .collect()
}

#[test]
fn two_boards_carry_a_vector_over_their_link_pins() {
    let cfg = TileConfig::preset("sim-small").unwrap();
    let t0 = Instant::now();
    let sim = BoardSim::build_linked(
        &cfg,
        DIVISOR,
        TIMEOUT,
        BoardLinks::Ring {
            ppm: vec![300.0, -300.0],
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "two board tops built in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let (board, pipes) = sim.spawn_pipes();
    let mut hosts: Vec<HostLink<SimPipe>> = pipes
        .into_iter()
        .map(|p| HostLink::connect(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();

    // The programs: the receiver waits the link budget (send issue to the earliest
    // safe recv, every slot phase, +-300 ppm boards, 2 cycles of start skew).
    let w = budget(
        &cfg.link_config(),
        cfg.link_frame_words() as u64,
        &BudgetParams::default(),
    );
    let progs = [
        asm(&cfg, "vlen 8\nsend b0:0\nhalt\n"),
        asm(&cfg, &format!("vlen 8\nwait {w}\nrecv b1:0\nhalt\n")),
    ];
    let sent = random_words(&cfg, 8, 31);
    let mut machines = vec![Machine::new(&cfg), Machine::new(&cfg)];
    for (i, word) in sent.iter().enumerate() {
        machines[0]
            .word_mut(VAddr {
                bank: 0,
                word: i as u16,
            })
            .copy_from_slice(word);
    }
    let model =
        minilpu_model::ring::run_ring(&cfg, &progs, machines.clone(), &BudgetParams::default());
    assert!(model.findings.is_empty(), "{:?}", model.findings);

    for (k, host) in hosts.iter_mut().enumerate() {
        host.load_program(&words(&progs[k])).unwrap();
    }
    for (i, word) in sent.iter().enumerate() {
        let at = VAddr {
            bank: 0,
            word: i as u16,
        };
        hosts[0].write_word(at, word).unwrap();
    }
    for (k, host) in hosts.iter_mut().enumerate() {
        wait_locked(host, &format!("board {k}"));
    }
    // Start both: the two CTRL writes go out before either reply is read, so both
    // boards see their request at the same simulated time.
    let start = encode_request(proto::CMD_WRITE, reg::CTRL, 1, &[1]);
    for host in hosts.iter_mut() {
        host.send_raw(&start).unwrap();
    }
    for host in hosts.iter_mut() {
        let (status, _) = host.read_reply(0).unwrap();
        assert_eq!(status, proto::ST_OK);
    }
    for (k, host) in hosts.iter_mut().enumerate() {
        let (code, pc) = loop {
            let (busy, code, pc) = host.status().unwrap();
            if !busy {
                break (code, pc);
            }
        };
        let cycles = host.bus_read(reg::CYCLES).unwrap() as u64;
        let want = model.results[k];
        assert_eq!(
            (Status::from_code(code), pc as usize, cycles),
            (Some(want.status), want.pc, want.cycles),
            "board {k}: status, pc, cycles vs the ring model"
        );
        assert_eq!(want.status, Status::Ok);
    }
    // The words arrived, and equal the model's board 1.
    for (i, word) in sent.iter().enumerate() {
        let at = VAddr {
            bank: 1,
            word: i as u16,
        };
        let got = hosts[1].read_word(at).unwrap();
        assert_eq!(&got, word, "word {i}");
        assert_eq!(got, model.machines[1].word(at));
    }
    // The link registers: locked, one frame each way it went, no errors.
    let mut regs = Vec::new();
    for host in hosts.iter_mut() {
        let status = host.bus_read(LINK_STATUS).unwrap();
        let c = host.bus_read_burst(TX_FRAMES, 3).unwrap();
        regs.push((status, c));
    }
    eprintln!(
        "LINK_STATUS and (TX frames, RX frames, CRC errors): {regs:x?}; budget {w} cycles; \
         {} board-0 cycles simulated in {:.1} s",
        board.cycles(),
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(regs[0].0 & 1, 1, "board 0 locked");
    assert_eq!(regs[1].0 & 1, 1, "board 1 locked");
    assert_eq!(
        regs[0].1,
        vec![1, 0, 0],
        "board 0: sent 1, received nothing"
    );
    assert_eq!(
        regs[1].1,
        vec![0, 1, 0],
        "board 1: received 1, no CRC error"
    );
    drop(hosts);
    assert_eq!(board.stop().framing_errors(), 0);
}

#[test]
fn one_board_cabled_to_itself_on_two_lanes() {
    let mut cfg = TileConfig::preset("sim-small").unwrap();
    cfg.name = "sim-small-l2".into();
    cfg.link_lanes = 2;
    let mut sim = BoardSim::build_linked(&cfg, DIVISOR, TIMEOUT, BoardLinks::Loopback)
        .unwrap_or_else(|e| panic!("{e}"));
    // The pins on their own: lanes 2 and 3 never leave 0, lanes 0 and 1 carry the
    // ALIGN words, and the receiver locks onto its own transmitter.
    let (mut seen, mut locked_at) = (0u8, None);
    for _ in 0..30_000 {
        sim.step();
        // Just after the rising edge: the forwarded clock is low (the clock inverted).
        assert!(!sim.tx_clk(0), "link_tx_clk after a rising edge");
        seen |= sim.tx_lanes(0);
        if locked_at.is_none() && sim.link_up(0) {
            locked_at = Some(sim.cycles());
        }
    }
    assert_eq!(seen, 0b0011, "lanes used: {seen:#06b}");
    let locked_at = locked_at.expect("the looped-back link locks");
    eprintln!("2-lane loopback locked after {locked_at} cycles");

    let (board, pipe) = sim.spawn_pipe();
    let mut host = HostLink::connect(pipe).unwrap_or_else(|e| panic!("{e}"));
    let w = budget(
        &cfg.link_config(),
        cfg.link_frame_words() as u64,
        &BudgetParams::default(),
    );
    let prog = asm(
        &cfg,
        &format!("vlen 8\nsend b0:0\nwait {w}\nrecv b1:0\nhalt\n"),
    );
    let sent = random_words(&cfg, 8, 32);
    host.load_program(&words(&prog)).unwrap();
    for (i, word) in sent.iter().enumerate() {
        let at = VAddr {
            bank: 0,
            word: i as u16,
        };
        host.write_word(at, word).unwrap();
    }
    assert_eq!(wait_locked(&mut host, "loopback") & 1, 1);
    let run = host.run().unwrap();
    // The model, its queue holding the frame (the loopback's arrival is the budget's
    // business, checked by the run's status).
    let mut m = Machine::new(&cfg);
    m.inbox.push_back(vec![0; 128]);
    let want = run_linked(&cfg, &prog, &mut m, LinkIn::Always);
    assert_eq!(
        (run.status, run.pc as usize, run.cycles),
        (Status::Ok, want.pc, want.cycles)
    );
    for (i, word) in sent.iter().enumerate() {
        let at = VAddr {
            bank: 1,
            word: i as u16,
        };
        assert_eq!(&host.read_word(at).unwrap(), word, "word {i}");
    }
    assert_eq!(host.bus_read_burst(TX_FRAMES, 3).unwrap(), vec![1, 1, 0]);
    assert_eq!(host.bus_read(LINK_STATUS).unwrap() & 1, 1);
    drop(host);
    assert_eq!(board.stop().framing_errors(), 0);
}
