//! Boards: the board TOML (`fpga/<board>/board.toml`) that holds a board's policy
//! (device variant, tile preset, clock target, baud rate, LED polarity, programmer),
//! next to its pin table (`.pcf` / `.lpf`).
//!
//! ```toml
//! name = "icebreaker"
//! family = "ice40"
//! clock_in_mhz = 12.0          # the board oscillator
//! constraints = "icebreaker.pcf"
//! default_variant = "up5k"
//! baud = 1000000
//! uart_timeout_ms = 5.0
//! led_active_low = ["busy", "error"]   # LEDs that light on a low pin
//!
//! [variants.up5k]
//! device = "up5k"              # nextpnr's device flag (--up5k, --85k, ...)
//! package = "sg48"
//! preset = "icebreaker"        # or tile_config = "tile.toml" (relative to the board dir)
//! clock_mhz = 40.0             # the tile clock the PLL is asked for (the timing target)
//! bus_stages = 0               # host bus registers between the bridge and the tile (0 or 1)
//! timeout_min = 60             # nextpnr's time limit (minutes) unless --timeout-min says
//!
//! [flash]
//! tool = "openFPGALoader"
//! args = ["-b", "ice40_generic"]
//! ```
//! [`find_board`] resolves a name like `ulx3s` or `ulx3s-85f` (board `ulx3s`, variant
//! `85f`) to a [`BoardTarget`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::device::Family;

/// How a board is programmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlashSpec {
    /// Program (`openFPGALoader`, `iceprog`).
    pub tool: String,
    /// Arguments before the bitstream path.
    #[serde(default)]
    pub args: Vec<String>,
    /// Arguments that only probe for the board (no programming).
    #[serde(default)]
    pub probe_args: Vec<String>,
}

/// One device variant of a board (ULX3S: 12F, 25F, 45F, 85F).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// nextpnr's device flag without dashes (`up5k`, `25k`, `85k`).
    pub device: String,
    /// Package (`sg48`, `CABGA381`).
    pub package: String,
    /// Tile preset name (minilpu-model) ...
    #[serde(default)]
    pub preset: Option<String>,
    /// ... or a tile configuration TOML, relative to the board directory.
    #[serde(default)]
    pub tile_config: Option<String>,
    /// Tile clock target (MHz): the PLL is set for it and P&R must meet it.
    pub clock_mhz: f64,
    /// A free-text remark shown in reports.
    #[serde(default)]
    pub note: Option<String>,
    /// nextpnr arguments this variant always gets (e.g. `["--router", "router2"]`);
    /// `minilpu synth --nextpnr-arg` adds to them and overrides an option named in both
    /// ([`merge_nextpnr_args`]).
    #[serde(default)]
    pub nextpnr_args: Vec<String>,
    /// Register stages on the host bus between the UART bridge and the tile, each way
    /// (0 or 1; `BoardTopConfig::with_bus_stages`). Defaults to 0.
    #[serde(default)]
    pub bus_stages: u32,
    /// nextpnr's time limit (minutes) for this variant, unless `minilpu synth
    /// --timeout-min` gives one (1 ..= [`TIMEOUT_MIN_MAX`]). Defaults to
    /// [`DEFAULT_TIMEOUT_MIN`].
    #[serde(default = "default_timeout_min")]
    pub timeout_min: u64,
}

/// nextpnr's time limit (minutes) of a variant that names none.
pub const DEFAULT_TIMEOUT_MIN: u64 = 60;

/// The longest time limit a variant may name (minutes): a day.
pub const TIMEOUT_MIN_MAX: u64 = 24 * 60;

fn default_timeout_min() -> u64 {
    DEFAULT_TIMEOUT_MIN
}

