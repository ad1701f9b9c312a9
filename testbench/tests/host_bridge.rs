//! The UART host bridge end to end: `HostLink` (the host library) speaks the byte
//! protocol of `docs/host-protocol.md` to the board top (bridge + tile) simulated in
//! Verilator, through a pseudo-terminal opened like a USB-UART, or an in-process pipe.
//! Register traffic, a whole program (`examples/programs/argmax.s`, checked against the
//! golden model), and malformed frames, each answered with an error reply, never a hang.
//! Fixed seeds throughout.

use minilpu_hdl::host_bridge::proto;
use minilpu_model::asm::assemble;
use minilpu_model::isa::{Status, VAddr};
use minilpu_model::TileConfig;
use minilpu_testbench::board_sim::{BoardLinks, BoardSim};
use minilpu_testbench::host_link::{encode_request, HostLink, LinkError, Nack};
use minilpu_testbench::program::{run_program, Region, RegionData};
use minilpu_testbench::runner::Backend;
use minilpu_testbench::serial::SerialPort;
use minilpu_testbench::tile_sim::reg;
use rand::{Rng, SeedableRng};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Cycles per UART bit in the simulated board (12 MHz / 1.5 Mbaud, say).
const DIVISOR: u32 = 8;
/// The bridge's inter-byte timeout in the simulated board (cycles).
const TIMEOUT: u32 = 1000;

fn sim_small() -> TileConfig {
    TileConfig::preset("sim-small").unwrap()
}

fn board(divisor: u32) -> BoardSim {
    BoardSim::build(&sim_small(), divisor, TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}

/// The board behind a pty, and a connected link on the pty's slave.
fn pty_link() -> (minilpu_testbench::board_sim::SimBoard, HostLink<SerialPort>) {
    let sim = board(DIVISOR).spawn_pty().unwrap();
    let port = SerialPort::open(sim.path(), 1_000_000)
        .unwrap()
        .with_timeout(Duration::from_secs(10));
    let link = HostLink::connect(port).unwrap_or_else(|e| panic!("{e}"));
    (sim, link)
}

#[test]
fn registers_and_bursts_over_a_pty() {
    let (sim, mut link) = pty_link();
    let cfg = sim_small();
    let info = link.info().unwrap();
    assert_eq!(
        (info.lanes, info.cols, info.banks, info.requant_lanes),
        (cfg.lanes, cfg.cols, cfg.banks, cfg.requant_lanes)
    );
    assert_eq!(link.ping().unwrap(), proto::PING_WORD);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    sel_round_trips(&mut link, &mut rng);
    // The staging buffer (2 words on sim-small: an instruction) in one burst each way;
    // reads past it give 0, writes past it are ignored.
    let nbuf = minilpu_model::config::host_buffer_bytes(cfg.lanes) / 4;
    assert_eq!(nbuf, 2);
    let words: Vec<u32> = (0..nbuf).map(|_| rng.gen()).collect();
    link.bus_write_burst(reg::BUF, &words).unwrap();
    assert_eq!(link.bus_read_burst(reg::BUF, nbuf).unwrap(), words);
    let mut long: Vec<u32> = (0..proto::MAX_BURST).map(|_| rng.gen()).collect();
    link.bus_write_burst(reg::BUF, &long).unwrap();
    let back = link.bus_read_burst(reg::BUF, proto::MAX_BURST).unwrap();
    long[nbuf..].iter_mut().for_each(|w| *w = 0);
    assert_eq!(back, long);
    // Memory helpers: bank words, an instruction word.
    for bank in 0..cfg.banks as u8 {
        let at = VAddr { bank, word: 77 };
        let w: Vec<i8> = (0..cfg.lanes).map(|_| rng.gen()).collect();
        link.write_word(at, &w).unwrap();
        assert_eq!(link.read_word(at).unwrap(), w, "bank {bank}");
    }
    link.load_program(&[0x0123_4567_89ab_cdef]).unwrap();
    assert_eq!(link.read_instr(0).unwrap(), 0x0123_4567_89ab_cdef);
    let stats = link.stats();
    eprintln!(
        "{} requests, {} bytes out, {} bytes in, {} simulated cycles",
        stats.requests,
        stats.bytes_out,
        stats.bytes_in,
        sim.cycles()
    );
    assert_eq!(sim.stop().framing_errors(), 0);
}

/// SEL is a plain read/write register: 8 random values written and read back.
fn sel_round_trips<S: Read + Write>(link: &mut HostLink<S>, rng: &mut impl Rng) {
    for _ in 0..8 {
        let v: u32 = rng.gen();
        link.bus_write(reg::SEL, v).unwrap();
        assert_eq!(link.bus_read(reg::SEL).unwrap(), v);
    }
}

fn example(name: &str) -> (String, PathBuf) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/programs")
        .join(name);
    (std::fs::read_to_string(&path).unwrap(), path)
}

