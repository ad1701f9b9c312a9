//! Utilization and the throughput targets of the matmul schedule.
//!
//! Every cycle count is predicted from the program alone by [`crate::schedule`]; the
//! matmul programs [`crate::gemm`] compiles have the closed form
//! [`crate::gemm::matmul_program_cycles`]: the first tile installs (`I` cycles), then one
//! period of `max(M, I)` cycles per weight tile, then the last rows drain through the
//! array and the accumulator.

use crate::TileConfig;

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
    use crate::gemm::matmul_program_cycles;

    #[test]
    fn gemv_and_batch_utilization_targets() {
        for p in crate::config::PRESET_NAMES {
            let c = TileConfig::preset(p).unwrap();
            let (k, n) = (8 * c.rows, 8 * c.cols);
            let big = utilization(&c, 64 * (k * n) as u64, matmul_program_cycles(&c, 64, 8, 8));
            assert!(big >= 0.85, "{p}: batch-64 utilization {big}");
            let one = utilization(&c, (k * n) as u64, matmul_program_cycles(&c, 1, 8, 8));
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
        // I = 2: first run at cycle 2, one row, last accumulator write at 2 + 1 + 6.
        assert_eq!(matmul_program_cycles(&c, 1, 1, 1), 10);
        // M = 5: runs at 2, 7, ..., 2 + 5 * 5; the last drains 5 + 6 cycles later.
        assert_eq!(matmul_program_cycles(&c, 5, 2, 3), 2 + 5 * 5 + 5 + 7);
    }
}
