//! Where a matmul's operands sit in the tile's SRAM, how a large matmul is cut into
//! array-sized tiles, and a model of the datapath working on that SRAM image.
//!
//! For `C[M, N] = A[M, K] · B[K, N]` on an array of `lanes` rows and `cols` columns
//! (`kt = ceil(K / lanes)` K tiles, `nt = ceil(N / cols)` N tiles, zero padded):
//! - **bank 0** word `a_base + kt_i * M + i` holds `A[i, kt_i*lanes ..][..lanes]`;
//! - weight tile `t = nt_i * kt + kt_i` has `I = ceil(cols / wb)` install words; in
//!   word `w` weight bank `b` (bank `b + 1`) at address `w_base + t * I + w` holds
//!   column `c = w * wb + b` of the tile: `B[kt_i*lanes ..][..lanes, nt_i*cols + c]`;
//! - accumulator row `acc_base + nt_i * M + i` holds `C[i, nt_i*cols ..][..cols]`.
//!
//! Lane `l` of a word is bits `8l .. 8l+8`; column `c` of an accumulator row is bits
//! `32c .. 32c+32`.

// Index arithmetic over (tile, row, lane) reads clearer with explicit ranges.
#![allow(clippy::needless_range_loop)]

use crate::TileConfig;

/// A matmul cut into tiles for one tile configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulPlan {
    /// Rows of A and C.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
    /// K tiles (`ceil(k / lanes)`).
    pub kt: usize,
    /// N tiles (`ceil(n / cols)`).
    pub nt: usize,
    /// First activation word in bank 0.
    pub a_base: usize,
    /// First weight word in every weight bank.
    pub w_base: usize,
    /// First accumulator row.
    pub acc_base: usize,
}

/// A matmul that cannot run on this tile, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A dimension is zero.
    #[error("{dim} = 0: the tile runs non-empty matrices only (M, K, N >= 1)")]
    Empty {
        /// `M`, `K` or `N`.
        dim: &'static str,
    },
    /// An operand does not fit its memory.
    #[error("{what} needs {need} words but the {memory} holds {have} (tile config `{config}`)")]
    DoesNotFit {
        /// Which operand.
        what: String,
        /// Words needed.
        need: usize,
        /// Memory name.
        memory: &'static str,
        /// Words available.
        have: usize,
        /// Config name.
        config: String,
    },
}

impl MatmulPlan {
    /// Plan `[m, k] x [k, n]` with every operand at address 0, checking it fits.
    pub fn new(cfg: &TileConfig, m: usize, k: usize, n: usize) -> Result<Self, PlanError> {
        for (dim, v) in [("M", m), ("K", k), ("N", n)] {
            if v == 0 {
                return Err(PlanError::Empty { dim });
            }
        }
        let plan = MatmulPlan {
            m,
            k,
            n,
            kt: k.div_ceil(cfg.lanes),
            nt: n.div_ceil(cfg.cols),
            a_base: 0,
            w_base: 0,
            acc_base: 0,
        };
        let fit = |what: String, need: usize, memory, have: usize| {
            if need > have {
                Err(PlanError::DoesNotFit {
                    what,
                    need,
                    memory,
                    have,
                    config: cfg.name.clone(),
                })
            } else {
                Ok(())
            }
        };
        fit(
            format!("A [{m}, {k}] ({} K tiles x {m} rows)", plan.kt),
            plan.kt * m,
            "activation bank (bank 0)",
            cfg.act_depth,
        )?;
        fit(
            format!(
                "B [{k}, {n}] ({} weight tiles x {} install words)",
                plan.tiles(),
                cfg.install_cycles()
            ),
            plan.tiles() * cfg.install_cycles(),
            "weight banks",
            cfg.bank_depth,
        )?;
        fit(
            format!("C [{m}, {n}] ({} N tiles x {m} rows)", plan.nt),
            plan.nt * m,
            "accumulator memory",
            cfg.acc_depth,
        )?;
        // The command registers are 16 bits wide.
        fit(format!("M = {m}"), m, "16-bit row counter", 65535)?;
        Ok(plan)
    }

    /// Weight tiles (`kt * nt`).
    pub fn tiles(&self) -> usize {
        self.kt * self.nt
    }

