//! `Pll`: the board clock generator in front of the tile: an iCE40 `SB_PLL40_PAD` or an
//! ECP5 `EHXPLLL` whose dividers are computed here (the same searches as icestorm's
//! `icepll` and Project Trellis's `ecppll`), or a plain wire.
//!
//! ```text
//!   clk_in (board oscillator pin) --> SB_PLL40_PAD / EHXPLLL / wire --> clk_out, locked
//! ```
//! The primitive is emitted inside `` `ifdef ICE40 `` / `` `ifdef ECP5 `` (the defines
//! the synthesis flow passes to yosys); without the define (Verilator, lint) the block is
//! a wire with `locked` high, so one Verilog text serves simulation and synthesis. In
//! simulation time is counted in clock cycles, so a PLL changes nothing there.
//! - **Latency**: none (a clock); `locked` rises when the PLL has locked (the primitive's
//!   `LOCK`), and stays high.
//! - **Reset**: none; the PLLs run from configuration on (`RESETB` high, `RST` low).
//!
//! Example: `ice40_pll(12.0, 40.0)` gives DIVR 0, DIVF 52, DIVQ 4, FILTER_RANGE 1:
//! 12 MHz x 53 / 16 = 39.75 MHz (exactly what `icepll -i 12 -o 40` prints).

use rust_hdl::prelude::*;

/// iCE40 `SB_PLL40_PAD` dividers (simple feedback path).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ice40Pll {
    /// Reference divider (0..=15): `f_pfd = f_in / (DIVR + 1)`.
    pub divr: u8,
    /// Feedback divider (0..=127): `f_vco = f_pfd * (DIVF + 1)`.
    pub divf: u8,
    /// Output divider (1..=6): `f_out = f_vco / 2^DIVQ`.
    pub divq: u8,
    /// Loop filter range (1..=6) for `f_pfd`.
    pub filter_range: u8,
    /// Input frequency (MHz).
    pub f_in_mhz: f64,
    /// Achieved output frequency (MHz).
    pub f_out_mhz: f64,
    /// VCO frequency (MHz), 533..=1066.
    pub f_vco_mhz: f64,
}

/// ECP5 `EHXPLLL` dividers (feedback from CLKOP).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ecp5Pll {
    /// Reference divider (1..=128).
    pub clki_div: u32,
    /// Feedback divider (1..=80): `f_out = f_in / CLKI_DIV * CLKFB_DIV`.
    pub clkfb_div: u32,
    /// Output divider (1..=128): `f_vco = f_out * CLKOP_DIV`.
    pub clkop_div: u32,
    /// Coarse phase of CLKOP (ecppll shifts it by 180 degrees, as Lattice's tools do).
    pub clkop_cphase: u32,
    /// Input frequency (MHz).
    pub f_in_mhz: f64,
    /// Achieved output frequency (MHz).
    pub f_out_mhz: f64,
    /// VCO frequency (MHz), 400..=800.
    pub f_vco_mhz: f64,
}

/// What generates the tile's clock on a board.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PllSetting {
    /// The board clock drives the tile directly.
    Bypass,
    /// An iCE40 `SB_PLL40_PAD` (its input must be a PLL-capable pad, e.g. iCEBreaker pin 35).
    Ice40(Ice40Pll),
    /// An ECP5 `EHXPLLL`.
    Ecp5(Ecp5Pll),
}

impl PllSetting {
    /// The tile clock (MHz) for a board clock of `f_in_mhz`.
    pub fn f_out_mhz(&self, f_in_mhz: f64) -> f64 {
        match self {
            PllSetting::Bypass => f_in_mhz,
            PllSetting::Ice40(p) => p.f_out_mhz,
            PllSetting::Ecp5(p) => p.f_out_mhz,
        }
    }
}

