//! When can a frame be in the receiver's queue? The arrival window of every frame a
//! card posts, over **every phase** of the transmitter's superframe grid against the
//! program's start (the grid runs from power-up, so a program cannot know it), for
//! the budget rules of `docs/isa.md` ("The link instructions").
//!
//! A frame posted in program cycle `p` goes into the first frame slot decided after
//! `p` (and after the previous frame's slot, one frame per slot); the slot's first bit
//! is on the lanes 8 cycles after its decision; the receiver announces the frame
//! `8F + L + 4 < x <= 8F + L + 5` receiver cycles later plus the lane skew
//! (`docs/link.md`, "Latency budget"), and the tile's queue shows it one cycle after
//! that. The window is widened by the start skew between the two cards and by the
//! clock drift between their oscillators over the elapsed time.

use super::{LinkConfig, ALIGN_COLUMNS, TX_SLOTS, TX_START_CYCLES};

/// Allowances on top of the exact slot and latency arithmetic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetParams {
    /// Largest lane-to-lane plus wire skew, in bits (transmitter cycles); at most 31.
    pub skew_bits: u64,
    /// Largest frequency difference between two cards' clocks, parts per million.
    pub ppm: f64,
    /// Largest difference between two cards' start cycles.
    pub start_skew: u64,
    /// Extra receiver cycles for a synchronizer flop that resolves late (silicon).
    pub sync_margin: u64,
}

impl Default for BudgetParams {
    /// Boards of +-300 ppm each (600 ppm apart), up to 4 bits of skew, started within
    /// 2 cycles of each other, one cycle of synchronizer margin.
    fn default() -> Self {
        BudgetParams {
            skew_bits: 4,
            ppm: 600.0,
            start_skew: 2,
            sync_margin: 1,
        }
    }
}

/// The window of one frame, in the receiver's program cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The frame cannot be in the queue before this cycle.
    pub earliest: u64,
    /// The frame is surely in the queue from this cycle on.
    pub latest: u64,
    /// Latest cycle its slot's first bit leaves (sender's program cycles).
    pub latest_start: u64,
}

/// Decision cycles of the data slots, relative to a program start at TX cycle
/// `phase` (mod one superframe; training is long over).
struct Grid {
    sb: u64,
    offs: Vec<u64>,
}

impl Grid {
    fn new(cfg: &LinkConfig) -> Self {
        let f = cfg.frame_columns() as u64;
        Grid {
            sb: cfg.superframe_bits(),
            offs: (0..cfg.frames_per_superframe as u64)
                .map(|k| 8 * (ALIGN_COLUMNS as u64 + k * f))
                .collect(),
        }
    }

    /// First decision cycle `> x` (program cycles) when the program started at grid
    /// phase `phase`.
    fn next_after(&self, x: u64, phase: u64) -> u64 {
        // Grid cycle g = program cycle + phase.
        let g = x + phase;
        let base = g / self.sb * self.sb;
        for m in [base, base + self.sb] {
            for &o in &self.offs {
                if m + o > g {
                    return m + o - phase;
                }
            }
        }
        unreachable!("a superframe holds a decision")
    }
}

/// The arrival window of every frame posted at `posts` (sender's program cycles,
/// ascending), the maximum and minimum over every grid phase; and, per frame, whether
/// its transmit buffer slot can still be busy when the `send` checks it in cycle
/// `post - p_words - 1`: pass `p_words = P`, or `P + b` for a tile with `b` bank read
/// stages, whose post is `b` cycles later while the check stays in `b_j + 1`.
pub fn windows(
    cfg: &LinkConfig,
    posts: &[u64],
    p_words: u64,
    bp: &BudgetParams,
) -> (Vec<Window>, Vec<bool>) {
    let grid = Grid::new(cfg);
    let f = cfg.frame_columns() as u64;
    let l = cfg.lanes as u64;
    let mut lo = vec![u64::MAX; posts.len()];
    let mut hi = vec![0u64; posts.len()];
    let mut slot_busy = vec![false; posts.len()];
    let mut decided = vec![0u64; posts.len()];
    for phase in 0..grid.sb {
        let mut prev: Option<u64> = None;
        for (m, &p) in posts.iter().enumerate() {
            let d = grid.next_after(prev.map_or(p, |q| q.max(p)), phase);
            decided[m] = d;
            prev = Some(d);
            let start = d + TX_START_CYCLES;
            lo[m] = lo[m].min(start + 8 * f + l + 4 + 1);
            hi[m] = hi[m].max(start);
            if m >= TX_SLOTS {
                // The slot's frame TX_SLOTS earlier is read out with its last payload
                // column, before its CRC columns.
                let freed = decided[m - TX_SLOTS] + TX_START_CYCLES + 8 * f;
                if freed >= p.saturating_sub(p_words + 1) {
                    slot_busy[m] = true;
                }
            }
        }
    }
    let drift = |c: u64| (c as f64 * bp.ppm * 1e-6).ceil() as u64;
    let w = posts
        .iter()
        .enumerate()
        .map(|(m, _)| {
            let latest = hi[m] + 8 * f + l + 5 + bp.skew_bits + 1 + bp.sync_margin;
            let latest = latest + bp.start_skew + drift(latest);
            let earliest = lo[m].saturating_sub(bp.start_skew + drift(lo[m]));
            Window {
                earliest,
                latest,
                latest_start: hi[m],
            }
        })
        .collect();
    (w, slot_busy)
}

