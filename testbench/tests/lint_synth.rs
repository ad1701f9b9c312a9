//! The emitted Verilog of every preset lints clean under the one waiver list
//! (`synth/verilator_waivers.vlt`) and synthesizes with yosys for its FPGA family;
//! the cell counts are written to `target/synth/<preset>/` and printed.

use minilpu_model::TileConfig;
use minilpu_synth::{verilator_lint, yosys_synth, Family};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn emit(preset: &str) -> (TileConfig, PathBuf) {
    let cfg = TileConfig::preset(preset).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/synth")
        .join(preset);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{preset}.v"));
    std::fs::write(&path, minilpu_hdl::emit_verilog(&cfg).unwrap()).unwrap();
    (cfg, path)
}

#[test]
fn every_preset_lints_clean() {
    for p in minilpu_model::config::PRESET_NAMES {
        let (_, v) = emit(p);
        let report =
            verilator_lint(&v, minilpu_hdl::TOP_MODULE).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(report.is_clean(), "{p}: {report:?}");
    }
}

/// Each waiver is needed: without the list, the emitted designs (every preset's tile,
/// the link pair, a card) trip exactly the waived rules (so a waiver that no longer
/// matters shows up here).
#[test]
fn emitted_verilog_needs_each_waiver() {
    let mut tripped = BTreeSet::new();
    let mut designs: Vec<PathBuf> = minilpu_model::config::PRESET_NAMES
        .iter()
        .map(|p| emit(p).1)
        .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/synth/lint");
    std::fs::create_dir_all(&dir).unwrap();
    let small = TileConfig::preset("sim-small").unwrap();
    for (name, v) in [
        (
            "link_pair.v",
            minilpu_hdl::link_pair_verilog(&small.link_config()).unwrap(),
        ),
        ("card.v", minilpu_hdl::card_verilog(&small).unwrap()),
    ] {
        std::fs::write(dir.join(name), v).unwrap();
        designs.push(dir.join(name));
    }
    for v in designs {
        let out = Command::new("verilator")
            .args([
                "--lint-only",
                "-Wall",
                "--top-module",
                minilpu_hdl::TOP_MODULE,
            ])
            .arg(&v)
            .output()
            .expect("verilator runs (scripts/setup.sh installs it)");
        let text = String::from_utf8_lossy(&out.stderr);
        tripped.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("%Warning-"))
                .filter_map(|l| l.split(':').next())
                .map(str::to_string),
        );
    }
    let waived: BTreeSet<String> = minilpu_synth::VERILATOR_WAIVERS
        .lines()
        .filter_map(|l| l.trim().strip_prefix("lint_off -rule "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert_eq!(
        tripped, waived,
        "rules the emitted Verilog trips vs the waiver list"
    );
}

fn synth(preset: &str, family: Family) -> minilpu_synth::CellReport {
    let (cfg, v) = emit(preset);
    let out = v.parent().unwrap().to_path_buf();
    let report = yosys_synth(&v, minilpu_hdl::TOP_MODULE, family, &out)
        .unwrap_or_else(|e| panic!("{preset}: {e}"));
    println!("{}", report.summary(family.device()));
    assert!(
        report.total_cells > cfg.mac_units() as u64,
        "{preset}: suspiciously small netlist"
    );
    report
}

#[test]
fn icebreaker_synthesizes_for_ice40() {
    let r = synth("icebreaker", Family::Ice40);
    let count = |c: &str| r.cells.get(c).copied().unwrap_or(0);
    // The weight banks are SPRAMs: weight banks x (32 bit / 16 bit), 2 on the preset.
    let cfg = TileConfig::preset("icebreaker").unwrap();
    let sprams = cfg.weight_banks() * cfg.bank_width / 16;
    assert_eq!(sprams, 2);
    assert_eq!(count("SB_SPRAM256KA"), sprams as u64, "{:?}", r.cells);
    assert!(
        count("SB_RAM40_4K") > 0,
        "activation/accumulator memories in EBR"
    );
}

#[test]
fn ulx3s_85f_synthesizes_for_ecp5() {
    let r = synth("ulx3s-85f", Family::Ecp5);
    let count = |c: &str| r.cells.get(c).copied().unwrap_or(0);
    assert!(count("DP16KD") > 0, "SRAM banks in DP16KD: {:?}", r.cells);
    assert!(
        count("MULT18X18D") > 0,
        "multipliers in DSPs: {:?}",
        r.cells
    );
}
