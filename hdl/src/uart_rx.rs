//! `UartRx`: an 8N1 UART receiver (one start bit, 8 data bits LSB first, one stop bit,
//! no parity) with a fixed baud divisor, for the host bridge.
//!
//! ```text
//!   rx --> [2-FF synchronizer] --> start detect --> mid-bit sampling --> data, valid
//!                                                                    --> frame_err
//! ```
//! `divisor` is the number of clock cycles per bit (`round(f_clk / baud)`, at least 4).
//! A falling edge on the synchronized line starts a byte; the start bit is checked half
//! a bit later (a glitch shorter than that is ignored), each data bit and the stop bit
//! are sampled in the middle of their bit time.
//! - **Latency**: `valid` pulses for one cycle right after the stop bit's mid-bit sample,
//!   about 9.5 bit times + 3 cycles after the start edge on `rx`; `data` holds the byte
//!   until the next one.
//! - **Throughput**: back-to-back bytes at the full baud rate (the receiver is idle again
//!   half a bit before the stop bit ends). Baud mismatch tolerated: about
//!   `(0.5 - 1 / divisor) / 9.5`, i.e. +-4.5 % at divisor 40, +-2.6 % at divisor 4.
//! - **Errors**: a low stop bit (framing error, or a break) pulses `frame_err` instead of
//!   `valid`; the receiver then waits for the line to go high before it accepts the next
//!   start bit, so a held-low line (break, unplugged cable pulled low) gives one
//!   `frame_err`, not a stream of zero bytes.
//! - **States**: 0 idle, 1 start bit, 2 data bits, 3 stop bit.
//! - **Reset**: none; powers up idle. The synchronizer powers up low, which the receiver
//!   does not mistake for a start bit: it only arms after it has seen the line high.
//!
//! Example (divisor 4, byte 0x41): the line is low for 4 cycles (start), then
//! 1,0,0,0,0,0,1,0 for 4 cycles each, then high; `valid` pulses with `data = 0x41`.

use rust_hdl::prelude::*;

/// An 8N1 UART receiver.
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The serial line (idle high), asynchronous to `clock`.
    pub rx: Signal<In, Bit>,
    /// The last byte received (valid from the `valid` pulse until the next byte).
    pub data: Signal<Out, Bits<8>>,
    /// One-cycle pulse: a byte with a good stop bit arrived.
    pub valid: Signal<Out, Bit>,
    /// One-cycle pulse: a byte arrived with a low stop bit (framing error or break).
    pub frame_err: Signal<Out, Bit>,
    /// A byte is being received (from the start edge to the stop bit's sample).
    pub active: Signal<Out, Bit>,
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    armed: DFF<Bit>,
    state: DFF<Bits<2>>,
    cnt: DFF<Bits<16>>,
    nbit: DFF<Bits<3>>,
    shift: DFF<Bits<8>>,
    valid_r: DFF<Bit>,
    ferr_r: DFF<Bit>,
    cnt_z: Signal<Local, Bit>,
    bit_m1: Constant<Bits<16>>,
    half_m1: Constant<Bits<16>>,
    cnt_mask: Constant<Bits<16>>,
}

impl UartRx {
    /// A receiver for `divisor` clock cycles per bit (4..=65535).
    pub fn new(divisor: u32) -> Self {
        assert!((4..=65535).contains(&divisor), "UART divisor {divisor}");
        Self {
            clock: Default::default(),
            rx: Default::default(),
            data: Default::default(),
            valid: Default::default(),
            frame_err: Default::default(),
            active: Default::default(),
            sync1: Default::default(),
            sync2: Default::default(),
            armed: Default::default(),
            state: Default::default(),
            cnt: Default::default(),
            nbit: Default::default(),
            shift: Default::default(),
            valid_r: Default::default(),
            ferr_r: Default::default(),
            cnt_z: Default::default(),
            bit_m1: Constant::new(((divisor - 1) as u64).to_bits()),
            half_m1: Constant::new(((divisor / 2 - 1) as u64).to_bits()),
            // `cnt` never exceeds `divisor - 1`: synthesis keeps only its low bits.
            cnt_mask: crate::range_mask(divisor as usize),
        }
    }
}

// Match guards (what clippy would like) are not rust-hdl 0.46 HDL: keep `if` in arms.
#[allow(clippy::collapsible_match)]
impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1, sync2, armed, state, cnt, nbit, shift, valid_r, ferr_r);
        self.sync1.d.next = self.rx.val();
        self.sync2.d.next = self.sync1.q.val();
        self.data.next = self.shift.q.val();
        self.valid.next = self.valid_r.q.val();
        self.frame_err.next = self.ferr_r.q.val();
        self.active.next = self.state.q.val() != 0;
        self.valid_r.d.next = false;
        self.ferr_r.d.next = false;
        // Only the masked bits of `cnt` are read: synthesis drops the others.
        self.cnt_z.next = (self.cnt.q.val() & self.cnt_mask.val()) == 0;
        if !self.cnt_z.val() {
            self.cnt.d.next = (self.cnt.q.val() - 1) & self.cnt_mask.val();
        }
        match self.state.q.val().index() {
            0 => {
                // Idle
                if self.sync2.q.val() {
                    self.armed.d.next = true;
                }
                if self.armed.q.val() & !self.sync2.q.val() {
                    self.state.d.next = 1.into(); // Start
                    self.cnt.d.next = self.half_m1.val();
                }
            }
            1 => {
                // Start
                if self.cnt_z.val() {
                    if self.sync2.q.val() {
                        // A glitch, not a start bit.
                        self.state.d.next = 0.into(); // Idle
                    } else {
                        self.state.d.next = 2.into(); // Data
                        self.cnt.d.next = self.bit_m1.val();
                        self.nbit.d.next = 0.into();
                    }
                }
            }
            2 => {
                // Data
                if self.cnt_z.val() {
                    self.shift.d.next = (self.shift.q.val() >> 1)
                        | (bit_cast::<8, 1>(self.sync2.q.val().into()) << 7);
                    self.nbit.d.next = self.nbit.q.val() + 1;
                    self.cnt.d.next = self.bit_m1.val();
                    if self.nbit.q.val() == 7 {
                        self.state.d.next = 3.into(); // Stop
                    }
                }
            }
            3 => {
                // Stop
                if self.cnt_z.val() {
                    self.state.d.next = 0.into(); // Idle
                    if self.sync2.q.val() {
                        self.valid_r.d.next = true;
                    } else {
                        self.ferr_r.d.next = true;
                        self.armed.d.next = false;
                    }
                }
            }
            _ => {}
        }
    }
}
