//! `stat` parsing against saved outputs of yosys 0.23 (Debian) and 0.70 (yowasp).

use std::collections::BTreeMap;

use minilpu_synth::{parse_stat_json, parse_stat_text};

fn hier_cells() -> BTreeMap<String, u64> {
    [("SB_CARRY", 6), ("SB_DFF", 8), ("SB_LUT4", 8)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

#[test]
fn hierarchical_text_and_json_from_both_versions() {
    for version in ["023", "070"] {
        let text = std::fs::read_to_string(format!(
            "{}/tests/data/stat_hier_{version}.txt",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(
            parse_stat_text(&text).unwrap(),
            hier_cells(),
            "text {version}"
        );
        let json = std::fs::read_to_string(format!(
            "{}/tests/data/stat_hier_{version}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(
            parse_stat_json(&json).unwrap(),
            hier_cells(),
            "json {version}"
        );
    }
}

#[test]
fn flat_text_layouts() {
    let old = "=== mac8 ===\n\n   Number of wires:   35\n   Number of cells:   3\n     SB_CARRY   2\n     SB_MAC16   1\n\n";
    let new = "=== mac8 ===\n\n        +----------Local Count, excluding submodules.\n        | \n       35 wires\n        3 cells\n        2   SB_CARRY\n        1   SB_MAC16\n";
    for text in [old, new] {
        let cells = parse_stat_text(text).unwrap();
        assert_eq!(cells.get("SB_CARRY"), Some(&2));
        assert_eq!(cells.get("SB_MAC16"), Some(&1));
        assert_eq!(cells.len(), 2);
    }
    assert!(parse_stat_text("nothing useful").is_err());
    assert!(parse_stat_json("{}").is_err());
}