/// argmax.s through the bridge: load the program and both score vectors, run, read
/// back; everything equals the golden model's run, cycles equal the prediction.
fn argmax_over<S: Read + Write>(link: &mut HostLink<S>, seed: u64) {
    let cfg = sim_small();
    let (src, path) = example("argmax.s");
    let prog = assemble(&src, &path.display().to_string(), Some(&cfg)).unwrap();
    let words: Vec<u64> = prog.instrs.iter().map(|i| i.encode()).collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let s1: Vec<i8> = (0..16).map(|_| rng.gen_range(-100..100)).collect();
    let mut s2: Vec<i8> = (0..16).map(|_| rng.gen_range(-100..100)).collect();
    s2[9] = 127;
    s2[10] = 127;
    let mut image = Vec::new();
    for i in 0..4u16 {
        let r = 4 * i as usize..4 * i as usize + 4;
        image.push((VAddr { bank: 0, word: i }, s1[r.clone()].to_vec()));
        image.push((VAddr { bank: 1, word: i }, s2[r].to_vec()));
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
    let model = run_program(&cfg, Backend::Model, None, &words, &image, &regions, None).unwrap();

    link.load_program(&words).unwrap();
    for (at, w) in &image {
        link.write_word(*at, w).unwrap();
    }
    for (pc, &w) in words.iter().enumerate() {
        assert_eq!(link.read_instr(pc).unwrap(), w, "instruction {pc}");
    }
    let run = link.run().unwrap();
    assert_eq!(run.status, Status::Ok);
    assert_eq!(run.pc as usize, model.pc);
    assert_eq!(run.cycles, model.predicted_cycles, "cycles vs prediction");
    for (region, want) in regions.iter().zip(&model.dumps) {
        let Region::Bank { at, len } = *region else {
            unreachable!()
        };
        let got: Vec<Vec<i8>> = (0..len)
            .map(|i| link.read_word(at.offset(i)).unwrap())
            .collect();
        assert_eq!(&RegionData::Bank(got), want, "region {region:?}");
    }
    // The argmax lands in lane 0 of b0:12 as int32: index 9 (first of the tie).
    let idx = link.read_word(VAddr { bank: 0, word: 12 }).unwrap();
    assert_eq!(idx[0], 9);
}

#[test]
fn argmax_program_over_a_pty() {
    let (sim, mut link) = pty_link();
    let t = Instant::now();
    argmax_over(&mut link, 21);
    let stats = link.stats();
    eprintln!(
        "argmax.s over the pty: {} requests, {} bytes out, {} bytes in, {} cycles \
         simulated ({:.1} ms at 1 Mbaud-equivalent), {:?} wall",
        stats.requests,
        stats.bytes_out,
        stats.bytes_in,
        sim.cycles(),
        (stats.bytes_out + stats.bytes_in) as f64 * 10.0 / 1e3,
        t.elapsed()
    );
}

#[test]
fn argmax_program_over_a_pipe_at_divisor_4() {
    // 4 cycles per bit: the fastest the UART allows (12 MHz / 3 Mbaud on the iCEBreaker).
    let (sim, pipe) = board(4).spawn_pipe();
    let mut link = HostLink::connect(pipe).unwrap_or_else(|e| panic!("{e}"));
    argmax_over(&mut link, 22);
    assert_eq!(sim.stop().framing_errors(), 0);
}

/// The ECP5 boards' bus stages (`bus_stages = 1`): a register each way between the
/// bridge and the tile. Registers, bursts and a program over the same protocol, at the
/// fastest UART (the shortest byte time, which covers a read's two extra cycles).
#[test]
fn registers_bursts_and_a_program_through_the_bus_stages() {
    let top =
        minilpu_hdl::board_top::BoardTopConfig::sim(sim_small(), 4, TIMEOUT).with_bus_stages(1);
    let sim = BoardSim::build_top(top, BoardLinks::Open).unwrap_or_else(|e| panic!("{e}"));
    let (sim, pipe) = sim.spawn_pipe();
    let mut link = HostLink::connect(pipe).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(link.ping().unwrap(), proto::PING_WORD);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    sel_round_trips(&mut link, &mut rng);
    let nbuf = minilpu_model::config::host_buffer_bytes(sim_small().lanes) / 4;
    let words: Vec<u32> = (0..nbuf).map(|_| rng.gen()).collect();
    link.bus_write_burst(reg::BUF, &words).unwrap();
    assert_eq!(link.bus_read_burst(reg::BUF, nbuf).unwrap(), words);
    argmax_over(&mut link, 23);
    assert_eq!(sim.stop().framing_errors(), 0);
}

fn nack(r: Result<(u8, Vec<u8>), LinkError>) -> u8 {
    let (status, data) = r.unwrap_or_else(|e| panic!("no reply: {e}"));
    assert!(data.is_empty(), "an error reply carries no data");
    status
}

#[test]
fn bad_frames_get_error_replies_not_hangs() {
    let (sim, mut link) = pty_link();
    link.bus_write(reg::SEL, 0x1234).unwrap();

    // Wrong checksum: error reply, and the write did not happen.
    let mut f = encode_request(proto::CMD_WRITE, reg::SEL, 1, &[0xdead_beef]);
    *f.last_mut().unwrap() ^= 0x5a;
    link.send_raw(&f).unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_BAD_CRC);
    assert_eq!(link.bus_read(reg::SEL).unwrap(), 0x1234);

    // A corrupted data byte (checksum no longer matches) in a burst: nothing written.
    let mut f = encode_request(proto::CMD_WRITE, reg::BUF, 2, &[1, 2]);
    f[6] ^= 0x01;
    link.send_raw(&f).unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_BAD_CRC);
    assert_ne!(link.bus_read_burst(reg::BUF, 2).unwrap(), vec![1, 2]);

    // Truncated frame: the inter-byte timeout ends it.
    let f = encode_request(proto::CMD_WRITE, reg::SEL, 1, &[7]);
    link.send_raw(&f[..6]).unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_TIMEOUT);
    assert_eq!(link.bus_read(reg::SEL).unwrap(), 0x1234);

    // Unknown command.
    link.send_raw(&encode_request(0x7e, 0, 1, &[])).unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_BAD_CMD);

    // Word counts 0 and MAX_BURST + 1.
    link.send_raw(&encode_request(proto::CMD_READ, reg::SEL, 0, &[]))
        .unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_BAD_LEN);
    let too_many = (proto::MAX_BURST + 1) as u8;
    link.send_raw(&encode_request(proto::CMD_READ, reg::SEL, too_many, &[]))
        .unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_BAD_LEN);

    // Bytes outside a frame (no 0xA5 among them): one reply once the line is quiet.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let junk: Vec<u8> = (0..40)
        .map(|_| rng.gen::<u8>())
        .map(|b| if b == proto::REQ_SYNC { 0 } else { b })
        .collect();
    link.send_raw(&junk).unwrap();
    assert_eq!(nack(link.read_reply(0)), proto::ST_NO_SYNC);

    // The typed API names the status.
    assert_eq!(Nack::from_status(proto::ST_BAD_LEN), Nack::BadLength);
    assert!(matches!(
        LinkError::Nack(Nack::from_status(proto::ST_TIMEOUT)),
        LinkError::Nack(Nack::Timeout)
    ));

    // And the link is still fine.
    assert_eq!(link.ping().unwrap(), proto::PING_WORD);
    assert_eq!(link.bus_read(reg::SEL).unwrap(), 0x1234);
    let board = sim.stop();
    assert_eq!(board.framing_errors(), 0);
}

