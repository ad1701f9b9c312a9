//! Run-time Verilator harness: Verilog text in, a loaded simulation model out.
//!
//! [`VerilatedModel::build`] verilates the text with the system `verilator` (5.x), compiles it
//! together with a generated C++ shim (a C ABI with one `switch` arm per port) into a shared
//! library, caches that under `cache_dir/<sha256>/` and `dlopen`s it. Ports are discovered by
//! parsing the top module's declarations (ANSI or the non-ANSI style rust-hdl emits) and
//! cross-checked against the port list of Verilator's generated header.
//!
//! ```no_run
//! use minilpu_testbench::verilated::{BuildOptions, VerilatedModel};
//! # fn main() -> Result<(), minilpu_testbench::verilated::HarnessError> {
//! let verilog = "module top(clock, a, y);\n input wire clock;\n input wire [7:0] a;\n\
//!                output reg [7:0] y;\n always @(posedge clock) y <= a + 8'd1;\nendmodule\n";
//! let mut m = VerilatedModel::build(verilog, "top", &BuildOptions::default())?;
//! let (a, y) = (m.port("a")?, m.port("y")?);
//! m.set_u64(a, 41);
//! m.tick();
//! assert_eq!(m.get_u64(y), 42);
//! # Ok(())
//! # }
//! ```
//!
//! Notes:
//! - `$VERILATOR` overrides the `verilator` executable; `make` and `g++` must be on `PATH`.
//! - Delays (`#n`) are ignored (`--no-timing`) unless `extra_args` says `--timing`; the
//!   harness only clocks, it never advances simulated time on its own.
//! - Registers start at zero (Verilator's default `+verilator+rand+reset+0`).
//! - A model is `Send` but not `Sync`; independent models may run on different threads.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};

mod build;
mod ports;
mod shim;

/// Version of the build recipe and shim ABI; part of the cache key (with the shim's text).
const SHIM_VERSION: u32 = 1;

/// Direction of a top-level port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Driven by the testbench (`input`; `inout` ports are treated as inputs too).
    In,
    /// Driven by the design (`output`).
    Out,
}

/// One port of the top module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// Name as written in the Verilog.
    pub name: String,
    /// Width in bits (at least 1).
    pub width: usize,
    /// Direction.
    pub dir: Dir,
}

/// How to build a model.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Compile with `--trace`, so that [`VerilatedModel::open_vcd`] works (slower simulation).
    pub trace: bool,
    /// Directory holding one built library per (Verilog, top, options) hash.
    pub cache_dir: PathBuf,
    /// Extra arguments passed to `verilator`, e.g. `-Wno-UNUSED`.
    pub extra_args: Vec<String>,
}

impl BuildOptions {
    /// Options without tracing or extra arguments that cache under `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            trace: false,
            cache_dir: cache_dir.into(),
            extra_args: Vec::new(),
        }
    }
}

impl Default for BuildOptions {
    /// Caches under `$MINILPU_VERILATOR_CACHE`, else `<workspace>/target/verilator-cache`.
    fn default() -> Self {
        let dir = std::env::var_os("MINILPU_VERILATOR_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/verilator-cache")
            });
        Self::new(dir)
    }
}

/// Everything that can go wrong while building, loading or driving a model.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The `verilator` executable could not be started.
    #[error("verilator not found (tried `{0}`): run scripts/setup.sh to install it")]
    VerilatorNotFound(String),
    /// Verilating or compiling failed; `log` holds the tool's output.
    #[error("Verilator build failed in {stage}:\n{log}")]
    Build {
        /// Which step failed.
        stage: String,
        /// Output of the failing tool (stderr and stdout).
        log: String,
    },
    /// The top module or its port declarations could not be understood.
    #[error("port discovery failed: {0}")]
    Ports(String),
    /// [`VerilatedModel::port`] was asked for a port the top module does not have.
    #[error("unknown port `{name}`; known ports: {known}")]
    UnknownPort {
        /// The requested name.
        name: String,
        /// Comma-separated names of all ports.
        known: String,
    },
    /// [`VerilatedModel::open_vcd`] on a model built without `trace: true`.
    #[error("VCD tracing not enabled: build the model with BuildOptions {{ trace: true, .. }}")]
    VcdNotEnabled,
    /// A file-system or process error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `dlopen` or symbol lookup failed.
    #[error("loading {path}: {source}")]
    Load {
        /// The shared library.
        path: PathBuf,
        /// The underlying error.
        source: libloading::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
    let context = context.into();
    move |source| HarnessError::Io { context, source }
}

/// Handle to a port of one [`VerilatedModel`], from [`VerilatedModel::port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortId(usize);

