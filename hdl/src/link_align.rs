//! `LinkAlign`: the receiver's front end in the forwarded-clock domain: per-lane word
//! alignment, lane deskew, lock/loss of lock, and the frame columns written into the
//! clock-crossing FIFO. Bit for bit `minilpu_model::link::rx::Aligner` (its `//!` has
//! the rules; `docs/link.md` the reasons).
//!
//! ```text
//!   lanes[l] --> h[l] (32-bit history) --+--> h[l][15:0] == ALIGN ? (HUNT)
//!                                        +--> h[l][d[l]] --> ah[l] (16-bit aligned history)
//!   HUNT -> ARM -> CHECK -> LOCKED        column counter --> we, wdata = {ovf, ev, sof, ah[3..0][7:0]}
//! ```
//! - **Alignment**: in HUNT each lane waits for the ALIGN word; the lanes' arrival
//!   times within a 31-bit window become per-lane delays `d[l]`, which put every
//!   lane's column boundary at the same clock (bit alignment, word alignment and
//!   lane-to-lane deskew at once). The next superframe's ALIGN word must then be exact
//!   on every lane (CHECK) before frames flow (LOCKED). Two bad ALIGN words in a row
//!   (more than one wrong bit on a lane) drop lock and write an `ev` entry.
//! - **FIFO entries** (`wdata`): bits 31..0 the lane bytes (lane `l` in `8l+7..8l`),
//!   32 `sof` (a frame's first column), 33 `ev` (lock lost, no data), 34 `ovf` (the
//!   FIFO was full for an earlier entry, which is lost). `we` is asserted during the
//!   cycle before the edge that writes; a column meeting `full` is dropped and the next
//!   entry carries `ovf`; a loss meeting `full` waits.
//! - **Latency**: a column's entry is written 2 forwarded clocks after the edge that
//!   sampled its last bit on the latest lane (history, aligned history).
//! - **Timing** (two lanes or more): the HUNT match `m[l]` and the ALIGN word's two
//!   checks start from flip-flops, set at the edge that shifts in the bits they test
//!   (`m[l]` from `{h[l][14:0], lane}`; "no wrong bit" `z[l]` and "at most one" `e[l]`
//!   from the 15 bits that become `ah[l][15:1]`, with `ah[l][0]` joined at the use). No
//!   cycle is added: the flags equal the compares of the registers they replace. With
//!   one lane the compares stay wires (the iCE40's smallest form).
//! - **Throughput**: one column (one byte per lane) per 8 forwarded clocks.
//! - **Reset**: none; powers up hunting.
//!
//! A Verilog leaf: it slices every lane's history at that lane's own delay and keeps
//! per-lane arrays (found, position, delay) that rust-hdl 0.46 kernels cannot index
//! by anything but a loop variable.
//!
//! With one lane the search is trivial: the lane's ALIGN word is the whole window, so
//! its delay is always 0 (`d = w - p` with `p = w`) and HUNT goes to ARM at the first
//! match. That case is emitted without the window, the delay and the history's 16
//! older bits (same behaviour, fewer cells).

use minilpu_model::link::{LinkConfig, ALIGN_PATTERN, MAX_SKEW_BITS};
use rust_hdl::prelude::*;

/// Bits of one FIFO entry.
pub const LINK_ENTRY_BITS: usize = 35;

/// The forwarded-clock front end of the receiver.
#[derive(LogicBlock)]
pub struct LinkAlign {
    /// The forwarded clock.
    pub clock: Signal<In, Clock>,
    /// Lane bits sampled at each edge (bit `l` = lane `l`).
    pub lanes: Signal<In, Bits<4>>,
    /// The FIFO is full.
    pub full: Signal<In, Bit>,
    /// Write `wdata` into the FIFO at the next edge.
    pub we: Signal<Out, Bit>,
    /// The FIFO entry.
    pub wdata: Signal<Out, Bits<LINK_ENTRY_BITS>>,
    /// Frames flow (forwarded-clock domain).
    pub locked: Signal<Out, Bit>,
    _cfg: LinkConfig,
}

impl LinkAlign {
    /// The front end for a valid `cfg`.
    pub fn new(cfg: &LinkConfig) -> Self {
        cfg.validate().expect("valid link config");
        Self {
            clock: Default::default(),
            lanes: Default::default(),
            full: Default::default(),
            we: Default::default(),
            wdata: Default::default(),
            locked: Default::default(),
            _cfg: cfg.clone(),
        }
    }
}

