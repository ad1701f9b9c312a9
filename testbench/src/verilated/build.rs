//! Building and caching: verilate, generate the shim, `make`, rename into the cache.
//!
//! Layout of `cache_dir`:
//! - `<key>/libsim.so` (+ `top.v`, `shim.cpp`, `build.log`): one finished build per key,
//!   renamed into place atomically from a `.tmp-*` directory;
//! - `<key>.lock`: held (`flock`) while a key is being built, so concurrent builders of the
//!   same design, in threads or processes, wait for one build instead of repeating it
//!   (removed after a successful build);
//! - `runtime-<hash>/*.o`: Verilator's runtime (`verilated.cpp`, ...) compiled once per
//!   Verilator version and option set, copied into later builds so only the model compiles.

use super::{io_err, ports, shim, BuildOptions, HarnessError, SHIM_VERSION};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Compiler optimisation for model and runtime: `-O1` keeps big arrays' builds short. (Forcing
/// `VM_PARALLEL_BUILDS=1` made a 16x16 array build slower: 4.6 s against 2.4 s on 2 cores.)
const MAKE_VARS: [&str; 3] = ["OPT_FAST=-O1", "OPT_SLOW=-O1", "OPT_GLOBAL=-O1"];

fn sha_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Path of the built library for this design and options, building it first if needed.
pub(super) fn cached_library(
    verilog: &str,
    top: &str,
    opts: &BuildOptions,
) -> Result<PathBuf, HarnessError> {
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    let version = Command::new(&verilator)
        .arg("--version")
        .output()
        .map_err(|_| HarnessError::VerilatorNotFound(verilator.clone()))?;
    // Everything but the design decides the runtime objects; the design decides the rest.
    let args = verilator_args(opts);
    let recipe = format!("shim v{SHIM_VERSION} {MAKE_VARS:?}");
    let mut common: Vec<&[u8]> = vec![&version.stdout, recipe.as_bytes()];
    common.extend(args.iter().map(|a| a.as_bytes()));
    let runtime = opts
        .cache_dir
        .join(format!("runtime-{}", &sha_hex(&common)[..16]));
    common.extend([
        shim::SHIM_TEMPLATE.as_bytes(),
        top.as_bytes(),
        verilog.as_bytes(),
    ]);
    let key = sha_hex(&common);
    let dir = opts.cache_dir.join(&key);
    let lib = dir.join("libsim.so");
    if lib.exists() {
        return Ok(lib);
    }
    let cache = &opts.cache_dir;
    std::fs::create_dir_all(cache).map_err(io_err(format!("creating {}", cache.display())))?;
    let lock_path = cache.join(format!("{key}.lock"));
    let lock = std::fs::File::create(&lock_path)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(io_err(format!("locking {}", lock_path.display())))?;
    let mut result = Ok(());
    if !lib.exists() {
        remove_stale_temps(cache);
        let tmp = temp_dir(cache, &key[..16]);
        result = compile(&verilator, verilog, top, opts, &tmp, &runtime).and_then(|()| {
            match std::fs::rename(&tmp, &dir) {
                Err(_) if lib.exists() => Ok(()), // another builder won the race
                r => r.map_err(io_err(format!("renaming build into {}", dir.display()))),
            }
        });
        let _ = std::fs::remove_dir_all(&tmp);
    }
    // Waiters hold the unlinked file; after a success newcomers find the library and never
    // lock, after a failure they may build again alongside a waiter, which is harmless.
    let _ = std::fs::remove_file(&lock_path);
    drop(lock);
    result.map(|()| lib)
}

/// Removes `.tmp-*-<pid>-<seq>` directories whose process is gone (killed mid-build).
fn remove_stale_temps(cache: &Path) {
    let Ok(rd) = std::fs::read_dir(cache) else {
        return;
    };
    for name in rd.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
        let pid = name
            .strip_prefix(".tmp-")
            .and_then(|r| r.rsplit('-').nth(1));
        if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
            let _ = std::fs::remove_dir_all(cache.join(&name));
        }
    }
}

/// A directory name under `cache` unique to this process and call.
fn temp_dir(cache: &Path, tag: &str) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    cache.join(format!(".tmp-{tag}-{}-{seq}", std::process::id()))
}

