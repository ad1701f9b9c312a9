//! Watching nextpnr's log while it runs: which phase it is in, the clock estimate after
//! placement, router progress, and when to give up on a router that has stopped
//! converging.
//!
//! nextpnr writes its log (`-l FILE`) as it goes. [`PnrWatch::feed`] takes the text
//! appended since the last call (any split; a partial last line is kept for the next
//! call) and recognises:
//! * the phases: `Packing ...` (packing), `Running ... placer` (placement),
//!   `Running router2...` / `Routing..` (routing, router2 or router1);
//! * the estimate after placement: the `Max frequency for clock '...': F MHz` lines
//!   printed before routing starts;
//! * router2's iterations: `iter=N wires=W overused=O ...`;
//! * router1's progress rows: `N | ripped routed | ... | remaining | time`.
//!
//! **Stopping rule** ([`PnrWatch::verdict`]): router2 lowers its count of overused
//! wires from iteration to iteration until it reaches 0. On the dense 85F placements it
//! bottoms out and then climbs again for as long as it is let run (`docs/boards.md`,
//! "The 85F preset with two stages"). With a patience of `P` iterations, the watch asks
//! to stop once `P` iterations have passed since the lowest count without a new lowest
//! count. `P = 0` never stops. router1 has no such rule (only the flow's time limit).

/// Where nextpnr is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PnrPhase {
    /// Nothing recognised yet (reading the netlist).
    Starting,
    /// Packing cells.
    Packing,
    /// Placement (analytical placer, then annealing).
    Placing,
    /// Routing.
    Routing,
}

impl std::fmt::Display for PnrPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PnrPhase::Starting => "reading the netlist",
            PnrPhase::Packing => "packing",
            PnrPhase::Placing => "placing",
            PnrPhase::Routing => "routing",
        })
    }
}

/// One router2 iteration: its number and its count of overused wires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouterIter {
    /// Iteration number (router2's `iter=`).
    pub iter: u32,
    /// Wires used by more than one net (`overused=`).
    pub overused: u64,
}

/// What the log has said so far.
#[derive(Clone, Debug)]
pub struct PnrWatch {
    patience: u32,
    partial: String,
    phase: PnrPhase,
    placed_fmax: Vec<(String, f64)>,
    best: Option<RouterIter>,
    last: Option<RouterIter>,
    router1_remaining: Option<u64>,
}

impl PnrWatch {
    /// A watch that gives up on router2 after `patience` iterations without a new lowest
    /// count of overused wires (0: never).
    pub fn new(patience: u32) -> Self {
        Self {
            patience,
            partial: String::new(),
            phase: PnrPhase::Starting,
            placed_fmax: Vec::new(),
            best: None,
            last: None,
            router1_remaining: None,
        }
    }

    /// Take the log text appended since the last call.
    pub fn feed(&mut self, text: &str) {
        self.partial.push_str(text);
        let Some(end) = self.partial.rfind('\n') else {
            return;
        };
        let complete: String = self.partial.drain(..=end).collect();
        for line in complete.lines() {
            self.line(line);
        }
    }

    fn line(&mut self, line: &str) {
        let body = line.trim_start_matches("Info:").trim();
        if body.starts_with("Packing") && self.phase < PnrPhase::Packing {
            self.phase = PnrPhase::Packing;
        } else if body.starts_with("Running") && body.contains("placer") {
            self.phase = self.phase.max(PnrPhase::Placing);
        } else if body.starts_with("Running router2") || body.starts_with("Routing..") {
            self.phase = PnrPhase::Routing;
        } else if let Some(rest) = body.strip_prefix("Max frequency for clock") {
            if self.phase == PnrPhase::Placing {
                if let Some(f) = parse_clock(rest) {
                    self.placed_fmax.retain(|(n, _)| *n != f.0);
                    self.placed_fmax.push(f);
                }
            }
        } else if self.phase == PnrPhase::Routing {
            if let Some(it) = parse_router2(body) {
                if self.best.is_none_or(|b| it.overused < b.overused) {
                    self.best = Some(it);
                }
                self.last = Some(it);
            } else if let Some(r) = parse_router1(body) {
                self.router1_remaining = Some(r);
            }
        }
    }

