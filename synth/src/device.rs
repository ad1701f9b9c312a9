//! Target families and device totals, for a synthesis-level "does it fit" estimate.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// FPGA family a synthesis run targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (UltraPlus UP5K on the iCEBreaker): `synth_ice40 -dsp`.
    Ice40,
    /// Lattice ECP5 (LFE5U-85F on the ULX3S): `synth_ecp5`.
    Ecp5,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::Ice40, Family::Ecp5];

    /// Lower-case name, as used in file names and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        }
    }

    /// The Verilog macro defined while reading sources (`read_verilog -DICE40`).
    pub fn define(self) -> &'static str {
        match self {
            Family::Ice40 => "ICE40",
            Family::Ecp5 => "ECP5",
        }
    }

    /// The project's board device for this family.
    pub fn device(self) -> &'static Device {
        match self {
            Family::Ice40 => &ICE40_UP5K,
            Family::Ecp5 => &LFE5U_85F,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "ice40" | "up5k" | "icebreaker" => Ok(Family::Ice40),
            "ecp5" | "85f" | "lfe5u-85f" | "ulx3s" => Ok(Family::Ecp5),
            other => Err(format!(
                "unknown FPGA family `{other}` (expected ice40 or ecp5)"
            )),
        }
    }
}

/// A resource class counted against a device's total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// iCE40 logic cells (LUT4 + carry + DFF each) / ECP5 LUT4s.
    Logic,
    /// Flip-flops (ECP5 only; on iCE40 they live in the logic cells).
    FlipFlops,
    /// SB_MAC16 / MULT18X18D.
    Dsp,
    /// SB_RAM40_4K (4 Kbit EBR) / DP16KD (18 Kbit EBR).
    BlockRam,
    /// SB_SPRAM256KA (256 Kbit single-port RAM, UltraPlus only).
    SpRam,
}

impl Resource {
    pub const ALL: [Resource; 5] = [
        Resource::Logic,
        Resource::FlipFlops,
        Resource::Dsp,
        Resource::BlockRam,
        Resource::SpRam,
    ];
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Logic => "logic",
            Resource::FlipFlops => "flip-flops",
            Resource::Dsp => "DSP",
            Resource::BlockRam => "block RAM",
            Resource::SpRam => "SPRAM",
        })
    }
}

/// Device totals (from the Lattice data sheets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub name: &'static str,
    pub family: Family,
    /// Logic cells (iCE40) or LUT4s (ECP5).
    pub logic: u64,
    pub flip_flops: u64,
    pub dsp: u64,
    pub block_ram: u64,
    pub spram: u64,
}

/// iCE40 UltraPlus UP5K (iCEBreaker): 5280 LCs, 8 SB_MAC16, 30 EBR (4 Kbit), 4 SPRAM (256 Kbit).
pub const ICE40_UP5K: Device = Device {
    name: "iCE40UP5K",
    family: Family::Ice40,
    logic: 5280,
    flip_flops: 5280,
    dsp: 8,
    block_ram: 30,
    spram: 4,
};

/// ECP5 LFE5U-85F (ULX3S): 83,640 LUT4 (and as many FFs), 156 MULT18X18D, 208 DP16KD.
pub const LFE5U_85F: Device = Device {
    name: "LFE5U-85F",
    family: Family::Ecp5,
    logic: 83_640,
    flip_flops: 83_640,
    dsp: 156,
    block_ram: 208,
    spram: 0,
};

impl Device {
    pub fn capacity(&self, resource: Resource) -> u64 {
        match resource {
            Resource::Logic => self.logic,
            Resource::FlipFlops => self.flip_flops,
            Resource::Dsp => self.dsp,
            Resource::BlockRam => self.block_ram,
            Resource::SpRam => self.spram,
        }
    }
}

/// One resource's use against a device's total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceUse {
    pub resource: Resource,
    pub used: u64,
    pub available: u64,
}

impl ResourceUse {
    pub fn is_over(&self) -> bool {
        self.used > self.available
    }

    /// Percentage used (0 when the device has none and none is used).
    pub fn percent(&self) -> f64 {
        if self.available == 0 {
            if self.used == 0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            100.0 * self.used as f64 / self.available as f64
        }
    }
}

impl fmt::Display for ResourceUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{} ({:.1}%)",
            self.resource,
            self.used,
            self.available,
            self.percent()
        )
    }
}
