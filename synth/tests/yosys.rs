//! yosys synthesis for both families on a small hand-written design.

mod common;

use std::time::Duration;

use minilpu_synth::{
    yosys_synth, yosys_synth_with, CellReport, Family, Resource, SynthError, ToolOptions,
    ICE40_UP5K, LFE5U_85F,
};

#[test]
fn ice40_maps_multiply_to_dsp_and_memory_to_ebr() {
    let v = common::fixture("synth_ice40", "mac8.v");
    let out = v.parent().unwrap().join("out");
    let r = yosys_synth(&v, "mac8", Family::Ice40, &out).expect("synth_ice40 runs");
    assert_eq!(r.family, Family::Ice40);
    assert!(r.yosys.starts_with("Yosys "), "{}", r.yosys);
    let c = r.ice40.as_ref().expect("iCE40 counts");
    assert!(r.ecp5.is_none());
    assert_eq!(c.sb_mac16, 1, "{:?}", r.cells);
    assert_eq!(c.sb_ram40_4k, 1, "{:?}", r.cells);
    assert_eq!(c.sb_spram256ka, 0);
    assert!(c.sb_lut4 > 0 && c.sb_carry > 0, "{:?}", r.cells);
    // acc (24) + prod (16) + x_q (8) + w (8) bits of registers, give or take retiming.
    assert!(c.sb_dff >= 40, "{:?}", r.cells);
    assert_eq!(r.total_cells, r.cells.values().sum::<u64>());
    assert_eq!(r.count("SB_MAC16"), 1);

    // Files are where the report says, and the report round-trips through JSON.
    for f in [
        &r.files.script,
        &r.files.log,
        &r.files.netlist,
        &r.files.stat_txt,
        &r.files.stat_json,
    ] {
        assert!(f.is_file(), "{} missing", f.display());
        assert!(f.starts_with(&out));
    }
    let back: CellReport =
        serde_json::from_str(&std::fs::read_to_string(&r.files.report).unwrap()).unwrap();
    assert_eq!(back, r);

    // The text and JSON stat outputs agree.
    let text = std::fs::read_to_string(&r.files.stat_txt).unwrap();
    assert_eq!(minilpu_synth::parse_stat_text(&text).unwrap(), r.cells);

    assert!(r.fits(&ICE40_UP5K).is_ok(), "{}", r.summary(&ICE40_UP5K));
    assert_eq!(r.used(Resource::Dsp), 1);
    assert!(
        r.summary(&ICE40_UP5K).contains("DSP 1/8"),
        "{}",
        r.summary(&ICE40_UP5K)
    );
}

#[test]
fn ecp5_maps_multiply_to_mult18_and_memory_to_dp16kd() {
    let v = common::fixture("synth_ecp5", "mac8.v");
    let out = v.parent().unwrap().join("out");
    let r = yosys_synth(&v, "mac8", Family::Ecp5, &out).expect("synth_ecp5 runs");
    let c = r.ecp5.as_ref().expect("ECP5 counts");
    assert!(r.ice40.is_none());
    assert_eq!(c.mult18x18d, 1, "{:?}", r.cells);
    assert_eq!(c.dp16kd, 1, "{:?}", r.cells);
    assert!(c.lut4 > 0 && c.ccu2c > 0, "{:?}", r.cells);
    assert!(c.trellis_ff >= 40, "{:?}", r.cells);
    assert!(r.fits(&LFE5U_85F).is_ok());
    assert!(r.files.netlist.is_file());
}

#[test]
fn fits_names_the_resource_that_is_over() {
    let v = common::fixture("synth_fits", "mac8.v");
    let r = yosys_synth(&v, "mac8", Family::Ice40, &v.parent().unwrap().join("out")).unwrap();
    let tiny = minilpu_synth::Device {
        name: "tiny",
        dsp: 0,
        block_ram: 0,
        ..ICE40_UP5K
    };
    let over = r.fits(&tiny).unwrap_err();
    let kinds: Vec<Resource> = over.iter().map(|u| u.resource).collect();
    assert_eq!(kinds, vec![Resource::Dsp, Resource::BlockRam]);
    assert!(r.summary(&tiny).contains("OVER"));
}

#[test]
fn yosys_error_names_command_and_output_tail() {
    let dir = common::scratch("synth_error");
    let v = dir.join("broken.v");
    std::fs::write(
        &v,
        "module broken(input wire a, output wire b);\n  assign b = ;\nendmodule\n",
    )
    .unwrap();
    let err = yosys_synth(&v, "broken", Family::Ice40, &dir.join("out")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SynthError::ToolFailed { .. }), "{msg}");
    assert!(
        msg.contains("yosys -Q -q -l broken.ice40.log -s broken.ice40.ys"),
        "{msg}"
    );
    assert!(msg.contains("ERROR"), "{msg}");
}

#[test]
fn yosys_timeout_kills_and_says_so() {
    let v = common::fixture("synth_timeout", "mac8.v");
    let opts = ToolOptions::yosys().with_timeout(Duration::from_millis(50));
    let start = std::time::Instant::now();
    let err = yosys_synth_with(
        &v,
        "mac8",
        Family::Ecp5,
        &v.parent().unwrap().join("out"),
        &opts,
    )
    .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(matches!(err, SynthError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("killed"), "{err}");
}
