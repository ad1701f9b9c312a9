//! Verilator lint with the project's waiver list.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use minilpu_synth::{
    lint_report, verilator_lint, verilator_lint_with, Severity, SynthError, ToolOptions,
    VERILATOR_WAIVERS, WAIVER_FILE_NAME,
};

#[test]
fn hand_written_mac_lints_clean() {
    let v = common::fixture("lint_mac8", "mac8.v");
    let report = verilator_lint(&v, "mac8").expect("mac8.v lints clean");
    assert!(report.is_clean());
    // The waiver list is written next to the Verilog, byte for byte.
    assert_eq!(report.waivers, v.parent().unwrap().join(WAIVER_FILE_NAME));
    assert_eq!(
        std::fs::read_to_string(&report.waivers).unwrap(),
        VERILATOR_WAIVERS
    );
    assert!(
        report.command.contains("--lint-only -Wall"),
        "{}",
        report.command
    );
}

#[test]
fn undriven_and_unused_signals_fail_lint() {
    let v = common::fixture("lint_bad", "lint_bad.v");
    let err = verilator_lint(&v, "lint_bad").expect_err("lint_bad.v must not lint clean");
    let msg = err.to_string();
    match &err {
        SynthError::Lint { report, output, .. } => {
            let codes: BTreeSet<_> = report
                .messages
                .iter()
                .filter_map(|m| m.code.clone())
                .collect();
            assert!(codes.contains("UNDRIVEN"), "{codes:?}");
            assert!(codes.contains("UNUSEDSIGNAL"), "{codes:?}");
            assert!(report
                .with_code("UNDRIVEN")
                .all(|m| m.text.contains("ghost")));
            assert!(report
                .messages
                .iter()
                .all(|m| m.severity == Severity::Warning));
            assert!(output.contains("Signal is not driven: 'ghost'"), "{output}");
        }
        other => panic!("expected a lint error, got {other}"),
    }
    // The message carries the command line and Verilator's own output.
    assert!(
        msg.contains("verilator --lint-only -Wall --top-module lint_bad"),
        "{msg}"
    );
    assert!(msg.contains("'spare'"), "{msg}");

    // lint_report returns the same findings without failing.
    let report = lint_report(&v, "lint_bad", &ToolOptions::verilator()).unwrap();
    assert_eq!(report.messages.len(), 2, "{:?}", report.messages);
}

#[test]
fn missing_verilator_says_to_run_setup() {
    let v = common::fixture("lint_missing", "mac8.v");
    let opts = ToolOptions::verilator().with_program("minilpu-no-such-verilator");
    let err = verilator_lint_with(&v, "mac8", &opts).unwrap_err();
    assert!(matches!(err, SynthError::ToolMissing { .. }), "{err}");
    assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
}

#[test]
fn unknown_top_module_is_reported_as_an_error() {
    let dir = common::scratch("lint_no_top");
    let v = dir.join("empty.v");
    std::fs::write(&v, "// nothing here\n").unwrap();
    let opts = ToolOptions::verilator().with_timeout(Duration::from_secs(60));
    // Verilator does report a %Error for a missing top module: it is a lint finding.
    let report = lint_report(&v, "nope", &opts).unwrap();
    assert!(
        report
            .messages
            .iter()
            .any(|m| m.severity == Severity::Error),
        "{report:?}"
    );
}
