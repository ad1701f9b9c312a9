use std::path::PathBuf;
use std::time::Duration;

use crate::lint::LintReport;

/// Everything that can go wrong in a flow. Tool errors carry the tool, the full command
/// line (to paste into a shell) and the tail of the tool's output.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{tool} is not installed or not on PATH (command: {command}); run scripts/setup.sh to install the toolchain")]
    ToolMissing { tool: String, command: String },

    #[error("{tool} ran over its time limit of {limit:?} and was killed (command: {command})\n--- last output ---\n{tail}")]
    Timeout {
        tool: String,
        command: String,
        limit: Duration,
        tail: String,
    },

    #[error("{tool} failed ({status}) (command: {command})\n--- last output ---\n{tail}")]
    ToolFailed {
        tool: String,
        command: String,
        status: String,
        tail: String,
    },

    #[error("verilator lint of `{}` found {} problem(s) not covered by synth/verilator_waivers.vlt (command: {command})\n--- verilator output ---\n{output}", report.top, report.messages.len())]
    Lint {
        command: String,
        report: Box<LintReport>,
        output: String,
    },

    #[error("could not read {what} from {tool} (file {}): {detail}", path.display())]
    Parse {
        tool: String,
        what: String,
        path: PathBuf,
        detail: String,
    },

    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SynthError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        SynthError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
