//! `UartTx`: an 8N1 UART transmitter (one start bit, 8 data bits LSB first, one stop
//! bit) with a fixed baud divisor, for the host bridge.
//!
//! ```text
//!   data, start --> [10-bit frame shift register, inverted] --> tx
//!                                                           --> busy
//! ```
//! `divisor` is the number of clock cycles per bit (`round(f_clk / baud)`, at least 4).
//! - **Latency**: a `start` accepted at edge `t` puts the start bit on `tx` from `t` on;
//!   the stop bit ends `10 * divisor` cycles later.
//! - **Throughput**: one byte per `10 * divisor` cycles: `busy` is high while a frame is
//!   on the line (start bit to the end of the stop bit), and `start` is only accepted
//!   while `busy` is low (it is ignored otherwise).
//! - **Reset**: none; powers up idle with `tx` high. The frame is kept inverted in the
//!   shift register so that the all-zero power-up state is the idle (high) line.
//!
//! Example (divisor 4, byte 0x41): `tx` is low for 4 cycles, then 1,0,0,0,0,0,1,0 for
//! 4 cycles each, then high for 4 cycles while `busy` is still high, then idle.

use rust_hdl::prelude::*;

/// An 8N1 UART transmitter.
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Byte to send, sampled with `start`.
    pub data: Signal<In, Bits<8>>,
    /// Send `data` (ignored while `busy`).
    pub start: Signal<In, Bit>,
    /// The serial line (idle high).
    pub tx: Signal<Out, Bit>,
    /// A frame is on the line.
    pub busy: Signal<Out, Bit>,
    shift_n: DFF<Bits<10>>,
    left: DFF<Bits<4>>,
    cnt: DFF<Bits<16>>,
    bit_m1: Constant<Bits<16>>,
    cnt_mask: Constant<Bits<16>>,
}

impl UartTx {
    /// A transmitter for `divisor` clock cycles per bit (4..=65535).
    pub fn new(divisor: u32) -> Self {
        assert!((4..=65535).contains(&divisor), "UART divisor {divisor}");
        Self {
            clock: Default::default(),
            data: Default::default(),
            start: Default::default(),
            tx: Default::default(),
            busy: Default::default(),
            shift_n: Default::default(),
            left: Default::default(),
            cnt: Default::default(),
            bit_m1: Constant::new(((divisor - 1) as u64).to_bits()),
            // `cnt` never exceeds `divisor - 1`: synthesis keeps only its low bits.
            cnt_mask: crate::range_mask(divisor as usize),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shift_n, left, cnt);
        self.tx.next = !self.shift_n.q.val().get_bit(0);
        self.busy.next = self.left.q.val() != 0;
        if self.left.q.val() != 0 {
            // Only the masked bits of `cnt` are read: synthesis drops the others.
            if (self.cnt.q.val() & self.cnt_mask.val()) == 0 {
                self.shift_n.d.next = self.shift_n.q.val() >> 1;
                self.left.d.next = self.left.q.val() - 1;
                self.cnt.d.next = self.bit_m1.val();
            } else {
                self.cnt.d.next = (self.cnt.q.val() - 1) & self.cnt_mask.val();
            }
        } else if self.start.val() {
            // Inverted frame {stop = 1, data, start = 0}: {0, !data, 1}. (`^ 0xFF`, not
            // `!`: in Verilog `~data` inside a wider expression inverts the zero-extended
            // value, which would also set the stop bit's place.)
            self.shift_n.d.next = (bit_cast::<10, 8>(self.data.val() ^ 0xFF) << 1) | 1;
            self.left.d.next = 10.into();
            self.cnt.d.next = self.bit_m1.val();
        }
    }
}
