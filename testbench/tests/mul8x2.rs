//! One `Mul8x2` (two signed 8 x 8 multipliers with operand and product registers) in
//! Verilator against int8 x int8, on every operand pair of both products, in each
//! form the flows build: behavioural (`Infer`), shift-and-add (`Lut`), the ECP5 form
//! of `Lut` (`CCU2C` carry chains, `-DECP5`, yosys's `ecp5/cells_sim.v` models) and the
//! iCE40 `SB_MAC16` form (`-DICE40`, yosys's `ice40/cells_sim.v` model).
//!
//! The iCE40 and ECP5 forms are also simulated **after synthesis**: the flow's own yosys
//! script (`minilpu_synth::yosys_synth`) maps the pair, and its netlist (written as
//! Verilog) runs against the same reference with yosys's models of the cells it uses.
//! This is what caught yosys's `ice40_dsp` pass rewriting the instantiated `SB_MAC16`
//! into a combinational 16 x 16 multiplier (`minilpu_synth::yosys::instantiates_sb_mac16`).
//!
//! The stimulus: `b0`/`b1` are loaded (`bload`) once every 256 cycles and hold while
//! `b` carries garbage; `a0` sweeps all 256 values meanwhile, `a1` too in another
//! order. A register-level reference (`ar <= a`, `br <= b` on `bload`, `p <= ar * br`)
//! gives the products each cycle, so the two-cycle latency is checked too.

use minilpu_hdl::{mul8x2_verilog, MulImpl};
use minilpu_synth::Family;
use minilpu_testbench::tile_sim::{
    netlist_sim_args, synthesized_netlist, yosys_cell_models, ECP5_LUT_FORM_CELLS,
};
use minilpu_testbench::verilated::{BuildOptions, VerilatedModel};
use rand::{Rng, SeedableRng};

/// The reference: operand registers and product registers.
#[derive(Default)]
struct Reference {
    ar: [u8; 2],
    br: [u8; 2],
    p: [i32; 2],
}

impl Reference {
    fn edge(&mut self, a: [u8; 2], b: [u8; 2], bload: bool) {
        for k in 0..2 {
            self.p[k] = self.ar[k] as i8 as i32 * self.br[k] as i8 as i32;
        }
        self.ar = a;
        if bload {
            self.br = b;
        }
    }
}

fn check(how: MulImpl, define: Option<(&str, &str, &[&str])>) {
    let mut verilog = mul8x2_verilog(how);
    // The harness already passes its warning waivers (`verilated/build.rs`).
    let mut extra_args = Vec::new();
    if let Some((def, family, cells)) = define {
        verilog += &yosys_cell_models(family, cells).unwrap();
        extra_args.push(format!("-D{def}"));
        // The ECP5 form leaves `TRELLIS_FF`'s `CE` and `M` open, as yosys does.
        extra_args.push("-Wno-PINMISSING".into());
    }
    simulate(&verilog, extra_args, &format!("{how:?} {define:?}"));
}

/// `how` through the flow's yosys script for `family`, then its netlist in Verilator with
/// yosys's models of every cell type in it.
fn check_synthesized(how: MulImpl, family: Family) {
    let netlist = synthesized_netlist(&mul8x2_verilog(how), "top", family, "mul8x2")
        .unwrap_or_else(|e| panic!("{e}"));
    let what = format!("{how:?} synthesized for {}", family.name());
    simulate(&netlist, netlist_sim_args(family), &what);
}

fn simulate(verilog: &str, extra_args: Vec<String>, what: &str) {
    let opts = BuildOptions {
        extra_args,
        ..Default::default()
    };
    let mut sim =
        VerilatedModel::build(verilog, "top", &opts).unwrap_or_else(|e| panic!("{what}: {e}"));
    let port = |n: &str| sim.port(n).unwrap();
    let (a0, b0, a1, b1, bload, p0, p1) = (
        port("a0"),
        port("b0"),
        port("a1"),
        port("b1"),
        port("bload"),
        port("p0"),
        port("p1"),
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut want = Reference::default();
    let mut seen = [[false; 256 * 256]; 2];
    // 256 loads of b, each followed by a sweep of a; two more cycles drain.
    for n in 0..256 * 256 + 2 {
        let (hi, lo) = ((n / 256) as u8, (n % 256) as u8);
        let a = [lo, lo.wrapping_mul(167) ^ 0x5a];
        let load = lo == 0;
        let b = if load {
            [hi, hi.wrapping_mul(73) ^ 0xa5]
        } else {
            [rng.gen(), rng.gen()]
        };
        for (p, v) in [(a0, a[0]), (a1, a[1]), (b0, b[0]), (b1, b[1])] {
            sim.set_u64(p, v as u64);
        }
        sim.set_u64(bload, load as u64);
        sim.eval();
        sim.tick();
        let (ar, br) = (want.ar, want.br);
        want.edge(a, b, load);
        for (k, p) in [(0, p0), (1, p1)] {
            let got = sim.get_u64(p) as u32 as i32;
            assert_eq!(
                got, want.p[k],
                "{what} cycle {n}: p{k} for {} * {}",
                ar[k] as i8, br[k] as i8
            );
            seen[k][(ar[k] as usize) << 8 | br[k] as usize] = true;
        }
    }
    // Every operand pair was multiplied by both multipliers.
    for (k, s) in seen.iter().enumerate() {
        assert!(s.iter().all(|&x| x), "{what}: p{k} missed an operand pair");
    }
}

#[test]
fn behavioural_pair_multiplies_every_int8_pair() {
    check(MulImpl::Infer, None);
}

#[test]
fn shift_and_add_pair_multiplies_every_int8_pair() {
    check(MulImpl::Lut, None);
}

#[test]
fn ecp5_carry_chain_pair_multiplies_every_int8_pair() {
    check(MulImpl::Lut, Some(("ECP5", "ecp5", ECP5_LUT_FORM_CELLS)));
}

#[test]
fn ice40_mac16_pair_multiplies_every_int8_pair() {
    check(MulImpl::Ice40Mac16, Some(("ICE40", "ice40", &["SB_MAC16"])));
}

#[test]
fn ice40_mac16_pair_after_synthesis_multiplies_every_int8_pair() {
    check_synthesized(MulImpl::Ice40Mac16, Family::Ice40);
}

#[test]
fn ecp5_carry_chain_pair_after_synthesis_multiplies_every_int8_pair() {
    check_synthesized(MulImpl::Lut, Family::Ecp5);
}