    /// The phase reached.
    pub fn phase(&self) -> PnrPhase {
        self.phase
    }

    /// Each clock's estimate after placement (nextpnr's clock name, MHz).
    pub fn placed_fmax(&self) -> &[(String, f64)] {
        &self.placed_fmax
    }

    /// The slowest clock's estimate after placement.
    pub fn placed_fmax_mhz(&self) -> Option<f64> {
        self.placed_fmax
            .iter()
            .map(|(_, f)| *f)
            .min_by(f64::total_cmp)
    }

    /// router2's lowest count so far, and the latest.
    pub fn router2(&self) -> Option<(RouterIter, RouterIter)> {
        Some((self.best?, self.last?))
    }

    /// One line on where nextpnr is, for progress messages.
    pub fn status(&self) -> String {
        let mut s = self.phase.to_string();
        if let Some(f) = self.placed_fmax_mhz() {
            s += &format!(" (estimate after placement {f:.2} MHz)");
        }
        if let Some((best, last)) = self.router2() {
            s += &format!(
                ": router2 iteration {}, {} overused wires (lowest {} at iteration {})",
                last.iter, last.overused, best.overused, best.iter
            );
        } else if let Some(r) = self.router1_remaining {
            s += &format!(": router1, {r} arcs left");
        }
        s
    }

    /// Why nextpnr should be stopped, if it should: router2 has gone `patience`
    /// iterations without a new lowest count of overused wires.
    pub fn verdict(&self) -> Option<String> {
        let (best, last) = self.router2()?;
        (self.patience > 0 && last.overused > 0 && last.iter >= best.iter + self.patience).then(
            || {
                format!(
                    "router2 stopped converging: its lowest count of overused wires was {} at \
                     iteration {}, and {} iterations later it is {} (iteration {}); \
                     the flow gives up after {} iterations without a new lowest count",
                    best.overused,
                    best.iter,
                    last.iter - best.iter,
                    last.overused,
                    last.iter,
                    self.patience
                )
            },
        )
    }
}

/// `'NAME': F MHz (...)` -> (NAME, F).
fn parse_clock(rest: &str) -> Option<(String, f64)> {
    let open = rest.find('\'')?;
    let close = open + 1 + rest[open + 1..].find('\'')?;
    let name = rest[open + 1..close].to_string();
    let after = rest[close + 1..].trim_start_matches(':').trim();
    let mhz = after.split_whitespace().next()?.parse().ok()?;
    Some((name, mhz))
}

/// `iter=N wires=W overused=O overuse=U archfail=...`.
fn parse_router2(body: &str) -> Option<RouterIter> {
    let mut iter = None;
    let mut overused = None;
    for word in body.split_whitespace() {
        if let Some(v) = word.strip_prefix("iter=") {
            iter = v.parse().ok();
        } else if let Some(v) = word.strip_prefix("overused=") {
            overused = v.parse().ok();
        }
    }
    Some(RouterIter {
        iter: iter?,
        overused: overused?,
    })
}

