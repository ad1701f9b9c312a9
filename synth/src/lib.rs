//! minilpu tool flows around the Verilog that rust-hdl emits.
//!
//! * [`verilator_lint`]: `verilator --lint-only -Wall` with the project's one waiver list
//!   ([`VERILATOR_WAIVERS`], `synth/verilator_waivers.vlt`); fails on anything not waived.
//! * [`yosys_synth`]: Debian yosys 0.23 `synth_ice40 -dsp` (iCE40 UP5K) or `synth_ecp5`
//!   (ECP5-85F), writing the netlist and `stat` report under a caller-given directory and
//!   returning a [`CellReport`] whose [`CellReport::fits`] compares it with a [`Device`].
//!
//! Every tool runs under a time limit ([`ToolOptions`]) and is killed, with its whole
//! process group, when it runs over. Errors ([`SynthError`]) name the tool, the command
//! line and the tail of its output; a missing tool says to run `scripts/setup.sh`.
//! See `docs/toolchain.md` for the tool versions and how to reproduce a report by hand.

pub mod board;
mod critical_path;
mod device;
mod error;
mod lint;
mod pnr;
mod pnr_watch;
mod run;
mod stat;
mod yosys;

pub use critical_path::{block_of, critical_paths, CriticalPath};
pub use device::{Device, Family, Resource, ResourceUse, ICE40_UP5K, LFE5U_85F};
pub use error::SynthError;
pub use lint::{
    lint_report, verilator_lint, verilator_lint_with, write_waivers, LintMessage, LintReport,
    Severity, VERILATOR_WAIVERS, WAIVER_FILE_NAME,
};
pub use pnr::{
    board_flow, parse_utilisation_log, BoardReport, ClockReport, FlowOptions, ResourceLine,
    StepTimes,
};
pub use pnr_watch::{PnrPhase, PnrWatch, RouterIter};
pub use run::ToolOptions;
pub use stat::{parse_stat_json, parse_stat_text};
pub use yosys::{yosys_synth, yosys_synth_with, CellReport, Ecp5Cells, Ice40Cells, SynthFiles};
