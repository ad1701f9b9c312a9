//! The one tile configuration, its named presets and its validation.
//!
//! A [`TileConfig`] is plain data (serde, TOML-loadable). Every consumer (RTL
//! generator, golden model, CLI, testbench) takes it through [`TileConfig::validate`],
//! so a bad value fails once, early, with a message naming the parameter and the
//! range it must lie in.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Width of every SRAM / accumulator address bus in the RTL (bits).
pub const ADDR_BITS: usize = 16;

/// Largest depth of any memory (instruction fields carry 14-bit word addresses).
pub const MAX_DEPTH: usize = crate::isa::MAX_DEPTH;

/// Vector widths (int8 lanes) the RTL generator is instantiated for.
pub const SUPPORTED_LANES: [usize; 3] = [4, 8, 16];

/// Names of the built-in presets, in the order `--help` lists them.
pub const PRESET_NAMES: [&str; 3] = ["sim-small", "icebreaker", "ulx3s-85f"];

/// What a weight bank is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BankKind {
    /// Block RAM inferred by yosys (iCE40 EBR, ECP5 DP16KD); simple dual port.
    Bram,
    /// iCE40 UltraPlus single-port SPRAM (SB_SPRAM256KA, 16 bit x 16384 each).
    Spram,
}

/// How the array's DSP multipliers are built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DspStyle {
    /// One `*` per multiplier; yosys infers a DSP for each (ECP5 MULT18X18D).
    Infer,
    /// Two 8x8 multipliers per iCE40 SB_MAC16 (its dual 8x8 mode).
    Ice40Mac16,
}

