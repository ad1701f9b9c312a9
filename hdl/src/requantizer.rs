//! `Requantizer`: the requantize/ReLU unit (RQU): `rq.param` loads the per-column
//! parameters from SRAM, `rq.run` streams accumulator rows through `rql`
//! [`RequantLanes`] and writes int8 vectors into a bank.
//!
//! ```text
//!   issue_param, src --> preq/pbank/paddr --> bank --> prdata[lanes] --> parameter bytes
//!   issue_run, acc, rows, dst, relu --> acc_re/acc_raddr --> Accumulator --> acc_rdata[cols]
//!        --(column group `beat`)--> RequantLanes x rql --> row register --> out_we/bank/addr/data
//! ```
//! **Parameters** (`docs/isa.md`): `pw` words: int32 biases little-endian, then uint16
//! multipliers, then shift bytes, each section starting on a word. They shift into a
//! byte register as the words arrive (word `k` ends at bytes `k*lanes ..`). During a
//! run the bias bytes turn by one column group each time a group enters the lanes (a
//! row's groups bring them back), so the lanes take their biases from fixed bytes.
//! With one serial lane of 4 or more steps and words of 4 or more bytes (`pram`, the
//! iCEBreaker) the words go instead into a small RAM at their index as they arrive, and
//! each group reads its bias, multiplier and shift words in its first three beats, the
//! lane taking them at `start`, `start+1`, `start+2`
//! ([`RequantLanes::late_params`]): 2 block RAMs instead of `pw * lanes` byte
//! registers.
//! **Rows**: each row takes `beats = cols / rql * steps` cycles (`steps` =
//! `requant_steps`): `cols / rql` column groups of `steps` beats. The row is read again
//! in every beat; at the first beat of group `j` (`sub` = 0) columns `j*rql ..` enter the
//! lanes with their parameters (serial lanes then work on them for `steps` cycles); each
//! group's finished values shift into a row register (by `rql` columns, so after the
//! row's last group group `g` sits at columns `g*rql ..`) that is written out after the
//! last beat. Lanes `cols..lanes` are 0.
//! - **Timing** (issue at `t`): `rq.param` reads `t+1 .. t+pw`, the parameters are in
//!   place at the end of `t+pw+1+b` (`b`: `TileConfig::bank_read_stages`, the tile's
//!   register on the banks' read address); `rq.run` reads the accumulator `t+1 .. t+R*beats` and
//!   writes row `r` at `t+(r+1)*beats+7` (drives the bank write port then; the tile's
//!   registered bank port lands it a cycle later, `docs/isa.md`).
//! - **Accumulator read stage** (`TileConfig::acc_read_stage`): the accumulator
//!   registers the read address and the word read, so a row arrives three clocks after
//!   the unit asks for it instead of one (the block RAM reads it a clock after the
//!   request). Everything after the request (the lanes, the parameters they take, the
//!   row register, the write, and with `pram` the parameter RAM's read address) comes
//!   `e` = 2 clocks later: row `r` at `t+(r+1)*beats+9`, and the unit is active two
//!   clocks longer ([`RQ_DRAIN`] `+ e`).
//! - **Occupancy**: `ready` from `t+pw` (param) or `t+R*beats` (run).
//! - **Reset**: none; idle at power-up; parameters power up to zero.

use crate::delay::Delay;
use crate::one_more;
use crate::requant_lanes::{requant_lane_latency, RequantLanes, REQUANT_LANE_LATENCY};
use crate::sram_bank::SramBank;
use crate::ReadTail;
use minilpu_model::schedule::param_sections;
use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// Cycles a requantize run stays active after issuing its last read (two more with the
/// accumulator's read stage).
pub const RQ_DRAIN: usize = 1 + REQUANT_LANE_LATENCY + 1;

