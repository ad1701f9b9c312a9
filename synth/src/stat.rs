//! Parsing yosys `stat` output into a map of cell type -> count for the whole design.
//!
//! Two forms are read, both checked against yosys 0.23 (Debian) and 0.70 (yowasp):
//! * `stat -json`: the `design` object (totals over the hierarchy) or, without one, the
//!   only module; `num_cells_by_type` lists cells (0.70 also lists submodule instances,
//!   which are dropped by name).
//! * `stat` text: the last cell table in the output, which is the `design hierarchy` total
//!   when there is a hierarchy. 0.23 prints `Number of cells: N` then `NAME COUNT` lines;
//!   0.70 prints `N cells` then `COUNT   NAME` lines and ends with `N submodules`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Cell counts from `stat -json` output (the whole text yosys wrote with `tee -o`).
pub fn parse_stat_json(text: &str) -> Result<BTreeMap<String, u64>, String> {
    // yosys may write log lines before the JSON object when `tee` is not quiet.
    let start = text
        .find('{')
        .ok_or_else(|| "no JSON object in the text".to_string())?;
    let root: Value =
        serde_json::from_str(&text[start..]).map_err(|e| format!("invalid JSON: {e}"))?;
    let modules: BTreeSet<String> = root
        .get("modules")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| clean_name(k)).collect())
        .unwrap_or_default();
    let scope = match root.get("design") {
        Some(design) => design,
        None => {
            let only = root
                .get("modules")
                .and_then(Value::as_object)
                .filter(|m| m.len() == 1)
                .and_then(|m| m.values().next());
            only.ok_or_else(|| {
                "no `design` totals and not exactly one module in the stat JSON".to_string()
            })?
        }
    };
    let by_type = scope
        .get("num_cells_by_type")
        .and_then(Value::as_object)
        .ok_or_else(|| "no `num_cells_by_type` object in the stat JSON".to_string())?;
    let mut cells = BTreeMap::new();
    for (name, count) in by_type {
        let name = clean_name(name);
        if modules.contains(&name) {
            continue; // a submodule instance, not a primitive
        }
        let count = count
            .as_u64()
            .ok_or_else(|| format!("cell count for `{name}` is not a number: {count}"))?;
        cells.insert(name, count);
    }
    Ok(cells)
}

/// Cell counts from the text of `stat` (yosys 0.23 or newer layout).
pub fn parse_stat_text(text: &str) -> Result<BTreeMap<String, u64>, String> {
    let lines: Vec<&str> = text.lines().collect();
    // Module names from the `=== name ===` headers: instances of these are not primitives.
    let modules: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| {
            let t = l.trim();
            t.strip_prefix("=== ")
                .and_then(|r| r.strip_suffix(" ==="))
                .map(clean_name)
        })
        .collect();
    let header = lines
        .iter()
        .rposition(|l| cells_header(l).is_some())
        .ok_or_else(|| "no `Number of cells` / `N cells` line in the stat text".to_string())?;
    let total = cells_header(lines[header]).unwrap_or(0);
    let mut cells = BTreeMap::new();
    for line in &lines[header + 1..] {
        let Some((name, count)) = cell_line(line) else {
            break;
        };
        if STAT_KEYWORDS.contains(&name) {
            break; // e.g. "2 submodules" after the cell table (yosys >= 0.5x)
        }
        if !modules.contains(&clean_name(name)) {
            cells.insert(clean_name(name), count);
        }
    }
    if cells.is_empty() && total > 0 {
        return Err(format!(
            "the stat text says {total} cells but lists no cell types"
        ));
    }
    Ok(cells)
}

/// Summary words yosys prints as `N word` lines in the newer text layout.
const STAT_KEYWORDS: &[&str] = &[
    "wires",
    "cells",
    "submodules",
    "ports",
    "memories",
    "processes",
];

/// `Number of cells: N` (0.23) or `N cells` (newer) -> N.
fn cells_header(line: &str) -> Option<u64> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("Number of cells:") {
        return rest.trim().parse().ok();
    }
    let mut words = t.split_whitespace();
    let n = words.next()?.parse().ok()?;
    (words.next()? == "cells" && words.next().is_none()).then_some(n)
}

/// `NAME COUNT` (0.23) or `COUNT NAME` (newer) -> (NAME, COUNT).
fn cell_line(line: &str) -> Option<(&str, u64)> {
    let mut words = line.split_whitespace();
    let (a, b) = (words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Err(_), Ok(n)) => Some((a, n)),
        (Ok(n), Err(_)) => Some((b, n)),
        _ => None,
    }
}

/// yosys escapes public names with a leading backslash.
fn clean_name(name: &str) -> String {
    name.strip_prefix('\\').unwrap_or(name).to_string()
}