/// Parameters of one minilpu tile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileConfig {
    /// Preset or user name; used in file names and reports.
    pub name: String,
    /// int8 lanes per vector (= per SRAM word). One vector enters the array per cycle.
    pub lanes: usize,
    /// Matmul array rows: the K extent reduced per cycle. Must equal `lanes`.
    pub rows: usize,
    /// Matmul array columns: the N extent of one weight tile. At most `lanes`.
    pub cols: usize,
    /// SRAM banks. Bank 0 holds activations, banks 1.. hold weights, so `banks - 1`
    /// weight vectors are installed per cycle.
    pub banks: usize,
    /// Bits per SRAM word. Must equal `8 * lanes`.
    pub bank_width: usize,
    /// Words per weight bank (power of two).
    pub bank_depth: usize,
    /// Words of the activation bank, bank 0 (power of two).
    pub act_depth: usize,
    /// What the weight banks are built from.
    pub weight_bank_kind: BankKind,
    /// Rows of the int32 accumulator memory (each row holds `cols` int32; power of two).
    pub acc_depth: usize,
    /// 64-bit words of instruction memory (power of two).
    pub imem_depth: usize,
    /// How DSP-backed array multipliers are built.
    pub dsp_style: DspStyle,
    /// Array multipliers built from DSPs (the rest use LUTs); even, at most
    /// `rows * cols`.
    pub array_dsp_mults: usize,
    /// Columns the requantizer processes per cycle (divides `cols`).
    pub requant_lanes: usize,
    /// Requantizer multipliers (33 x 17 bit) in DSPs (true) or LUTs (false).
    pub requant_dsp: bool,
    /// Cycles the requantizer spends on each column group (1, 2, 4, 8 or 16; more than 1
    /// only with `requant_dsp = false`). With more than 1 each lane is a digit-serial
    /// multiplier taking `16 / requant_steps` bits of the multiplier per cycle: smaller,
    /// and `rq.run` takes `requant_steps` times as many cycles per row
    /// ([`TileConfig::requant_beats`]). Defaults to 1 (a parallel multiplier).
    #[serde(default = "default_requant_steps")]
    pub requant_steps: usize,
    /// The vector unit registers the words it reads before its ALU (the operand stage):
    /// `v.*` write word `i` at `t+5+i` (`v.argmax` its result at `t+V+6`) instead of
    /// `t+4+i` (`t+V+5`), see [`TileConfig::vector_write_delay`]. The stage takes the
    /// banks' read multiplexer out of the ALU's cycle (the slowest path of the ECP5
    /// builds without it); it costs `2 * 8 * lanes + ~25` flip-flops, which the
    /// iCEBreaker's full UP5K does not have. Defaults to true.
    #[serde(default = "default_true")]
    pub vector_operand_stage: bool,
    /// Register stages between the banks and the matmul array (0..=2, see
    /// [`ARRAY_FEED_STAGES_MAX`]). Each delays everything the array does by one cycle
    /// ([`TileConfig::array_feed_delay`]): `swap`, the install's shadow writes and
    /// `mxu.run`'s accumulator reads and writes; the banks are read when they were.
    /// The last stage is built once per [`ARRAY_FEED_GROUP`] columns, so that no
    /// register drives the whole array: on a large die the broadcast of the activations
    /// to every column is otherwise one long route. Defaults to 0.
    #[serde(default)]
    pub array_feed_stages: usize,
    /// Register stages on the tile's bank reads (0..=3, see [`BANK_READ_STAGES_MAX`]),
    /// so that on a large die neither a read address nor the read data need cross it in
    /// one cycle. The first registers each bank read port's address after its
    /// multiplexer: the read reaches the SRAM a cycle later
    /// ([`TileConfig::bank_address_delay`]). The second registers the data after the
    /// multiplexers that route it back to its reader. The third registers each bank's
    /// word at the SRAM's output, before those multiplexers (the block RAM's
    /// clock-to-out, 5.8 ns on the ECP5's DP16KD, then no longer shares a cycle with
    /// them). Every instruction that reads a
    /// bank (`mxu.load`, `mxu.run`, `rq.param`, `v.*`, `send`) has all its other effects
    /// (writes, swap, shadow, accumulator and parameter writes, the link post) `b`
    /// cycles later ([`TileConfig::bank_read_delay`]); its occupancy (when the next
    /// instruction to its unit may issue) is unchanged. `rq.run` and `recv` read no bank
    /// and do not move. Defaults to 0.
    #[serde(default)]
    pub bank_read_stages: usize,
    /// The accumulator registers the row `mxu.run` adds into before its adder (the
    /// accumulator read stage): `mxu.run` reads row `acc + r` a cycle earlier, at
    /// `t+5+f+r` instead of `t+6+f+r` ([`TileConfig::acc_read_delay`]), and still adds
    /// and writes it at `t+7+f+r`. The stage takes the block RAM's clock-to-out (5.8 ns
    /// on the ECP5's DP16KD) out of the read-add-write cycle, the slowest path of the
    /// ECP5 builds; it costs `32 * cols` flip-flops, and an update of a row must now
    /// read it at least one cycle after the previous update's write (the checker's
    /// rule, `docs/isa.md`). The stage also registers the accumulator's read address,
    /// and its word register is the output register for the other readers: `rq.run`
    /// reads each row a cycle later and gets it two cycles after that, so it writes its
    /// rows two cycles later ([`TileConfig::requant_write_delay`]), and a host load
    /// takes at least one extra cycle ([`TileConfig::host_load_cycles`]). Defaults to
    /// false.
    #[serde(default)]
    pub acc_read_stage: bool,
    /// The sequencer's fetch stage: the instruction word comes from a register loaded
    /// from instruction memory a cycle earlier, so the issue checks start at a
    /// flip-flop instead of at the block RAM's clock-to-out (5.8 ns on the ECP5's
    /// DP16KD), and the fetch address is the instruction two ahead (only loop ends
    /// jump, so it follows from the loop stack). The ISA's timing does not change
    /// (cycle 0 is still instruction 0's issue cycle); the host sees one fetch cycle
    /// after `start` before instruction 0 issues, so `busy` is high one clock longer
    /// ([`TileConfig::start_cycles`]). Costs 72 flip-flops and the address logic.
    /// Defaults to false.
    #[serde(default)]
    pub fetch_stage: bool,
    /// Where a half of the vector unit's argmax tree has two levels (the first half with
    /// 8 and 16 lanes, the second with 16 and 32), its four nodes are compared side by
    /// side and the first maximum picked by an AND-OR: one compare in the cycle instead
    /// of two in a row. The same results and timing. Defaults to true.
    #[serde(default = "default_true")]
    pub argmax_flat_halves: bool,
    /// The parallel DSP requantizer lanes register the two 18 x 18 products of `t * m`
    /// before the fabric adds them, instead of adding them in the multipliers' cycle.
    /// The same results and timing. Defaults to true.
    #[serde(default = "default_true")]
    pub requant_split_product: bool,
    /// Clock the board flow is asked to meet (MHz).
    pub target_mhz: f64,
    /// Serial data lanes of each chip-to-chip link (1..=4, plus a forwarded clock).
    #[serde(default = "default_link_lanes")]
    pub link_lanes: usize,
    /// Frame slots per link superframe (1..=64).
    #[serde(default = "default_link_frames")]
    pub link_frames_per_superframe: usize,
    /// Width of the link's frame and error counters (16..=32 bits; they count modulo
    /// `2^link_counter_bits`). Defaults to 32.
    #[serde(default = "default_link_counter_bits")]
    pub link_counter_bits: usize,
}