/// `N | ripped routed | dr dr | remaining | time total|` -> remaining.
fn parse_router1(body: &str) -> Option<u64> {
    let fields: Vec<&str> = body.split('|').map(str::trim).collect();
    if fields.len() < 5 || fields[0].parse::<u64>().is_err() {
        return None;
    }
    fields[3].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACED: &str = "Info: constraining clock net 'clock' to 25.00 MHz\n\
        Info: Packing IOs..\n\
        Info: Running Static placer...\n\
        Info: iter=0 steplen=0.805349 a=1.000000 penalty=[0.00, 0.00, 0.00, 0.00]\n\
        Info: Max frequency for clock '$glbnet$link_rx_clk$TRELLIS_IO_IN': 102.01 MHz (PASS at 50.00 MHz)\n\
        Info: Max frequency for clock                 '$glbnet$act.clock': 54.51 MHz (PASS at 50.00 MHz)\n\
        Info: Routing globals...\n\
        Info: Running router2...\n";

    fn iters(counts: &[u64]) -> String {
        counts
            .iter()
            .enumerate()
            .map(|(i, o)| {
                format!("Info:     iter={i} wires=861190 overused={o} overuse={o} archfail=NA\n")
            })
            .collect()
    }

    #[test]
    fn phases_and_the_estimate_after_placement() {
        let mut w = PnrWatch::new(5);
        assert_eq!(w.phase(), PnrPhase::Starting);
        w.feed("Info: Packing IOs..\n");
        assert_eq!(w.phase(), PnrPhase::Packing);
        w.feed(PLACED);
        assert_eq!(w.phase(), PnrPhase::Routing);
        // The placer's own `iter=` lines are not router iterations.
        assert_eq!(w.router2(), None);
        assert_eq!(w.placed_fmax().len(), 2);
        assert_eq!(w.placed_fmax_mhz(), Some(54.51));
        assert_eq!(w.placed_fmax()[1].0, "$glbnet$act.clock");
        // After routing, the final report's lines do not change the estimate.
        w.feed(
            "Info: Max frequency for clock '$glbnet$act.clock': 50.06 MHz (PASS at 50.00 MHz)\n",
        );
        assert_eq!(w.placed_fmax_mhz(), Some(54.51));
    }

    #[test]
    fn lines_split_across_feeds() {
        let mut w = PnrWatch::new(3);
        let text = format!("{PLACED}{}", iters(&[900, 500, 200]));
        for chunk in text.as_bytes().chunks(7) {
            w.feed(std::str::from_utf8(chunk).unwrap());
        }
        let (best, last) = w.router2().unwrap();
        assert_eq!(
            best,
            RouterIter {
                iter: 2,
                overused: 200
            }
        );
        assert_eq!(last, best);
        // A line without its newline is not read yet.
        w.feed("Info:     iter=3 wires=1 overused=150");
        assert_eq!(w.router2().unwrap().1.iter, 2);
        w.feed(" overuse=150 archfail=NA\n");
        assert_eq!(
            w.router2().unwrap().1,
            RouterIter {
                iter: 3,
                overused: 150
            }
        );
    }

    #[test]
    fn gives_up_only_after_patience_iterations_without_a_new_lowest() {
        let mut w = PnrWatch::new(3);
        w.feed(PLACED);
        // Falls to 100 at iteration 2, then 120, 110, 105: two, three iterations on.
        w.feed(&iters(&[900, 400, 100, 120, 110]));
        assert_eq!(w.verdict(), None);
        w.feed("Info:     iter=5 wires=1 overused=105 overuse=105 archfail=NA\n");
        let why = w.verdict().expect("three iterations without a new lowest");
        assert!(
            why.contains("was 100 at iteration 2") && why.contains("it is 105 (iteration 5)"),
            "{why}"
        );
        // Patience 0 never stops; nor does a router that keeps finding new lows.
        let mut never = PnrWatch::new(0);
        never.feed(PLACED);
        never.feed(&iters(&[900, 100, 120, 130, 140, 150, 160]));
        assert_eq!(never.verdict(), None);
        let mut falling = PnrWatch::new(2);
        falling.feed(PLACED);
        falling.feed(&iters(&[900, 950, 800, 850, 700, 720, 600, 0]));
        assert_eq!(falling.verdict(), None);
        assert!(
            falling.status().contains("iteration 7, 0 overused"),
            "{}",
            falling.status()
        );
    }

    #[test]
    fn router1_progress() {
        let mut w = PnrWatch::new(3);
        w.feed("Info: Running Static placer...\nInfo: Routing..\nInfo: Routing 27955 arcs.\n");
        w.feed("Info:            |   (re-)routed arcs  |   delta    | remaining|       time spent     |\n");
        w.feed("Info:      16000 |     3902      12097 |  203   797 |    188477|       2.07      21.85|\n");
        assert_eq!(w.status(), "routing: router1, 188477 arcs left");
        assert_eq!(w.verdict(), None);
    }
}
