//! `minilpu flash --board B`: program a board with the bitstream `minilpu synth` made,
//! through the programmer its board TOML names (openFPGALoader). The programmer probes
//! for the board first, so a missing board is reported as such before anything is
//! written. `minilpu ping --port /dev/ttyUSBx` then checks the host bridge.

use clap::Args;
use minilpu_synth::board::{find_board, fpga_dir};
use minilpu_synth::Family;
use minilpu_testbench::host_link::HostLink;
use minilpu_testbench::serial::SerialPort;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// Help text shown after the options.
pub const FLASH_HELP: &str = "\
The bitstream defaults to target/boards/<board>-<variant>/top.bin (iCE40) or top.bit
(ECP5), as `minilpu synth --board B` writes it. The programmer and its arguments come
from the board's board.toml ([flash]); it probes for the board first.

Exit status: 0 when the board was programmed, 3 when no board was found, 2 on other
errors (missing bitstream, programmer not installed, programming failed).";

#[derive(Args)]
pub struct FlashArgs {
    /// Board name, optionally with its variant (icebreaker, ulx3s-85f, orangecrab).
    #[arg(long)]
    board: String,
    /// Device variant.
    #[arg(long)]
    variant: Option<String>,
    /// Bitstream file (default: the one `minilpu synth` wrote).
    #[arg(long)]
    bitstream: Option<PathBuf>,
    /// Only look for the board; do not program it.
    #[arg(long)]
    probe_only: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

enum Outcome {
    Done(serde_json::Value),
    NoBoard(String),
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn flash(args: &FlashArgs) -> Result<Outcome, String> {
    let target =
        find_board(&fpga_dir(), &args.board, args.variant.as_deref()).map_err(|e| e.to_string())?;
    let bitstream = args.bitstream.clone().unwrap_or_else(|| {
        PathBuf::from("target/boards")
            .join(target.id())
            .join(match target.board.family {
                Family::Ice40 => "top.bin",
                Family::Ecp5 => "top.bit",
            })
    });
    if !args.probe_only && !bitstream.is_file() {
        return Err(format!(
            "{}: no bitstream; run `minilpu synth --board {}` first (or pass --bitstream)",
            bitstream.display(),
            target.id()
        ));
    }
    let f = &target.board.flash;
    let run = |extra: &[String], what: &str| -> Result<(bool, String, String), String> {
        let out = Command::new(&f.tool)
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    format!(
                        "{} is not installed (needed to {what}); run scripts/setup.sh",
                        f.tool
                    )
                } else {
                    format!("{}: {e}", f.tool)
                }
            })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let line = format!("{} {}", f.tool, extra.join(" "));
        Ok((out.status.success(), line, text))
    };
    let probe_args = if f.probe_args.is_empty() {
        let mut a = f.args.clone();
        a.push("--detect".into());
        a
    } else {
        f.probe_args.clone()
    };
    let (found, probe_cmd, probe_out) = run(&probe_args, "probe for the board")?;
    if !found {
        return Ok(Outcome::NoBoard(format!(
            "no {} board found (`{probe_cmd}`):\n{}",
            target.board.name,
            tail(&probe_out, 6)
        )));
    }
    if args.probe_only {
        return Ok(Outcome::Done(json!({
            "board": target.id(), "found": true, "probe": probe_cmd, "output": tail(&probe_out, 20),
        })));
    }
    let mut flash_args = f.args.clone();
    flash_args.push(bitstream.display().to_string());
    let (ok, cmd, out) = run(&flash_args, "program the board")?;
    if !ok {
        return Err(format!("`{cmd}` failed:\n{}", tail(&out, 12)));
    }
    Ok(Outcome::Done(json!({
        "board": target.id(), "found": true, "bitstream": bitstream, "command": cmd,
        "output": tail(&out, 20),
    })))
}

pub fn run(args: FlashArgs) -> ExitCode {
    match flash(&args) {
        Ok(Outcome::Done(v)) => {
            if args.json {
                println!("{v}");
            } else {
                println!(
                    "{} {}",
                    v["board"].as_str().unwrap_or(""),
                    if args.probe_only {
                        "found"
                    } else {
                        "programmed"
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Ok(Outcome::NoBoard(msg)) => {
            if args.json {
                println!(
                    "{}",
                    json!({"board": args.board, "found": false, "error": msg})
                );
            }
            eprintln!("minilpu: {msg}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("minilpu: error: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(Args)]
pub struct PingArgs {
    /// Serial device of the board's UART (/dev/ttyUSB1 on the iCEBreaker, /dev/ttyUSB0 on
    /// the ULX3S).
    #[arg(long)]
    port: PathBuf,
    /// Baud rate (the board TOML's `baud`).
    #[arg(long, default_value_t = 1_000_000)]
    baud: u32,
    /// Reply timeout (ms).
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// `minilpu ping`: the host bridge's identification and the tile's INFO register.
pub fn ping(args: PingArgs) -> ExitCode {
    let r = SerialPort::open(&args.port, args.baud)
        .map_err(|e| e.to_string())
        .and_then(|p| {
            HostLink::connect(p.with_timeout(Duration::from_millis(args.timeout_ms)))
                .map_err(|e| format!("{}: {e}", args.port.display()))
        });
    match r {
        Ok(link) => {
            let i = link.info().expect("connected");
            if args.json {
                println!(
                    "{}",
                    json!({"port": args.port, "lanes": i.lanes, "cols": i.cols,
                           "banks": i.banks, "requant_lanes": i.requant_lanes,
                           "requant_steps": i.requant_steps})
                );
            } else {
                println!("{}: minilpu tile, {i}", args.port.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("minilpu: error: {e}");
            ExitCode::from(2)
        }
    }
}
