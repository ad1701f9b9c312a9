//! The PLL settings `minilpu_hdl::pll` computes equal what the vendor-independent tools
//! print: icestorm's `icepll` (iCE40 `SB_PLL40_PAD`) and Project Trellis's `ecppll`
//! (ECP5 `EHXPLLL`, from the PyPI yowasp build in `target/toolchain/venv`). A missing
//! tool skips its half with a message (scripts/setup.sh installs both).

use minilpu_hdl::pll::{ecp5_pll, ice40_pll};
use std::path::{Path, PathBuf};
use std::process::Command;

fn field(text: &str, key: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.trim_start().starts_with(key))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn ice40_settings_equal_icepll() {
    let mut checked = 0;
    for f in [24.0, 30.0, 33.3, 36.0, 40.0, 48.0, 50.0, 60.0, 100.0, 133.0] {
        let Ok(out) = Command::new("icepll")
            .args(["-i", "12", "-o", &f.to_string()])
            .output()
        else {
            eprintln!("icepll not installed: skipping (scripts/setup.sh installs fpga-icestorm)");
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let p = ice40_pll(12.0, f).unwrap();
        let achieved = text
            .lines()
            .find(|l| l.contains("(achieved)"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap();
        assert_eq!(
            field(&text, "DIVR:"),
            Some(p.divr as f64),
            "{f} MHz:\n{text}"
        );
        assert_eq!(
            field(&text, "DIVF:"),
            Some(p.divf as f64),
            "{f} MHz:\n{text}"
        );
        assert_eq!(
            field(&text, "DIVQ:"),
            Some(p.divq as f64),
            "{f} MHz:\n{text}"
        );
        assert_eq!(
            field(&text, "FILTER_RANGE:"),
            Some(p.filter_range as f64),
            "{f} MHz:\n{text}"
        );
        assert!(
            (achieved - p.f_out_mhz).abs() < 0.0015,
            "{f} MHz: {achieved} vs {p:?}"
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
}

fn ecppll() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchain/venv/bin");
    for name in ["ecppll", "yowasp-ecppll"] {
        if Command::new(name).arg("--help").output().is_ok() {
            return Some(name.into());
        }
        let p = venv.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    None
}

fn param(v: &str, name: &str) -> u32 {
    let key = format!(".{name}(");
    let i = v.find(&key).unwrap_or_else(|| panic!("{name} in\n{v}")) + key.len();
    v[i..].split(')').next().unwrap().trim().parse().unwrap()
}

#[test]
fn ecp5_settings_equal_ecppll() {
    let Some(tool) = ecppll() else {
        eprintln!("ecppll / yowasp-ecppll not installed: skipping (scripts/setup.sh)");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pll");
    std::fs::create_dir_all(&dir).unwrap();
    for (fin, fout) in [
        (25.0, 40.0),
        (25.0, 50.0),
        (25.0, 62.5),
        (25.0, 75.0),
        (25.0, 100.0),
        (48.0, 60.0),
        (48.0, 96.0),
    ] {
        // A file name relative to the tool's working directory: the WebAssembly
        // ecppll sees the host's directories through its own mapping (under /tmp it
        // writes elsewhere), the working directory always.
        let name = format!("pll_{fin}_{fout}.v");
        let file = dir.join(&name);
        let out = Command::new(&tool)
            .current_dir(&dir)
            .args(["-i", &fin.to_string(), "-o", &fout.to_string(), "-f"])
            .arg(&name)
            .env(
                "YOWASP_CACHE_DIR",
                std::env::var_os("YOWASP_CACHE_DIR").unwrap_or_else(|| {
                    let home = std::env::var_os("HOME").unwrap_or_default();
                    Path::new(&home).join(".cache/minilpu/yowasp").into()
                }),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = std::fs::read_to_string(&file).unwrap();
        let p = ecp5_pll(fin, fout).unwrap();
        let got = (
            param(&v, "CLKI_DIV"),
            param(&v, "CLKFB_DIV"),
            param(&v, "CLKOP_DIV"),
            param(&v, "CLKOP_CPHASE"),
        );
        assert_eq!(
            got,
            (p.clki_div, p.clkfb_div, p.clkop_div, p.clkop_cphase),
            "{fin} -> {fout} MHz"
        );
    }
}