/// The board variant's nextpnr arguments followed by the command line's. An option
/// (`--name`, with the values up to the next `--`) given on the command line replaces
/// the variant's option of the same name, so nextpnr never sees an option twice.
///
/// ```
/// use minilpu_synth::board::merge_nextpnr_args;
/// let board = ["--router", "router2", "--placer-heap-beta", "0.7"].map(String::from);
/// let cli = ["--router", "router1"].map(String::from);
/// assert_eq!(
///     merge_nextpnr_args(&board, &cli),
///     ["--placer-heap-beta", "0.7", "--router", "router1"]
/// );
/// ```
pub fn merge_nextpnr_args(board: &[String], cli: &[String]) -> Vec<String> {
    let is_opt = |a: &String| a.starts_with("--");
    let name = |a: &String| a.split('=').next().unwrap_or(a).to_string();
    let overridden: Vec<String> = cli.iter().filter(|a| is_opt(a)).map(name).collect();
    let mut out = Vec::new();
    let mut keep = true;
    for a in board {
        if is_opt(a) {
            keep = !overridden.contains(&name(a));
        }
        if keep {
            out.push(a.clone());
        }
    }
    out.extend(cli.iter().cloned());
    out
}

/// A board TOML as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSpec {
    /// Board name (the directory name under `fpga/`).
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
    /// FPGA family.
    pub family: Family,
    /// Board oscillator (MHz).
    pub clock_in_mhz: f64,
    /// Pin table, relative to the board directory.
    pub constraints: String,
    /// Variant used when none is named.
    pub default_variant: String,
    /// UART baud rate of the host bridge.
    pub baud: u32,
    /// Inter-byte timeout of the host bridge (ms).
    pub uart_timeout_ms: f64,
    /// LEDs (of `busy`, `error`, `host`, `link`) that light on a low pin.
    #[serde(default)]
    pub led_active_low: Vec<String>,
    /// Device variants by name.
    pub variants: BTreeMap<String, VariantSpec>,
    /// Programming.
    pub flash: FlashSpec,
}

/// The board top's LEDs, in the order of `BoardTopConfig::led_active_low`.
pub const LED_NAMES: [&str; 4] = ["busy", "error", "host", "link"];

impl BoardSpec {
    /// `led_active_low` as a mask in [`LED_NAMES`] order.
    pub fn led_mask(&self) -> [bool; 4] {
        LED_NAMES.map(|n| self.led_active_low.iter().any(|l| l == n))
    }
}

/// A board and one of its variants, with paths resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoardTarget {
    /// The board.
    pub board: BoardSpec,
    /// The variant's name.
    pub variant_name: String,
    /// The variant.
    pub variant: VariantSpec,
    /// `fpga/<board>/`.
    pub dir: PathBuf,
    /// The pin table.
    pub constraints: PathBuf,
}

impl BoardTarget {
    /// `board-variant`, e.g. `ulx3s-85f`.
    pub fn id(&self) -> String {
        format!("{}-{}", self.board.name, self.variant_name)
    }

    /// The tile configuration file, if the variant names one.
    pub fn tile_config_path(&self) -> Option<PathBuf> {
        self.variant.tile_config.as_ref().map(|p| self.dir.join(p))
    }
}

/// Why a board could not be found or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BoardError(pub String);

/// The `fpga/` directory: `$MINILPU_FPGA_DIR`, else `./fpga` when it exists, else the
/// one next to this crate's sources.
pub fn fpga_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MINILPU_FPGA_DIR") {
        return PathBuf::from(d);
    }
    let here = PathBuf::from("fpga");
    if here.join("icebreaker/board.toml").is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga")
}

