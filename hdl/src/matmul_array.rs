//! `MatmulArray`: `lanes x cols` [`Pe`]s sharing one registered activation vector,
//! an [`AdderTree`] per column, and the weight install network from the weight banks.
//!
//! ```text
//!   act[lanes] ---------+       +-- gact[group] --------------> Mul8x2 (a) --+
//!   wdata[bank*lanes+l] + feed -+-- qwdata -> Pe[j][l] (shadow) -> (b)       |--> tree j --> sum[j]
//!   wvalid, wsel, swap -+       +-- gswap[group] -------------> (bload)      |
//! ```
//! (one `Mul8x2` per two lanes of a column; it holds the registered activations and
//! the active weights, see [`Mul8x2`].)
//! Weight-stationary (like Gemmini's PE / Tile / Mesh layering, flattened here):
//! each column holds the `lanes` weights of one output column;
//! every cycle one activation vector (one row of A, one K slice) is multiplied by all
//! columns at once (`lanes * cols` MACs per cycle).
//!
//! **Install**: in one cycle each of the `wb` weight banks delivers one vector; in
//! install word `wsel` bank `b` feeds column `wsel * wb + b`. A tile of `cols` columns
//! therefore installs in `ceil(cols / wb)` cycles into the shadow registers while the
//! active weights keep computing; `swap` (with the first activation of a tile) makes
//! the new tile active. `wb` is a power of two.
//! - **Feed**: `act`, `swap` and the install inputs first pass the [`ArrayFeed`]'s
//!   `f` register stages (0..=2; `TileConfig::array_feed_stages`), the last one copied
//!   per four columns, so everything below happens `f` clocks later.
//! - **Latency**: [`ARRAY_LATENCY`] + `f` clocks (4 with `f = 0`) from the edge where
//!   `act`/`swap` are presented to `sum` (operand registers, product, two tree stages; with every
//!   multiplier in an iCE40 `SB_MAC16`: operand registers, product, the DSP's output
//!   register, one tree stage, and `sum` comes from the last tree adders).
//! - **Throughput**: `lanes * cols` MACs per cycle, one install word per cycle.
//! - **Reset**: none; registers power up to zero.

use crate::adder_tree::{AdderTree, ADDER_TREE_LATENCY};
use crate::array_feed::ArrayFeed;
use crate::mul8x2::{Mul8x2, MulImpl};
use crate::one_more;
use crate::pe::Pe;
use rust_hdl::prelude::*;

/// Clocks from inputs (`act`, `swap`, install) to `sum`, without feed stages.
pub const ARRAY_LATENCY: usize = 1 + 1 + ADDER_TREE_LATENCY;

/// The matmul array.
#[derive(LogicBlock)]
pub struct MatmulArray {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Activation vector (one int8 per lane) read from the activation bank.
    pub act: Vec<Signal<In, Bits<8>>>,
    /// With `act`: make the shadow weights active for this and later activations.
    pub swap: Signal<In, Bit>,
    /// Weight vectors from the weight banks, lane `l` of bank `b` at `b * lanes + l`;
    /// valid with `wvalid`.
    pub wdata: Vec<Signal<In, Bits<8>>>,
    /// The weight banks deliver install word `wsel` this cycle.
    pub wvalid: Signal<In, Bit>,
    /// Install word index (0..ceil(cols/wb)); bank `b` feeds column `wsel * wb + b`.
    pub wsel: Signal<In, Bits<8>>,
    /// Dot products, one int32 per column, [`ARRAY_LATENCY`] plus the feed stages
    /// clocks after `act`.
    pub sum: Vec<Signal<Out, Bits<32>>>,
    /// An install word is still in the feed stages (see [`ArrayFeed::pending`]).
    pub feed_pending: Signal<Out, Bit>,
    feed: ArrayFeed,
    pes: Vec<Pe>,
    muls: Vec<Mul8x2>,
    trees: AdderTree,
    wbmask: Constant<Bits<8>>,
    wbshift: Constant<Bits<8>>,
    _lanes: usize,
    _cols: usize,
    _wb: usize,
    _wlanes: usize,
    _half: usize,
    _fl: usize,
}

