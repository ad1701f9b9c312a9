//! Shared helpers: fixtures are copied under the target directory before use, because
//! the flows write next to / beside their inputs.

use std::path::{Path, PathBuf};

/// Copy `tests/data/{name}` into a fresh directory `{CARGO_TARGET_TMPDIR}/{case}/` and
/// return the copy's path.
pub fn fixture(case: &str, name: &str) -> PathBuf {
    let dir = scratch(case);
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let dst = dir.join(name);
    std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    dst
}

/// A fresh, empty directory for one test case under the target directory.
pub fn scratch(case: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("minilpu-synth")
        .join(case);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
