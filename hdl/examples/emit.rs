//! Print the Verilog of a preset: `cargo run -p minilpu-hdl --example emit -- sim-small`.
fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sim-small".into());
    match minilpu_model::TileConfig::preset(&name).and_then(|c| minilpu_hdl::emit_verilog(&c)) {
        Ok(v) => print!("{v}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