impl MatmulArray {
    /// An array of `lanes` rows and `cols` columns fed by `wb` weight banks through
    /// `feed_stages` registers ([`ArrayFeed`]). The first `dsp_mults` multipliers
    /// (column-major, in pairs) are built as `dsp`, the rest from LUTs.
    pub fn new(
        lanes: usize,
        cols: usize,
        wb: usize,
        dsp: MulImpl,
        dsp_mults: usize,
        feed_stages: usize,
    ) -> Self {
        assert!(wb.is_power_of_two() && wb <= 16, "wb {wb}");
        // The update's `j / 4` is the feed group of column `j`.
        assert_eq!(minilpu_model::config::ARRAY_FEED_GROUP, 4);
        assert!(cols.is_multiple_of(4), "cols {cols}");
        // With every multiplier in an iCE40 SB_MAC16, the products take one more
        // register inside the DSPs and the trees drop their output register: the
        // same latency, and the trees' last adders feed the accumulator's input
        // register directly (sharing its logic cells) instead of through flip-flops
        // of their own.
        let all_mac16 = dsp == MulImpl::Ice40Mac16 && dsp_mults >= lanes * cols;
        let array = Self {
            clock: Default::default(),
            act: crate::vec_of(lanes),
            swap: Default::default(),
            wdata: crate::vec_of(wb * lanes),
            wvalid: Default::default(),
            wsel: Default::default(),
            sum: crate::vec_of(cols),
            feed_pending: Default::default(),
            feed: ArrayFeed::new(lanes, cols, wb, feed_stages),
            _fl: (feed_stages > 0) as usize,
            pes: crate::vec_of(cols * lanes),
            muls: (0..cols * lanes / 2)
                .map(|k| {
                    let m = Mul8x2::new(if 2 * k < dsp_mults { dsp } else { MulImpl::Lut });
                    if all_mac16 {
                        m.with_output_register()
                    } else {
                        m
                    }
                })
                .collect(),
            // int8 x int8 products fit 16 signed bits (-16256 ..= 16384).
            trees: if all_mac16 {
                AdderTree::new(lanes, cols, 16).without_output_register()
            } else {
                AdderTree::new(lanes, cols, 16)
            },
            wbmask: Constant::new(((wb - 1) as u64).to_bits()),
            wbshift: Constant::new((wb.trailing_zeros() as u64).to_bits()),
            _lanes: lanes,
            _cols: cols,
            _wb: wb,
            _wlanes: wb * lanes,
            _half: lanes / 2,
        };
        for m in &array.muls {
            assert_eq!(m.latency() + array.trees.latency(), ARRAY_LATENCY);
        }
        array
    }
}

impl Logic for MatmulArray {
    #[hdl_gen]
    fn update(&mut self) {
        self.trees.clock.next = self.clock.val();
        self.feed.clock.next = self.clock.val();
        self.feed_pending.next = self.feed.pending.val();
        self.feed.swap.next = self.swap.val();
        self.feed.wvalid.next = self.wvalid.val();
        self.feed.wsel.next = self.wsel.val();
        for l in 0..self._lanes {
            self.feed.act[l].next = self.act[l].val();
        }
        for k in 0..self._wlanes {
            self.feed.wdata[k].next = self.wdata[k].val();
        }
        // rust-hdl 0.46 evaluates one `[...]` per name, with loop variables only: `nl`
        // and `nh` are one-iteration loops that bring `lanes` and `lanes / 2` into
        // index expressions.
        for nl in self._lanes..one_more(self._lanes) {
            for j in 0..self._cols {
                self.sum[j].next = self.trees.sum[j].val();
                for l in 0..self._lanes {
                    self.pes[j * nl + l].clock.next = self.clock.val();
                    self.pes[j * nl + l].wload.next = self.feed.gwvalid[j / 4].val()
                        & (self.feed.gwsel[j / 4].val().index()
                            == (j >> self.wbshift.val().index()));
                    // With feed stages: the column's own decoded strobe register.
                    for _f in 0..self._fl {
                        self.pes[j * nl + l].wload.next = self.feed.gwload[j].val();
                    }
                    self.pes[j * nl + l].wdata.next = self.feed.qwdata[l].val();
                    for b in 0..self._wb {
                        if (j & self.wbmask.val().index()) == b {
                            self.pes[j * nl + l].wdata.next = self.feed.qwdata[b * nl + l].val();
                        }
                    }
                }
                for nh in self._half..one_more(self._half) {
                    for q in 0..self._half {
                        self.muls[j * nh + q].clock.next = self.clock.val();
                        self.muls[j * nh + q].bload.next = self.feed.gswap[j / 4].val();
                        self.muls[j * nh + q].a0.next = self.feed.gact[(j / 4) * nl + 2 * q].val();
                        self.muls[j * nh + q].b0.next = self.pes[j * nl + 2 * q].w.val();
                        self.muls[j * nh + q].a1.next =
                            self.feed.gact[(j / 4) * nl + 2 * q + 1].val();
                        self.muls[j * nh + q].b1.next = self.pes[j * nl + 2 * q + 1].w.val();
                        self.trees.x[j * nl + 2 * q].next = self.muls[j * nh + q].p0.val();
                        self.trees.x[j * nl + 2 * q + 1].next = self.muls[j * nh + q].p1.val();
                    }
                }
            }
        }
    }
}