impl Logic for LinkAlign {
    fn update(&mut self) {
        // No behavioural model: the golden model is minilpu_model::link::rx::Aligner,
        // checked against this RTL in Verilator (testbench/tests/link.rs).
    }
    fn connect(&mut self) {
        self.we.connect();
        self.wdata.connect();
        self.locked.connect();
    }
    fn hdl(&self) -> Verilog {
        let c = &self._cfg;
        let l = c.lanes;
        let lanes: Vec<usize> = (0..l).collect();
        let each = |f: &dyn Fn(usize) -> String| lanes.iter().map(|&i| f(i)).collect::<String>();
        let join = |f: &dyn Fn(usize) -> String, sep: &str| {
            lanes.iter().map(|&i| f(i)).collect::<Vec<_>>().join(sep)
        };
        let pat = format!("16'h{ALIGN_PATTERN:04X}");
        // The pattern's bit 0, and the pattern with bit 0 cleared.
        let p0 = ALIGN_PATTERN & 1;
        let phi = format!("16'h{:04X}", ALIGN_PATTERN & 0xFFFE);
        // The column counter is as wide as the last column needs.
        let last = c.superframe_columns() - 1;
        let cw = (usize::BITS - last.leading_zeros()) as usize;
        let bytes: Vec<String> = (0..4)
            .rev()
            .map(|i| {
                if i < l {
                    format!("ah{i}[7:0]")
                } else {
                    "8'd0".into()
                }
            })
            .collect();
        // One lane: no window, delay 0 (see the header).
        let one = l == 1;
        let mut v = String::new();
        v += "localparam HUNT = 2'd0, ARM = 2'd1, CHECK = 2'd2, LOCKED = 2'd3;\n";
        v += &each(&|i| {
            let regs = if one {
                format!("reg [15:0] h{i}; reg [15:0] ah{i};\n")
            } else {
                format!("reg [31:0] h{i}; reg [15:0] ah{i}; reg [4:0] d{i}; reg [4:0] pos{i};\n")
            };
            if one {
                format!(
                    "{regs}wire m{i} = h{i}[15:0] == {pat};\n\
                     wire [15:0] x{i} = ah{i} ^ {pat};\n"
                )
            } else {
                format!("{regs}reg m{i}; reg z{i}; reg e{i};\nwire x0_{i} = ah{i}[0] ^ 1'b{p0};\n")
            }
        });
        if !one {
            v += &format!("reg [{}:0] found;\nreg act;\nreg [4:0] win;\n", l - 1);
        }
        v += &format!(
            "reg [1:0] st;\nreg [2:0] bitc;\n\
             reg [{cwh}:0] col;\nreg [7:0] fcol;\nreg bad;\nreg ev_pend;\nreg ovf_pend;\n",
            cwh = cw - 1
        );
        v += "initial begin\n";
        if one {
            v += "    h0 = 0; ah0 = 0;\n";
        } else {
            v += &each(&|i| format!("    h{i} = 0; ah{i} = 0; d{i} = 0; pos{i} = 0;\n"));
            v += "    found = 0; act = 0; win = 0;\n";
        }
        if !one {
            // The flags' values for `h = ah = 0`.
            let p1 = ALIGN_PATTERN >> 1;
            v += &each(&|i| {
                format!(
                    "    m{i} = 1'b{}; z{i} = 1'b{}; e{i} = 1'b{};\n",
                    (ALIGN_PATTERN == 0) as u8,
                    (p1 == 0) as u8,
                    (p1.count_ones() <= 1) as u8
                )
            });
        }
        v += "    st = HUNT; bitc = 0; col = 0; fcol = 0;\n";
        v += "    bad = 0; ev_pend = 0; ovf_pend = 0;\nend\n";
        // At most one wrong bit in a lane's ALIGN word: at most one bit set in each
        // nibble of `x` and at most one nonzero nibble (LUTs only; `x & (x - 1)` would
        // cost a carry chain per lane).
        let le1 = |b: [String; 4]| {
            format!(
                "!(({0} & ({1} | {2} | {3})) | ({1} & ({2} | {3})) | ({2} & {3}))",
                b[0], b[1], b[2], b[3]
            )
        };
        // With one lane the checks are wires of `x` (the smallest form, for the iCE40).
        // With more the check is split so that it starts from flip-flops: at each edge
        // `z` and `e` take "no wrong bit" and "at most one" of the 15 bits that become
        // `ah[15:1]` (`ah[14:0]` now, `y` below); the newest bit `ah[0]` (`x0`) joins
        // at the use.
        let xy = if one { "x" } else { "y" };
        v += &each(&|i| {
            let nz: [String; 4] =
                std::array::from_fn(|k| format!("(|{xy}{i}[{}:{}])", 4 * k + 3, 4 * k));
            let n1: Vec<String> = (0..4)
                .map(|k| le1(std::array::from_fn(|j| format!("{xy}{i}[{}]", 4 * k + j))))
                .collect();
            let yw = if one {
                String::new()
            } else {
                format!("wire [15:0] y{i} = {{ah{i}[14:0], 1'b0}} ^ {phi};\n")
            };
            format!("{yw}wire le1_{i} = {} && {};\n", n1.join(" && "), le1(nz))
        });
        v += &if one {
            "wire ok0 = (x0 == 16'd0);\nwire ok1 = le1_0;\n".to_string()
        } else {
            format!(
                "wire ok0 = {};\nwire ok1 = {};\n",
                join(&|i| format!("(z{i} && !x0_{i})"), " && "),
                join(&|i| format!("(z{i} || (!x0_{i} && e{i}))"), " && ")
            )
        };
        // HUNT: the window search (wires, then the state's branch).
        let (search, hunt) = if one {
            (
                "wire all_f = m0;\n".to_string(),
                format!(
                    "        if (all_f) begin\n            st <= ARM;\n            bitc <= 3'd7;\n\
                     \x20           col <= {cw}'d1;\n        end\n"
                ),
            )
        } else {
            let search = format!(
                "wire [4:0] w = act ? win + 5'd1 : 5'd0;\n{fp}wire all_f = {all};\nwire any_f = {any};\n",
                fp = each(&|i| format!(
                    "wire f{i} = found[{i}] | m{i};\nwire [4:0] p{i} = found[{i}] ? pos{i} : w;\n"
                )),
                all = join(&|i| format!("f{i}"), " & "),
                any = join(&|i| format!("f{i}"), " | "),
            );
            let hunt = format!(
                "\
        if (all_f) begin
{setd}            st <= ARM;
            bitc <= 3'd7;
            col <= {cw}'d1;
            found <= 0;
            act <= 1'b0;
            win <= 5'd0;
        end else if (act && w == 5'd{maxw}) begin
            found <= 0;
            act <= 1'b0;
            win <= 5'd0;
        end else begin
            found <= {{{fcat}}};
{setp}            act <= any_f;
            win <= w;
        end
",
                setd = each(&|i| format!("            d{i} <= w - p{i};\n")),
                maxw = MAX_SKEW_BITS,
                fcat = (0..l)
                    .rev()
                    .map(|i| format!("f{i}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                setp = each(&|i| format!("            pos{i} <= p{i};\n")),
            );
            (search, hunt)
        };
        v += &format!(
            "\
wire done = bitc == 3'd7;
wire data_col = (st == LOCKED) && done && (col >= {cw}'d2);
wire lose = (st == LOCKED) && done && (col == {cw}'d1) && !ok1 && bad;
wire want_ev = lose || ev_pend;
{search}always @(*) begin
    we = 1'b0;
    wdata = {{{lb}{{1'b0}}}};
    if (data_col) begin
        we = !full;
        wdata = {{ovf_pend, 1'b0, fcol == 8'd0, {bytes}}};
    end else if (want_ev) begin
        we = !full;
        wdata = {{ovf_pend, 1'b1, 33'd0}};
    end
    locked = st == LOCKED;
end
always @(posedge clock) begin
{shift}    if (data_col)
        ovf_pend <= full;
    else if (want_ev) begin
        if (full)
            ev_pend <= 1'b1;
        else begin
            ev_pend <= 1'b0;
            ovf_pend <= 1'b0;
        end
    end
    if (st == HUNT) begin
{hunt}    end else begin
        bitc <= bitc + 3'd1;
        if (done) begin
            col <= (col == {cw}'d{last}) ? {cw}'d0 : col + {cw}'d1;
            if (col == {cw}'d1) begin
                fcol <= 8'd0;
                case (st)
                    ARM: st <= CHECK;
                    CHECK: begin
                        st <= ok0 ? LOCKED : HUNT;
                        bad <= 1'b0;
                    end
                    default: begin
                        if (ok1)
                            bad <= 1'b0;
                        else if (bad) begin
                            st <= HUNT;
                            bad <= 1'b0;
                        end else
                            bad <= 1'b1;
                    end
                endcase
            end else if (col >= {cw}'d2)
                fcol <= (fcol == 8'd{flast}) ? 8'd0 : fcol + 8'd1;
        end
    end
end
",
            lb = 35,
            bytes = bytes.join(", "),
            shift = if one {
                "    h0 <= {h0[14:0], lanes[0]};\n    ah0 <= {ah0[14:0], h0[0]};\n".to_string()
            } else {
                each(&|i| {
                    format!(
                    "    h{i} <= {{h{i}[30:0], lanes[{i}]}};\n    ah{i} <= {{ah{i}[14:0], h{i}[d{i}]}};\n"
                )
                })
            } + &each(&|i| {
                if one {
                    return String::new();
                }
                format!(
                    "    m{i} <= {{h{i}[14:0], lanes[{i}]}} == {pat};\n    z{i} <= y{i} == 16'd0;\n    e{i} <= le1_{i};\n"
                )
            }),
            flast = c.frame_columns() - 1,
        );
        Verilog::Custom(v)
    }
}
