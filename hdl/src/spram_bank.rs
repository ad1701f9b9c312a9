//! The SPRAM flavour of [`crate::SramBank`]: `groups` SRAM banks built from iCE40 UltraPlus single-port SPRAMs,
//! sharing their addresses (group `g` is written when `we` bit `g` is set).
//!
//! ```text
//!            +------------------+
//!   we[g] -->|                  |
//!   waddr -->|   SramBank       |--> rdata[groups * lanes]
//!   wdata -->|  16384 x lanes*8 |
//!   raddr -->|  (SB_SPRAM256KA) |
//!   clock -->|                  |
//!            +------------------+
//! ```
//! Built with `SramBank::new_spram`. Same ports and timing as the block-RAM flavour
//! except that the memory is
//! single-ported: in a cycle with `we[g]` high group `g` writes and does **not** read
//! (its `rdata` lanes hold their previous value). The ISA's checker rejects programs that
//! read and write one weight bank in the same cycle.
//! - **Latency**: one clock from `raddr` to `rdata`.
//! - **Throughput**: one access (read or write) per cycle.
//! - **Reset**: none; SPRAM contents are undefined at power-up on silicon and zero in
//!   simulation; the host loads weights before use.
//! - **Mapping**: with the Verilog define `ICE40` the bank instantiates
//!   `lanes * 8 / 16` `SB_SPRAM256KA` per group (each 16 bit x 16384 words);
//!   otherwise (Verilator, lint) a behavioural model of the same behaviour is used.
//!   rust-hdl's `RAM` widget cannot map here because it reads during writes.

use crate::sram_bank::concat_lanes;

/// Words in one SPRAM bank (fixed by the SB_SPRAM256KA primitive).
pub const SPRAM_DEPTH: usize = 16384;

/// The Verilog body of an SPRAM-flavoured [`crate::SramBank`] with `groups` banks of
/// `lanes` int8 lanes (ports as in `SramBank`).
pub(crate) fn spram_body(lanes: usize, groups: usize) -> String {
    let w = lanes * 8;
    let mut prims = String::new();
    let mut model = String::from("integer k;\n");
    let mut v = String::new();
    for g in 0..groups {
        v += &format!(
            "wire [{hi}:0] wd{g} = {wd};\nwire [13:0] addr{g} = we[{g}] ? waddr${g}[13:0] : raddr${g}[13:0];\nwire [{hi}:0] rd{g};\n",
            hi = w - 1,
            wd = concat_lanes("wdata", g * lanes, lanes),
        );
        for i in 0..w / 16 {
            prims += &format!(
                "SB_SPRAM256KA spram_{g}_{i} (.ADDRESS(addr{g}), .DATAIN(wd{g}[{hi}:{lo}]), .MASKWREN(4'b1111), .WREN(we[{g}]), .CHIPSELECT(1'b1), .CLOCK(clock), .STANDBY(1'b0), .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(rd{g}[{hi}:{lo}]));\n",
                hi = i * 16 + 15,
                lo = i * 16
            );
        }
        model += &format!(
            "\
reg [{hi}:0] mem{g} [0:{top}];
reg [{hi}:0] q{g};
assign rd{g} = q{g};
initial begin
    q{g} = 0;
    for (k = 0; k <= {top}; k = k + 1) mem{g}[k] = 0;
end
always @(posedge clock) begin
    if (we[{g}]) mem{g}[addr{g}] <= wd{g};
    else q{g} <= mem{g}[addr{g}];
end
",
            hi = w - 1,
            top = SPRAM_DEPTH - 1
        );
    }
    v += &format!("`ifdef ICE40\n{prims}`else\n{model}`endif\nalways @(*) begin\n");
    for g in 0..groups {
        for i in 0..lanes {
            v += &format!(
                "    rdata${} = rd{g}[{}:{}];\n",
                g * lanes + i,
                i * 8 + 7,
                i * 8
            );
        }
    }
    v += "end\n";
    v
}