    /// The order the tile runs the weight tiles in, as `(ni, ki)` (N tile, K tile):
    /// K-major, every N tile of one K tile before the next K tile, so that two updates of
    /// one accumulator row are `nt` runs apart ([`crate::gemm::run_period`]). The weight
    /// tiles keep their layout (tile `ni * kt + ki`); only their order follows this.
    pub fn run_order(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.kt).flat_map(move |ki| (0..self.nt).map(move |ni| (ni, ki)))
    }

    /// Multiply-accumulates of the matmul (`m * k * n`).
    pub fn macs(&self) -> u64 {
        (self.m * self.k * self.n) as u64
    }

    /// Bank 0 words (from `a_base`), each `lanes` int8.
    pub fn act_words(&self, cfg: &TileConfig, a: &[i8]) -> Vec<Vec<i8>> {
        assert_eq!(a.len(), self.m * self.k);
        let mut words = vec![vec![0i8; cfg.lanes]; self.kt * self.m];
        for t in 0..self.kt {
            for i in 0..self.m {
                for l in 0..cfg.lanes {
                    let kk = t * cfg.lanes + l;
                    if kk < self.k {
                        words[t * self.m + i][l] = a[i * self.k + kk];
                    }
                }
            }
        }
        words
    }

    /// Weight bank words (from `w_base`): `[weight bank][word][lane]`.
    pub fn weight_words(&self, cfg: &TileConfig, b: &[i8]) -> Vec<Vec<Vec<i8>>> {
        assert_eq!(b.len(), self.k * self.n);
        let wb = cfg.weight_banks();
        let inst = cfg.install_cycles();
        let mut banks = vec![vec![vec![0i8; cfg.lanes]; self.tiles() * inst]; wb];
        for ni in 0..self.nt {
            for ki in 0..self.kt {
                let t = ni * self.kt + ki;
                for c in 0..cfg.cols {
                    let (w, bank) = (c / wb, c % wb);
                    let col = ni * cfg.cols + c;
                    for l in 0..cfg.lanes {
                        let kk = ki * cfg.lanes + l;
                        if col < self.n && kk < self.k {
                            banks[bank][t * inst + w][l] = b[kk * self.n + col];
                        }
                    }
                }
            }
        }
        banks
    }

    /// Gather an `[m, n]` result from per-N-tile rows (`nt * m` rows, at least `cols`
    /// values each): accumulator rows give `C`, requantized words give `Y`.
    pub fn unpack<T: Copy + Default>(&self, cfg: &TileConfig, rows: &[Vec<T>]) -> Vec<T> {
        let mut c = vec![T::default(); self.m * self.n];
        for ni in 0..self.nt {
            for i in 0..self.m {
                for j in 0..cfg.cols {
                    let col = ni * cfg.cols + j;
                    if col < self.n {
                        c[i * self.n + col] = rows[ni * self.m + i][j];
                    }
                }
            }
        }
        c
    }

    /// The datapath's algorithm on the SRAM image: the accumulator rows it produces
    /// (`nt * m` rows of `cols` int32), computed tile by tile exactly as scheduled.
    pub fn run_datapath(
        &self,
        cfg: &TileConfig,
        act: &[Vec<i8>],
        weights: &[Vec<Vec<i8>>],
    ) -> Vec<Vec<i32>> {
        let wb = cfg.weight_banks();
        let inst = cfg.install_cycles();
        let mut acc = vec![vec![0i32; cfg.cols]; self.nt * self.m];
        for (ni, ki) in self.run_order() {
            let t = ni * self.kt + ki;
            for i in 0..self.m {
                let x = &act[self.a_base + ki * self.m + i];
                let row = &mut acc[ni * self.m + i];
                for (c, r) in row.iter_mut().enumerate() {
                    let w = &weights[c % wb][self.w_base + t * inst + c / wb];
                    let dot = x
                        .iter()
                        .zip(w)
                        .fold(0i32, |s, (&a, &b)| s.wrapping_add(a as i32 * b as i32));
                    *r = if ki == 0 { dot } else { r.wrapping_add(dot) };
                }
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::matmul;
    use rand::{Rng, SeedableRng};

    #[test]
    fn layout_and_datapath_agree_with_matmul() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for p in crate::config::PRESET_NAMES {
            let cfg = TileConfig::preset(p).unwrap();
            for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (4, 33, 17), (1, 64, 40)] {
                let a: Vec<i8> = (0..m * k).map(|_| rng.gen()).collect();
                let b: Vec<i8> = (0..k * n).map(|_| rng.gen()).collect();
                let plan = MatmulPlan::new(&cfg, m, k, n).unwrap();
                let acc = plan.run_datapath(
                    &cfg,
                    &plan.act_words(&cfg, &a),
                    &plan.weight_words(&cfg, &b),
                );
                assert_eq!(plan.unpack(&cfg, &acc), matmul(&a, &b, m, k, n), "{p}");
            }
        }
    }

    #[test]
    fn plan_errors_name_the_operand() {
        let cfg = TileConfig::preset("sim-small").unwrap();
        assert_eq!(
            MatmulPlan::new(&cfg, 0, 4, 4).unwrap_err(),
            PlanError::Empty { dim: "M" }
        );
        let e = MatmulPlan::new(&cfg, 2000, 4, 4).unwrap_err().to_string();
        assert!(
            e.contains("A [2000, 4]") && e.contains("activation bank"),
            "{e}"
        );
        let e = MatmulPlan::new(&cfg, 1, 4, 4000).unwrap_err().to_string();
        assert!(
            e.contains("B [4, 4000]") && e.contains("weight banks"),
            "{e}"
        );
        let e = MatmulPlan::new(&cfg, 600, 1, 4).unwrap_err().to_string();
        assert!(e.contains("accumulator"), "{e}");
    }
}