#[test]
fn break_on_the_line_is_a_framing_error_reply() {
    // Directly on the simulation (no thread): a break, then a normal request.
    let mut b = board(DIVISOR);
    b.send_break(20 * DIVISOR as u64);
    b.run_until_settled(1_000_000);
    let reply = b.take_received();
    assert_eq!(
        reply,
        vec![
            proto::REPLY_SYNC,
            proto::ST_FRAMING,
            proto::crc8(&[proto::ST_FRAMING])
        ]
    );
    b.send(&encode_request(proto::CMD_PING, 0, 0, &[]));
    b.run_until_settled(1_000_000);
    let mut want = vec![proto::REPLY_SYNC, proto::ST_OK];
    want.extend(proto::PING_WORD.to_le_bytes());
    want.push(proto::crc8(&want[1..]));
    assert_eq!(b.take_received(), want);
}

#[test]
fn error_replies_come_within_the_timeout() {
    // Cycle-exact bound: a truncated request is answered TIMEOUT cycles after its last
    // bit, plus the reply itself; the host never waits longer than that.
    let mut b = board(DIVISOR);
    let f = encode_request(proto::CMD_READ, reg::INFO, 1, &[]);
    b.send(&f[..3]);
    let start = b.cycles();
    let mut first_reply = None;
    while b.cycles() - start < 100_000 {
        b.step();
        if first_reply.is_none() && !b.take_received().is_empty() {
            first_reply = Some(b.cycles() - start);
        }
    }
    let sent = 3 * 10 * DIVISOR as u64;
    let t = first_reply.expect("a reply");
    let bound = sent + TIMEOUT as u64 + 2 * 10 * DIVISOR as u64 + 16;
    assert!(t <= bound, "reply after {t} cycles, bound {bound}");
    assert!(
        t >= sent + TIMEOUT as u64,
        "reply after {t} cycles: too early"
    );
}

