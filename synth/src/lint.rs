//! `verilator --lint-only -Wall` with the project's waiver list.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::SynthError;
use crate::run::{run_tool, tail, ToolOptions};

/// The project's one Verilator waiver list (`synth/verilator_waivers.vlt`); every entry
/// is commented with the rust-hdl construct that needs it.
pub const VERILATOR_WAIVERS: &str = include_str!("../verilator_waivers.vlt");

/// File name the waiver list is written under, next to the linted Verilog.
pub const WAIVER_FILE_NAME: &str = "verilator_waivers.vlt";

/// Severity of a Verilator message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One `%Warning-CODE: file:line:col: text` / `%Error: ...` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintMessage {
    pub severity: Severity,
    /// Warning/error code (`WIDTH`, `UNDRIVEN`, ...), when Verilator gives one.
    pub code: Option<String>,
    /// `file:line:col`, when given.
    pub location: Option<String>,
    pub text: String,
}

/// Result of one lint run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintReport {
    pub top: String,
    pub verilog: PathBuf,
    /// The waiver file that was passed to Verilator.
    pub waivers: PathBuf,
    /// The command line, to reproduce the run in a shell.
    pub command: String,
    /// Warnings and errors not covered by the waivers (empty when clean).
    pub messages: Vec<LintMessage>,
    pub elapsed_ms: u64,
}

impl LintReport {
    pub fn is_clean(&self) -> bool {
        self.messages.is_empty()
    }

    /// Messages with a given code (`"UNDRIVEN"`).
    pub fn with_code<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a LintMessage> + 'a {
        self.messages
            .iter()
            .filter(move |m| m.code.as_deref() == Some(code))
    }
}

/// Write [`VERILATOR_WAIVERS`] into `dir` as [`WAIVER_FILE_NAME`] and return its path
/// (also for Verilator builds elsewhere in the project that want the same waivers).
pub fn write_waivers(dir: &Path) -> Result<PathBuf, SynthError> {
    fs::create_dir_all(dir).map_err(|e| SynthError::io("creating directory", dir, e))?;
    let path = dir.join(WAIVER_FILE_NAME);
    if fs::read_to_string(&path).ok().as_deref() == Some(VERILATOR_WAIVERS) {
        return Ok(path);
    }
    // Write-then-rename so that concurrent lints of files in one directory never read a
    // half-written waiver file.
    let tmp = dir.join(format!(".{WAIVER_FILE_NAME}.{}.tmp", std::process::id()));
    fs::write(&tmp, VERILATOR_WAIVERS).map_err(|e| SynthError::io("writing", &tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| SynthError::io("renaming into place", &path, e))?;
    Ok(path)
}

/// Lint `verilog` (top module `top`) with the default [`ToolOptions::verilator`]; Err
/// with the full Verilator output when anything is reported that the waivers do not cover.
pub fn verilator_lint(verilog: &Path, top: &str) -> Result<LintReport, SynthError> {
    verilator_lint_with(verilog, top, &ToolOptions::verilator())
}

/// [`verilator_lint`] with a chosen program and time limit.
pub fn verilator_lint_with(
    verilog: &Path,
    top: &str,
    opts: &ToolOptions,
) -> Result<LintReport, SynthError> {
    let (report, output) = run_lint(verilog, top, opts)?;
    if report.is_clean() {
        Ok(report)
    } else {
        Err(SynthError::Lint {
            command: report.command.clone(),
            report: Box::new(report),
            output: tail(&output, 200),
        })
    }
}

/// Lint and return the report whatever it found; Err only when Verilator could not run
/// or failed without reporting any message (e.g. a missing file).
pub fn lint_report(
    verilog: &Path,
    top: &str,
    opts: &ToolOptions,
) -> Result<LintReport, SynthError> {
    run_lint(verilog, top, opts).map(|(report, _)| report)
}

fn run_lint(
    verilog: &Path,
    top: &str,
    opts: &ToolOptions,
) -> Result<(LintReport, String), SynthError> {
    let verilog = absolute(verilog)?;
    let dir = verilog
        .parent()
        .ok_or_else(|| SynthError::io("finding the directory of", &verilog, not_found()))?;
    let waivers = write_waivers(dir)?;
    let args: Vec<OsString> = vec![
        "--lint-only".into(),
        "-Wall".into(),
        "--top-module".into(),
        top.into(),
        waivers.clone().into(),
        verilog.clone().into(),
    ];
    let out = run_tool("verilator", opts, &args, None)?;
    let text = out.combined();
    let messages = parse_messages(&text);
    if !out.status.success() && messages.is_empty() {
        return Err(SynthError::ToolFailed {
            tool: "verilator".into(),
            command: out.command,
            status: out.status.to_string(),
            tail: tail(&text, 40),
        });
    }
    let report = LintReport {
        top: top.to_string(),
        verilog,
        waivers,
        command: out.command,
        messages,
        elapsed_ms: out.elapsed.as_millis() as u64,
    };
    Ok((report, text))
}

fn absolute(path: &Path) -> Result<PathBuf, SynthError> {
    if !path.is_file() {
        return Err(SynthError::io("reading Verilog", path, not_found()));
    }
    std::path::absolute(path).map_err(|e| SynthError::io("resolving", path, e))
}

fn not_found() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
}

