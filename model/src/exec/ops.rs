//! Instruction semantics on a [`Machine`], and the requantization parameter block
//! format (see the parent module).

use super::Machine;
use crate::arith::{add_sat, argmax, matmul, requantize, Requant, MAX_SHIFT};
use crate::isa::{Instr, VAddr, VBinOp, VUnOp};
use crate::link::PAYLOAD_BYTES;
use crate::schedule::{link_frame_len, param_sections, param_words};
use crate::TileConfig;

/// The `pw` words of a parameter block for `params` (one per column; shifts above 47
/// are written as given): biases int32 LE, then multipliers uint16 LE, then shifts,
/// each section starting on a new word, unused bytes zero.
pub fn encode_params(cfg: &TileConfig, params: &[Requant]) -> Vec<Vec<i8>> {
    assert_eq!(params.len(), cfg.cols, "one parameter set per column");
    let [nb, nm, ns] = param_sections(cfg);
    let l = cfg.lanes;
    let mut bytes = vec![0u8; (nb + nm + ns) * l];
    for (c, p) in params.iter().enumerate() {
        bytes[4 * c..4 * c + 4].copy_from_slice(&p.bias.to_le_bytes());
        bytes[nb * l + 2 * c..nb * l + 2 * c + 2].copy_from_slice(&p.m.to_le_bytes());
        bytes[(nb + nm) * l + c] = p.s;
    }
    bytes
        .chunks(l)
        .map(|w| w.iter().map(|&b| b as i8).collect())
        .collect()
}

/// Apply parameter word `k` of a block (as `rq.param` does when the word arrives) to
/// `params`: the fields it holds are overwritten, shifts saturate at 47.
pub fn apply_param_word(cfg: &TileConfig, params: &mut [Requant], k: usize, word: &[i8]) {
    let [nb, nm, _] = param_sections(cfg);
    let l = cfg.lanes;
    let b = |i: usize| word[i] as u8;
    if k < nb {
        for (j, c) in (k * l / 4..((k + 1) * l / 4).min(cfg.cols)).enumerate() {
            params[c].bias =
                i32::from_le_bytes([b(4 * j), b(4 * j + 1), b(4 * j + 2), b(4 * j + 3)]);
        }
    } else if k < nb + nm {
        let k = k - nb;
        for (j, c) in (k * l / 2..((k + 1) * l / 2).min(cfg.cols)).enumerate() {
            params[c].m = u16::from_le_bytes([b(2 * j), b(2 * j + 1)]);
        }
    } else {
        let k = k - nb - nm;
        for (j, c) in (k * l..((k + 1) * l).min(cfg.cols)).enumerate() {
            params[c].s = b(j).min(MAX_SHIFT);
        }
    }
}

/// The parameters a block of `pw` words loads (shift bytes above 47 load as 47).
pub fn decode_params(cfg: &TileConfig, words: &[Vec<i8>]) -> Vec<Requant> {
    assert_eq!(
        words.len(),
        param_words(cfg),
        "a parameter block has pw words"
    );
    let mut params = vec![
        Requant {
            bias: 0,
            m: 0,
            s: 0
        };
        cfg.cols
    ];
    for (k, w) in words.iter().enumerate() {
        apply_param_word(cfg, &mut params, k, w);
    }
    params
}

/// The weight tile at weight word `w` as `[col][lane]`.
pub(crate) fn fetch_tile(m: &Machine, cfg: &TileConfig, w: u16) -> Vec<Vec<i8>> {
    let wb = cfg.weight_banks();
    (0..cfg.cols)
        .map(|c| m.banks[1 + c % wb][w as usize + c / wb].clone())
        .collect()
}

/// One row through the array: `x · W` for `W = weights[col][lane]`.
pub(crate) fn row_dot(cfg: &TileConfig, x: &[i8], weights: &[Vec<i8>]) -> Vec<i32> {
    let (l, n) = (cfg.lanes, cfg.cols);
    let b: Vec<i8> = (0..l)
        .flat_map(|lane| weights.iter().map(move |col| col[lane]))
        .collect();
    matmul(x, &b, 1, l, n)
}

/// One requantized output word from an accumulator row.
pub(crate) fn requant_row(
    cfg: &TileConfig,
    row: &[i32],
    params: &[Requant],
    relu: bool,
) -> Vec<i8> {
    (0..cfg.lanes)
        .map(|c| {
            if c < cfg.cols {
                requantize(row[c], params[c], relu)
            } else {
                0
            }
        })
        .collect()
}

/// Lane-wise result of a two-source op.
pub(crate) fn bin(op: VBinOp, x: &[i8], y: &[i8]) -> Vec<i8> {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| match op {
            VBinOp::Add => add_sat(a, b),
            VBinOp::Max => a.max(b),
        })
        .collect()
}

