//! The worst path of each clock domain, from nextpnr's `--report` JSON
//! (`critical_paths`), summarized for the board report: where it starts and ends, its
//! delay split into logic and routing, and the design blocks it passes through.
//!
//! nextpnr lists one path per pair of clock edges; only a clock's paths to itself are
//! kept (paths between clocks cross through synchronizers and are not timed alike). A
//! block is a cell name's leading hierarchy, at most three levels, up to the first
//! level that synthesis made up (upper case or `$`, or a number): `card.tile.vxu` from
//! `card.tile.vxu.alu.bx3_PFUMX_Z_4`, `bridge.state` from `bridge.state.q_TRELLIS_FF_Q`.

use serde::{Deserialize, Serialize};

/// One clock's worst register-to-register path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalPath {
    /// Start: `cell.port` (a flip-flop's or block RAM's output).
    pub from: String,
    /// End: `cell.port` (a flip-flop's or block RAM's input).
    pub to: String,
    /// Total delay (ns), clock-to-out and setup included.
    pub delay_ns: f64,
    /// Of which in cells (clock-to-out, logic, setup).
    pub logic_ns: f64,
    /// Of which in routing.
    pub routing_ns: f64,
    /// The blocks the path passes through, in order (repeats merged).
    pub blocks: Vec<String>,
}

impl CriticalPath {
    /// One line: delay, split, and the blocks.
    pub fn line(&self) -> String {
        format!(
            "worst path {:.2} ns ({:.2} logic, {:.2} routing): {}",
            self.delay_ns,
            self.logic_ns,
            self.routing_ns,
            self.blocks.join(" -> ")
        )
    }
}

/// The block of a cell name (see the module documentation); None for a cell that
/// nextpnr or synthesis named on its own (`$nextpnr_CCU2C_80$CCU2_COMB0`).
pub fn block_of(cell: &str) -> Option<String> {
    let mut parts = Vec::new();
    for p in cell.split('.').take(3) {
        let made_up = p.is_empty()
            || p.contains('$')
            || p.chars().any(|c| c.is_ascii_uppercase())
            || p.chars().all(|c| c.is_ascii_digit());
        if made_up {
            break;
        }
        parts.push(p);
    }
    (!parts.is_empty()).then(|| parts.join("."))
}

/// The same-clock worst paths in a nextpnr report, keyed by clock net (the names of
/// the report's `fmax` object). Malformed entries are skipped.
pub fn critical_paths(report: &serde_json::Value) -> Vec<(String, CriticalPath)> {
    let mut out = Vec::new();
    let Some(paths) = report.get("critical_paths").and_then(|p| p.as_array()) else {
        return out;
    };
    for p in paths {
        let edge = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let (from, to) = (edge("from"), edge("to"));
        let net = |e: &str| {
            e.strip_prefix("posedge ")
                .or_else(|| e.strip_prefix("negedge "))
                .map(str::to_string)
        };
        let Some(clock) = net(from) else { continue };
        if from != to {
            continue;
        }
        let Some(segs) = p.get("path").and_then(|s| s.as_array()) else {
            continue;
        };
        let end = |s: &serde_json::Value, k: &str| -> Option<(String, String)> {
            let e = s.get(k)?;
            Some((
                e.get("cell")?.as_str()?.to_string(),
                e.get("port")?.as_str()?.to_string(),
            ))
        };
        let (mut logic, mut routing) = (0.0, 0.0);
        let mut blocks: Vec<String> = Vec::new();
        for s in segs {
            let d = s.get("delay").and_then(|d| d.as_f64()).unwrap_or(0.0);
            if s.get("type").and_then(|t| t.as_str()) == Some("routing") {
                routing += d;
                continue;
            }
            logic += d;
            if let Some(b) = end(s, "from").and_then(|(c, _)| block_of(&c)) {
                if blocks.last() != Some(&b) {
                    blocks.push(b);
                }
            }
        }
        let (Some(first), Some(last)) = (
            segs.first().and_then(|s| end(s, "from")),
            segs.last().and_then(|s| end(s, "to")),
        ) else {
            continue;
        };
        out.push((
            clock,
            CriticalPath {
                from: format!("{}.{}", first.0, first.1),
                to: format!("{}.{}", last.0, last.1),
                delay_ns: logic + routing,
                logic_ns: logic,
                routing_ns: routing,
                blocks,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_stop_at_made_up_names() {
        let b = |c: &str| block_of(c);
        assert_eq!(
            b("card.tile.vxu.alu.bx3_PFUMX_Z_4").as_deref(),
            Some("card.tile.vxu")
        );
        assert_eq!(
            b("bridge.state.q_TRELLIS_FF_Q").as_deref(),
            Some("bridge.state")
        );
        assert_eq!(
            b("card.tile.acc.mem.mem0.0.1").as_deref(),
            Some("card.tile.acc")
        );
        assert_eq!(b("card.0.x").as_deref(), Some("card"));
        assert_eq!(b("$nextpnr_CCU2C_80$CCU2_COMB0"), None);
        assert_eq!(b(""), None);
    }

    #[test]
    fn same_clock_paths_are_summarized() {
        let seg = |ty: &str, d: f64, cell: &str, port: &str| {
            serde_json::json!({"type": ty, "delay": d,
                "from": {"cell": cell, "port": port}, "to": {"cell": cell, "port": port}})
        };
        let report = serde_json::json!({"critical_paths": [
            {"from": "posedge clk", "to": "posedge clk", "path": [
                seg("clk-to-q", 5.5, "card.tile.acc.mem.mem0.0.1", "DOB11"),
                seg("routing", 2.5, "card.tile.acc.mem.mem0.0.1", "DOB11"),
                seg("logic", 0.5, "card.tile.acc.add_CCU2C_S0", "F"),
                seg("logic", 0.25, "$nextpnr_CCU2C_1$CCU2_COMB0", "F"),
                seg("routing", 1.0, "card.tile.acc.add_CCU2C_S0", "F"),
                seg("logic", 0.5, "card.tile.seq.f_LUT4_Z", "F"),
                seg("setup", 0.25, "card.tile.seq.f_TRELLIS_FF", "DI"),
            ]},
            {"from": "<async>", "to": "posedge clk", "path": []},
            {"from": "posedge clk", "to": "posedge rx", "path": [
                seg("clk-to-q", 1.0, "a.b", "Q")]},
        ]});
        let p = critical_paths(&report);
        assert_eq!(p.len(), 1, "{p:?}");
        let (clock, c) = &p[0];
        assert_eq!(clock, "clk");
        assert_eq!(c.from, "card.tile.acc.mem.mem0.0.1.DOB11");
        assert_eq!(c.to, "card.tile.seq.f_TRELLIS_FF.DI");
        assert_eq!((c.logic_ns, c.routing_ns, c.delay_ns), (7.0, 3.5, 10.5));
        assert_eq!(c.blocks, vec!["card.tile.acc", "card.tile.seq"]);
        assert_eq!(
            c.line(),
            "worst path 10.50 ns (7.00 logic, 3.50 routing): card.tile.acc -> card.tile.seq"
        );
        assert!(critical_paths(&serde_json::json!({})).is_empty());
    }
}
