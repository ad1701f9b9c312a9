fn main() {
    let tile = minilpu_model::TileConfig::preset("sim-small").unwrap();
    let cfg = minilpu_hdl::BoardTopConfig::sim(tile, 8, 400);
    print!("{}", minilpu_hdl::emit_board_verilog(&cfg).unwrap());
}