/// Bytes of the host port's staging buffer of a tile with `lanes` lanes: one bank word or
/// one instruction (8 bytes), whichever is larger (`hdl/src/host_port.rs`).
pub fn host_buffer_bytes(lanes: usize) -> usize {
    lanes.max(8).next_multiple_of(4)
}

/// Accumulator columns (int32) one host load (`CMD = 2` in the accumulator space) brings
/// into the staging buffer: a row is read in `cols / n` loads, the piece chosen by
/// `SEL`'s bank field (`hdl/src/host_port.rs`).
pub fn host_acc_columns_per_load(lanes: usize, cols: usize) -> usize {
    (host_buffer_bytes(lanes) / 4).min(cols)
}

/// Most register stages between the banks and the array
/// ([`TileConfig::array_feed_stages`]).
pub const ARRAY_FEED_STAGES_MAX: usize = 2;

/// Most register stages on a bank read: the address, the data at the SRAM's output
/// and the data after the route-back multiplexers ([`TileConfig::bank_read_stages`]).
pub const BANK_READ_STAGES_MAX: usize = 3;

/// Columns that share one copy of the last array feed stage.
pub const ARRAY_FEED_GROUP: usize = 4;

/// Allowed values of [`TileConfig::requant_steps`].
pub const REQUANT_STEPS: [usize; 5] = [1, 2, 4, 8, 16];

fn default_requant_steps() -> usize {
    1
}

fn default_true() -> bool {
    true
}

fn default_link_lanes() -> usize {
    4
}

fn default_link_frames() -> usize {
    8
}

fn default_link_counter_bits() -> usize {
    32
}

/// A parameter outside its allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid tile config `{config}`: {param} = {value}: {expected}")]
pub struct ConfigError {
    /// Config name.
    pub config: String,
    /// Offending parameter.
    pub param: &'static str,
    /// Its value, printed.
    pub value: String,
    /// The allowed range, in words.
    pub expected: String,
}

