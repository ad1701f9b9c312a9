//! `Tile`: the minilpu tile top. It only wires: instruction memory, SRAM banks, the
//! matmul unit (install + stream ports, array, accumulator), the requantize unit, the
//! vector unit, the link units (`send`, `recv`), the sequencer and the host port. The
//! link transmitter and receiver themselves are outside (see [`crate::Card`]): the
//! tile drives the transmitter's buffer write port and post, and reads the receiver's
//! buffer and deliveries.
//!
//! ```text
//!  bus_* --> HostPort --start--> Sequencer <-- imem (SramBank, 8-byte words + predecode byte)
//!               |                   | iss_* + fields
//!               |        +----------+-----------+-------------+------------+-----------+
//!               |        v          v           v             v            v           v
//!               |     MxuLoad     MxuRun    Requantizer      Vxu       LinkSend    LinkRecv
//!               |        |          |   tags     |  ^           |  ^       |  ^ tx_*    ^ rx_*
//!               v        v          v            v  |           v  |       v  |         |
//!          bank 0 / weight banks (SramBank) <--- port muxes ---+--+-------+--+---------+
//!                   |
//!                   +--> MatmulArray --> Accumulator --> Requantizer
//! ```
//! **Link ports.** `tx_*` go to a [`crate::LinkTx`] (`tx_busy`, `tx_next_slot` come
//! back), `rx_*` to a [`crate::LinkRx`], `lk_*` are the link's counters for the host
//! registers. Left at 0 (a tile without a link), a `send` fills and posts into nothing
//! and a `recv` stops with LINK at its first frame.
//! **Ports.** Each bank has one read and one write port; whoever uses a port in a cycle
//! drives it (the program's schedule guarantees at most one user: the checker enforces
//! it, the hardware does not arbitrate). Read data is routed back to the unit that asked,
//! one cycle later, by the bank number it registered. With bank read stages
//! (`bank_read_stages` = `b`, 1 to 3) each read port's address is registered after its
//! multiplexer (with 2 also the data after the route-back multiplexers, with 3 also each
//! bank's word at its SRAM's output, before them), the data comes
//! back `1 + b` cycles after the unit's read, and every unit delays what meets its
//! words by `b` (`docs/isa.md`). The write ports are registered
//! after their multiplexers: a write a unit drives in cycle `c` lands at the end of
//! `c+1` (the cycles `docs/isa.md` gives; host stores likewise).
//! - **Timing**: `docs/isa.md` (every unit's latency is fixed).
//! - **Reset**: none; every register powers up to zero, so the tile is idle.

use crate::matmul_array::ARRAY_LATENCY;
use crate::one_more;
use crate::{
    Accumulator, Delay, HostPort, LinkRecv, LinkSend, MatmulArray, MulImpl, MxuLoad, MxuRun,
    Predecoder, ReadTail, Requantizer, Sequencer, SramBank, Vxu,
};
use minilpu_model::{config, BankKind, DspStyle, TileConfig};
use rust_hdl::prelude::*;