/// The requantize unit.
#[derive(LogicBlock)]
pub struct Requantizer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// `rq.param` was issued in the previous cycle `t` (when `ready`; the sequencer's
    /// registered strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue_param: Signal<In, Bit>,
    /// `issue_param`'s strobe before a refusal withdraws it: for the read address and bank
    /// multiplexers only, while idle (the contract is at [`crate::Sequencer::pre_mxl`]).
    pub pre_param: Signal<In, Bit>,
    /// `rq.run` was issued in the previous cycle (as `issue_param`).
    pub issue_run: Signal<In, Bit>,
    /// Bank of the parameter words / destination bank; valid with an issue.
    pub bank: Signal<In, Bits<8>>,
    /// First parameter word / first destination word; valid with an issue.
    pub word: Signal<In, Bits<16>>,
    /// First accumulator row; valid with `issue_run`.
    pub acc: Signal<In, Bits<16>>,
    /// Rows (1 ..= `acc_depth`, as the sequencer's RANGE check guarantees); valid with
    /// `issue_run`.
    pub rows: Signal<In, Bits<16>>,
    /// Apply ReLU; valid with `issue_run`.
    pub relu: Signal<In, Bit>,
    /// Can accept an issue this cycle.
    pub ready: Signal<Out, Bit>,
    /// Has effects pending in this or a later cycle.
    pub active: Signal<Out, Bit>,
    /// Read a parameter word this cycle.
    pub preq: Signal<Out, Bit>,
    /// Bank of the parameter read.
    pub pbank: Signal<Out, Bits<8>>,
    /// Word of the parameter read.
    pub paddr: Signal<Out, Bits<16>>,
    /// The word read at the previous cycle's parameter read.
    pub prdata: Vec<Signal<In, Bits<8>>>,
    /// Read the accumulator this cycle.
    pub acc_re: Signal<Out, Bit>,
    /// Accumulator row to read.
    pub acc_raddr: Signal<Out, Bits<16>>,
    /// Accumulator row read at the previous cycle's `acc_raddr`.
    pub acc_rdata: Vec<Signal<In, Bits<32>>>,
    /// Write `out_data` into `out_bank` at `out_addr` this cycle.
    pub out_we: Signal<Out, Bit>,
    /// Destination bank of the write.
    pub out_bank: Signal<Out, Bits<8>>,
    /// Destination word of the write.
    pub out_addr: Signal<Out, Bits<16>>,
    /// The int8 vector to write (lanes >= cols are zero).
    pub out_data: Vec<Signal<Out, Bits<8>>>,
    pbytes: Vec<DFF<Bits<8>>>,
    prm: SramBank<8>,
    pk: DFF<Bits<8>>,
    pram_addr: Signal<Local, Bits<16>>,
    pleft: DFF<Bits<8>>,
    pword: DFF<Bits<16>>,
    pbank_r: DFF<Bits<8>>,
    pvalid: DFF<Bit>,
    ptail: DFF<Bit>,
    // With `b` bank read stages (one entry each when `b` > 0) the parameter words
    // arrive `b` cycles later: `pvalid`, `ptail` and the issue that restarts `pk` wait
    // `b` cycles more, and `pbt` keeps the unit active in those cycles after its last
    // read.
    pvalid_p: Vec<Delay<1>>,
    ptail_p: Vec<Delay<1>>,
    piss_p: Vec<Delay<1>>,
    pbt: Vec<ReadTail>,
    piss: Signal<Local, Bit>,
    v_in: DFF<Bit>,
    // With the accumulator's read stage (`_e` = 1 entry; none when 0): `v_in` and, with
    // `pram`, the parameter RAM's read address two clocks later.
    v_in_e: Vec<Delay<1>>,
    pram_e: Vec<Delay<16>>,
    rot: Signal<Local, Bit>,
    unused_rot: Signal<Local, Bit>,
    lanes: RequantLanes,
    row: Vec<DFF<Bits<8>>>,
    run: DFF<Bit>,
    issuing: DFF<Bit>,
    left: DFF<Bits<16>>,
    beat: DFF<Bits<8>>,
    sub: DFF<Bits<8>>,
    drain: DFF<Bits<8>>,
    raddr: DFF<Bits<16>>,
    r_relu: DFF<Bit>,
    r_bank: DFF<Bits<8>>,
    wrow: DFF<Bits<16>>,
    wbank_tag: Delay<8>,
    waddr_tag: Delay<16>,
    relu_in: Delay<1>,
    beat_in: Delay<8>,
    sub_in: Delay<8>,
    done_out: Delay<1>,
    last_write: Delay<1>,
    row_end: Signal<Local, Bit>,
    last_beat: Signal<Local, Bit>,
    e_pleft: Signal<Local, Bits<8>>,
    e_pword: Signal<Local, Bits<16>>,
    e_pbank_r: Signal<Local, Bits<8>>,
    e_run: Signal<Local, Bit>,
    e_issuing: Signal<Local, Bit>,
    e_left: Signal<Local, Bits<16>>,
    e_beat: Signal<Local, Bits<8>>,
    e_sub: Signal<Local, Bits<8>>,
    e_raddr: Signal<Local, Bits<16>>,
    e_r_relu: Signal<Local, Bit>,
    e_r_bank: Signal<Local, Bits<8>>,
    e_wrow: Signal<Local, Bits<16>>,
    run_ready: Signal<Local, Bit>,
    groups_m1: Constant<Bits<8>>,
    steps_m1: Constant<Bits<8>>,
    drain_len: Constant<Bits<8>>,
    beat_mask: Constant<Bits<8>>,
    sub_mask: Constant<Bits<8>>,
    bank_mask: Constant<Bits<8>>,
    addr_mask: Constant<Bits<16>>,
    pwords: Constant<Bits<8>>,
    pleft_mask: Constant<Bits<8>>,
    drain_mask: Constant<Bits<8>>,
    left_mask: Constant<Bits<16>>,
    acc_mask: Constant<Bits<16>>,
    tag_hold: Constant<Bit>,
    pk_mask: Constant<Bits<8>>,
    bw_sh: Constant<Bits<8>>,
    mw_sh: Constant<Bits<8>>,
    sw_sh: Constant<Bits<8>>,
    mw_base: Constant<Bits<16>>,
    sw_base: Constant<Bits<16>>,
    _cols: usize,
    _lanes: usize,
    _rql: usize,
    _groups: usize,
    _keep: usize,
    _shift: usize,
    _pl: usize,
    _rqf: usize,
    _prl: usize,
    _pd: usize,
    _b: usize,
    _bq: usize,
    _mh: usize,
    _sl: usize,
    _bhi: usize,
    _mhi: usize,
    _shi: usize,
    _brot: usize,
    _bkeep: usize,
    _bsec: usize,
    _moff: usize,
    _soff: usize,
    _e: usize,
    _pe: usize,
}