/// Boards under `dir` (directories with a `board.toml`), sorted.
pub fn list_boards(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().join("board.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Read and check `dir/board.toml`.
pub fn load_board(dir: &Path) -> Result<BoardSpec, BoardError> {
    let path = dir.join("board.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| BoardError(format!("{}: cannot read: {e}", path.display())))?;
    let spec: BoardSpec =
        toml::from_str(&text).map_err(|e| BoardError(format!("{}: {e}", path.display())))?;
    let bad = |what: String| BoardError(format!("{}: {what}", path.display()));
    if !spec.variants.contains_key(&spec.default_variant) {
        return Err(bad(format!(
            "default_variant `{}` is not among the variants ({})",
            spec.default_variant,
            spec.variants.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    for (name, v) in &spec.variants {
        if v.preset.is_some() == v.tile_config.is_some() {
            return Err(bad(format!(
                "variant `{name}`: give exactly one of `preset` and `tile_config`"
            )));
        }
        if v.clock_mhz.is_nan() || v.clock_mhz <= 0.0 {
            return Err(bad(format!("variant `{name}`: clock_mhz must be positive")));
        }
        if v.bus_stages > 1 {
            return Err(bad(format!(
                "variant `{name}`: bus_stages = {}: allowed 0 or 1 register stages",
                v.bus_stages
            )));
        }
        if !(1..=TIMEOUT_MIN_MAX).contains(&v.timeout_min) {
            return Err(bad(format!(
                "variant `{name}`: timeout_min = {}: allowed 1 ..= {TIMEOUT_MIN_MAX} minutes",
                v.timeout_min
            )));
        }
    }
    if let Some(l) = spec
        .led_active_low
        .iter()
        .find(|l| !LED_NAMES.contains(&l.as_str()))
    {
        return Err(bad(format!(
            "led_active_low: unknown LED `{l}` (LEDs: {})",
            LED_NAMES.join(", ")
        )));
    }
    if !dir.join(&spec.constraints).is_file() {
        return Err(bad(format!(
            "the pin table `{}` is missing",
            dir.join(&spec.constraints).display()
        )));
    }
    Ok(spec)
}

/// Resolve `name` (`board` or `board-variant`) and an optional explicit `variant`
/// under `fpga_dir`.
pub fn find_board(
    fpga_dir: &Path,
    name: &str,
    variant: Option<&str>,
) -> Result<BoardTarget, BoardError> {
    let boards = list_boards(fpga_dir);
    let (board_name, from_name) = if boards.iter().any(|b| b == name) {
        (name.to_string(), None)
    } else if let Some((b, v)) = name
        .rsplit_once('-')
        .filter(|(b, _)| boards.iter().any(|x| x == b))
    {
        (b.to_string(), Some(v.to_ascii_lowercase()))
    } else {
        return Err(BoardError(format!(
            "unknown board `{name}`; boards in {}: {}",
            fpga_dir.display(),
            if boards.is_empty() {
                "none".to_string()
            } else {
                boards.join(", ")
            }
        )));
    };
    let dir = fpga_dir.join(&board_name);
    let board = load_board(&dir)?;
    let variant_name = match (variant, from_name) {
        (Some(v), Some(w)) if v.to_ascii_lowercase() != w => {
            return Err(BoardError(format!(
                "`{name}` names variant `{w}` but --variant says `{v}`"
            )))
        }
        (Some(v), _) => v.to_ascii_lowercase(),
        (None, Some(w)) => w,
        (None, None) => board.default_variant.clone(),
    };
    let spec = board.variants.get(&variant_name).cloned().ok_or_else(|| {
        BoardError(format!(
            "board `{}` has no variant `{variant_name}`; variants: {}",
            board.name,
            board
                .variants
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    Ok(BoardTarget {
        constraints: dir.join(&board.constraints),
        dir,
        variant_name,
        variant: spec,
        board,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_board_in_the_repo_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga");
        let boards = list_boards(&dir);
        assert!(boards.len() >= 3, "{boards:?}");
        for b in boards {
            let spec = load_board(&dir.join(&b)).unwrap_or_else(|e| panic!("{e}"));
            for v in spec.variants.keys() {
                let t = find_board(&dir, &b, Some(v)).unwrap();
                assert_eq!(t.id(), format!("{b}-{v}"));
                if let Some(p) = t.tile_config_path() {
                    assert!(p.is_file(), "{}", p.display());
                }
            }
        }
    }

    /// The ULX3S board directory with the first `from` in its board.toml made `to`:
    /// the error `load_board` gives for it.
    fn ulx3s_edited(from: &str, to: &str) -> BoardError {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga/ulx3s");
        let tag = to.split(' ').next().unwrap_or("edit");
        let tmp = std::env::temp_dir().join(format!("minilpu-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let text = std::fs::read_to_string(dir.join("board.toml")).unwrap();
        assert!(text.contains(from), "board.toml has no {from:?}");
        std::fs::copy(dir.join("ulx3s.lpf"), tmp.join("ulx3s.lpf")).unwrap();
        std::fs::write(tmp.join("board.toml"), text.replacen(from, to, 1)).unwrap();
        let e = load_board(&tmp).unwrap_err();
        std::fs::remove_dir_all(&tmp).ok();
        e
    }

    /// The variants' own keys, and a value out of range refused by name:
    /// - `bus_stages`: the ECP5 boards register the host bus on its way across the die;
    ///   the iCEBreaker has no logic cells to spare for it (docs/boards.md);
    /// - `timeout_min`: the 85F's router1 has needed over an hour (docs/boards.md), so
    ///   its variant allows two; the others keep the default.
    #[test]
    fn bus_stages_and_timeouts_per_variant_and_checked() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga");
        let d = DEFAULT_TIMEOUT_MIN;
        for (b, stages, minutes) in [
            ("icebreaker-up5k", 0, d),
            ("ulx3s-25f", 1, d),
            ("ulx3s-45f", 1, d),
            ("ulx3s-85f", 1, 120),
            ("orangecrab-25f", 1, d),
        ] {
            let v = find_board(&dir, b, None).unwrap().variant;
            assert_eq!((v.bus_stages, v.timeout_min), (stages, minutes), "{b}");
        }
        for (from, to, allowed) in [
            ("bus_stages = 1", "bus_stages = 2", "0 or 1"),
            ("timeout_min = 120", "timeout_min = 0", "1 ..= 1440"),
        ] {
            let e = ulx3s_edited(from, to);
            assert!(e.0.contains(to) && e.0.contains(allowed), "{e}");
        }
    }

    #[test]
    fn names_with_variants() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga");
        let t = find_board(&dir, "ulx3s-85f", None).unwrap();
        assert_eq!(
            (t.board.name.as_str(), t.variant.device.as_str()),
            ("ulx3s", "85k")
        );
        let t = find_board(&dir, "ulx3s", Some("25F")).unwrap();
        assert_eq!(t.variant.device, "25k");
        let e = find_board(&dir, "nosuchboard", None).unwrap_err();
        assert!(e.0.contains("icebreaker"), "{e}");
        let e = find_board(&dir, "ulx3s-99f", None).unwrap_err();
        assert!(e.0.contains("85f"), "{e}");
    }

    #[test]
    fn nextpnr_args_merge() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // The 85F places with the static placer (docs/boards.md), the smaller variants
        // with nextpnr's defaults.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga");
        let t = find_board(&dir, "ulx3s-85f", None).unwrap();
        assert_eq!(t.variant.nextpnr_args, v(&["--placer", "static"]));
        assert!(find_board(&dir, "ulx3s-25f", None)
            .unwrap()
            .variant
            .nextpnr_args
            .is_empty());
        let board = v(&[
            "--router",
            "router2",
            "--tmg-ripup",
            "--placer-heap-beta",
            "0.7",
        ]);
        assert_eq!(merge_nextpnr_args(&board, &[]), board);
        assert_eq!(merge_nextpnr_args(&[], &board), board);
        // Options named on the command line (with or without `=`) replace the board's,
        // values and all; the rest keep their order.
        assert_eq!(
            merge_nextpnr_args(
                &board,
                &v(&["--placer-heap-beta=0.8", "--router2-alt-weights"])
            ),
            v(&[
                "--router",
                "router2",
                "--tmg-ripup",
                "--placer-heap-beta=0.8",
                "--router2-alt-weights"
            ])
        );
        assert_eq!(
            merge_nextpnr_args(&board, &v(&["--tmg-ripup", "--router", "router1"])),
            v(&[
                "--placer-heap-beta",
                "0.7",
                "--tmg-ripup",
                "--router",
                "router1"
            ])
        );
    }
}