/// The tile.
#[derive(LogicBlock)]
pub struct Tile {
    /// The one clock.
    pub clock: Signal<In, Clock>,
    /// Host bus: write `bus_wdata` to register `bus_addr` (see [`HostPort`]).
    pub bus_we: Signal<In, Bit>,
    /// Host bus: read register `bus_addr`; the answer is on `bus_rdata` next cycle.
    pub bus_re: Signal<In, Bit>,
    /// Host bus register address.
    pub bus_addr: Signal<In, Bits<16>>,
    /// Host bus write data.
    pub bus_wdata: Signal<In, Bits<32>>,
    /// Host bus read data (one cycle after `bus_re`).
    pub bus_rdata: Signal<Out, Bits<32>>,
    /// The tile is running a program (for a LED).
    pub busy: Signal<Out, Bit>,
    /// The last program stopped with an error (for a LED).
    pub error: Signal<Out, Bit>,
    /// Link transmitter: write `tx_wdata` into its frame buffer at `tx_waddr`.
    pub tx_we: Signal<Out, Bit>,
    /// Link transmitter buffer word address.
    pub tx_waddr: Signal<Out, Bits<16>>,
    /// Link transmitter buffer word (`lanes` bytes).
    pub tx_wdata: Vec<Signal<Out, Bits<8>>>,
    /// Link transmitter: post the frame in slot `tx_next_slot`.
    pub tx_post: Signal<Out, Bit>,
    /// Tag of the posted frame.
    pub tx_tag: Signal<Out, Bits<8>>,
    /// Link transmitter slots in use (bit `k` = slot `k`).
    pub tx_busy: Signal<In, Bits<4>>,
    /// The slot the transmitter's next post takes.
    pub tx_next_slot: Signal<In, Bits<2>>,
    /// Link receiver: a frame was delivered (one cycle).
    pub rx_valid: Signal<In, Bit>,
    /// With `rx_valid`: its receive-buffer slot.
    pub rx_slot: Signal<In, Bits<2>>,
    /// With `rx_valid`: its sequence number.
    pub rx_seq: Signal<In, Bits<8>>,
    /// Link receiver buffer read address.
    pub rx_raddr: Signal<Out, Bits<16>>,
    /// Link receiver buffer word read at the previous cycle's `rx_raddr` (`lanes` bytes).
    pub rx_rdata: Vec<Signal<In, Bits<8>>>,
    /// Link receiver locked (host LINK_STATUS bit 0).
    pub lk_locked: Signal<In, Bit>,
    /// Link data frames sent (host TX_FRAMES).
    pub lk_tx_frames: Signal<In, Bits<32>>,
    /// Link data frames delivered (host RX_FRAMES).
    pub lk_rx_frames: Signal<In, Bits<32>>,
    /// Link frames dropped for a bad CRC (host CRC_ERRORS).
    pub lk_crc_errors: Signal<In, Bits<32>>,
    /// Link losses of lock (host ALIGN_LOST).
    pub lk_align_lost: Signal<In, Bits<32>>,
    /// Link FIFO overflows (host OVERFLOWS).
    pub lk_overflows: Signal<In, Bits<32>>,
    /// Link data frames missing (host MISSING).
    pub lk_missing: Signal<In, Bits<32>>,
    host: HostPort,
    seq: Sequencer,
    predec: Predecoder,
    imem: SramBank<8>,
    act_bank: SramBank<8>,
    wbank: SramBank<8>,
    mxl: MxuLoad,
    mxr: MxuRun,
    array: MatmulArray,
    acc: Accumulator,
    rq: Requantizer,
    vxu: Vxu,
    lsend: LinkSend,
    lrecv: LinkRecv,
    swap_d: DFF<Bit>,
    wvalid_d: DFF<Bit>,
    wsel_d: DFF<Bits<8>>,
    tag_valid: Delay<1>,
    tag_first: Delay<1>,
    tag_addr: Delay<16>,
    pbank_d: DFF<Bits<8>>,
    rabank_d: DFF<Bits<8>>,
    rbbank_d: DFF<Bits<8>>,
    hbank_d: DFF<Bits<8>>,
    sbank_d: DFF<Bits<8>>,
    hspace_d: DFF<Bits<2>>,
    wbank_we: Signal<Local, Bits<16>>,
    a_we: Signal<Local, Bit>,
    // Bank write ports, registered: a write presented in cycle `c` lands at the end of
    // `c+1` (docs/isa.md), so no bank's data or address input sits at the end of a
    // unit's combinational path. `uw_pend`: the write in flight is a unit's (not the
    // host's), so the tile counts as active for that cycle.
    aw_we: DFF<Bit>,
    aw_addr: DFF<Bits<16>>,
    aw_data: Vec<DFF<Bits<8>>>,
    ww_we: DFF<Bits<16>>,
    ww_addr: Vec<DFF<Bits<16>>>,
    ww_data: Vec<DFF<Bits<8>>>,
    uw_pend: DFF<Bit>,
    // Bank read stages (`bank_read_stages` = b, 0 to 3; docs/isa.md). The first: the
    // read ports' addresses registered after their multiplexers (`ar0_r`, `wra_r`), so
    // that a read reaches the block RAM a cycle later, and the banks to route the data
    // back from wait a cycle more (`*bank_p`). The second: the data registered after
    // the route-back multiplexers (`ret_*`), in front of each reader. The third: the
    // data registered at the SRAMs' outputs (`out_*`, below). The array's swap
    // and install strobes wait `b` cycles (`swap_p`, `wvalid_p`, `wsel_p`), and
    // `mxl_bt` keeps the tile active in the `b` cycles after an install's last read.
    // Each vector has an entry per lane, bank or lane of a bank for each stage it
    // belongs to, none for `b = 0`.
    ar0_r: Vec<DFF<Bits<16>>>,
    wra_r: Vec<DFF<Bits<16>>>,
    // With the first stage the banks to route the data back from are known a cycle
    // early, so they travel one-hot (bit `k`: bank `k`; decoded in `*dec`, registered
    // in `*bank_p`, then `*oh_d`) and the data comes back through an AND-OR over the
    // banks instead of a chain of compares: a word nobody asked for reads 0 (the
    // compare chain's tags, `pbank_d` and its siblings, then drive nothing and synthesis
    // drops them). On the 85F with two stages that is 16,662 LUT4 instead of 20,907
    // (docs/boards.md).
    pdec: Vec<Signal<Local, Bits<16>>>,
    radec: Vec<Signal<Local, Bits<16>>>,
    rbdec: Vec<Signal<Local, Bits<16>>>,
    sdec: Vec<Signal<Local, Bits<16>>>,
    pbank_p: Vec<DFF<Bits<16>>>,
    rabank_p: Vec<DFF<Bits<16>>>,
    rbbank_p: Vec<DFF<Bits<16>>>,
    sbank_p: Vec<DFF<Bits<16>>>,
    poh_d: Vec<DFF<Bits<16>>>,
    raoh_d: Vec<DFF<Bits<16>>>,
    rboh_d: Vec<DFF<Bits<16>>>,
    soh_d: Vec<DFF<Bits<16>>>,
    // The third stage (`b = 3`): each bank's word registered at the SRAM's output
    // (`out_act`, `out_w`), so that the block RAM's clock-to-out and the route-back
    // AND-OR are not one cycle; the one-hot tags wait a cycle more for it (`*oh_e`).
    // `ad` and `wd` are the banks' words as everything after the SRAMs takes them, and
    // `poh` and its siblings the one-hot tags that meet them.
    out_act: Vec<DFF<Bits<8>>>,
    out_w: Vec<DFF<Bits<8>>>,
    poh_e: Vec<DFF<Bits<16>>>,
    raoh_e: Vec<DFF<Bits<16>>>,
    rboh_e: Vec<DFF<Bits<16>>>,
    soh_e: Vec<DFF<Bits<16>>>,
    poh: Vec<Signal<Local, Bits<16>>>,
    raoh: Vec<Signal<Local, Bits<16>>>,
    rboh: Vec<Signal<Local, Bits<16>>>,
    soh: Vec<Signal<Local, Bits<16>>>,
    ad: Vec<Signal<Local, Bits<8>>>,
    wd: Vec<Signal<Local, Bits<8>>>,
    swap_p: Vec<Delay<1>>,
    wvalid_p: Vec<Delay<1>>,
    wsel_p: Vec<Delay<8>>,
    mxl_bt: Vec<ReadTail>,
    ret_act: Vec<DFF<Bits<8>>>,
    ret_w: Vec<DFF<Bits<8>>>,
    ret_p: Vec<DFF<Bits<8>>>,
    ret_a: Vec<DFF<Bits<8>>>,
    ret_b: Vec<DFF<Bits<8>>>,
    ret_s: Vec<DFF<Bits<8>>>,
    // The read data routed back (before the second stage) and the first source's word
    // as its readers take it (after it).
    m_p: Vec<Signal<Local, Bits<8>>>,
    m_b: Vec<Signal<Local, Bits<8>>>,
    m_s: Vec<Signal<Local, Bits<8>>>,
    r_a: Vec<Signal<Local, Bits<8>>>,
    // Host loads with two or more load stages (`TileConfig::host_load_stages`): the
    // instruction word and the accumulator row's piece registered next to their
    // memories, so that the host's load multiplexer starts from flip-flops.
    hq_i: Vec<DFF<Bits<8>>>,
    hq_a: Vec<DFF<Bits<8>>>,
    // The accumulator's whole row, registered before `hq_a`'s piece multiplexer (when
    // the load's timing leaves a cycle for it; absent otherwise).
    hq_r: Vec<DFF<Bits<32>>>,
    // The predecode byte, registered (`hq_a` present; absent otherwise).
    pd_r: Vec<DFF<Bits<8>>>,
    // The row `hq_a`'s multiplexer reads: the accumulator's, or `hq_r`.
    hrow: Vec<Signal<Local, Bits<32>>>,
    a_re: Signal<Local, Bit>,
    a_bank: Signal<Local, Bits<8>>,
    a_addr: Signal<Local, Bits<16>>,
    a_ret: Vec<Signal<Local, Bits<8>>>,
    hs_we: Signal<Local, Bit>,
    hs_bank: Signal<Local, Bits<8>>,
    hs_addr: Signal<Local, Bits<16>>,
    hs_data: Vec<Signal<Local, Bits<8>>>,
    ar0: Signal<Local, Bits<16>>,
    aw0: Signal<Local, Bits<16>>,
    awd: Vec<Signal<Local, Bits<8>>>,
    wra: Vec<Signal<Local, Bits<16>>>,
    wwa: Vec<Signal<Local, Bits<16>>>,
    wwd: Vec<Signal<Local, Bits<8>>>,
    bank_mask: Constant<Bits<8>>,
    acc_mask: Constant<Bits<16>>,
    _lanes: usize,
    _cols: usize,
    _wb: usize,
    _bytes: usize,
    _piece: usize,
    _pieces: usize,
    _b: usize,
    _bo: usize,
    _br: usize,
    _hq: usize,
    _hq2: usize,
    _banks: usize,
}