impl Requantizer {
    /// The unit for `cfg`: `requant_lanes` lanes, multipliers in DSPs when
    /// `requant_dsp`, `requant_steps` cycles per column group; the parameter block
    /// layout is the ISA's
    /// ([`minilpu_model::schedule::param_sections`]).
    pub fn new(cfg: &TileConfig) -> Self {
        let (cols, lanes, rql, dsp) = (cfg.cols, cfg.lanes, cfg.requant_lanes, cfg.requant_dsp);
        let steps = cfg.requant_steps;
        // The accumulator's read stage (see the module documentation): its rows arrive
        // `e` clocks later.
        let e = cfg.requant_lane_delay() as usize;
        let drain = RQ_DRAIN + e;
        assert!(rql >= 1 && cols.is_multiple_of(rql), "rql {rql}");
        // Column groups; `beat` counts them, `sub` the steps within one.
        let groups = cols / rql;
        let [wb, wm, ws] = param_sections(cfg);
        let pw = wb + wm + ws;
        // A row's destination is needed `drain` cycles after its last read. When rows
        // take at least that long (`beats >= drain`), no later row ends before it is
        // written, so one register loaded at each row end holds it; otherwise a delay
        // line carries it.
        let tag_hold = groups * steps >= drain;
        let tag_len = if tag_hold { 1 } else { drain };
        // Parameters in a RAM (`pram`) instead of flip-flops: with one serial lane of 4+
        // steps, a group's bias, multiplier and shift words are read in its first three
        // beats (the lane takes them with late parameters). Words of 4+ bytes keep a
        // column's bias in one word. Otherwise the parameters rotate in a byte register.
        let pram = rql == 1 && steps >= 4 && !dsp && lanes >= 4 && lanes.is_power_of_two();
        let lg = lanes.trailing_zeros() as u64;
        let lanes_unit = if pram {
            RequantLanes::new(rql, dsp, steps).late_params()
        } else {
            RequantLanes::new(rql, dsp, steps).split_product(cfg.requant_split_product)
        };
        Self {
            clock: Default::default(),
            issue_param: Default::default(),
            pre_param: Default::default(),
            issue_run: Default::default(),
            bank: Default::default(),
            word: Default::default(),
            acc: Default::default(),
            rows: Default::default(),
            relu: Default::default(),
            ready: Default::default(),
            active: Default::default(),
            preq: Default::default(),
            pbank: Default::default(),
            paddr: Default::default(),
            prdata: crate::vec_of(lanes),
            acc_re: Default::default(),
            acc_raddr: Default::default(),
            acc_rdata: crate::vec_of(cols),
            out_we: Default::default(),
            out_bank: Default::default(),
            out_addr: Default::default(),
            out_data: crate::vec_of(lanes),
            pbytes: crate::vec_of(if pram { 0 } else { pw * lanes }),
            // Never read in the cycle it is written (see `update`); a dummy without `pram`.
            prm: if pram {
                SramBank::new(lanes, pw.next_power_of_two().max(2), 1)
                    .collision_free()
                    .uninit_read()
            } else {
                SramBank::new(1, 2, 1).collision_free().uninit_read()
            },
            pk: Default::default(),
            pram_addr: Default::default(),
            pleft: Default::default(),
            pword: Default::default(),
            pbank_r: Default::default(),
            pvalid: Default::default(),
            ptail: Default::default(),
            pvalid_p: crate::delays(cfg.bank_read_stages),
            ptail_p: crate::delays(cfg.bank_read_stages),
            piss_p: crate::delays(cfg.bank_read_stages),
            pbt: crate::read_tail::read_tails(cfg.bank_read_stages),
            piss: Default::default(),
            v_in: Default::default(),
            v_in_e: (0..e.min(1)).map(|_| Delay::new(e)).collect(),
            pram_e: (0..(pram as usize).min(e)).map(|_| Delay::new(e)).collect(),
            rot: Default::default(),
            unused_rot: Default::default(),
            lanes: lanes_unit,
            row: crate::vec_of(cols),
            run: Default::default(),
            issuing: Default::default(),
            left: Default::default(),
            beat: Default::default(),
            sub: Default::default(),
            drain: Default::default(),
            raddr: Default::default(),
            r_relu: Default::default(),
            r_bank: Default::default(),
            wrow: Default::default(),
            wbank_tag: Delay::new(tag_len),
            waddr_tag: Delay::new(tag_len),
            relu_in: Delay::new(1 + e),
            beat_in: Delay::new(1 + e),
            sub_in: Delay::new(1 + e),
            // From a group's last read to its value at the lanes' `y`: one clock to the
            // data (three with the accumulator's read stage), then the lanes' latency
            // counted from the group's last beat.
            done_out: Delay::new(1 + e + requant_lane_latency(steps) - (steps - 1)),
            last_write: Delay::new(drain),
            row_end: Default::default(),
            last_beat: Default::default(),
            e_pleft: Default::default(),
            e_pword: Default::default(),
            e_pbank_r: Default::default(),
            e_run: Default::default(),
            e_issuing: Default::default(),
            e_left: Default::default(),
            e_beat: Default::default(),
            e_sub: Default::default(),
            e_raddr: Default::default(),
            e_r_relu: Default::default(),
            e_r_bank: Default::default(),
            e_wrow: Default::default(),
            run_ready: Default::default(),
            groups_m1: Constant::new(((groups - 1) as u64).to_bits()),
            steps_m1: Constant::new(((steps - 1) as u64).to_bits()),
            drain_len: Constant::new((drain as u64).to_bits()),
            // Bank numbers are < banks and words < the deepest bank (the sequencer's
            // ILLEGAL and RANGE checks), beats < groups, steps < requant_steps.
            beat_mask: crate::range_mask(groups),
            sub_mask: crate::range_mask(steps),
            bank_mask: crate::range_mask(cfg.banks),
            addr_mask: crate::range_mask(cfg.act_depth.max(cfg.bank_depth)),
            pwords: Constant::new((pw as u64).to_bits()),
            // Counters: `pleft` <= pw, `drain` <= its length, `left` <= rows <= acc_depth.
            pleft_mask: crate::range_mask(pw + 1),
            drain_mask: crate::range_mask(drain + 1),
            left_mask: crate::range_mask(cfg.acc_depth + 1),
            // Accumulator rows < acc_depth (RANGE check; the row after a run's last one
            // is never read).
            acc_mask: crate::range_mask(cfg.acc_depth),
            tag_hold: Constant::new(tag_hold),
            pk_mask: crate::range_mask(pw.next_power_of_two().max(2)),
            // With `pram`: group g's bias is word g*4/lanes, its multiplier word
            // wb + g*2/lanes (half g % (lanes/2)), its shift word wb + wm + g/lanes (byte
            // g % lanes).
            bw_sh: Constant::new(lg.saturating_sub(2).to_bits()),
            mw_sh: Constant::new(lg.saturating_sub(1).to_bits()),
            sw_sh: Constant::new(lg.to_bits()),
            mw_base: Constant::new((wb as u64).to_bits()),
            sw_base: Constant::new(((wb + wm) as u64).to_bits()),
            _cols: cols,
            _lanes: lanes,
            _rql: rql,
            _groups: groups,
            _keep: cols - rql,
            _shift: if pram { 0 } else { (pw - 1) * lanes },
            _pl: if pram { 0 } else { lanes },
            _rqf: if pram { 0 } else { rql },
            _prl: if pram { lanes } else { 1 },
            _pd: pram as usize,
            _b: cfg.bank_read_stages.min(1),
            _bq: if pram { lanes / 4 } else { 0 },
            _mh: if pram { lanes / 2 } else { 0 },
            _sl: if pram { lanes } else { 0 },
            _bhi: if pram { groups.div_ceil(lanes / 4) } else { 0 },
            _mhi: if pram { groups.div_ceil(lanes / 2) } else { 0 },
            _shi: if pram { groups.div_ceil(lanes) } else { 0 },
            _brot: 4 * rql,
            _bkeep: if pram { 0 } else { 4 * (cols - rql) },
            _bsec: if pram { 0 } else { 4 * cols },
            _moff: wb * lanes,
            _soff: (wb + wm) * lanes,
            _e: e.min(1),
            _pe: (pram as usize).min(e),
        }
    }
}