/// Verilator's arguments besides the sources and `--top-module`.
fn verilator_args(opts: &BuildOptions) -> Vec<String> {
    let mut args: Vec<String> = [
        "--prefix",
        "Vsim",
        "-Mdir",
        "obj",
        "-o",
        "libsim.so",
        "-Wno-fatal",
        "-Wno-WIDTH",
        "-CFLAGS",
        "-fPIC",
        "-CFLAGS",
        "-fvisibility=hidden",
        "-LDFLAGS",
        "-shared",
    ]
    .map(String::from)
    .into();
    if opts.trace {
        args.push("--trace".into());
    }
    // Ticks never advance simulated time, so `#` delays are ignored unless asked otherwise
    // (Verilator 5 refuses delays when neither option is given).
    if !opts.extra_args.iter().any(|a| a.ends_with("-timing")) {
        args.push("--no-timing".into());
    }
    args.extend(opts.extra_args.iter().cloned());
    args
}

/// Verilate and compile `verilog` into `tmp/libsim.so`.
fn compile(
    verilator: &str,
    verilog: &str,
    top: &str,
    opts: &BuildOptions,
    tmp: &Path,
    runtime: &Path,
) -> Result<(), HarnessError> {
    let ports = ports::parse_ports(verilog, top)?;
    let obj = tmp.join("obj");
    std::fs::create_dir_all(&obj).map_err(io_err(format!("creating {}", obj.display())))?;
    let write = |name: &str, text: &str| {
        let p = tmp.join(name);
        std::fs::write(&p, text).map_err(io_err(format!("writing {}", p.display())))
    };
    write("top.v", verilog)?;
    let mut cmd = Command::new(verilator);
    cmd.current_dir(tmp)
        .args(["--cc", "--exe"])
        .arg(tmp.join("shim.cpp"))
        .arg("top.v");
    cmd.args(["--top-module", top]).args(verilator_args(opts));
    let mut log = run(&mut cmd, "verilator")?;
    let read = |name: &str| {
        let p = obj.join(name);
        std::fs::read_to_string(&p).map_err(io_err(format!("reading {}", p.display())))
    };
    let header = shim::header_ports(&read("Vsim.h")?)?;
    // The model's thread count, so that the context does not start a pool it never uses.
    let model_cpp = read("Vsim.cpp")?;
    let threads = model_cpp.split("::threads() const { return ").nth(1);
    let threads = threads
        .and_then(|r| r.split(';').next()?.trim().parse().ok())
        .unwrap_or(1);
    write(
        "shim.cpp",
        &shim::shim_source(&ports, &header, opts.trace, threads)?,
    )?;

    let runtime_objs = |dir: &Path| -> Vec<PathBuf> {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let is_rt = |p: &Path| {
            p.extension().is_some_and(|e| e == "o")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("verilated"))
        };
        rd.filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| is_rt(p))
            .collect()
    };
    // Fresh copies are newer than Verilator's sources, so make keeps them.
    for o in runtime_objs(runtime) {
        let _ = std::fs::copy(&o, obj.join(o.file_name().unwrap_or_default()));
    }
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut make = Command::new("make");
    make.current_dir(&obj)
        .args(["-f", "Vsim.mk", &format!("-j{jobs}")])
        .args(MAKE_VARS);
    log += &run(&mut make, "make (C++ compile)")?;
    write("build.log", &log)?;
    if !runtime.exists() {
        let rt_tmp = temp_dir(&opts.cache_dir, "runtime");
        if std::fs::create_dir_all(&rt_tmp).is_ok() {
            for o in runtime_objs(&obj) {
                let _ = std::fs::copy(&o, rt_tmp.join(o.file_name().unwrap_or_default()));
            }
            if std::fs::rename(&rt_tmp, runtime).is_err() {
                let _ = std::fs::remove_dir_all(&rt_tmp);
            }
        }
    }
    std::fs::rename(obj.join("libsim.so"), tmp.join("libsim.so"))
        .map_err(io_err("moving libsim.so"))?;
    std::fs::remove_dir_all(&obj).map_err(io_err("removing obj/"))
}

/// Runs `cmd` and returns its stderr and stdout; on failure they (the last 20 kB) make up a
/// build error.
fn run(cmd: &mut Command, stage: &str) -> Result<String, HarnessError> {
    let out = cmd.output().map_err(io_err(format!("running {stage}")))?;
    let mut log = String::from_utf8_lossy(&out.stderr).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stdout));
    if out.status.success() {
        return Ok(log);
    }
    if log.len() > 20_000 {
        let cut = (log.len() - 20_000..log.len())
            .find(|&i| log.is_char_boundary(i))
            .unwrap_or(0);
        log = format!("[... output truncated ...]\n{}", &log[cut..]);
    }
    Err(HarnessError::Build {
        stage: format!("{stage} ({})", out.status),
        log,
    })
}
