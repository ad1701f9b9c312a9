//! `TileConfig`: presets, validation errors, TOML loading, derived sizes.

use super::*;

#[test]
fn presets_validate_and_unknown_is_named() {
    for p in PRESET_NAMES {
        let c = TileConfig::preset(p).unwrap();
        assert_eq!(c.name, p);
    }
    let e = TileConfig::preset("nope").unwrap_err();
    assert_eq!(e.param, "preset");
    assert!(e.to_string().contains("sim-small"), "{e}");
}

#[test]
fn bad_parameters_name_themselves() {
    let base = TileConfig::preset("sim-small").unwrap();
    type Mutate = Box<dyn Fn(&mut TileConfig)>;
    let cases: Vec<(&str, Mutate)> = vec![
        ("lanes", Box::new(|c| c.lanes = 6)),
        ("rows", Box::new(|c| c.rows = 8)),
        ("cols", Box::new(|c| c.cols = 8)),
        ("banks", Box::new(|c| c.banks = 1)),
        ("banks", Box::new(|c| c.banks = 18)),
        ("bank_width", Box::new(|c| c.bank_width = 64)),
        ("bank_depth", Box::new(|c| c.bank_depth = 1000)),
        ("acc_depth", Box::new(|c| c.acc_depth = 8)),
        ("acc_depth", Box::new(|c| c.acc_depth = 32768)),
        ("imem_depth", Box::new(|c| c.imem_depth = 100)),
        ("act_depth", Box::new(|c| c.act_depth = 100)),
        ("array_dsp_mults", Box::new(|c| c.array_dsp_mults = 3)),
        ("array_dsp_mults", Box::new(|c| c.array_dsp_mults = 18)),
        ("requant_lanes", Box::new(|c| c.requant_lanes = 3)),
        ("requant_lanes", Box::new(|c| c.requant_lanes = 0)),
        ("requant_steps", Box::new(|c| c.requant_steps = 0)),
        ("requant_steps", Box::new(|c| c.requant_steps = 3)),
        ("requant_steps", Box::new(|c| c.requant_steps = 32)),
        // sim-small has requant_dsp = true: serial lanes need the LUT multiplier.
        ("requant_steps", Box::new(|c| c.requant_steps = 4)),
        ("target_mhz", Box::new(|c| c.target_mhz = 0.0)),
        ("link_counter_bits", Box::new(|c| c.link_counter_bits = 15)),
        ("link_counter_bits", Box::new(|c| c.link_counter_bits = 33)),
        ("name", Box::new(|c| c.name = "a b".into())),
        ("bank_read_stages", Box::new(|c| c.bank_read_stages = 4)),
    ];
    for (param, f) in cases {
        let mut c = base.clone();
        f(&mut c);
        let e = c.validate().unwrap_err();
        assert_eq!(e.param, param, "{e}");
        assert!(e.to_string().contains(param));
    }
}

