//! `minilpu asm` and `minilpu disasm`: assembly text to the binary program format
//! (little-endian 64-bit words) and back, with the assembler of `minilpu_model::asm`.
//! Errors go to stderr located as `file:line:column: error: message`; exit code 2.

use clap::Args;
use minilpu_model::asm::{assemble, disassemble, from_bin, to_bin};
use minilpu_model::TileConfig;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Shown after `minilpu asm --help`: the syntax in brief.
pub const ASM_HELP: &str = "\
Syntax (one instruction per line; the ISA is docs/isa.md):
  ; comment   # comment
  .equ NAME, value          named constant, defined before use
  label:                    pc of the next instruction (may share a line with it)
  nop | halt | wait n | vlen n
  loop n, end               body = the instructions up to (not including) label `end`
  mxu.load w
  mxu.run a, rows, acc [, swap] [, acc] [, load w]
  rq.param bK:W
  rq.run acc, rows, bK:W [, relu]
  v.add dst, a, b | v.max dst, a, b
  v.relu dst, a | v.copy dst, a | v.argmax dst, a
  send bK:W | recv bK:W
Numbers are unsigned: decimal, 0x hex, 0b binary, `_` separators, and sums such as
NAME + 4 or NAME - 1. bK:W is word W of bank K. Mnemonics and flags are
case-insensitive. Without --preset/--config operands are checked against what the
encoding holds; with one, also against its banks, memory depths and instruction memory.
Errors are reported as file:line:column: error: message (exit code 2).";

/// Shown after `minilpu disasm --help`.
pub const DISASM_HELP: &str = "\
The output is canonical assembly (docs/isa.md): lower case, one instruction per line,
decimal numbers, loop ends as labels L<pc>. `minilpu asm` reads it back to the same
binary.";

/// Arguments of `minilpu asm`.
#[derive(Args)]
pub struct AsmArgs {
    /// Assembly source file.
    input: PathBuf,
    /// Output binary (little-endian 64-bit words) [default: the input with extension .bin].
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Also check operands against a preset: sim-small, icebreaker or ulx3s-85f.
    #[arg(long)]
    preset: Option<String>,
    /// Also check operands against a TOML tile configuration (see `minilpu config`).
    #[arg(long, conflicts_with = "preset")]
    config: Option<PathBuf>,
    /// Print {"instructions": N, "out": PATH, "words": N} as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `minilpu disasm`.
#[derive(Args)]
pub struct DisasmArgs {
    /// Binary program (little-endian 64-bit words).
    input: PathBuf,
    /// Output assembly file [default: stdout].
    #[arg(short, long)]
    out: Option<PathBuf>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(2)
}

fn config(args: &AsmArgs) -> Result<Option<TileConfig>, String> {
    match (&args.config, &args.preset) {
        (Some(p), _) => TileConfig::from_toml_file(p).map(Some),
        (None, Some(name)) => TileConfig::preset(name)
            .map(Some)
            .map_err(|e| e.to_string()),
        (None, None) => Ok(None),
    }
}

/// `minilpu asm`: assemble, check, write the binary.
pub fn asm(args: AsmArgs) -> ExitCode {
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => return fail(format!("minilpu: error: {e}")),
    };
    let name = args.input.display().to_string();
    let src = match std::fs::read_to_string(&args.input) {
        Ok(s) => s,
        Err(e) => return fail(format!("minilpu: error: {name}: cannot read: {e}")),
    };
    let prog = match assemble(&src, &name, cfg.as_ref()) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.input.with_extension("bin"));
    if let Err(e) = std::fs::write(&out, to_bin(&prog.instrs)) {
        return fail(format!(
            "minilpu: error: {}: cannot write: {e}",
            out.display()
        ));
    }
    let n = prog.instrs.len();
    if args.json {
        println!("{}", json!({"instructions": n, "out": out, "words": n}));
    } else {
        println!(
            "assembled {n} instruction{} into {}",
            if n == 1 { "" } else { "s" },
            out.display()
        );
    }
    ExitCode::SUCCESS
}

/// `minilpu disasm`: decode a binary and print canonical assembly.
pub fn disasm(args: DisasmArgs) -> ExitCode {
    let name = args.input.display();
    let bytes = match std::fs::read(&args.input) {
        Ok(b) => b,
        Err(e) => return fail(format!("minilpu: error: {name}: cannot read: {e}")),
    };
    let instrs = match from_bin(&bytes) {
        Ok(i) => i,
        Err(e) => return fail(format!("minilpu: error: {name}: {e}")),
    };
    let text = disassemble(&instrs);
    match &args.out {
        None => print!("{text}"),
        Some(out) => {
            if let Err(e) = std::fs::write(out, text) {
                return fail(format!(
                    "minilpu: error: {}: cannot write: {e}",
                    out.display()
                ));
            }
        }
    }
    ExitCode::SUCCESS
}
