//! `minilpu`: emit the tile's Verilog and run matmuls on the golden model or the
//! verilated RTL. Every subcommand has `--help`; `--json` prints one JSON object.

mod asm_cmd;
mod flash_cmd;
mod ring_cmd;
mod run_cmd;
mod synth_cmd;

use clap::{Args, Parser, Subcommand, ValueEnum};
use minilpu_model::arith::{Requant, MAX_SHIFT};
use minilpu_model::npy;
use minilpu_model::TileConfig;
use minilpu_testbench::runner::{run_matmul, Backend, RequantSpec};
use minilpu_testbench::tile_sim::TileSim;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "minilpu",
    version,
    about = "minilpu: an open, scaled-down Groq-style LPU tile (rust-hdl RTL, Verilator, golden model)",
    long_about = "minilpu: an open, scaled-down Groq-style LPU tile.\n\n\
        Emit its Verilog for a preset, or run an int8 matmul (with optional requantization) \
        on the bit-exact golden model or on the emitted RTL in Verilator.\n\n\
        Presets: sim-small (4x4 array, fast tests), icebreaker (iCE40UP5K, 4x4, SPRAM weights), \
        ulx3s-85f (ECP5-85F, 16x16)."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the tile's Verilog and a JSON manifest of its configuration.
    Emit(EmitArgs),
    /// C = A · B on the tile (int32 out, or int8 with --bias/--m/--s requantization).
    Matmul(MatmulArgs),
    /// Print a preset's configuration as TOML (a starting point for --config).
    Config(ConfigArgs),
    /// Assemble a program into a binary of 64-bit words (`asm --help`: syntax; docs/isa.md).
    #[command(after_help = asm_cmd::ASM_HELP)]
    Asm(asm_cmd::AsmArgs),
    /// Disassemble a binary program into canonical assembly text.
    #[command(after_help = asm_cmd::DISASM_HELP)]
    Disasm(asm_cmd::DisasmArgs),
    /// Run a program on the golden model or the verilated RTL; load and dump memory.
    #[command(after_help = run_cmd::RUN_HELP)]
    Run(run_cmd::RunArgs),
    /// Build a board's bitstream (board top: PLL + UART bridge + tile and link) and report fit and Fmax.
    #[command(after_help = synth_cmd::SYNTH_HELP)]
    Synth(synth_cmd::SynthArgs),
    /// Program a board with its bitstream (openFPGALoader), after probing for it.
    #[command(after_help = flash_cmd::FLASH_HELP)]
    Flash(flash_cmd::FlashArgs),
    /// Talk to a flashed board's UART host bridge: identification and tile shape.
    Ping(flash_cmd::PingArgs),
    /// Run one program per card on a ring of cards (Verilator + golden ring model).
    #[command(after_help = ring_cmd::RING_HELP)]
    Ring(ring_cmd::RingArgs),
}

#[derive(Args)]
pub(crate) struct TileArgs {
    /// Named preset: sim-small, icebreaker or ulx3s-85f.
    #[arg(long, default_value = "sim-small")]
    preset: String,
    /// A TOML tile configuration instead of a preset (see `minilpu config`).
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
}

impl TileArgs {
    pub(crate) fn load(&self) -> Result<TileConfig, String> {
        match &self.config {
            Some(p) => TileConfig::from_toml_file(p),
            None => TileConfig::preset(&self.preset).map_err(|e| e.to_string()),
        }
    }
}

#[derive(Args)]
struct EmitArgs {
    #[command(flatten)]
    tile: TileArgs,
    /// Output directory (created): writes <name>.v and <name>.json.
    #[arg(long, default_value = "target/minilpu")]
    out: PathBuf,
    /// Print the manifest as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ConfigArgs {
    #[command(flatten)]
    tile: TileArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// Emitted RTL in Verilator (needs `verilator`, see scripts/setup.sh).
    Verilator,
    /// Golden model (bit-exact arithmetic, cycle model).
    Model,
}