/// The `SB_PLL40_PAD` setting closest to `f_req_mhz` from `f_in_mhz` (icepll's search:
/// PFD 10..=133 MHz, VCO 533..=1066 MHz, the first best in DIVR, DIVF, DIVQ order), or
/// `None` when nothing lies within the PLL's 16..=275 MHz output range.
pub fn ice40_pll(f_in_mhz: f64, f_req_mhz: f64) -> Option<Ice40Pll> {
    let mut best: Option<Ice40Pll> = None;
    for divr in 0..=15u8 {
        let f_pfd = f_in_mhz / (divr as f64 + 1.0);
        if !(10.0..=133.0).contains(&f_pfd) {
            continue;
        }
        for divf in 0..=127u8 {
            let f_vco = f_pfd * (divf as f64 + 1.0);
            if !(533.0..=1066.0).contains(&f_vco) {
                continue;
            }
            for divq in 1..=6u8 {
                let f_out = f_vco / f64::from(1u32 << divq);
                let better = match &best {
                    None => true,
                    Some(b) => (f_out - f_req_mhz).abs() < (b.f_out_mhz - f_req_mhz).abs(),
                };
                if better {
                    let filter_range = match f_pfd {
                        f if f < 17.0 => 1,
                        f if f < 26.0 => 2,
                        f if f < 44.0 => 3,
                        f if f < 66.0 => 4,
                        f if f < 101.0 => 5,
                        _ => 6,
                    };
                    best = Some(Ice40Pll {
                        divr,
                        divf,
                        divq,
                        filter_range,
                        f_in_mhz,
                        f_out_mhz: f_out,
                        f_vco_mhz: f_vco,
                    });
                }
            }
        }
    }
    best.filter(|b| (16.0..=275.0).contains(&b.f_out_mhz))
}

/// The `EHXPLLL` setting closest to `f_req_mhz` from `f_in_mhz` (ecppll's search and its
/// single-precision arithmetic: PFD 3.125..=400 MHz, VCO 400..=800 MHz, ties broken
/// towards a 600 MHz VCO), or `None` outside the 10..=400 MHz output range.
pub fn ecp5_pll(f_in_mhz: f64, f_req_mhz: f64) -> Option<Ecp5Pll> {
    let (input, output) = (f_in_mhz as f32, f_req_mhz as f32);
    let mut error = f32::MAX;
    let mut best: Option<Ecp5Pll> = None;
    for input_div in 1..=128u32 {
        let fpfd = input / input_div as f32;
        if !(3.125..=400.0).contains(&fpfd) {
            continue;
        }
        for feedback_div in 1..=80u32 {
            for output_div in 1..=128u32 {
                let fvco = fpfd * feedback_div as f32 * output_div as f32;
                if !(400.0..=800.0).contains(&fvco) {
                    continue;
                }
                let fout = fvco / output_div as f32;
                let e = (fout - output).abs();
                let closer_vco = best
                    .as_ref()
                    .is_some_and(|b| (fvco - 600.0).abs() < (b.f_vco_mhz as f32 - 600.0).abs());
                if e < error || (e == error && closer_vco) {
                    error = e;
                    // ecppll: ns_phase = 1 / (fout * 1e6) * 0.5 (a float),
                    // cphase = ns_phase * (fvco * 1e6) truncated.
                    let ns_phase = (1.0 / (fout as f64 * 1e6) * 0.5) as f32;
                    let cphase = (ns_phase as f64 * (fvco as f64 * 1e6)) as u32;
                    best = Some(Ecp5Pll {
                        clki_div: input_div,
                        clkfb_div: feedback_div,
                        clkop_div: output_div,
                        clkop_cphase: cphase,
                        f_in_mhz,
                        f_out_mhz: fout as f64,
                        f_vco_mhz: fvco as f64,
                    });
                }
            }
        }
    }
    best.filter(|b| (10.0..=400.0).contains(&b.f_out_mhz))
}

/// The clock generator leaf.
#[derive(LogicBlock)]
pub struct Pll {
    /// Board oscillator.
    pub clk_in: Signal<In, Clock>,
    /// Tile clock.
    pub clk_out: Signal<Out, Clock>,
    /// The PLL has locked (always high without a PLL).
    pub locked: Signal<Out, Bit>,
    _setting: PllSetting,
}

impl Pll {
    /// A clock generator with `setting`.
    pub fn new(setting: PllSetting) -> Self {
        Self {
            clk_in: Default::default(),
            clk_out: Default::default(),
            locked: Default::default(),
            _setting: setting,
        }
    }
}

