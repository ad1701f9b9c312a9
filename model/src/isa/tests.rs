use super::*;

fn samples() -> Vec<Instr> {
    let va = |bank, word| VAddr { bank, word };
    vec![
        Instr::Nop,
        Instr::Wait(0),
        Instr::Wait(u32::MAX),
        Instr::Loop { n: 1, end: 2 },
        Instr::Loop {
            n: (1 << 24) - 1,
            end: u16::MAX,
        },
        Instr::Halt,
        Instr::Vlen(1),
        Instr::Vlen(16384),
        Instr::MxuLoad { w: 16383 },
        Instr::MxuRun {
            a: 5,
            rows: 16383,
            acc: 16383,
            swap: true,
            accumulate: false,
            load: Some(16383),
        },
        Instr::MxuRun {
            a: 0,
            rows: 1,
            acc: 0,
            swap: false,
            accumulate: true,
            load: None,
        },
        Instr::RqParam { src: va(16, 9) },
        Instr::RqRun {
            acc: 3,
            rows: 7,
            dst: va(31, 16383),
            relu: true,
        },
        Instr::VBin {
            op: VBinOp::Add,
            dst: va(0, 1),
            a: va(1, 2),
            b: va(31, 16383),
        },
        Instr::VBin {
            op: VBinOp::Max,
            dst: va(2, 0),
            a: va(0, 0),
            b: va(1, 0),
        },
        Instr::VUn {
            op: VUnOp::Relu,
            dst: va(0, 4),
            a: va(0, 5),
        },
        Instr::VUn {
            op: VUnOp::Copy,
            dst: va(3, 4),
            a: va(0, 5),
        },
        Instr::VUn {
            op: VUnOp::Argmax,
            dst: va(1, 4),
            a: va(0, 5),
        },
        Instr::Send { src: va(0, 7) },
        Instr::Recv { dst: va(1, 8) },
    ]
}

#[test]
fn encode_decode_round_trip() {
    for i in samples() {
        assert_eq!(Instr::decode(i.encode()), Ok(i), "{i:?}");
    }
}

#[test]
fn illegal_words_are_rejected() {
    assert!(Instr::decode(0).is_err(), "empty memory is illegal");
    assert!(
        Instr::decode(0x1f << OPCODE_SHIFT).is_err(),
        "unknown opcode"
    );
    for i in samples() {
        let w = i.encode();
        // Flip each bit that is not part of the instruction's fields.
        for b in 0..OPCODE_SHIFT {
            let flipped = w ^ (1 << b);
            if let Ok(j) = Instr::decode(flipped) {
                assert_eq!(j.encode(), flipped, "{i:?} bit {b}");
            }
        }
    }
    let lp = Instr::Loop { n: 1, end: 5 };
    assert!(Instr::decode(lp.encode() & !1).is_err(), "loop 0");
    let run = Instr::MxuRun {
        a: 0,
        rows: 1,
        acc: 0,
        swap: false,
        accumulate: false,
        load: None,
    };
    assert!(Instr::decode(run.encode() & !(1 << 14)).is_err(), "rows 0");
    assert!(
        Instr::decode(run.encode() | (1 << 45)).is_err(),
        "w without load"
    );
    assert!(
        Instr::decode(Instr::Nop.encode() | 1).is_err(),
        "unused bit"
    );
}

#[test]
fn status_codes_round_trip() {
    for c in 0..8 {
        assert_eq!(Status::from_code(c).unwrap().code(), c);
    }
    assert_eq!(Status::from_code(8), None);
    assert_eq!(Status::from_code(7), Some(Status::Link));
}