impl Tile {
    /// The tile for a validated `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        let wb = cfg.weight_banks();
        // The host's staging buffer holds a bank word or an instruction; accumulator rows
        // are loaded `piece` columns at a time.
        let bytes = config::host_buffer_bytes(cfg.lanes);
        let piece = config::host_acc_columns_per_load(cfg.lanes, cfg.cols);
        let info = cfg.info_word() as usize;
        // The accumulator-row tags wait for the bank read, the array's feed stages and
        // the array itself.
        let b = cfg.bank_read_stages;
        assert!(b <= 3, "bank read stages {b}");
        // The address stage, the SRAM output stage, and the return stage.
        let (ba, bo, br) = (b.min(1), b / 3, b.min(2).saturating_sub(1));
        let tag_delay = 1 + b + cfg.array_feed_stages + ARRAY_LATENCY;
        let e = cfg.acc_read_stage as usize;
        // A load's word leaves the load multiplexer `h + 1` cycles after `ld` rises (h:
        // host load stages), and its address is steady from the cycle before `ld`. The
        // accumulator's word is there at most 3 cycles after the address (in `r_r`, with
        // the read stage), the instruction memory's (read while `ld` is high, `h + 1`
        // cycles) 1 cycle after: with h >= 2 both have a cycle for one more register
        // (`hq_a`, `hq_i`).
        let hq = (cfg.host_load_stages() >= 2) as usize;
        // The accumulator's word is there `1 + 2e` cycles after its address, so with
        // `h > 2e` there is a cycle for a register before `hq_a` as well: the whole row
        // (`hq_r`), before the piece multiplexer.
        let hq2 = (hq == 1 && cfg.host_load_stages() > 2 * e) as usize;
        Self {
            clock: Default::default(),
            bus_we: Default::default(),
            bus_re: Default::default(),
            bus_addr: Default::default(),
            bus_wdata: Default::default(),
            bus_rdata: Default::default(),
            busy: Default::default(),
            error: Default::default(),
            tx_we: Default::default(),
            tx_waddr: Default::default(),
            tx_wdata: crate::vec_of(cfg.lanes),
            tx_post: Default::default(),
            tx_tag: Default::default(),
            tx_busy: Default::default(),
            tx_next_slot: Default::default(),
            rx_valid: Default::default(),
            rx_slot: Default::default(),
            rx_seq: Default::default(),
            rx_raddr: Default::default(),
            rx_rdata: crate::vec_of(cfg.lanes),
            lk_locked: Default::default(),
            lk_tx_frames: Default::default(),
            lk_rx_frames: Default::default(),
            lk_crc_errors: Default::default(),
            lk_align_lost: Default::default(),
            lk_overflows: Default::default(),
            lk_missing: Default::default(),
            // The host's loads wait for a bank word's `b` stages, and for an accumulator
            // row through the accumulator's read stage (its address and word registers).
            host: HostPort::new(bytes, info as u32, cfg.info2_word(), cfg.host_load_stages()),
            seq: Sequencer::new(cfg),
            predec: Predecoder::new(cfg),
            // The tile's block RAMs read on every clock (no read enable), so their read
            // registers (`uninit_read`: no power-up value) hold a real word from the first
            // edge on, long before the host or a program can look.
            // 8 instruction bytes and the predecode byte.
            // The host stores words only while the tile is idle: only a `start` in the very
            // cycle after a store of word 0 would use a colliding fetch (the UART bridge
            // spaces bus writes by a byte time).
            imem: SramBank::new(9, cfg.imem_depth, 1)
                .collision_free()
                .uninit_read(),
            // No program the checker accepts reads a bank word in the cycle it is
            // written: a read and a write of one word by two instructions in one cycle
            // is a hazard whichever comes first, and within a vector instruction too
            // (docs/isa.md, "What the assembler's checker adds"); the host reads and
            // writes only while the tile is idle, one bus access at a time.
            act_bank: SramBank::new(cfg.lanes, cfg.act_depth, 1)
                .collision_free()
                .uninit_read(),
            // One block holds all weight banks; each group has its own ports.
            wbank: match cfg.weight_bank_kind {
                BankKind::Bram => SramBank::new(cfg.lanes, cfg.bank_depth, wb)
                    .collision_free()
                    .uninit_read(),
                BankKind::Spram => SramBank::new_spram(cfg.lanes, wb),
            },
            mxl: MxuLoad::new(cfg),
            mxr: MxuRun::new(cfg),
            array: MatmulArray::new(
                cfg.lanes,
                cfg.cols,
                wb,
                match cfg.dsp_style {
                    DspStyle::Infer => MulImpl::Infer,
                    DspStyle::Ice40Mac16 => MulImpl::Ice40Mac16,
                },
                cfg.array_dsp_mults,
                cfg.array_feed_stages,
            ),
            acc: Accumulator::new(cfg.cols, cfg.acc_depth).read_stage(cfg.acc_read_stage),
            rq: Requantizer::new(cfg),
            vxu: Vxu::new(cfg),
            lsend: LinkSend::new(cfg.lanes, cfg.link_frame_cycles())
                .bounds(cfg.banks, cfg.act_depth.max(cfg.bank_depth))
                .read_stages(b),
            lrecv: LinkRecv::new(cfg.lanes, cfg.link_frame_cycles())
                .bounds(cfg.banks, cfg.act_depth.max(cfg.bank_depth)),
            swap_d: Default::default(),
            wvalid_d: Default::default(),
            wsel_d: Default::default(),
            // With the accumulator's read stage its row and valid bit are due two cycles
            // before the sums (`Accumulator::read_stage`: its address register, then the
            // read a cycle before them).
            tag_valid: Delay::new(tag_delay - 2 * e),
            tag_first: Delay::new(tag_delay),
            // On the UP5K (SPRAM weight banks) logic cells are scarcer than block RAM:
            // the accumulator-row tags travel in one, their valid bits in flip-flops.
            tag_addr: match cfg.weight_bank_kind {
                BankKind::Spram => Delay::new(tag_delay - 2 * e).in_block_ram(),
                BankKind::Bram => Delay::new(tag_delay - 2 * e),
            },
            pbank_d: Default::default(),
            rabank_d: Default::default(),
            rbbank_d: Default::default(),
            hbank_d: Default::default(),
            sbank_d: Default::default(),
            hspace_d: Default::default(),
            wbank_we: Default::default(),
            a_we: Default::default(),
            aw_we: Default::default(),
            aw_addr: Default::default(),
            aw_data: crate::vec_of(cfg.lanes),
            ww_we: Default::default(),
            ww_addr: crate::vec_of(wb),
            ww_data: crate::vec_of(wb * cfg.lanes),
            uw_pend: Default::default(),
            ar0_r: crate::vec_of(ba),
            wra_r: crate::vec_of(ba * wb),
            pdec: crate::vec_of(ba),
            radec: crate::vec_of(ba),
            rbdec: crate::vec_of(ba),
            sdec: crate::vec_of(ba),
            pbank_p: crate::vec_of(ba),
            rabank_p: crate::vec_of(ba),
            rbbank_p: crate::vec_of(ba),
            sbank_p: crate::vec_of(ba),
            poh_d: crate::vec_of(ba),
            raoh_d: crate::vec_of(ba),
            rboh_d: crate::vec_of(ba),
            soh_d: crate::vec_of(ba),
            out_act: crate::vec_of(bo * cfg.lanes),
            out_w: crate::vec_of(bo * wb * cfg.lanes),
            poh_e: crate::vec_of(bo),
            raoh_e: crate::vec_of(bo),
            rboh_e: crate::vec_of(bo),
            soh_e: crate::vec_of(bo),
            poh: crate::vec_of(ba),
            raoh: crate::vec_of(ba),
            rboh: crate::vec_of(ba),
            soh: crate::vec_of(ba),
            ad: crate::vec_of(cfg.lanes),
            wd: crate::vec_of(wb * cfg.lanes),
            swap_p: crate::delays(b),
            wvalid_p: crate::delays(b),
            wsel_p: crate::delays(b),
            mxl_bt: crate::read_tail::read_tails(b),
            ret_act: crate::vec_of(br * cfg.lanes),
            ret_w: crate::vec_of(br * wb * cfg.lanes),
            ret_p: crate::vec_of(br * cfg.lanes),
            ret_a: crate::vec_of(br * cfg.lanes),
            ret_b: crate::vec_of(br * cfg.lanes),
            ret_s: crate::vec_of(br * cfg.lanes),
            m_p: crate::vec_of(cfg.lanes),
            m_b: crate::vec_of(cfg.lanes),
            m_s: crate::vec_of(cfg.lanes),
            r_a: crate::vec_of(cfg.lanes),
            hq_i: crate::vec_of(hq * 8),
            hq_a: crate::vec_of(hq * bytes),
            hq_r: crate::vec_of(hq2 * cfg.cols),
            pd_r: crate::vec_of(hq),
            hrow: crate::vec_of(hq * cfg.cols),
            a_re: Default::default(),
            a_bank: Default::default(),
            a_addr: Default::default(),
            a_ret: crate::vec_of(cfg.lanes),
            hs_we: Default::default(),
            hs_bank: Default::default(),
            hs_addr: Default::default(),
            hs_data: crate::vec_of(cfg.lanes),
            ar0: Default::default(),
            aw0: Default::default(),
            awd: crate::vec_of(cfg.lanes),
            wra: crate::vec_of(wb),
            wwa: crate::vec_of(wb),
            wwd: crate::vec_of(wb * cfg.lanes),
            // The units' bank numbers are < banks (ILLEGAL) and accumulator rows
            // < acc_depth (RANGE): masking the tags with these lets synthesis drop the
            // registers' constant upper bits.
            bank_mask: crate::range_mask(cfg.banks),
            acc_mask: crate::range_mask(cfg.acc_depth),
            _lanes: cfg.lanes,
            _cols: cfg.cols,
            _wb: wb,
            _bytes: bytes,
            _piece: piece,
            _pieces: cfg.cols / piece,
            _b: ba,
            _bo: bo,
            _br: br,
            _hq: hq,
            _hq2: hq2,
            _banks: cfg.banks,
        }
    }
}