/// Format a frequency for a Verilog attribute the way ecppll does (`50`, `39.75`).
fn mhz(f: f64) -> String {
    let s = format!("{f:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Logic for Pll {
    fn update(&mut self) {
        self.clk_out.next = self.clk_in.val();
        self.locked.next = true;
    }
    fn connect(&mut self) {
        self.clk_out.connect();
        self.locked.connect();
    }
    fn hdl(&self) -> Verilog {
        let wire = "always @(*) begin\n    clk_out = clk_in;\n    locked = 1'b1;\nend\n";
        let (define, primitive) = match self._setting {
            PllSetting::Bypass => return Verilog::Custom(wire.into()),
            PllSetting::Ice40(p) => (
                "ICE40",
                format!(
                    "\
// {fin} MHz -> {fout} MHz (VCO {vco} MHz)
SB_PLL40_PAD #(
    .FEEDBACK_PATH(\"SIMPLE\"),
    .DIVR(4'd{divr}),
    .DIVF(7'd{divf}),
    .DIVQ(3'd{divq}),
    .FILTER_RANGE(3'd{fr})
) pll_i (
    .PACKAGEPIN(clk_in),
    .PLLOUTGLOBAL(pll_clk),
    .LOCK(pll_lock),
    .RESETB(1'b1),
    .BYPASS(1'b0)
);
",
                    fin = mhz(p.f_in_mhz),
                    fout = mhz(p.f_out_mhz),
                    vco = mhz(p.f_vco_mhz),
                    divr = p.divr,
                    divf = p.divf,
                    divq = p.divq,
                    fr = p.filter_range
                ),
            ),
            PllSetting::Ecp5(p) => (
                "ECP5",
                format!(
                    "\
// {fin} MHz -> {fout} MHz (VCO {vco} MHz)
(* FREQUENCY_PIN_CLKI=\"{fin}\" *)
(* FREQUENCY_PIN_CLKOP=\"{fout}\" *)
(* ICP_CURRENT=\"12\" *) (* LPF_RESISTOR=\"8\" *) (* MFG_ENABLE_FILTEROPAMP=\"1\" *) (* MFG_GMCREF_SEL=\"2\" *)
EHXPLLL #(
    .PLLRST_ENA(\"DISABLED\"),
    .INTFB_WAKE(\"DISABLED\"),
    .STDBY_ENABLE(\"DISABLED\"),
    .DPHASE_SOURCE(\"DISABLED\"),
    .OUTDIVIDER_MUXA(\"DIVA\"),
    .OUTDIVIDER_MUXB(\"DIVB\"),
    .OUTDIVIDER_MUXC(\"DIVC\"),
    .OUTDIVIDER_MUXD(\"DIVD\"),
    .CLKI_DIV({clki}),
    .CLKOP_ENABLE(\"ENABLED\"),
    .CLKOP_DIV({clkop}),
    .CLKOP_CPHASE({cphase}),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH(\"CLKOP\"),
    .CLKFB_DIV({clkfb})
) pll_i (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clk_in),
    .CLKOP(pll_clk),
    .CLKFB(pll_clk),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(pll_lock)
);
",
                    fin = mhz(p.f_in_mhz),
                    fout = mhz(p.f_out_mhz),
                    vco = mhz(p.f_vco_mhz),
                    clki = p.clki_div,
                    clkop = p.clkop_div,
                    cphase = p.clkop_cphase,
                    clkfb = p.clkfb_div
                ),
            ),
        };
        Verilog::Custom(format!(
            "`ifdef {define}\nwire pll_clk;\nwire pll_lock;\n{primitive}\
             always @(*) begin\n    clk_out = pll_clk;\n    locked = pll_lock;\nend\n\
             `else\n{wire}`endif\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice40_12_to_40_matches_icepll() {
        let p = ice40_pll(12.0, 40.0).unwrap();
        assert_eq!((p.divr, p.divf, p.divq, p.filter_range), (0, 52, 4, 1));
        assert_eq!(p.f_out_mhz, 39.75);
        assert_eq!(p.f_vco_mhz, 636.0);
    }

    #[test]
    fn ecp5_25_to_50_matches_ecppll() {
        let p = ecp5_pll(25.0, 50.0).unwrap();
        assert_eq!(
            (p.clki_div, p.clkfb_div, p.clkop_div, p.clkop_cphase),
            (1, 2, 12, 5)
        );
        assert_eq!(p.f_out_mhz, 50.0);
    }

    #[test]
    fn out_of_range_is_none() {
        assert!(ice40_pll(12.0, 5.0).is_none());
        assert!(ecp5_pll(25.0, 2.0).is_none());
    }
}