type FnCreate = unsafe extern "C" fn() -> *mut c_void;
type FnSim = unsafe extern "C" fn(*mut c_void);
type FnSet = unsafe extern "C" fn(*mut c_void, u32, *const u32);
type FnGet = unsafe extern "C" fn(*mut c_void, u32, *mut u32);
type FnOpen = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type FnDump = unsafe extern "C" fn(*mut c_void, u64);

/// A Verilated design loaded into this process. Owns the library and one model instance;
/// dropping it closes any VCD, runs `final()` and frees the model.
pub struct VerilatedModel {
    sim: *mut c_void,
    ports: Vec<PortSpec>,
    clock: Option<PortId>,
    cycles: u64,
    trace: bool,
    scratch: Vec<u32>,
    lib_path: PathBuf,
    f_destroy: FnSim,
    f_eval: FnSim,
    f_set: FnSet,
    f_get: FnGet,
    f_vcd_open: FnOpen,
    f_vcd_dump: FnDump,
    f_vcd_close: FnSim,
    _lib: libloading::Library,
}

impl VerilatedModel {
    /// Verilate `verilog` whose top module is `top`; build (or reuse from
    /// `cache_dir/<sha256 of verilog+top+options+shim version>/`) and load. The new model has
    /// been evaluated once, so outputs already show the initial state.
    pub fn build(verilog: &str, top: &str, opts: &BuildOptions) -> Result<Self, HarnessError> {
        let lib = build::cached_library(verilog, top, opts)?;
        Self::load(&lib, opts.trace)
    }

    fn load(path: &Path, trace: bool) -> Result<Self, HarnessError> {
        let lerr = |source| HarnessError::Load {
            path: path.to_owned(),
            source,
        };
        // RTLD_NOW surfaces unresolved symbols here rather than at the first call.
        // SAFETY: the library is one we generated; its initialisers are Verilator's own.
        let lib: libloading::Library = unsafe {
            libloading::os::unix::Library::open(
                Some(path),
                libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL,
            )
        }
        .map_err(lerr)?
        .into();
        macro_rules! sym {
            ($name:literal, $ty:ty) => {
                // SAFETY: the shim defines this symbol with exactly this signature.
                *unsafe { lib.get::<$ty>(concat!("mlpu_", $name, "\0").as_bytes()) }
                    .map_err(lerr)?
            };
        }
        let version = sym!("shim_version", unsafe extern "C" fn() -> u32);
        let n_ports = sym!("num_ports", unsafe extern "C" fn() -> u32);
        let p_name = sym!("port_name", unsafe extern "C" fn(u32) -> *const c_char);
        let p_width = sym!("port_width", unsafe extern "C" fn(u32) -> u32);
        let p_dir = sym!("port_dir", unsafe extern "C" fn(u32) -> u32);
        let create = sym!("create", FnCreate);
        // SAFETY: plain metadata getters of the shim; names are static NUL-terminated strings.
        let ports: Vec<PortSpec> = unsafe {
            assert_eq!(version(), SHIM_VERSION, "stale shim in {}", path.display());
            (0..n_ports())
                .map(|i| PortSpec {
                    name: CStr::from_ptr(p_name(i)).to_string_lossy().into_owned(),
                    width: p_width(i) as usize,
                    dir: if p_dir(i) == 0 { Dir::In } else { Dir::Out },
                })
                .collect()
        };
        let clock = ports
            .iter()
            .position(|p| p.name == "clock" && p.dir == Dir::In)
            .map(PortId);
        let mut m = Self {
            // SAFETY: creates a fresh context and model; freed by `destroy` in Drop.
            sim: unsafe { create() },
            ports,
            clock,
            cycles: 0,
            trace,
            scratch: Vec::new(),
            lib_path: path.to_owned(),
            f_destroy: sym!("destroy", FnSim),
            f_eval: sym!("eval", FnSim),
            f_set: sym!("set_port", FnSet),
            f_get: sym!("get_port", FnGet),
            f_vcd_open: sym!("vcd_open", FnOpen),
            f_vcd_dump: sym!("vcd_dump", FnDump),
            f_vcd_close: sym!("vcd_close", FnSim),
            _lib: lib,
        };
        m.eval();
        Ok(m)
    }

    /// The top module's ports, in declaration order.
    pub fn ports(&self) -> &[PortSpec] {
        &self.ports
    }

    /// The loaded library, `cache_dir/<key>/libsim.so` (beside it: `top.v` and `shim.cpp`).
    pub fn library_path(&self) -> &Path {
        &self.lib_path
    }