/// The one-frame budget: cycles from a `send`'s issue to the first cycle a `recv` on
/// the neighbour (started together) may look for its first frame, for a link that
/// carries nothing else, in a tile without bank read stages (the post at `P + 2`; with
/// [`crate::TileConfig::bank_read_stages`] the post, and so the budget, is that many
/// cycles later).
pub fn budget(cfg: &LinkConfig, p_words: u64, bp: &BudgetParams) -> u64 {
    let post = p_words + 2;
    let (w, _) = windows(cfg, &[post], p_words, bp);
    w[0].latest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_decisions_are_the_link_configs() {
        let cfg = LinkConfig::new(4);
        let g = Grid::new(&cfg);
        // Phase 0: decisions at the config's decision cycles (mod the superframe).
        let mut x = 0;
        for slot in 0..20u64 {
            let d = g.next_after(x, 0);
            assert_eq!(d, cfg.decision_cycle(slot));
            x = d;
        }
        // Strictly after: a post in a decision's own cycle waits for the next slot.
        assert_eq!(g.next_after(16, 0), cfg.decision_cycle(1));
        // Phase shifts the grid.
        assert_eq!(g.next_after(0, 10), 6);
    }

    #[test]
    fn one_frame_budget_is_a_slot_wait_plus_the_hop() {
        let cfg = LinkConfig::new(4);
        let bp = BudgetParams {
            skew_bits: 0,
            ppm: 0.0,
            start_skew: 0,
            sync_margin: 0,
        };
        let p = 32;
        let b = budget(&cfg, p, &bp);
        let f = cfg.frame_columns() as u64;
        // Post at p + 2; the next decision is at most one slot plus the ALIGN columns
        // away; then 8 cycles to the first bit and the hop latency.
        let worst_wait = 8 * f + 8 * ALIGN_COLUMNS as u64;
        assert_eq!(b, p + 2 + worst_wait + 8 + 8 * f + 4 + 5 + 1);
        // The defaults add skew (4), the synchronizer margin (1), start skew (2) and
        // 600 ppm of drift (1): the figure docs/ring.md quotes.
        assert_eq!(b, 596);
        assert_eq!(budget(&cfg, p, &BudgetParams::default()), 604);
    }

    #[test]
    fn paced_posts_never_find_their_slot_busy() {
        for lanes in 1..=4 {
            let cfg = LinkConfig::new(lanes);
            let t = cfg
                .superframe_bits()
                .div_ceil(cfg.frames_per_superframe as u64);
            let posts: Vec<u64> = (0..40).map(|j| 34 + j * t).collect();
            let (w, busy) = windows(&cfg, &posts, 32, &BudgetParams::default());
            assert!(busy.iter().all(|&b| !b), "lanes {lanes}");
            // The wait for a slot stays bounded (no queue builds up at this pacing).
            for (m, win) in w.iter().enumerate() {
                assert!(
                    win.latest_start - posts[m] <= 8 * cfg.frame_columns() as u64 + 16 + 8,
                    "lanes {lanes} frame {m}"
                );
            }
            // Posting twice as fast does fill the buffer.
            let fast: Vec<u64> = (0..40).map(|j| 34 + j * (t / 2)).collect();
            let (_, busy) = windows(&cfg, &fast, 32, &BudgetParams::default());
            assert!(busy.iter().any(|&b| b), "lanes {lanes}");
        }
    }
}