#[test]
fn toml_round_trip_and_unknown_field() {
    let c = TileConfig::preset("ulx3s-85f").unwrap();
    let text = toml::to_string(&c).unwrap();
    let back: TileConfig = toml::from_str(&text).unwrap();
    assert_eq!(c, back);
    // requant_steps may be left out (older files): it defaults to 1.
    let old: String = text
        .lines()
        .filter(|l| !l.starts_with("requant_steps"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, text);
    assert_eq!(toml::from_str::<TileConfig>(&old).unwrap().requant_steps, 1);
    let bad = format!("{text}\nbogus = 1\n");
    assert!(toml::from_str::<TileConfig>(&bad).is_err());
}

#[test]
fn derived_figures() {
    let c = TileConfig::preset("ulx3s-85f").unwrap();
    assert_eq!(c.mac_units(), 256);
    assert_eq!(c.install_cycles(), 2);
    assert_eq!(c.weight_bytes_per_cycle(), 128);
    assert!((c.gemv_utilization_bound() - 0.5).abs() < 1e-12);
    assert_eq!(c.requant_beats(), 1);
    let i = TileConfig::preset("icebreaker").unwrap();
    assert_eq!(i.requant_beats(), 4 * i.requant_steps);
    let mut serial = i.clone();
    serial.requant_lanes = 2;
    serial.requant_steps = 8;
    serial.validate().unwrap();
    assert_eq!(serial.requant_beats(), 16);
    let s = TileConfig::preset("sim-small").unwrap();
    assert_eq!(s.install_cycles(), 2);
    assert!((s.gemv_utilization_bound() - 0.5).abs() < 1e-12);
}

#[test]
fn bank_read_stages_default_validate_and_show_in_info2() {
    // Only the 85F's tile crosses a die large enough to need them.
    for p in PRESET_NAMES {
        let c = TileConfig::preset(p).unwrap();
        let b = if p == "ulx3s-85f" { 3 } else { 0 };
        assert_eq!(
            (
                c.bank_read_stages,
                c.bank_read_delay(),
                c.info2_word() & 0b11
            ),
            (b, b as u64, b as u32)
        );
        // Only the 85F preset has the accumulator read stage (docs/boards.md).
        assert_eq!(c.acc_read_delay(), (p == "ulx3s-85f") as u64, "{p}");
    }
    let mut c = TileConfig::preset("sim-small").unwrap();
    let info = c.info_word();
    c.bank_read_stages = BANK_READ_STAGES_MAX;
    assert_eq!(BANK_READ_STAGES_MAX, 3);
    c.validate().unwrap();
    assert_eq!((c.bank_read_delay(), c.bank_address_delay()), (3, 1));
    // INFO2 bits 1..0; INFO does not change.
    assert_eq!(c.info2_word(), 0b11);
    assert_eq!(c.info_word(), info);
    c.bank_read_stages = 1;
    assert_eq!((c.bank_read_delay(), c.info2_word()), (1, 0b01));
    c.bank_read_stages = 4;
    let e = c.validate().unwrap_err();
    assert_eq!((e.param, e.value.as_str()), ("bank_read_stages", "4"));
    let msg = e.to_string();
    assert!(
        msg.contains("bank_read_stages") && msg.contains("0..=3"),
        "{msg}"
    );
    // Older TOML files without the field: 0. With it: round trip.
    let mut u = TileConfig::preset("ulx3s-85f").unwrap();
    u.bank_read_stages = 1;
    let old = round_trip_and_drop(&u, "bank_read_stages = 1");
    assert_eq!(old.bank_read_stages, 0);
}

/// `cfg` through TOML and back (the text must contain `line`), then the same text
/// without `line`'s field: what a file written before the field existed loads as.
fn round_trip_and_drop(cfg: &TileConfig, line: &str) -> TileConfig {
    let text = toml::to_string(cfg).unwrap();
    assert!(text.contains(line), "{text}");
    assert_eq!(&toml::from_str::<TileConfig>(&text).unwrap(), cfg);
    let field = line.split(' ').next().unwrap();
    let old: String = text
        .lines()
        .filter(|l| !l.starts_with(field))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, text);
    toml::from_str::<TileConfig>(&old).unwrap()
}

#[test]
fn acc_read_stage_defaults_to_off_and_round_trips() {
    // Off unless set: a TOML file without the field (written before it existed) gets
    // the timing it was written for.
    let mut u = TileConfig::preset("sim-small").unwrap();
    assert!(!u.acc_read_stage);
    u.acc_read_stage = true;
    assert!(!round_trip_and_drop(&u, "acc_read_stage = true").acc_read_stage);
    assert_eq!((u.acc_read_delay(), u.info2_word()), (1, 0b100));
}

#[test]
fn fetch_stage_defaults_to_off_and_round_trips() {
    let mut u = TileConfig::preset("sim-small").unwrap();
    assert!(!u.fetch_stage);
    assert_eq!(u.start_cycles(), 1);
    u.fetch_stage = true;
    assert!(!round_trip_and_drop(&u, "fetch_stage = true").fetch_stage);
    assert_eq!((u.start_cycles(), u.info2_word()), (2, 0b1000));
    // Of the presets only the 85F has it: the iCEBreaker's full UP5K has no room for it
    // (the other ECP5 board tiles set it in their TOML files).
    for name in PRESET_NAMES {
        let c = TileConfig::preset(name).unwrap();
        assert_eq!(c.fetch_stage, name == "ulx3s-85f", "{name}");
    }
}

#[test]
fn argmax_flat_halves_and_requant_split_product_default_to_on_and_round_trip() {
    // On unless set (they change no timing), in every preset.
    for name in PRESET_NAMES {
        let c = TileConfig::preset(name).unwrap();
        assert_eq!(
            (c.argmax_flat_halves, c.requant_split_product),
            (true, true),
            "{name}"
        );
    }
    let mut u = TileConfig::preset("ulx3s-85f").unwrap();
    let info = (u.info_word(), u.info2_word());
    u.argmax_flat_halves = false;
    u.requant_split_product = false;
    u.validate().unwrap();
    assert_eq!((u.info_word(), u.info2_word()), info);
    assert!(round_trip_and_drop(&u, "argmax_flat_halves = false").argmax_flat_halves);
    assert!(round_trip_and_drop(&u, "requant_split_product = false").requant_split_product);
}