impl Logic for Tile {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, swap_d, wvalid_d, wsel_d, pbank_d, rabank_d, rbbank_d, hbank_d, hspace_d,
            sbank_d, aw_we, aw_addr, ww_we, uw_pend
        );
        clock!(
            self, clock, host, seq, imem, act_bank, wbank, mxl, mxr, array, acc, rq, vxu, lsend,
            lrecv, tag_valid, tag_first, tag_addr
        );
        // Host bus and sequencer.
        self.host.bus_we.next = self.bus_we.val();
        self.host.bus_re.next = self.bus_re.val();
        self.host.bus_addr.next = self.bus_addr.val();
        self.host.bus_wdata.next = self.bus_wdata.val();
        self.bus_rdata.next = self.host.bus_rdata.val();
        self.host.busy.next = self.seq.busy.val();
        self.host.running.next = self.seq.running.val();
        self.host.err.next = self.seq.err.val();
        self.host.err_pc.next = self.seq.err_pc.val();
        self.host.cycles.next = self.seq.cycles.val();
        self.busy.next = self.seq.busy.val();
        self.error.next = self.seq.err.val() != 0;
        self.seq.start.next = self.host.start.val();
        self.seq.mxl_ready.next = self.mxl.ready.val();
        self.seq.mxr_ready.next = self.mxr.ready.val();
        self.seq.rqu_ready.next = self.rq.ready.val();
        self.seq.vxu_ready.next = self.vxu.ready.val();
        self.seq.tx_ready.next = self.lsend.ready.val();
        self.seq.rx_ready.next = self.lrecv.ready.val();
        self.seq.recv_err.next = self.lrecv.err.val();
        self.seq.send_err.next = self.lsend.err.val();
        self.seq.units_active.next = self.mxl.active.val()
            | self.array.feed_pending.val()
            | self.mxr.active.val()
            | self.rq.active.val()
            | self.vxu.active.val()
            | self.lsend.active.val()
            | self.lrecv.active.val()
            | self.uw_pend.q.val();
        // With bank read stages an install's last shadow write comes `b` cycles after
        // `mxu.load`'s tail: `mxl_bt` counts them, then `wvalid_d` (every other unit
        // counts its own).
        for k in 0..self._b {
            self.mxl_bt[k].clock.next = self.clock.val();
            self.mxl_bt[k].read.next = self.mxl.re.val();
            self.seq.units_active.next =
                self.seq.units_active.val() | self.mxl_bt[k].busy.val() | self.wvalid_d.q.val();
        }
        // Instruction memory: the sequencer reads; the host loads and stores when idle.
        self.imem.raddr[0].next = self.seq.imem_raddr.val();
        if self.host.ld.val() & (self.host.space.val() == 1) {
            self.imem.raddr[0].next = self.host.mword.val();
        }
        self.imem.we.next = 0.into();
        if self.host.st.val() & (self.host.space.val() == 1) {
            self.imem.we.next = 1.into();
        }
        self.imem.waddr[0].next = self.host.mword.val();
        // The predecode byte is computed on the way in and stored beside the word.
        self.predec.addr.next = self.host.mword.val();
        for i in 0..8 {
            self.imem.wdata[i].next = self.host.sbytes[i].val();
            self.predec.ib[i].next = self.host.sbytes[i].val();
        }
        self.imem.wdata[8].next = self.predec.p.val();
        // With two or more load stages (the large tiles) the predecode byte is registered
        // on its way: the staging buffer and the word address are written at least a
        // cycle before the store command's strobe (`host_port`'s `st_r`), so the register
        // holds the word's byte by then.
        for _h in 0..self._hq {
            self.pd_r[0].clock.next = self.clock.val();
            self.pd_r[0].d.next = self.predec.p.val();
            self.imem.wdata[8].next = self.pd_r[0].q.val();
        }
        for i in 0..9 {
            self.seq.imem_rdata[i].next = self.imem.rdata[i].val();
        }
        // Unit issue.
        self.mxl.issue.next = self.seq.iss_mxl.val();
        self.mxl.pre.next = self.seq.pre_mxl.val();
        self.mxl.w.next = self.seq.w.val();
        self.mxr.issue.next = self.seq.iss_mxr.val();
        self.mxr.pre.next = self.seq.pre_mxr.val();
        self.mxr.a.next = self.seq.a.val();
        self.mxr.rows.next = self.seq.rows.val();
        self.mxr.acc.next = self.seq.acc.val();
        self.mxr.swap_in.next = self.seq.swap.val();
        self.mxr.accumulate.next = self.seq.accumulate.val();
        self.rq.issue_param.next = self.seq.iss_rqp.val();
        self.rq.pre_param.next = self.seq.pre_rqp.val();
        self.rq.issue_run.next = self.seq.iss_rqr.val();
        self.rq.bank.next = self.seq.d_bank.val();
        self.rq.word.next = self.seq.d_word.val();
        self.rq.acc.next = self.seq.acc.val();
        self.rq.rows.next = self.seq.rows.val();
        self.rq.relu.next = self.seq.relu.val();
        self.vxu.issue.next = self.seq.iss_vx.val();
        self.vxu.pre.next = self.seq.pre_vx.val();
        self.vxu.op.next = self.seq.vop.val();
        self.vxu.len.next = self.seq.vlen.val();
        self.vxu.dst_bank.next = self.seq.d_bank.val();
        self.vxu.dst_word.next = self.seq.d_word.val();
        self.vxu.a_bank.next = self.seq.a_bank.val();
        self.vxu.a_word.next = self.seq.a_word.val();
        self.vxu.b_bank.next = self.seq.b_bank.val();
        self.vxu.b_word.next = self.seq.b_word.val();
        self.lsend.issue.next = self.seq.iss_send.val();
        self.lsend.pre.next = self.seq.pre_send.val();
        self.lsend.bank.next = self.seq.d_bank.val();
        self.lsend.word.next = self.seq.d_word.val();
        self.lsend.len.next = self.seq.vlen.val();
        self.lrecv.issue.next = self.seq.iss_recv.val();
        self.lrecv.bank.next = self.seq.d_bank.val();
        self.lrecv.word.next = self.seq.d_word.val();
        self.lrecv.len.next = self.seq.vlen.val();
        // Link: the transmitter's buffer and post, the receiver's buffer and deliveries,
        // the host's LINK_FLUSH and link registers.
        self.tx_we.next = self.lsend.tx_we.val();
        self.tx_waddr.next = self.lsend.tx_waddr.val();
        self.tx_post.next = self.lsend.tx_post.val();
        self.tx_tag.next = self.lsend.tx_tag.val();
        self.lsend.tx_busy.next = self.tx_busy.val();
        self.lsend.tx_next_slot.next = self.tx_next_slot.val();
        self.lrecv.rx_valid.next = self.rx_valid.val();
        self.lrecv.rx_slot.next = self.rx_slot.val();
        self.lrecv.rx_seq.next = self.rx_seq.val();
        self.rx_raddr.next = self.lrecv.rx_raddr.val();
        for l in 0..self._lanes {
            self.tx_wdata[l].next = self.lsend.tx_wdata[l].val();
            self.lrecv.rx_rdata[l].next = self.rx_rdata[l].val();
        }
        self.lrecv.flush.next = self.host.flush.val();
        self.host.link_status.next = (bit_cast::<32, 8>(self.lrecv.eseq.val()) << 8)
            | (bit_cast::<32, 3>(self.lrecv.avail.val()) << 2);
        if self.lrecv.fault.val() {
            self.host.link_status.next = self.host.link_status.val() | 2;
        }
        if self.lk_locked.val() {
            self.host.link_status.next = self.host.link_status.val() | 1;
        }
        self.host.lk_tx_frames.next = self.lk_tx_frames.val();
        self.host.lk_rx_frames.next = self.lk_rx_frames.val();
        self.host.lk_crc_errors.next = self.lk_crc_errors.val();
        self.host.lk_align_lost.next = self.lk_align_lost.val();
        self.host.lk_overflows.next = self.lk_overflows.val();
        self.host.lk_missing.next = self.lk_missing.val();
        // Matmul datapath: tags meet the bank data one clock after the read, and the
        // array's sums ARRAY_LATENCY + array_feed_stages clocks after that.
        self.swap_d.d.next = self.mxr.re.val() & self.mxr.swap.val();
        self.wvalid_d.d.next = self.mxl.re.val();
        self.wsel_d.d.next = self.mxl.wsel.val();
        for k in 0..self._b {
            self.swap_p[k].clock.next = self.clock.val();
            self.wvalid_p[k].clock.next = self.clock.val();
            self.wsel_p[k].clock.next = self.clock.val();
            self.swap_p[k].d.next = (self.mxr.re.val() & self.mxr.swap.val()).into();
            self.wvalid_p[k].d.next = self.mxl.re.val().into();
            self.wsel_p[k].d.next = self.mxl.wsel.val();
            self.swap_d.d.next = self.swap_p[k].q.val().any();
            self.wvalid_d.d.next = self.wvalid_p[k].q.val().any();
            self.wsel_d.d.next = self.wsel_p[k].q.val();
        }
        self.tag_valid.d.next = self.mxr.re.val().into();
        self.tag_first.d.next = self.mxr.first.val().into();
        self.tag_addr.d.next = self.mxr.acc_addr.val() & self.acc_mask.val();
        self.array.swap.next = self.swap_d.q.val();
        self.array.wvalid.next = self.wvalid_d.q.val();
        self.array.wsel.next = self.wsel_d.q.val();
        self.acc.valid.next = self.tag_valid.q.val().any();
        self.acc.first.next = self.tag_first.q.val().any();
        self.acc.addr.next = self.tag_addr.q.val();
        self.acc.raddr.next = self.host.mword.val();
        if self.rq.acc_re.val() {
            self.acc.raddr.next = self.rq.acc_raddr.val();
        }
        for c in 0..self._cols {
            self.acc.partial[c].next = self.array.sum[c].val();
            self.rq.acc_rdata[c].next = self.acc.rdata[c].val();
        }
        // The host's bank loads share the vector unit's first read port: the host touches
        // the banks only while the tile is not busy (HostPort ignores CMD while `busy`,
        // which covers every unit's activity), when the vector unit does not read. Its
        // stores (`hs_*`) are one more OR user of the write ports, so that the vector
        // unit's write data reaches them through no extra multiplexer.
        self.a_re.next = self.vxu.re_a.val();
        self.a_bank.next = self.vxu.ra_bank.val();
        self.a_addr.next = self.vxu.ra_addr.val();
        if self.host.ld.val() & (self.host.space.val() == 0) {
            self.a_re.next = true;
            self.a_bank.next = self.host.mbank.val();
            self.a_addr.next = self.host.mword.val();
        }
        self.hs_we.next = self.host.st.val() & (self.host.space.val() == 0);
        self.hs_bank.next = self.host.mbank.val();
        self.hs_addr.next = self.host.mword.val();
        for l in 0..self._lanes {
            self.hs_data[l].next = self.host.sbytes[l].val();
        }
        // Bank numbers of last cycle's reads, to route the data back.
        self.pbank_d.d.next = self.rq.pbank.val() & self.bank_mask.val();
        self.rabank_d.d.next = self.a_bank.val() & self.bank_mask.val();
        self.rbbank_d.d.next = self.vxu.rb_bank.val() & self.bank_mask.val();
        self.hbank_d.d.next = self.host.mbank.val();
        self.hspace_d.d.next = self.host.space.val();
        self.sbank_d.d.next = self.lsend.r_bank.val() & self.bank_mask.val();
        for k in 0..self._b {
            self.pbank_p[k].clock.next = self.clock.val();
            self.rabank_p[k].clock.next = self.clock.val();
            self.rbbank_p[k].clock.next = self.clock.val();
            self.sbank_p[k].clock.next = self.clock.val();
            self.poh_d[k].clock.next = self.clock.val();
            self.raoh_d[k].clock.next = self.clock.val();
            self.rboh_d[k].clock.next = self.clock.val();
            self.soh_d[k].clock.next = self.clock.val();
            self.pdec[k].next = 0.into();
            self.radec[k].next = 0.into();
            self.rbdec[k].next = 0.into();
            self.sdec[k].next = 0.into();
            for j in 0..self._banks {
                if self.rq.pbank.val().index() == j {
                    self.pdec[k].next = self.pdec[k].val() | (1 << j);
                }
                if self.a_bank.val().index() == j {
                    self.radec[k].next = self.radec[k].val() | (1 << j);
                }
                if self.vxu.rb_bank.val().index() == j {
                    self.rbdec[k].next = self.rbdec[k].val() | (1 << j);
                }
                if self.lsend.r_bank.val().index() == j {
                    self.sdec[k].next = self.sdec[k].val() | (1 << j);
                }
            }
            self.pbank_p[k].d.next = self.pdec[k].val();
            self.rabank_p[k].d.next = self.radec[k].val();
            self.rbbank_p[k].d.next = self.rbdec[k].val();
            self.sbank_p[k].d.next = self.sdec[k].val();
            self.poh_d[k].d.next = self.pbank_p[k].q.val();
            self.raoh_d[k].d.next = self.rabank_p[k].q.val();
            self.rboh_d[k].d.next = self.rbbank_p[k].q.val();
            self.soh_d[k].d.next = self.sbank_p[k].q.val();
            self.poh[k].next = self.poh_d[k].q.val();
            self.raoh[k].next = self.raoh_d[k].q.val();
            self.rboh[k].next = self.rboh_d[k].q.val();
            self.soh[k].next = self.soh_d[k].q.val();
            for j in 0..self._bo {
                self.poh_e[j].clock.next = self.clock.val();
                self.raoh_e[j].clock.next = self.clock.val();
                self.rboh_e[j].clock.next = self.clock.val();
                self.soh_e[j].clock.next = self.clock.val();
                self.poh_e[j].d.next = self.poh_d[k].q.val();
                self.raoh_e[j].d.next = self.raoh_d[k].q.val();
                self.rboh_e[j].d.next = self.rboh_d[k].q.val();
                self.soh_e[j].d.next = self.soh_d[k].q.val();
                self.poh[k].next = self.poh_e[j].q.val();
                self.raoh[k].next = self.raoh_e[j].q.val();
                self.rboh[k].next = self.rboh_e[j].q.val();
                self.soh[k].next = self.soh_e[j].q.val();
            }
        }
        // The banks' words as the route-back multiplexers and the array take them: at
        // the SRAMs' outputs, or a cycle later from the third stage's registers.
        for l in 0..self._lanes {
            self.ad[l].next = self.act_bank.rdata[l].val();
        }
        for nl in self._lanes..one_more(self._lanes) {
            for b in 0..self._wb {
                for l in 0..self._lanes {
                    self.wd[b * nl + l].next = self.wbank.rdata[b * nl + l].val();
                }
            }
        }
        for _o in 0..self._bo {
            for l in 0..self._lanes {
                self.out_act[l].clock.next = self.clock.val();
                self.out_act[l].d.next = self.act_bank.rdata[l].val();
                self.ad[l].next = self.out_act[l].q.val();
            }
            for nl in self._lanes..one_more(self._lanes) {
                for b in 0..self._wb {
                    for l in 0..self._lanes {
                        self.out_w[b * nl + l].clock.next = self.clock.val();
                        self.out_w[b * nl + l].d.next = self.wbank.rdata[b * nl + l].val();
                        self.wd[b * nl + l].next = self.out_w[b * nl + l].q.val();
                    }
                }
            }
        }
        // Bank ports. A port's address and data are the OR of its users' values, each
        // gated by that user's enable: at most one user drives a port in a cycle (the
        // checker's port-conflict rule; the host only while the tile is not busy), and
        // an undriven port's address and data are don't-cares (no write; read data that
        // nobody takes). Two levels of LUTs instead of a priority chain per bit.
        // Bank 0.
        self.ar0.next = 0.into();
        if self.mxr.re.val() {
            self.ar0.next = self.ar0.val() | self.mxr.addr.val();
        }
        if self.rq.preq.val() & (self.rq.pbank.val() == 0) {
            self.ar0.next = self.ar0.val() | self.rq.paddr.val();
        }
        if self.a_re.val() & (self.a_bank.val() == 0) {
            self.ar0.next = self.ar0.val() | self.a_addr.val();
        }
        if self.vxu.re_b.val() & (self.vxu.rb_bank.val() == 0) {
            self.ar0.next = self.ar0.val() | self.vxu.rb_addr.val();
        }
        if self.lsend.re.val() & (self.lsend.r_bank.val() == 0) {
            self.ar0.next = self.ar0.val() | self.lsend.r_addr.val();
        }
        self.act_bank.raddr[0].next = self.ar0.val();
        for k in 0..self._b {
            self.ar0_r[k].clock.next = self.clock.val();
            self.ar0_r[k].d.next = self.ar0.val();
            self.act_bank.raddr[0].next = self.ar0_r[k].q.val();
        }
        self.a_we.next = false;
        self.aw0.next = 0.into();
        for l in 0..self._lanes {
            self.awd[l].next = 0.into();
            self.array.act[l].next = self.ad[l].val();
        }
        for _r in 0..self._br {
            for l in 0..self._lanes {
                self.ret_act[l].clock.next = self.clock.val();
                self.ret_act[l].d.next = self.ad[l].val();
                self.array.act[l].next = self.ret_act[l].q.val();
            }
        }
        if self.rq.out_we.val() & (self.rq.out_bank.val() == 0) {
            self.a_we.next = true;
            self.aw0.next = self.aw0.val() | self.rq.out_addr.val();
            for l in 0..self._lanes {
                self.awd[l].next = self.awd[l].val() | self.rq.out_data[l].val();
            }
        }
        if self.vxu.we.val() & (self.vxu.w_bank.val() == 0) {
            self.a_we.next = true;
            self.aw0.next = self.aw0.val() | self.vxu.w_addr.val();
            for l in 0..self._lanes {
                self.awd[l].next = self.awd[l].val() | self.vxu.w_data[l].val();
            }
        }
        if self.hs_we.val() & (self.hs_bank.val() == 0) {
            self.a_we.next = true;
            self.aw0.next = self.aw0.val() | self.hs_addr.val();
            for l in 0..self._lanes {
                self.awd[l].next = self.awd[l].val() | self.hs_data[l].val();
            }
        }
        if self.lrecv.we.val() & (self.lrecv.w_bank.val() == 0) {
            self.a_we.next = true;
            self.aw0.next = self.aw0.val() | self.lrecv.w_addr.val();
            for l in 0..self._lanes {
                self.awd[l].next = self.awd[l].val() | self.lrecv.w_data[l].val();
            }
        }
        self.aw_we.d.next = self.a_we.val();
        self.aw_addr.d.next = self.aw0.val();
        self.act_bank.we.next = 0.into();
        if self.aw_we.q.val() {
            self.act_bank.we.next = 1.into();
        }
        self.act_bank.waddr[0].next = self.aw_addr.q.val();
        for l in 0..self._lanes {
            self.aw_data[l].clock.next = self.clock.val();
            self.aw_data[l].d.next = self.awd[l].val();
            self.act_bank.wdata[l].next = self.aw_data[l].q.val();
        }
        // A unit's write is in flight (the host's stores are not unit activity).
        self.uw_pend.d.next = self.rq.out_we.val() | self.vxu.we.val() | self.lrecv.we.val();
        // Weight banks: group b is bank b + 1.
        self.wbank_we.next = 0.into();
        for nl in self._lanes..one_more(self._lanes) {
            for b in 0..self._wb {
                self.wra[b].next = 0.into();
                if self.mxl.re.val() {
                    self.wra[b].next = self.wra[b].val() | self.mxl.addr.val();
                }
                if self.rq.preq.val() & (self.rq.pbank.val().index() == b + 1) {
                    self.wra[b].next = self.wra[b].val() | self.rq.paddr.val();
                }
                if self.a_re.val() & (self.a_bank.val().index() == b + 1) {
                    self.wra[b].next = self.wra[b].val() | self.a_addr.val();
                }
                if self.vxu.re_b.val() & (self.vxu.rb_bank.val().index() == b + 1) {
                    self.wra[b].next = self.wra[b].val() | self.vxu.rb_addr.val();
                }
                if self.lsend.re.val() & (self.lsend.r_bank.val().index() == b + 1) {
                    self.wra[b].next = self.wra[b].val() | self.lsend.r_addr.val();
                }
                self.wbank.raddr[b].next = self.wra[b].val();
                for _k in 0..self._b {
                    self.wra_r[b].clock.next = self.clock.val();
                    self.wra_r[b].d.next = self.wra[b].val();
                    self.wbank.raddr[b].next = self.wra_r[b].q.val();
                }
                self.wwa[b].next = 0.into();
                for l in 0..self._lanes {
                    self.array.wdata[b * nl + l].next = self.wd[b * nl + l].val();
                    self.wwd[b * nl + l].next = 0.into();
                }
                for _r in 0..self._br {
                    for l in 0..self._lanes {
                        self.ret_w[b * nl + l].clock.next = self.clock.val();
                        self.ret_w[b * nl + l].d.next = self.wd[b * nl + l].val();
                        self.array.wdata[b * nl + l].next = self.ret_w[b * nl + l].q.val();
                    }
                }
                if self.rq.out_we.val() & (self.rq.out_bank.val().index() == b + 1) {
                    self.wbank_we.next = self.wbank_we.val() | (1 << b);
                    self.wwa[b].next = self.wwa[b].val() | self.rq.out_addr.val();
                    for l in 0..self._lanes {
                        self.wwd[b * nl + l].next =
                            self.wwd[b * nl + l].val() | self.rq.out_data[l].val();
                    }
                }
                if self.vxu.we.val() & (self.vxu.w_bank.val().index() == b + 1) {
                    self.wbank_we.next = self.wbank_we.val() | (1 << b);
                    self.wwa[b].next = self.wwa[b].val() | self.vxu.w_addr.val();
                    for l in 0..self._lanes {
                        self.wwd[b * nl + l].next =
                            self.wwd[b * nl + l].val() | self.vxu.w_data[l].val();
                    }
                }
                if self.hs_we.val() & (self.hs_bank.val().index() == b + 1) {
                    self.wbank_we.next = self.wbank_we.val() | (1 << b);
                    self.wwa[b].next = self.wwa[b].val() | self.hs_addr.val();
                    for l in 0..self._lanes {
                        self.wwd[b * nl + l].next =
                            self.wwd[b * nl + l].val() | self.hs_data[l].val();
                    }
                }
                if self.lrecv.we.val() & (self.lrecv.w_bank.val().index() == b + 1) {
                    self.wbank_we.next = self.wbank_we.val() | (1 << b);
                    self.wwa[b].next = self.wwa[b].val() | self.lrecv.w_addr.val();
                    for l in 0..self._lanes {
                        self.wwd[b * nl + l].next =
                            self.wwd[b * nl + l].val() | self.lrecv.w_data[l].val();
                    }
                }
                self.ww_addr[b].clock.next = self.clock.val();
                self.ww_addr[b].d.next = self.wwa[b].val();
                self.wbank.waddr[b].next = self.ww_addr[b].q.val();
                for l in 0..self._lanes {
                    self.ww_data[b * nl + l].clock.next = self.clock.val();
                    self.ww_data[b * nl + l].d.next = self.wwd[b * nl + l].val();
                    self.wbank.wdata[b * nl + l].next = self.ww_data[b * nl + l].q.val();
                }
            }
        }
        self.ww_we.d.next = self.wbank_we.val();
        self.wbank.we.next = self.ww_we.q.val();
        // Read data back to whoever asked: bank 0, then the weight banks.
        for l in 0..self._lanes {
            self.m_p[l].next = self.ad[l].val();
            self.a_ret[l].next = self.ad[l].val();
            self.m_b[l].next = self.ad[l].val();
            self.m_s[l].next = self.ad[l].val();
        }
        for nl in self._lanes..one_more(self._lanes) {
            for b in 0..self._wb {
                for l in 0..self._lanes {
                    if self.pbank_d.q.val().index() == b + 1 {
                        self.m_p[l].next = self.wd[b * nl + l].val();
                    }
                    if self.rabank_d.q.val().index() == b + 1 {
                        self.a_ret[l].next = self.wd[b * nl + l].val();
                    }
                    if self.rbbank_d.q.val().index() == b + 1 {
                        self.m_b[l].next = self.wd[b * nl + l].val();
                    }
                    if self.sbank_d.q.val().index() == b + 1 {
                        self.m_s[l].next = self.wd[b * nl + l].val();
                    }
                }
            }
        }
        // With the first stage: the AND-OR over the banks with the one-hot tags instead.
        for k in 0..self._b {
            for l in 0..self._lanes {
                self.m_p[l].next = 0.into();
                self.a_ret[l].next = 0.into();
                self.m_b[l].next = 0.into();
                self.m_s[l].next = 0.into();
                if self.poh[k].val().get_bit(0) {
                    self.m_p[l].next = self.ad[l].val();
                }
                if self.raoh[k].val().get_bit(0) {
                    self.a_ret[l].next = self.ad[l].val();
                }
                if self.rboh[k].val().get_bit(0) {
                    self.m_b[l].next = self.ad[l].val();
                }
                if self.soh[k].val().get_bit(0) {
                    self.m_s[l].next = self.ad[l].val();
                }
            }
            for nl in self._lanes..one_more(self._lanes) {
                for b in 0..self._wb {
                    for l in 0..self._lanes {
                        if self.poh[k].val().get_bit(b + 1) {
                            self.m_p[l].next = self.m_p[l].val() | self.wd[b * nl + l].val();
                        }
                        if self.raoh[k].val().get_bit(b + 1) {
                            self.a_ret[l].next = self.a_ret[l].val() | self.wd[b * nl + l].val();
                        }
                        if self.rboh[k].val().get_bit(b + 1) {
                            self.m_b[l].next = self.m_b[l].val() | self.wd[b * nl + l].val();
                        }
                        if self.soh[k].val().get_bit(b + 1) {
                            self.m_s[l].next = self.m_s[l].val() | self.wd[b * nl + l].val();
                        }
                    }
                }
            }
        }
        for l in 0..self._lanes {
            self.rq.prdata[l].next = self.m_p[l].val();
            self.r_a[l].next = self.a_ret[l].val();
            self.vxu.rb[l].next = self.m_b[l].val();
            self.lsend.rdata[l].next = self.m_s[l].val();
        }
        // The second bank read stage: the words registered on their way to the readers.
        for _r in 0..self._br {
            for l in 0..self._lanes {
                self.ret_p[l].clock.next = self.clock.val();
                self.ret_a[l].clock.next = self.clock.val();
                self.ret_b[l].clock.next = self.clock.val();
                self.ret_s[l].clock.next = self.clock.val();
                self.ret_p[l].d.next = self.m_p[l].val();
                self.ret_a[l].d.next = self.a_ret[l].val();
                self.ret_b[l].d.next = self.m_b[l].val();
                self.ret_s[l].d.next = self.m_s[l].val();
                self.rq.prdata[l].next = self.ret_p[l].q.val();
                self.r_a[l].next = self.ret_a[l].q.val();
                self.vxu.rb[l].next = self.ret_b[l].q.val();
                self.lsend.rdata[l].next = self.ret_s[l].q.val();
            }
        }
        for l in 0..self._lanes {
            self.vxu.ra[l].next = self.r_a[l].val();
        }
        // Host loads: a bank word, an instruction, or an accumulator row, as bytes.
        for k in 0..self._bytes {
            self.host.ld_data[k].next = 0.into();
        }
        if self.hspace_d.q.val() == 0 {
            for l in 0..self._lanes {
                self.host.ld_data[l].next = self.r_a[l].val();
            }
        }
        if self.hspace_d.q.val() == 1 {
            for i in 0..8 {
                self.host.ld_data[i].next = self.imem.rdata[i].val();
            }
        }
        // An accumulator row in pieces of `_piece` columns, the piece chosen by the
        // host's bank field (ignored when it names no piece: the buffer reads 0).
        if self.hspace_d.q.val() == 2 {
            for n in self._piece..one_more(self._piece) {
                for g in 0..self._pieces {
                    if self.hbank_d.q.val().index() == g {
                        for c in 0..self._piece {
                            for j in 0..4 {
                                self.host.ld_data[4 * c + j].next =
                                    self.acc.rdata[g * n + c].val().get_bits::<8>(8 * j);
                            }
                        }
                    }
                }
            }
        }
        // With two or more load stages the instruction word and the accumulator row's
        // piece come from registers next to their memories (`hq_i`, `hq_a`).
        for _h in 0..self._hq {
            for i in 0..8 {
                self.hq_i[i].clock.next = self.clock.val();
                self.hq_i[i].d.next = self.imem.rdata[i].val();
            }
            for k in 0..self._bytes {
                self.hq_a[k].clock.next = self.clock.val();
                self.hq_a[k].d.next = 0.into();
            }
            for c in 0..self._cols {
                self.hrow[c].next = self.acc.rdata[c].val();
            }
            for _r in 0..self._hq2 {
                for c in 0..self._cols {
                    self.hq_r[c].clock.next = self.clock.val();
                    self.hq_r[c].d.next = self.acc.rdata[c].val();
                    self.hrow[c].next = self.hq_r[c].q.val();
                }
            }
            for n in self._piece..one_more(self._piece) {
                for g in 0..self._pieces {
                    if self.hbank_d.q.val().index() == g {
                        for c in 0..self._piece {
                            for j in 0..4 {
                                self.hq_a[4 * c + j].d.next =
                                    self.hrow[g * n + c].val().get_bits::<8>(8 * j);
                            }
                        }
                    }
                }
            }
            if self.hspace_d.q.val() == 1 {
                for i in 0..8 {
                    self.host.ld_data[i].next = self.hq_i[i].q.val();
                }
            }
            if self.hspace_d.q.val() == 2 {
                for k in 0..self._bytes {
                    self.host.ld_data[k].next = self.hq_a[k].q.val();
                }
            }
        }
    }
}