#[derive(Args)]
struct MatmulArgs {
    #[command(flatten)]
    tile: TileArgs,
    /// A: int8 (|i1) .npy of shape [M, K].
    #[arg(long)]
    a: PathBuf,
    /// B: int8 (|i1) .npy of shape [K, N].
    #[arg(long)]
    b: PathBuf,
    /// Output .npy: int32 [M, N], or int8 [M, N] when requantizing.
    #[arg(long)]
    out: PathBuf,
    /// Requantization bias: int32 (<i4) .npy of shape [N]. Needs --m and --s.
    #[arg(long, requires_all = ["m", "s"])]
    bias: Option<PathBuf>,
    /// Requantization multiplier: uint16 (<u2) .npy of shape [N].
    #[arg(long, requires_all = ["bias", "s"])]
    m: Option<PathBuf>,
    /// Requantization shift: int32 (<i4) or uint16 (<u2) .npy of shape [N], values 0..=47.
    #[arg(long, requires_all = ["bias", "m"])]
    s: Option<PathBuf>,
    /// Apply ReLU after requantization.
    #[arg(long, requires = "bias")]
    relu: bool,
    /// Where to run.
    #[arg(long, value_enum, default_value = "verilator")]
    backend: BackendArg,
    /// Print one JSON object (cycles, macs, mac_units, utilization, ...).
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Emit(a) => emit(a),
        Cmd::Matmul(a) => matmul(a),
        Cmd::Config(a) => a
            .tile
            .load()
            .and_then(|c| toml::to_string(&c).map_err(|e| e.to_string()))
            .map(|t| print!("{t}")),
        Cmd::Asm(a) => return asm_cmd::asm(a),
        Cmd::Disasm(a) => return asm_cmd::disasm(a),
        Cmd::Synth(a) => return synth_cmd::run(a),
        Cmd::Flash(a) => return flash_cmd::run(a),
        Cmd::Ping(a) => return flash_cmd::ping(a),
        Cmd::Ring(a) => match ring_cmd::run(a) {
            Ok(true) => return ExitCode::SUCCESS,
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
        Cmd::Run(a) => match run_cmd::run(a) {
            Ok(true) => return ExitCode::SUCCESS,
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("minilpu: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn emit(args: EmitArgs) -> Result<(), String> {
    let cfg = args.tile.load()?;
    let verilog = minilpu_hdl::emit_verilog(&cfg).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("{}: cannot create directory: {e}", args.out.display()))?;
    let vpath = args.out.join(format!("{}.v", cfg.name));
    let mpath = args.out.join(format!("{}.json", cfg.name));
    let manifest = json!({
        "top": minilpu_hdl::TOP_MODULE,
        "verilog": vpath,
        "config": cfg,
        "mac_units": cfg.mac_units(),
        "install_cycles": cfg.install_cycles(),
        "weight_bytes_per_cycle": cfg.weight_bytes_per_cycle(),
        "gemv_utilization_bound": cfg.gemv_utilization_bound(),
    });
    write(&vpath, verilog.as_bytes())?;
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    write(&mpath, text.as_bytes())?;
    if args.json {
        println!("{text}");
    } else {
        println!("wrote {} and {}", vpath.display(), mpath.display());
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn read_vec_u32(path: &Path, n: usize) -> Result<Vec<u32>, String> {
    // Shifts may come as int32 or uint16; try int32 first, report int32 if neither.
    match npy::read_i32(path, 1) {
        Ok(a) => check_len(path, &a.shape, n).map(|_| a.data.iter().map(|&x| x as u32).collect()),
        Err(e32) => match npy::read_u16(path, 1) {
            Ok(a) => {
                check_len(path, &a.shape, n).map(|_| a.data.iter().map(|&x| x as u32).collect())
            }
            Err(_) => Err(e32.to_string()),
        },
    }
}

fn check_len(path: &Path, shape: &[usize], n: usize) -> Result<(), String> {
    if shape != [n] {
        return Err(format!(
            "{}: expected shape ({n},) (one value per output column, N = {n}), found {shape:?}",
            path.display()
        ));
    }
    Ok(())
}

fn matmul(args: MatmulArgs) -> Result<(), String> {
    let cfg = args.tile.load()?;
    let a = npy::read_i8(&args.a, 2).map_err(|e| e.to_string())?;
    let b = npy::read_i8(&args.b, 2).map_err(|e| e.to_string())?;
    let (m, k) = (a.shape[0], a.shape[1]);
    let (kb, n) = (b.shape[0], b.shape[1]);
    if kb != k {
        return Err(format!(
            "{}: expected shape ({k}, N) to match K = {k} of {} (shape ({m}, {k})), found ({kb}, {n})",
            args.b.display(),
            args.a.display()
        ));
    }
    let rq = match (&args.bias, &args.m, &args.s) {
        (Some(bp), Some(mp), Some(sp)) => {
            let bias = npy::read_i32(bp, 1).map_err(|e| e.to_string())?;
            check_len(bp, &bias.shape, n)?;
            let mm = npy::read_u16(mp, 1).map_err(|e| e.to_string())?;
            check_len(mp, &mm.shape, n)?;
            let s = read_vec_u32(sp, n)?;
            if let Some((j, &bad)) = s.iter().enumerate().find(|(_, &v)| v > MAX_SHIFT as u32) {
                return Err(format!(
                    "{}: shift s[{j}] = {} is outside 0..={MAX_SHIFT}",
                    sp.display(),
                    bad as i32
                ));
            }
            let params = (0..n)
                .map(|j| Requant {
                    bias: bias.data[j],
                    m: mm.data[j],
                    s: s[j] as u8,
                })
                .collect();
            Some(RequantSpec {
                params,
                relu: args.relu,
            })
        }
        _ => None,
    };
    if m == 0 || k == 0 || n == 0 {
        return Err(format!(
            "empty operand: A is ({m}, {k}) and B is ({kb}, {n}); the tile runs M, K, N >= 1"
        ));
    }
    let backend = match args.backend {
        BackendArg::Verilator => Backend::Verilator,
        BackendArg::Model => Backend::Model,
    };
    let mut sim = match backend {
        Backend::Verilator => {
            if !args.json {
                eprintln!(
                    "minilpu: building the verilated tile `{}` (cached after the first run)...",
                    cfg.name
                );
            }
            Some(TileSim::build(&cfg, false).map_err(|e| e.to_string())?)
        }
        Backend::Model => None,
    };
    let out = run_matmul(
        &cfg,
        backend,
        sim.as_mut(),
        &a.data,
        &b.data,
        (m, k, n),
        rq.as_ref(),
    )
    .map_err(|e| e.to_string())?;
    match (&out.c, &out.y) {
        (Some(c), _) => npy::write_i32(&args.out, &[m, n], c),
        (_, Some(y)) => npy::write_i8(&args.out, &[m, n], y),
        _ => unreachable!("a run yields C or Y"),
    }
    .map_err(|e| e.to_string())?;
    let macs = out.plan.macs();
    let util = minilpu_model::timing::utilization(&cfg, macs, out.cycles);
    let report = json!({
        "preset": cfg.name,
        "backend": backend.name(),
        "m": m, "k": k, "n": n,
        "k_tiles": out.plan.kt,
        "n_tiles": out.plan.nt,
        "cycles": out.cycles,
        "predicted_cycles": out.predicted_cycles,
        "requant_cycles": out.requant_cycles,
        "macs": macs,
        "mac_units": cfg.mac_units(),
        "utilization": util,
        "gemv_utilization_bound": cfg.gemv_utilization_bound(),
        "out": args.out,
        "dtype": if out.y.is_some() { "int8" } else { "int32" },
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{} [{m}x{k}] · [{k}x{n}] on {} ({}): {} cycles (predicted {}), {} MACs on {} units, utilization {:.3}; wrote {}",
            if out.y.is_some() { "requantized matmul" } else { "matmul" },
            cfg.name,
            backend.name(),
            out.cycles,
            out.predicted_cycles,
            macs,
            cfg.mac_units(),
            util,
            args.out.display()
        );
    }
    Ok(())
}