impl TileConfig {
    /// A built-in preset by name, validated. Unknown names list the known ones.
    pub fn preset(name: &str) -> Result<TileConfig, ConfigError> {
        let cfg = match name {
            // Small and fast: what most tests run on.
            "sim-small" => TileConfig {
                name: name.into(),
                lanes: 4,
                rows: 4,
                cols: 4,
                banks: 3,
                bank_width: 32,
                bank_depth: 1024,
                act_depth: 1024,
                weight_bank_kind: BankKind::Bram,
                acc_depth: 512,
                imem_depth: 1024,
                dsp_style: DspStyle::Infer,
                array_dsp_mults: 16,
                requant_lanes: 4,
                requant_dsp: true,
                requant_steps: 1,
                vector_operand_stage: true,
                array_feed_stages: 0,
                bank_read_stages: 0,
                acc_read_stage: false,
                fetch_stage: false,
                argmax_flat_halves: true,
                requant_split_product: true,
                target_mhz: 50.0,
                link_lanes: 4,
                link_frames_per_superframe: 8,
                link_counter_bits: 32,
            },
            // iCE40UP5K: 16 MACs, weights in 2 of the 4 SPRAMs (one bank of 2 x 16 bit:
            // a second weight bank costs ~320 of the UP5K's 5280 logic cells, which it
            // does not have, docs/boards.md), activations (8 EBR) and accumulators
            // (8 EBR) in EBR; one link lane (the UP5K's logic cells, not its pins, are
            // what is short).
            "icebreaker" => TileConfig {
                name: name.into(),
                lanes: 4,
                rows: 4,
                cols: 4,
                banks: 2,
                bank_width: 32,
                bank_depth: 16384,
                act_depth: 1024,
                weight_bank_kind: BankKind::Spram,
                acc_depth: 256,
                imem_depth: 256,
                // 16 MACs in the 8 SB_MAC16; one requantizer lane in LUTs.
                dsp_style: DspStyle::Ice40Mac16,
                array_dsp_mults: 16,
                requant_lanes: 1,
                requant_dsp: false,
                // A digit-serial lane: 4 bits of the multiplier per cycle.
                requant_steps: 4,
                // No operand stage: its ~30 logic cells are more than the UP5K has left
                // (docs/boards.md).
                vector_operand_stage: false,
                array_feed_stages: 0,
                bank_read_stages: 0,
                acc_read_stage: false,
                fetch_stage: false,
                argmax_flat_halves: true,
                requant_split_product: true,
                target_mhz: 40.0,
                link_lanes: 1,
                link_frames_per_superframe: 8,
                // 16-bit link counters (they wrap after 65536 frames, ~2 s of full
                // traffic): ~150 logic cells, the fit's margin (docs/boards.md).
                link_counter_bits: 16,
            },
            // ECP5-85F: 16x16 = 256 MACs, 8 weight banks of DP16KD.
            "ulx3s-85f" => TileConfig {
                name: name.into(),
                lanes: 16,
                rows: 16,
                cols: 16,
                banks: 9,
                bank_width: 128,
                bank_depth: 1024,
                act_depth: 1024,
                weight_bank_kind: BankKind::Bram,
                acc_depth: 512,
                imem_depth: 1024,
                // All 256 array multipliers in LUTs (on the ECP5 as carry chains, 36
                // CCU2C each, hdl/src/mul8_chain.rs); 32 of the 156 MULT18X18D for
                // the 16 requantizer lanes. With 124 array multipliers in DSPs too
                // (all 156 in use) nextpnr's router did not converge (docs/boards.md).
                dsp_style: DspStyle::Infer,
                array_dsp_mults: 0,
                requant_lanes: 16,
                requant_dsp: true,
                requant_steps: 1,
                vector_operand_stage: true,
                // The activation bank's word goes to every column of the 16 x 16
                // array: a register next to the bank, then one per four columns
                // (docs/boards.md).
                array_feed_stages: 2,
                // Every bank read address and read word registered on its way across
                // the die, the word also at its block RAM's output (docs/isa.md,
                // docs/boards.md "Bank read stages" and "The block RAMs' words
                // registered").
                bank_read_stages: 3,
                // The accumulator read stage (free for batch-1 matmuls with two N
                // tiles since the compiler runs K-major), the fetch stage, the argmax
                // tree halves side by side and the requantizer's split products: the
                // netlist with all four routes (docs/boards.md, "K-major matmuls").
                acc_read_stage: true,
                fetch_stage: true,
                argmax_flat_halves: true,
                requant_split_product: true,
                target_mhz: 100.0,
                link_lanes: 4,
                link_frames_per_superframe: 8,
                link_counter_bits: 32,
            },
            _ => {
                return Err(ConfigError {
                    config: name.into(),
                    param: "preset",
                    value: format!("{name:?}"),
                    expected: format!("one of {}", PRESET_NAMES.join(", ")),
                })
            }
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Load a TOML file and validate it.
    pub fn from_toml_file(path: &Path) -> Result<TileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read config: {e}", path.display()))?;
        let cfg: TileConfig =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        cfg.validate()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    /// Check every parameter; the first bad one is reported.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |param: &'static str, value: String, expected: String| ConfigError {
            config: self.name.clone(),
            param,
            value,
            expected,
        };
        let pow2 = |v: usize, lo: usize, hi: usize| v.is_power_of_two() && v >= lo && v <= hi;
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(
                "name",
                format!("{:?}", self.name),
                "a non-empty name of letters, digits, '-' and '_'".into(),
            ));
        }
        if !SUPPORTED_LANES.contains(&self.lanes) {
            return Err(err(
                "lanes",
                self.lanes.to_string(),
                format!("one of {SUPPORTED_LANES:?}"),
            ));
        }
        if self.rows != self.lanes {
            return Err(err(
                "rows",
                self.rows.to_string(),
                format!("equal to lanes ({})", self.lanes),
            ));
        }
        if !SUPPORTED_LANES.contains(&self.cols) || self.cols > self.lanes {
            return Err(err(
                "cols",
                self.cols.to_string(),
                format!(
                    "one of {:?} and at most lanes ({})",
                    SUPPORTED_LANES, self.lanes
                ),
            ));
        }
        if ![2, 3, 5, 9, 17].contains(&self.banks) {
            return Err(err(
                "banks",
                self.banks.to_string(),
                "one of 2, 3, 5, 9, 17 (one activation bank plus 1, 2, 4, 8 or 16 weight banks)"
                    .into(),
            ));
        }
        if self.bank_width != 8 * self.lanes {
            return Err(err(
                "bank_width",
                self.bank_width.to_string(),
                format!("8 * lanes = {}", 8 * self.lanes),
            ));
        }
        if !pow2(self.bank_depth, 16, MAX_DEPTH) {
            return Err(err(
                "bank_depth",
                self.bank_depth.to_string(),
                format!("a power of two in 16..={}", MAX_DEPTH),
            ));
        }
        if self.weight_bank_kind == BankKind::Spram && self.bank_depth != 16384 {
            return Err(err(
                "bank_depth",
                self.bank_depth.to_string(),
                "16384 when weight_bank_kind = \"spram\" (SB_SPRAM256KA is 16384 words deep)"
                    .into(),
            ));
        }
        if !pow2(self.act_depth, 16, MAX_DEPTH) {
            return Err(err(
                "act_depth",
                self.act_depth.to_string(),
                format!("a power of two in 16..={}", MAX_DEPTH),
            ));
        }
        if !pow2(self.acc_depth, 16, MAX_DEPTH) {
            return Err(err(
                "acc_depth",
                self.acc_depth.to_string(),
                format!("a power of two in 16..={}", MAX_DEPTH),
            ));
        }
        if !pow2(self.imem_depth, 16, MAX_DEPTH) {
            return Err(err(
                "imem_depth",
                self.imem_depth.to_string(),
                format!("a power of two in 16..={MAX_DEPTH}"),
            ));
        }
        if self.array_dsp_mults > self.mac_units() || !self.array_dsp_mults.is_multiple_of(2) {
            return Err(err(
                "array_dsp_mults",
                self.array_dsp_mults.to_string(),
                format!("an even number in 0..={} (rows * cols)", self.mac_units()),
            ));
        }
        if self.requant_lanes == 0 || !self.cols.is_multiple_of(self.requant_lanes) {
            return Err(err(
                "requant_lanes",
                self.requant_lanes.to_string(),
                format!("a divisor of cols ({})", self.cols),
            ));
        }
        if !REQUANT_STEPS.contains(&self.requant_steps)
            || (self.requant_steps > 1 && self.requant_dsp)
        {
            return Err(err(
                "requant_steps",
                self.requant_steps.to_string(),
                format!(
                    "one of {REQUANT_STEPS:?}{}",
                    if self.requant_dsp {
                        "; only 1 with requant_dsp = true (the DSP multiplier is parallel)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if self.array_feed_stages > ARRAY_FEED_STAGES_MAX {
            return Err(err(
                "array_feed_stages",
                self.array_feed_stages.to_string(),
                format!("0..={ARRAY_FEED_STAGES_MAX} register stages"),
            ));
        }
        if self.bank_read_stages > BANK_READ_STAGES_MAX {
            return Err(err(
                "bank_read_stages",
                self.bank_read_stages.to_string(),
                format!("0..={BANK_READ_STAGES_MAX} register stages"),
            ));
        }
        if !(self.target_mhz > 0.0 && self.target_mhz <= 1000.0) {
            return Err(err(
                "target_mhz",
                self.target_mhz.to_string(),
                "a clock in (0, 1000] MHz".into(),
            ));
        }
        if !(1..=crate::link::MAX_LANES).contains(&self.link_lanes) {
            return Err(err(
                "link_lanes",
                self.link_lanes.to_string(),
                format!("1..={} serial data lanes", crate::link::MAX_LANES),
            ));
        }
        if !(1..=64).contains(&self.link_frames_per_superframe) {
            return Err(err(
                "link_frames_per_superframe",
                self.link_frames_per_superframe.to_string(),
                "1..=64".into(),
            ));
        }
        if !(16..=32).contains(&self.link_counter_bits) {
            return Err(err(
                "link_counter_bits",
                self.link_counter_bits.to_string(),
                "16..=32 bits".into(),
            ));
        }
        Ok(())
    }

    /// The chip-to-chip link of this tile (`docs/link.md`): buffer words are the
    /// tile's vectors, 4 training superframes after power-up.
    pub fn link_config(&self) -> crate::link::LinkConfig {
        crate::link::LinkConfig {
            lanes: self.link_lanes,
            frames_per_superframe: self.link_frames_per_superframe,
            word_bytes: self.lanes,
            training_superframes: 4,
            counter_bits: self.link_counter_bits,
        }
    }

    /// Vector words per link frame: `P = 128 / lanes`.
    pub fn link_frame_words(&self) -> usize {
        crate::link::PAYLOAD_BYTES / self.lanes
    }

    /// Pacing of `send` / `recv` frames (`T`, `docs/isa.md`): the link's average
    /// cycles per frame slot, `ceil(8 * superframe_columns / frames_per_superframe)`.
    pub fn link_frame_cycles(&self) -> u64 {
        let l = self.link_config();
        l.superframe_bits().div_ceil(l.frames_per_superframe as u64)
    }

    /// Weight banks (all banks but bank 0).
    pub fn weight_banks(&self) -> usize {
        self.banks - 1
    }

    /// int8 multiply-accumulate units in the array.
    pub fn mac_units(&self) -> usize {
        self.rows * self.cols
    }

    /// Cycles to install one weight tile (`cols` weight vectors, `banks - 1` per cycle).
    pub fn install_cycles(&self) -> usize {
        self.cols.div_ceil(self.weight_banks())
    }

    /// SRAM bytes the weight banks deliver per cycle.
    pub fn weight_bytes_per_cycle(&self) -> usize {
        self.weight_banks() * self.lanes
    }

    /// Cycles the requantizer spends per accumulator row ("beats"): `cols /
    /// requant_lanes` column groups of `requant_steps` cycles each. Beat `g` works on
    /// column group `g / requant_steps`.
    pub fn requant_beats(&self) -> usize {
        self.cols / self.requant_lanes * self.requant_steps
    }

    /// Cycles from a `v.add`/`v.max`/`v.relu`/`v.copy` issue to the bank write of its
    /// word 0 (word `i` lands `i` cycles later): 5 with the vector operand stage, 4
    /// without. `v.argmax` writes its result at `t + V + vector_write_delay()`.
    pub fn vector_write_delay(&self) -> u64 {
        4 + self.vector_operand_stage as u64
    }

    /// Cycles every array event of `mxu.load` and `mxu.run` comes later than in a tile
    /// without [`TileConfig::array_feed_stages`]: `swap` at the end of `t+2+f`, shadow
    /// column writes at `t+2+k+f`, accumulator read `t+6+f+r` and write `t+7+f+r`.
    pub fn array_feed_delay(&self) -> u64 {
        self.array_feed_stages as u64
    }

    /// Cycles `mxu.run`'s accumulator reads come earlier than in a tile without
    /// [`TileConfig::acc_read_stage`]: 1 with the stage (row `acc + r` read at
    /// `t+5+f+r`), else 0. Its writes do not move.
    pub fn acc_read_delay(&self) -> u64 {
        self.acc_read_stage as u64
    }

    /// Cycles from `rq.run`'s issue `t` plus `(r + 1) * beats` to row `r`'s bank write:
    /// 8, or 10 with [`TileConfig::acc_read_stage`] (the accumulator registers the read
    /// address and the row read, so the read comes a cycle later, `X+1` instead of `X`,
    /// the row reaches the requantizer's lanes two cycles after it, and everything after
    /// moves with it: its parameters are taken at `X+3` instead of `X+1`).
    pub fn requant_write_delay(&self) -> u64 {
        8 + self.requant_lane_delay()
    }

    /// The fewest cycles from an `rq.param` (of `pw` words) to an `rq.run` that uses its
    /// parameters: `pw` (the unit is busy until then), plus the `b` cycles the bank read
    /// stages delay the parameters, less the `2e` cycles later the accumulator read stage
    /// has the run take them (no RAW hazard on a parameter; `docs/isa.md`).
    pub fn requant_param_to_run(&self, pw: u64) -> u64 {
        pw + self
            .bank_read_delay()
            .saturating_sub(self.requant_lane_delay())
    }

    /// The fewest cycles from an `rq.run` of `rows` rows to the next `rq.param`: the run's
    /// busy window (`rows * beats`), and with the accumulator read stage until the
    /// load's first parameter write (`b` cycles later with bank read stages) no longer
    /// comes before the run's last parameter read (no WAR hazard; `docs/isa.md`).
    pub fn requant_run_to_param(&self, rows: u64) -> u64 {
        rows * self.requant_beats() as u64
            + self
                .requant_lane_delay()
                .saturating_sub(1 + self.bank_read_delay())
    }

    /// Cycles `rq.run`'s accumulator reads come later than the cycle it asks for them
    /// (`X = t+1+r*beats+g`): 1 with [`TileConfig::acc_read_stage`] (the accumulator's
    /// read address register), else 0.
    pub fn requant_acc_read_delay(&self) -> u64 {
        self.acc_read_stage as u64
    }

    /// Cycles `rq.run`'s lanes take a row (and the parameters it meets) later than
    /// without [`TileConfig::acc_read_stage`]: `2e`, the read a cycle later
    /// ([`TileConfig::requant_acc_read_delay`]) and the row through the accumulator's
    /// word register a cycle after that. Everything after the lanes moves with it.
    pub fn requant_lane_delay(&self) -> u64 {
        2 * self.requant_acc_read_delay()
    }

    /// Cycles every effect of an instruction that reads a bank (`mxu.load`, `mxu.run`,
    /// `rq.param`, `v.*`, `send`) comes later than in a tile without
    /// [`TileConfig::bank_read_stages`]: its bank reads, and with them everything that
    /// follows from them (writes, swap, shadow, accumulator and parameter writes, the
    /// link post). The unit's busy window does not move; `rq.run` and `recv` are not
    /// delayed. See [`crate::schedule::bank_read_shift`].
    pub fn bank_read_delay(&self) -> u64 {
        self.bank_read_stages as u64
    }

    /// Cycles a bank read itself (the SRAM access, its read port use) comes later than
    /// in a tile without [`TileConfig::bank_read_stages`]: 1 with the address stage
    /// (`bank_read_stages` >= 1), else 0. The return stage delays only the data.
    pub fn bank_address_delay(&self) -> u64 {
        self.bank_read_stages.min(1) as u64
    }

    /// The host port's `INFO` register for this tile (`hdl/src/host_port.rs`): lanes
    /// (bits 7..0), cols (15..8), banks (20..16), the array feed stages (22..21), the
    /// vector operand stage (bit 23), requant_lanes (28..24) and log2(requant_steps)
    /// (31..29), so that a host can tell tiles apart whose `mxu.*`, `v.*` or `rq.run`
    /// timing differs.
    pub fn info_word(&self) -> u32 {
        (self.lanes
            | self.cols << 8
            | self.banks << 16
            | self.array_feed_stages << 21
            | (self.vector_operand_stage as usize) << 23
            | self.requant_lanes << 24
            | (self.requant_steps.trailing_zeros() as usize) << 29) as u32
    }

    /// The host port's `INFO2` register (address 0x007; added by the RTL side, since
    /// `INFO`'s 32 bits are full): the bank read stages (bits 1..0), the accumulator
    /// read stage (bit 2) and the fetch stage (bit 3), every other bit 0, so that a host
    /// can tell tiles apart whose bank-reading instructions', `mxu.run`'s or start's
    /// timing differs ([`TileConfig::bank_read_stages`], [`TileConfig::acc_read_stage`],
    /// [`TileConfig::fetch_stage`]).
    pub fn info2_word(&self) -> u32 {
        (self.bank_read_stages & 0b11) as u32
            | (self.acc_read_stage as u32) << 2
            | (self.fetch_stage as u32) << 3
    }

    /// Clocks from the host's `start` to instruction 0's issue cycle (cycle 0): 1, or 2
    /// with the fetch stage ([`TileConfig::fetch_stage`]). `busy` is high for the run's
    /// cycles plus this many clocks.
    pub fn start_cycles(&self) -> u64 {
        1 + self.fetch_stage as u64
    }

    /// Clocks from the host's `CMD = 2` (a load into the staging buffer) to the first
    /// cycle the buffer holds the word: `3 + b` with `b` bank read stages
    /// (`hdl/src/host_port.rs`: the word goes through a register on its way), and at
    /// least 4 with [`TileConfig::acc_read_stage`] (an accumulator row comes through the
    /// accumulator's address and word registers).
    pub fn host_load_cycles(&self) -> u64 {
        3 + self.host_load_stages() as u64
    }

    /// The host port's extra load stages: `max(b, e)` with `b` bank read stages and `e`
    /// the accumulator read stage (0 or 1), so that a load waits for the slower of a
    /// bank word and an accumulator row.
    pub fn host_load_stages(&self) -> usize {
        self.bank_read_stages.max(self.acc_read_stage as usize)
    }

    /// Upper bound on array utilization at batch 1 (GEMV): every MAC needs its own
    /// weight byte, so at most `weight_bytes_per_cycle / mac_units` of the array can
    /// work per cycle (capped at 1).
    pub fn gemv_utilization_bound(&self) -> f64 {
        (self.weight_bytes_per_cycle() as f64 / self.mac_units() as f64).min(1.0)
    }
}

#[cfg(test)]
mod tests;