    /// Look a port up by its Verilog name.
    pub fn port(&self, name: &str) -> Result<PortId, HarnessError> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .map(PortId)
            .ok_or_else(|| {
                let known: Vec<&str> = self.ports.iter().map(|p| p.name.as_str()).collect();
                HarnessError::UnknownPort {
                    name: name.into(),
                    known: known.join(", "),
                }
            })
    }

    /// Drive input `p` with little-endian 32-bit `words` (`ceil(width/32)` of them; missing
    /// words read as zero, bits above the port width are ignored). Takes effect at the next
    /// [`eval`](Self::eval). Panics if `p` is an output.
    pub fn set(&mut self, p: PortId, words: &[u32]) {
        let spec = &self.ports[p.0];
        assert!(spec.dir == Dir::In, "set() on output port `{}`", spec.name);
        let n = spec.width.div_ceil(32);
        let ptr = if words.len() >= n {
            words.as_ptr()
        } else {
            self.scratch.clear();
            self.scratch.extend_from_slice(words);
            self.scratch.resize(n, 0);
            self.scratch.as_ptr()
        };
        // SAFETY: `ptr` holds at least `n` words, which is all the shim reads for this port.
        unsafe { (self.f_set)(self.sim, p.0 as u32, ptr) }
    }

    /// Drive input `p` with `v` (zero-extended or truncated to the port width).
    pub fn set_u64(&mut self, p: PortId, v: u64) {
        self.set(p, &[v as u32, (v >> 32) as u32]);
    }

    /// Current value of port `p` as `ceil(width/32)` little-endian 32-bit words.
    pub fn get(&self, p: PortId) -> Vec<u32> {
        let mut out = vec![0u32; self.ports[p.0].width.div_ceil(32)];
        // SAFETY: the shim writes exactly `ceil(width/32)` words for this port.
        unsafe { (self.f_get)(self.sim, p.0 as u32, out.as_mut_ptr()) };
        out
    }

    /// Low 64 bits of port `p`.
    pub fn get_u64(&self, p: PortId) -> u64 {
        let lo = |w: &[u32]| w[0] as u64 | (w.get(1).copied().unwrap_or(0) as u64) << 32;
        if self.ports[p.0].width <= 64 {
            let mut w = [0u32; 2];
            // SAFETY: ports up to 64 bits write at most two words.
            unsafe { (self.f_get)(self.sim, p.0 as u32, w.as_mut_ptr()) };
            lo(&w)
        } else {
            lo(&self.get(p))
        }
    }

    /// Evaluate the model (settle combinational logic and any clock edges since the last eval).
    pub fn eval(&mut self) {
        // SAFETY: `sim` is live until Drop.
        unsafe { (self.f_eval)(self.sim) }
    }

    /// One rising edge on the input port named `clock`: clock=1, eval, clock=0, eval, with a
    /// VCD sample after each eval when a VCD is open (times `2c+1` and `2c+2` for cycle `c`).
    /// Panics if the design has no input `clock`.
    pub fn tick(&mut self) {
        let clk = self
            .clock
            .expect("tick() needs an input port named `clock`");
        let t = 2 * self.cycles;
        for (level, time) in [(1u32, t + 1), (0, t + 2)] {
            // SAFETY: `clk` is a 1-bit input of this model; `sim` is live.
            unsafe {
                (self.f_set)(self.sim, clk.0 as u32, &level);
                (self.f_eval)(self.sim);
                (self.f_vcd_dump)(self.sim, time);
            }
        }
        self.cycles += 1;
    }

    /// Number of [`tick`](Self::tick)s so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Start writing a VCD of every signal to `path` (closing any open one), with a first
    /// sample of the current state. Needs a model built with `trace: true`.
    pub fn open_vcd(&mut self, path: &Path) -> Result<(), HarnessError> {
        if !self.trace {
            return Err(HarnessError::VcdNotEnabled);
        }
        let c = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|e| io_err(format!("VCD path {}", path.display()))(e.into()))?;
        // SAFETY: `c` is a valid C string for the duration of the call; `sim` is live.
        if unsafe { (self.f_vcd_open)(self.sim, c.as_ptr()) } != 0 {
            let e = std::io::Error::other("Verilator could not open the file");
            return Err(io_err(format!("opening VCD {}", path.display()))(e));
        }
        // SAFETY: as above.
        unsafe { (self.f_vcd_dump)(self.sim, 2 * self.cycles) };
        Ok(())
    }

    /// Flush and close the open VCD, if any.
    pub fn close_vcd(&mut self) {
        // SAFETY: `sim` is live; closing with no open VCD is a no-op in the shim.
        unsafe { (self.f_vcd_close)(self.sim) }
    }
}

// SAFETY: the instance is only reached through `&mut self` (or `&self` for reads of port
// values), and every shim entry point that runs model code first binds Verilator's per-thread
// context pointer to this instance's own `VerilatedContext`, so it has no thread affinity.
unsafe impl Send for VerilatedModel {}

impl Drop for VerilatedModel {
    fn drop(&mut self) {
        // SAFETY: `sim` came from `create` of the still-loaded library and is freed once.
        unsafe { (self.f_destroy)(self.sim) }
    }
}