/// Parse Verilator's `%Warning-CODE: loc: text` / `%Error[-CODE]: [loc: ]text` lines,
/// skipping its closing `Exiting due to N warning(s)` summary.
fn parse_messages(output: &str) -> Vec<LintMessage> {
    let mut messages = Vec::new();
    for line in output.lines() {
        let (severity, rest) = if let Some(rest) = line.strip_prefix("%Warning") {
            (Severity::Warning, rest)
        } else if let Some(rest) = line.strip_prefix("%Error") {
            (Severity::Error, rest)
        } else {
            continue;
        };
        let Some((head, body)) = rest.split_once(": ") else {
            continue;
        };
        let code = head.strip_prefix('-').map(str::to_string);
        let body = body.trim();
        if severity == Severity::Error && code.is_none() && body.starts_with("Exiting due to") {
            continue;
        }
        let (location, text) = split_location(body);
        messages.push(LintMessage {
            severity,
            code,
            location,
            text: text.to_string(),
        });
    }
    messages
}

/// `file.v:12:5: text` -> (Some("file.v:12:5"), "text").
fn split_location(body: &str) -> (Option<String>, &str) {
    if let Some((loc, text)) = body.split_once(": ") {
        let mut parts = loc.rsplitn(3, ':');
        let col = parts.next().unwrap_or("");
        let line = parts.next().unwrap_or("");
        if parts.next().is_some()
            && line.chars().all(|c| c.is_ascii_digit())
            && !line.is_empty()
            && col.chars().all(|c| c.is_ascii_digit())
        {
            return (Some(loc.to_string()), text);
        }
    }
    (None, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verilator_output() {
        let out = "\
%Warning-UNDRIVEN: /t/bad.v:4:17: Signal is not driven: 'ghost'
                                 : ... In instance bad
    4 |     wire [3:0] ghost;
      |                ^~~~~
                   ... For warning description see https://verilator.org/warn/UNDRIVEN?v=5.006
%Error: /t/bad.v:9:1: syntax error, unexpected endmodule
%Error: Exiting due to 1 error(s)
";
        let msgs = parse_messages(out);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].severity, Severity::Warning);
        assert_eq!(msgs[0].code.as_deref(), Some("UNDRIVEN"));
        assert_eq!(msgs[0].location.as_deref(), Some("/t/bad.v:4:17"));
        assert_eq!(msgs[0].text, "Signal is not driven: 'ghost'");
        assert_eq!(msgs[1].severity, Severity::Error);
        assert_eq!(msgs[1].code, None);
        assert_eq!(msgs[1].text, "syntax error, unexpected endmodule");
    }

    #[test]
    fn waiver_file_is_a_verilator_config_with_reasons() {
        assert!(VERILATOR_WAIVERS.starts_with("`verilator_config"));
        let mut previous_was_comment = false;
        for line in VERILATOR_WAIVERS.lines().map(str::trim) {
            if line.starts_with("lint_off") {
                assert!(
                    previous_was_comment,
                    "waiver without a comment above it: {line}"
                );
            }
            if !line.is_empty() {
                previous_was_comment = line.starts_with("//");
            }
        }
        assert!(VERILATOR_WAIVERS.contains("lint_off -rule WIDTH"));
    }
}
