//! Exact cycle counts of the tile's commands, predicted from the static schedule
//! (no simulation). The RTL is checked against these figures cycle for cycle.
//!
//! A matmul command issues, after a prologue that installs the first weight tile,
//! one *period* per weight tile (`kt * nt` tiles): `P = max(m, I)` cycles in which
//! the `m` activation rows of the tile stream through the array while the next
//! tile's `I = ceil(cols / weight_banks)` install words are read. Then the pipeline
//! drains: 1 SRAM read + [`ARRAY_LATENCY`] + 1 accumulator write.

use crate::TileConfig;

/// Clocks from the array's inputs to its sums: activation register, product
/// register, two adder-tree stages.
pub const ARRAY_LATENCY: u64 = 4;

/// Cycles a matmul stays busy after its last issue cycle.
pub const MATMUL_DRAIN: u64 = 1 + ARRAY_LATENCY + 1;

/// Pipeline depth of one requantization lane.
pub const REQUANT_LANE_LATENCY: u64 = 5;

/// Cycles a requantize command stays busy after its last read: accumulator read,
/// lane pipeline, output register (the row's vector is written the cycle after).
pub const REQUANT_DRAIN: u64 = 1 + REQUANT_LANE_LATENCY + 1;

/// Busy cycles of a matmul command of `m` rows over `kt` K tiles and `nt` N tiles.
pub fn matmul_cycles(cfg: &TileConfig, m: u64, kt: u64, nt: u64) -> u64 {
    let install = cfg.install_cycles() as u64;
    install + kt * nt * m.max(install) + MATMUL_DRAIN
}

/// Busy cycles of a requantize command over `rows` accumulator rows: one read per
/// row and column group (`cols / requant_lanes` beats per row), then the drain.
pub fn requant_cycles(cfg: &TileConfig, rows: u64) -> u64 {
    rows * cfg.requant_beats() as u64 + REQUANT_DRAIN
}

/// Array utilization of a matmul: useful MACs over MAC-unit cycles.
pub fn utilization(cfg: &TileConfig, macs: u64, cycles: u64) -> f64 {
    if cycles == 0 {
        return 0.0;
    }
    macs as f64 / (cycles as f64 * cfg.mac_units() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemv_and_batch_utilization_targets() {
        for p in crate::config::PRESET_NAMES {
            let c = TileConfig::preset(p).unwrap();
            let (k, n) = (8 * c.rows, 8 * c.cols);
            let (kt, nt) = (8, 8);
            let big = utilization(&c, 64 * (k * n) as u64, matmul_cycles(&c, 64, kt, nt));
            assert!(big >= 0.85, "{p}: batch-64 utilization {big}");
            let one = utilization(&c, (k * n) as u64, matmul_cycles(&c, 1, kt, nt));
            assert!(
                one >= 0.85 * c.gemv_utilization_bound(),
                "{p}: GEMV utilization {one} vs bound {}",
                c.gemv_utilization_bound()
            );
        }
    }

    #[test]
    fn small_cases() {
        let c = TileConfig::preset("sim-small").unwrap();
        // I = 2: prologue 2, one period of max(1, 2) = 2, drain 6.
        assert_eq!(matmul_cycles(&c, 1, 1, 1), 2 + 2 + 6);
        assert_eq!(matmul_cycles(&c, 5, 3, 2), 2 + 6 * 5 + 6);
        assert_eq!(requant_cycles(&c, 7), 7 + 7);
        let ice = TileConfig::preset("icebreaker").unwrap();
        assert_eq!(requant_cycles(&ice, 7), 7 * 4 + 7);
    }
}