impl Logic for Requantizer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, pleft, pword, pbank_r, pvalid, ptail, v_in, run, issuing, left, beat, sub,
            drain, raddr, r_relu, r_bank, wrow, pk
        );
        clock!(
            self, clock, lanes, beat_in, sub_in, done_out, last_write, wbank_tag, waddr_tag,
            relu_in
        );
        // Issues arrive registered: this cycle's state is the issue's.
        self.e_pleft.next = self.pleft.q.val();
        self.e_pword.next = self.pword.q.val();
        self.e_pbank_r.next = self.pbank_r.q.val();
        self.e_run.next = self.run.q.val();
        self.e_issuing.next = self.issuing.q.val();
        self.e_left.next = self.left.q.val();
        self.e_beat.next = self.beat.q.val();
        self.e_sub.next = self.sub.q.val();
        self.e_raddr.next = self.raddr.q.val();
        self.e_r_relu.next = self.r_relu.q.val();
        self.e_r_bank.next = self.r_bank.q.val();
        self.e_wrow.next = self.wrow.q.val();
        if self.issue_param.val() {
            self.e_pleft.next = self.pwords.val();
        }
        // The parameter read address and bank switch on `pre_param` (a legal issue finds
        // `pleft` = 0), so that `fault_r` is not on the bank address path.
        if self.pre_param.val() & (self.pleft.q.val() == 0) {
            self.e_pword.next = self.word.val();
            self.e_pbank_r.next = self.bank.val();
        }
        if self.issue_run.val() {
            self.e_run.next = true;
            self.e_issuing.next = true;
            self.e_left.next = self.rows.val() & self.left_mask.val();
            self.e_beat.next = 0.into();
            self.e_sub.next = 0.into();
            self.e_raddr.next = self.acc.val();
            self.e_r_relu.next = self.relu.val();
            self.e_r_bank.next = self.bank.val();
            self.e_wrow.next = self.word.val();
        }
        self.pleft.d.next = self.e_pleft.val() & self.pleft_mask.val();
        // Registers masked to the values they take (see `new`), so that synthesis drops
        // their constant upper flip-flops and adder bits (a loaded address plus one past
        // the last one used is never used).
        self.pword.d.next = self.e_pword.val() & self.addr_mask.val();
        self.pbank_r.d.next = self.e_pbank_r.val() & self.bank_mask.val();
        self.run.d.next = self.e_run.val();
        self.issuing.d.next = self.e_issuing.val();
        self.left.d.next = self.e_left.val() & self.left_mask.val();
        self.beat.d.next = self.e_beat.val() & self.beat_mask.val();
        self.sub.d.next = self.e_sub.val() & self.sub_mask.val();
        self.raddr.d.next = self.e_raddr.val() & self.acc_mask.val();
        self.r_relu.d.next = self.e_r_relu.val();
        self.r_bank.d.next = self.e_r_bank.val() & self.bank_mask.val();
        self.wrow.d.next = self.e_wrow.val() & self.addr_mask.val();
        // Parameter loader: one word per cycle, shifted in as it arrives.
        self.preq.next = self.e_pleft.val() != 0;
        // Outputs masked to the values they take (see `new`), so that synthesis drops the
        // registers' constant upper bits.
        self.pbank.next = self.e_pbank_r.val() & self.bank_mask.val();
        self.paddr.next = self.e_pword.val() & self.addr_mask.val();
        self.pvalid.d.next = self.e_pleft.val() != 0;
        self.ptail.d.next = self.e_pleft.val() == 1;
        self.piss.next = self.issue_param.val();
        for k in 0..self._b {
            self.pvalid_p[k].clock.next = self.clock.val();
            self.ptail_p[k].clock.next = self.clock.val();
            self.piss_p[k].clock.next = self.clock.val();
            self.pbt[k].clock.next = self.clock.val();
            self.pvalid_p[k].d.next = (self.e_pleft.val() != 0).into();
            self.ptail_p[k].d.next = (self.e_pleft.val() == 1).into();
            self.piss_p[k].d.next = self.issue_param.val().into();
            self.pvalid.d.next = self.pvalid_p[k].q.val().any();
            self.ptail.d.next = self.ptail_p[k].q.val().any();
            self.piss.next = self.piss_p[k].q.val().any();
            self.pbt[k].read.next = self.e_pleft.val() != 0;
        }
        if self.e_pleft.val() != 0 {
            self.pleft.d.next = (self.e_pleft.val() - 1) & self.pleft_mask.val();
            self.pword.d.next = (self.e_pword.val() + 1) & self.addr_mask.val();
        }
        for nl in self._lanes..one_more(self._lanes) {
            for i in 0..self._shift {
                self.pbytes[i].clock.next = self.clock.val();
                self.pbytes[i].d.next = self.pbytes[i].q.val();
                if self.pvalid.q.val() {
                    self.pbytes[i].d.next = self.pbytes[i + nl].q.val();
                }
            }
            for sh in self._shift..one_more(self._shift) {
                for l in 0..self._pl {
                    self.pbytes[sh + l].clock.next = self.clock.val();
                    self.pbytes[sh + l].d.next = self.pbytes[sh + l].q.val();
                    if self.pvalid.q.val() {
                        self.pbytes[sh + l].d.next = self.prdata[l].val();
                    }
                }
            }
        }
        // Parameter RAM (`pram`): word k of a load is written at k as it arrives (a new
        // load may be issued in the cycle the last word of the previous one arrives).
        // Reads: group g's bias word in its first beat, multiplier word in the second,
        // shift word in the third; the lane takes the data one cycle later (`start`,
        // start+1, start+2). A read never meets a write of its word: a run issues at the
        // earliest when the load's last word (a shift word) is being written, and reads
        // the shift words two cycles later; a load issues at the earliest in a run's last
        // beat, after its last group's reads. Reads while idle go unused.
        self.prm.clock.next = self.clock.val();
        self.prm.we.next = 0.into();
        if self.pvalid.q.val() {
            self.prm.we.next = 1.into();
        }
        self.prm.waddr[0].next = bit_cast::<16, 8>(self.pk.q.val());
        for l in 0..self._prl {
            self.prm.wdata[l].next = self.prdata[l].val();
        }
        self.pk.d.next = self.pk.q.val();
        if self.pvalid.q.val() {
            self.pk.d.next = (self.pk.q.val() + 1) & self.pk_mask.val();
        }
        if self.piss.val() {
            self.pk.d.next = 0.into();
        }
        self.pram_addr.next = bit_cast::<16, 8>(self.e_beat.val() >> self.bw_sh.val());
        if self.e_sub.val() == 1 {
            self.pram_addr.next =
                self.mw_base.val() + bit_cast::<16, 8>(self.e_beat.val() >> self.mw_sh.val());
        }
        if self.e_sub.val() == 2 {
            self.pram_addr.next =
                self.sw_base.val() + bit_cast::<16, 8>(self.e_beat.val() >> self.sw_sh.val());
        }
        self.prm.raddr[0].next = self.pram_addr.val();
        for k in 0..self._pe {
            self.pram_e[k].clock.next = self.clock.val();
            self.pram_e[k].d.next = self.pram_addr.val();
            self.prm.raddr[0].next = self.pram_e[k].q.val();
        }
        // The bias section turns by one column group at every value the lanes take (a
        // row's `groups` turns bring it back), so the lanes' biases come from fixed bytes
        // instead of a per-beat selection. A parameter load shifts on the same edge at the
        // earliest (the checker's rule: a load's first parameter write may not come before
        // a run's last parameter read; with the accumulator's read stage that can be the
        // same edge): then the shift wins and the turn is dropped, and the load replaces
        // every byte.
        self.rot.next = self.v_in.q.val() & (self.sub_in.q.val() == 0);
        // With `pram` nothing turns; Verilator's default --unused-regexp (`*unused*`)
        // keeps `rot` from being reported then.
        self.unused_rot.next = self.rot.val();
        for rb in self._brot..one_more(self._brot) {
            for nb in self._bsec..one_more(self._bsec) {
                for i in 0..self._bkeep {
                    if self.rot.val() & !self.pvalid.q.val() {
                        self.pbytes[i].d.next = self.pbytes[i + rb].q.val();
                    }
                }
                for i in self._bkeep..self._bsec {
                    if self.rot.val() & !self.pvalid.q.val() {
                        self.pbytes[i].d.next = self.pbytes[i + rb - nb].q.val();
                    }
                }
            }
        }
        // Row sequencer: `issuing` while reads go out (beats per row: groups of steps),
        // then drain.
        self.last_beat.next =
            (self.e_beat.val() == self.groups_m1.val()) & (self.e_sub.val() == self.steps_m1.val());
        if self.e_run.val() {
            if self.e_issuing.val() {
                // Counters masked to the values they can take (see `new`): synthesis
                // drops their constant upper flip-flops and adder bits.
                self.sub.d.next = (self.e_sub.val() + 1) & self.sub_mask.val();
                if self.e_sub.val() == self.steps_m1.val() {
                    self.sub.d.next = 0.into();
                    self.beat.d.next = (self.e_beat.val() + 1) & self.beat_mask.val();
                }
                if self.last_beat.val() {
                    self.beat.d.next = 0.into();
                    self.raddr.d.next = (self.e_raddr.val() + 1) & self.acc_mask.val();
                    self.wrow.d.next = (self.e_wrow.val() + 1) & self.addr_mask.val();
                    self.left.d.next = (self.e_left.val() - 1) & self.left_mask.val();
                    if self.e_left.val() == 1 {
                        self.issuing.d.next = false;
                        self.drain.d.next = self.drain_len.val();
                    }
                }
            } else {
                self.drain.d.next = (self.drain.q.val() - 1) & self.drain_mask.val();
                if self.drain.q.val() == 1 {
                    self.run.d.next = false;
                }
            }
        }
        self.run_ready.next = !(self.e_run.val() & self.e_issuing.val())
            | (self.last_beat.val() & (self.e_left.val() == 1));
        self.ready.next = ((self.e_pleft.val() >> 1) == 0) & self.run_ready.val();
        // From the strobes and flip-flops (an issued load has `pw` >= 1 words), not
        // through the `e_*` multiplexers.
        self.active.next = self.issue_param.val()
            | self.issue_run.val()
            | (self.pleft.q.val() != 0)
            | self.ptail.q.val()
            | self.run.q.val();
        for k in 0..self._b {
            self.active.next = self.active.val() | self.pbt[k].busy.val();
        }
        self.acc_re.next = self.e_run.val() & self.e_issuing.val();
        self.acc_raddr.next = self.e_raddr.val() & self.acc_mask.val();
        // Tags: the beat meets its data one clock after the read (three with the
        // accumulator's read stage), and its results REQUANT_LANE_LATENCY clocks
        // later (serial lanes: counted from the group's last beat, and one clock
        // earlier); a row is written RQ_DRAIN (+ e) clocks after its last read, one
        // clock after its last value is in the row register (serial lanes: two).
        // The tags are masked to the bits the configuration can use, so that synthesis
        // drops the delay lines' constant upper flip-flops.
        self.beat_in.d.next = self.e_beat.val() & self.beat_mask.val();
        self.sub_in.d.next = self.e_sub.val() & self.sub_mask.val();
        self.lanes.start.next = self.sub_in.q.val() == 0;
        self.v_in.d.next = self.e_run.val() & self.e_issuing.val();
        for k in 0..self._e {
            self.v_in_e[k].clock.next = self.clock.val();
            self.v_in_e[k].d.next = (self.e_run.val() & self.e_issuing.val()).into();
            self.v_in.d.next = self.v_in_e[k].q.val().any();
        }
        // A group's finished value leaves the lanes REQUANT_LANE_LATENCY clocks after its
        // last beat's data arrives (serial lanes: one clock earlier, valid for that
        // clock only); it then shifts into the row register.
        self.done_out.d.next =
            (self.e_run.val() & self.e_issuing.val() & (self.e_sub.val() == self.steps_m1.val()))
                .into();
        self.row_end.next = self.e_run.val() & self.e_issuing.val() & self.last_beat.val();
        self.last_write.d.next = self.row_end.val().into();
        // The destination travels with the row, so a new run may issue while the last
        // rows of the previous one are still in the lanes (`tag_hold`: loaded at the row's
        // end and held until its write, see `new`).
        self.wbank_tag.d.next = self.e_r_bank.val() & self.bank_mask.val();
        self.waddr_tag.d.next = self.e_wrow.val() & self.addr_mask.val();
        if self.tag_hold.val() & !self.row_end.val() {
            self.wbank_tag.d.next = self.wbank_tag.q.val();
            self.waddr_tag.d.next = self.waddr_tag.q.val();
        }
        self.relu_in.d.next = self.e_r_relu.val().into();
        self.out_we.next = self.last_write.q.val().any();
        self.out_bank.next = self.wbank_tag.q.val();
        self.out_addr.next = self.waddr_tag.q.val();
        self.lanes.relu.next = self.relu_in.q.val().any();
        for l in 0..self._lanes {
            self.out_data[l].next = 0.into();
        }
        for c in 0..self._cols {
            self.row[c].clock.next = self.clock.val();
            self.row[c].d.next = self.row[c].q.val();
            self.out_data[c].next = self.row[c].q.val();
        }
        // The row register shifts down by one column group as each group's value is
        // done, so after a row's `groups` groups group `g` sits at columns `g*rql ..`.
        for nr in self._rql..one_more(self._rql) {
            for kp in self._keep..one_more(self._keep) {
                if self.done_out.q.val().any() {
                    for c in 0..self._keep {
                        self.row[c].d.next = self.row[c + nr].q.val();
                    }
                    for r in 0..self._rql {
                        self.row[kp + r].d.next = self.lanes.y[r].val();
                    }
                }
            }
        }
        // Column groups through the lanes: `nr`, `mo`, `so` bring sizes into indices.
        for nr in self._rql..one_more(self._rql) {
            for mo in self._moff..one_more(self._moff) {
                for so in self._soff..one_more(self._soff) {
                    for r in 0..self._rql {
                        self.lanes.c[r].next = self.acc_rdata[r].val();
                        for g in 0..self._groups {
                            if self.beat_in.q.val().index() == g {
                                self.lanes.c[r].next = self.acc_rdata[g * nr + r].val();
                            }
                        }
                    }
                    for r in 0..self._rqf {
                        self.lanes.s_b[r].next = self.pbytes[so + r].q.val();
                        // The bias section is turned so that group `g`'s biases are here.
                        for j in 0..4 {
                            self.lanes.bias_b[4 * r + j].next = self.pbytes[4 * r + j].q.val();
                        }
                        for j in 0..2 {
                            self.lanes.m_b[2 * r + j].next = self.pbytes[mo + 2 * r + j].q.val();
                        }
                        for g in 0..self._groups {
                            if self.beat_in.q.val().index() == g {
                                self.lanes.s_b[r].next = self.pbytes[so + g * nr + r].q.val();
                                for j in 0..2 {
                                    self.lanes.m_b[2 * r + j].next =
                                        self.pbytes[mo + 2 * (g * nr + r) + j].q.val();
                                }
                            }
                        }
                    }
                }
            }
        }
        // `pram` (one lane): the bias from quarter g % (lanes/4) of the word read, the
        // multiplier from half g % (lanes/2), the shift from byte g % lanes (`beat_in` is
        // still g when the data arrives).
        for d in 0..self._pd {
            for j in 0..4 {
                self.lanes.bias_b[j + d].next = self.prm.rdata[j + d].val();
            }
            for j in 0..2 {
                self.lanes.m_b[j + d].next = self.prm.rdata[j + d].val();
            }
            self.lanes.s_b[d].next = self.prm.rdata[d].val();
        }
        // Group g = hi * n + q (n = lanes/4, lanes/2, lanes): `nq`, `nh`, `nl` bring n.
        for nq in self._bq..one_more(self._bq) {
            for hi in 0..self._bhi {
                for q in 0..self._bq {
                    if self.beat_in.q.val().index() == hi * nq + q {
                        for j in 0..4 {
                            self.lanes.bias_b[j].next = self.prm.rdata[4 * q + j].val();
                        }
                    }
                }
            }
        }
        for nh in self._mh..one_more(self._mh) {
            for hi in 0..self._mhi {
                for h in 0..self._mh {
                    if self.beat_in.q.val().index() == hi * nh + h {
                        for j in 0..2 {
                            self.lanes.m_b[j].next = self.prm.rdata[2 * h + j].val();
                        }
                    }
                }
            }
        }
        for nl in self._sl..one_more(self._sl) {
            for hi in 0..self._shi {
                for h in 0..self._sl {
                    if self.beat_in.q.val().index() == hi * nl + h {
                        self.lanes.s_b[0].next = self.prm.rdata[h].val();
                    }
                }
            }
        }
    }
}