#[test]
fn missing_serial_device_is_a_clear_error() {
    let e = SerialPort::open("/dev/ttyUSB-minilpu-none", 1_000_000).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(e.to_string().contains("/dev/ttyUSB-minilpu-none"), "{e}");
    let e = SerialPort::open("/dev/null", 1_234_567).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

/// On a real board: `MINILPU_SERIAL=/dev/ttyUSB1 cargo test --release -p
/// minilpu-testbench --test host_bridge -- --ignored real_board` (a sim-small-compatible
/// preset is not needed: the test reads INFO and runs argmax only on a 4-lane tile).
#[test]
#[ignore = "needs a flashed board on $MINILPU_SERIAL"]
fn real_board() {
    let Some(dev) = std::env::var_os("MINILPU_SERIAL") else {
        eprintln!("MINILPU_SERIAL is not set: skipping");
        return;
    };
    let baud = std::env::var("MINILPU_BAUD")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1_000_000);
    let port = SerialPort::open(&dev, baud).unwrap();
    let mut link = HostLink::connect(port).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("connected: {:?}", link.info());
    if link.info().unwrap().lanes == 4 {
        argmax_over(&mut link, 21);
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("host_bridge")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn board_tops_lint_clean() {
    use minilpu_hdl::board_top::{emit_board_verilog, BoardTopConfig};
    use minilpu_hdl::pll::{ecp5_pll, ice40_pll, PllSetting};
    // The simulation top, and the iCEBreaker / ULX3S tops with their PLLs (the PLL
    // primitive sits behind `ifdef ICE40 / ECP5, so lint sees the wire).
    let ib = ice40_pll(12.0, 40.0).unwrap();
    let ul = ecp5_pll(25.0, 50.0).unwrap();
    let cases = [
        ("sim", BoardTopConfig::sim(sim_small(), DIVISOR, TIMEOUT)),
        (
            "icebreaker",
            BoardTopConfig::new(
                TileConfig::preset("icebreaker").unwrap(),
                PllSetting::Ice40(ib),
                ib.f_out_mhz,
                1_000_000,
                5.0,
                [true, true, false, false],
            )
            .unwrap(),
        ),
        (
            "ulx3s",
            BoardTopConfig::new(
                sim_small(),
                PllSetting::Ecp5(ul),
                ul.f_out_mhz,
                1_000_000,
                5.0,
                [false; 4],
            )
            .unwrap()
            .with_bus_stages(1),
        ),
    ];
    for (name, cfg) in cases {
        let v = emit_board_verilog(&cfg).unwrap();
        let path = scratch(name).join("top.v");
        std::fs::write(&path, &v).unwrap();
        minilpu_synth::verilator_lint(&path, minilpu_hdl::TOP_MODULE)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let has = |s: &str| v.contains(s);
        match name {
            "icebreaker" => assert!(has("SB_PLL40_PAD") && has(".DIVF(7'd52)"), "{name}"),
            "ulx3s" => assert!(has("EHXPLLL") && has(".CLKOP_DIV(12)"), "{name}"),
            _ => assert!(!has("SB_PLL40_PAD") && !has("EHXPLLL"), "{name}"),
        }
    }
}

#[test]
fn uart_divisor_and_baud_checks() {
    use minilpu_hdl::board_top::BoardTopConfig;
    use minilpu_hdl::pll::PllSetting;
    let mk = |mhz: f64, baud: u32| {
        BoardTopConfig::new(sim_small(), PllSetting::Bypass, mhz, baud, 5.0, [false; 4])
    };
    let c = mk(39.75, 1_000_000).unwrap();
    assert_eq!(c.bridge.divisor, 40);
    assert_eq!(c.bridge.timeout, 198_750);
    assert_eq!(mk(12.0, 3_000_000).unwrap().bridge.divisor, 4);
    assert_eq!(mk(39.75, 3_000_000).unwrap().bridge.divisor, 13);
    let e = mk(12.0, 4_000_000).unwrap_err().to_string();
    assert!(e.contains("at least 4"), "{e}");
    let e = mk(10.0, 1_500_000).unwrap_err().to_string();
    assert!(e.contains("off the exact"), "{e}");
}

#[test]
fn the_bridge_alone_is_small_on_ice40() {
    // What the UART bridge costs next to the tile: synthesize it alone (yosys 0.23,
    // synth_ice40). Its 64 x 32-bit burst buffer is the one SB_RAM40_4K (16-bit halves).
    use minilpu_hdl::host_bridge::{emit_bridge_verilog, BridgeConfig};
    let dir = scratch("bridge_ice40");
    let path = dir.join("bridge.v");
    let v = emit_bridge_verilog(BridgeConfig {
        divisor: 40,
        timeout: 198_750,
        bus_stages: 0,
    });
    std::fs::write(&path, v).unwrap();
    minilpu_synth::verilator_lint(&path, "top").unwrap_or_else(|e| panic!("{e}"));
    let r = minilpu_synth::yosys_synth(&path, "top", minilpu_synth::Family::Ice40, &dir)
        .unwrap_or_else(|e| panic!("{e}"));
    let c = r.ice40.clone().unwrap();
    eprintln!(
        "host bridge on iCE40: {} SB_LUT4, {} SB_CARRY, {} SB_DFF*, {} SB_RAM40_4K",
        c.sb_lut4, c.sb_carry, c.sb_dff, c.sb_ram40_4k
    );
    assert!(c.sb_lut4 < 600, "{c:?}");
    assert_eq!(c.sb_ram40_4k, 1, "{c:?}");
    assert_eq!(c.sb_mac16, 0);
}