/// Lane-wise result of `v.relu` / `v.copy`.
pub(crate) fn un(op: VUnOp, x: &[i8]) -> Vec<i8> {
    x.iter()
        .map(|&a| if op == VUnOp::Relu { a.max(0) } else { a })
        .collect()
}

/// The `v.argmax` result word for the values `vals` (word-major, lane-minor).
pub(crate) fn argmax_word(cfg: &TileConfig, vals: &[i8]) -> Vec<i8> {
    let idx = argmax(vals).expect("vlen >= 1") as i32;
    let mut w = vec![0i8; cfg.lanes];
    for (d, b) in w.iter_mut().zip(idx.to_le_bytes()) {
        *d = b as i8;
    }
    w
}

/// The payload of frame `j` of a `send` of `vlen` words from `src`: the words'
/// bytes in order, zero bytes after the last word.
pub fn send_payload(m: &Machine, cfg: &TileConfig, src: VAddr, vlen: u16, j: u32) -> Vec<u8> {
    let p = cfg.link_frame_words();
    let mut bytes = Vec::with_capacity(PAYLOAD_BYTES);
    for i in 0..link_frame_len(cfg, vlen, j) {
        bytes.extend(
            m.word(src.offset(j as usize * p + i))
                .iter()
                .map(|&b| b as u8),
        );
    }
    bytes.resize(PAYLOAD_BYTES, 0);
    bytes
}

/// Write the words of frame `j` of a `recv` of `vlen` words to `dst` from `payload`.
pub fn recv_payload(
    m: &mut Machine,
    cfg: &TileConfig,
    dst: VAddr,
    vlen: u16,
    j: u32,
    payload: &[u8],
) {
    let (p, l) = (cfg.link_frame_words(), cfg.lanes);
    for i in 0..link_frame_len(cfg, vlen, j) {
        let w = &payload[i * l..(i + 1) * l];
        let dw = m.word_mut(dst.offset(j as usize * p + i));
        for (d, &b) in dw.iter_mut().zip(w) {
            *d = b as i8;
        }
    }
}

pub(super) fn execute(m: &mut Machine, cfg: &TileConfig, instr: &Instr, vlen: u16, frames: u32) {
    let v = vlen as usize;
    match *instr {
        Instr::Send { src } => {
            for j in 0..frames {
                let f = send_payload(m, cfg, src, vlen, j);
                m.outbox.push(f);
            }
        }
        Instr::Recv { dst } => {
            for j in 0..frames {
                let f = m
                    .inbox
                    .pop_front()
                    .expect("the walk only lets a recv take frames that arrived");
                recv_payload(m, cfg, dst, vlen, j, &f);
            }
        }
        Instr::Vlen(n) => m.vlen = n,
        Instr::MxuLoad { w } => m.shadow = fetch_tile(m, cfg, w),
        Instr::MxuRun {
            a,
            rows,
            acc,
            swap,
            accumulate,
            load,
        } => {
            if swap {
                m.active = m.shadow.clone();
            }
            if let Some(w) = load {
                m.shadow = fetch_tile(m, cfg, w);
            }
            for r in 0..rows as usize {
                let dot = row_dot(cfg, &m.banks[0][a as usize + r], &m.active);
                let row = &mut m.acc[acc as usize + r];
                for (d, s) in row.iter_mut().zip(dot) {
                    *d = if accumulate { d.wrapping_add(s) } else { s };
                }
            }
        }
        Instr::RqParam { src } => {
            let words: Vec<Vec<i8>> = (0..param_words(cfg))
                .map(|k| m.word(src.offset(k)).to_vec())
                .collect();
            m.params = decode_params(cfg, &words);
        }
        Instr::RqRun {
            acc,
            rows,
            dst,
            relu,
        } => {
            for r in 0..rows as usize {
                let out = requant_row(cfg, &m.acc[acc as usize + r], &m.params, relu);
                m.word_mut(dst.offset(r)).copy_from_slice(&out);
            }
        }
        Instr::VBin { op, dst, a, b } => {
            for i in 0..v {
                let out = bin(op, m.word(a.offset(i)), m.word(b.offset(i)));
                m.word_mut(dst.offset(i)).copy_from_slice(&out);
            }
        }
        Instr::VUn {
            op: VUnOp::Argmax,
            dst,
            a,
        } => {
            let vals: Vec<i8> = (0..v).flat_map(|i| m.word(a.offset(i)).to_vec()).collect();
            let out = argmax_word(cfg, &vals);
            m.word_mut(dst).copy_from_slice(&out);
        }
        Instr::VUn { op, dst, a } => {
            for i in 0..v {
                let out = un(op, m.word(a.offset(i)));
                m.word_mut(dst.offset(i)).copy_from_slice(&out);
            }
        }
        _ => {}
    }
}
