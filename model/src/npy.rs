//! NumPy `.npy` reading and writing with dtype and shape checks.
//!
//! Only what minilpu exchanges with Python is supported: C-order arrays of
//! `int8` (`|i1`), `int32` (`<i4`) and `uint16` (`<u2`). Format versions 1.0 and
//! 2.0 are read; files are written as version 1.0 (2.0 only if the header would
//! not fit). Every error names the file and what was expected versus found.

use std::fmt;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The element types this module reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// `int8`, descr `|i1`.
    I8,
    /// Little-endian `int32`, descr `<i4`.
    I32,
    /// Little-endian `uint16`, descr `<u2`.
    U16,
}

impl DType {
    fn info(self) -> (&'static str, &'static str, usize) {
        match self {
            DType::I8 => ("|i1", "int8", 1),
            DType::I32 => ("<i4", "int32", 4),
            DType::U16 => ("<u2", "uint16", 2),
        }
    }
    /// The numpy descr string written to headers, e.g. `"|i1"`.
    pub fn descr(self) -> &'static str {
        self.info().0
    }
    /// The numpy dtype name, e.g. `"int8"`.
    pub fn name(self) -> &'static str {
        self.info().1
    }
    /// Bytes per element.
    pub fn size(self) -> usize {
        self.info().2
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.descr())
    }
}

/// An n-dimensional array in row-major (C) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Array<T> {
    /// Extent of each dimension; empty for a 0-d (scalar) array.
    pub shape: Vec<usize>,
    /// The elements, last index fastest; `data.len()` is the product of `shape`.
    pub data: Vec<T>,
}

/// Everything that can go wrong reading or writing an `.npy` file. The first
/// field of every variant is the file's path.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    /// `(path, "read" | "write", cause)`: the file could not be read or written.
    #[error("{}: cannot {1} .npy file: {2}", .0.display())]
    Io(PathBuf, &'static str, #[source] std::io::Error),
    /// `(path, first bytes escaped)`: the file does not start with `\x93NUMPY`.
    #[error("{}: not an .npy file: expected magic b\"\\x93NUMPY\", found b\"{1}\"", .0.display())]
    BadMagic(PathBuf, String),
    /// `(path, major, minor)`: a format version other than 1.0 or 2.0.
    #[error("{}: unsupported .npy format version {1}.{2} (expected 1.0 or 2.0)", .0.display())]
    UnsupportedVersion(PathBuf, u8, u8),
    /// `(path, detail)`: the header is truncated or not the dict numpy writes.
    #[error("{}: malformed .npy header: {1}", .0.display())]
    MalformedHeader(PathBuf, String),
    /// `(path, expected, found)`: another element type; `found` is the file's
    /// descr, translated to a dtype name where known.
    #[error("{}: wrong dtype: expected {1}, found {2}", .0.display())]
    WrongDType(PathBuf, DType, String),
    /// `(path)`: the array is stored in Fortran (column-major) order.
    #[error("{}: array is stored in Fortran order (fortran_order: True); expected C order", .0.display())]
    FortranOrder(PathBuf),
    /// `(path, expected ndim, found shape)`: another number of dimensions.
    #[error("{}: wrong number of dimensions: expected {1}, found shape {} ({}-d)", .0.display(), shape_str(.2), .2.len())]
    WrongNdim(PathBuf, usize, Vec<usize>),
    /// `(path, shape, dtype, expected bytes, found bytes)`: the data after the
    /// header is shorter or longer than the shape requires.
    #[error("{}: data length mismatch: shape {} of {2} needs {3} bytes, found {4} ({})", .0.display(), shape_str(.1), if .4 < .3 { "truncated" } else { "extra bytes" })]
    DataLength(PathBuf, Vec<usize>, DType, usize, usize),
    /// `(path, shape, data length)`: `write_*` got data not matching the shape.
    #[error("{}: cannot write: shape {} holds {} elements, found {2} data elements", .0.display(), shape_str(.1), count(.1, 1).map_or("too many".into(), |n| n.to_string()))]
    ShapeMismatch(PathBuf, Vec<usize>, usize),
}

/// Python's repr of a shape tuple: `()`, `(5,)`, `(3, 4)`.
fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

/// `unit` times the product of `shape`, or `None` on overflow.
fn count(shape: &[usize], unit: usize) -> Option<usize> {
    shape.iter().try_fold(unit, |acc, &d| acc.checked_mul(d))
}

/// `"float64 (<f8)"` for common descrs, the raw descr (quoted) otherwise.
fn describe_descr(descr: &str) -> String {
    const NAMES: &str = "b1=bool i1=int8 u1=uint8 i2=int16 u2=uint16 i4=int32 u4=uint32 \
        i8=int64 u8=uint64 f2=float16 f4=float32 f8=float64 c8=complex64 c16=complex128";
    let (code, order) = match descr.as_bytes().first() {
        Some(b'<' | b'|' | b'=') => (&descr[1..], ""),
        Some(b'>') => (&descr[1..], " big-endian"),
        _ => (descr, ""),
    };
    let name = NAMES.split(' ').filter_map(|p| p.split_once('='));
    match name.into_iter().find(|(c, _)| *c == code) {
        Some((_, name)) => format!("{name}{order} ({descr})"),
        None => format!("{descr:?}"),
    }
}

/// A Python literal as it can appear in an `.npy` header.
#[derive(Debug)]
enum Val {
    Str(String),
    Bool(bool),
    Int(usize),
    Seq(Vec<Val>),
}

/// Recursive-descent parser for the header's dict literal.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        let hit = self.s.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            return Ok(());
        }
        let (c, i) = (char::from(c), self.i);
        let found = self.s.get(i).map(|&b| format!("{:?}", char::from(b)));
        let found = found.unwrap_or_else(|| "end of header".into());
        Err(format!("expected '{c}' at byte {i}, found {found}"))
    }

    fn value(&mut self, depth: usize) -> Result<Val, String> {
        self.skip_ws();
        let (start, rest) = (self.i, &self.s[self.i..]);
        match rest.first().copied() {
            _ if depth > 8 => Err("literal nested too deeply".into()),
            Some(q @ (b'\'' | b'"')) => {
                let len = rest[1..].iter().position(|&c| c == q);
                let body = &rest[1..1 + len.ok_or("unterminated string literal")?];
                if body.contains(&b'\\') {
                    return Err("escape sequences in strings are not supported".into());
                }
                self.i += body.len() + 2;
                Ok(Val::Str(body.iter().map(|&b| char::from(b)).collect()))
            }
            Some(open @ (b'(' | b'[')) => {
                let close = if open == b'(' { b')' } else { b']' };
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat(close) {
                    items.push(self.value(depth + 1)?);
                    if !self.eat(b',') {
                        self.expect(close)?;
                        break;
                    }
                }
                Ok(Val::Seq(items))
            }
            Some(b'0'..=b'9') => {
                let mut n = 0usize;
                while let Some(d @ b'0'..=b'9') = self.s.get(self.i).copied() {
                    let next = n
                        .checked_mul(10)
                        .map(|n| n.checked_add(usize::from(d - b'0')));
                    n = next.flatten().ok_or("integer too large")?;
                    self.i += 1;
                }
                self.i += usize::from(self.s.get(self.i) == Some(&b'L')); // Python 2 long
                Ok(Val::Int(n))
            }
            _ if rest.starts_with(b"True") || rest.starts_with(b"False") => {
                self.i += if rest[0] == b'T' { 4 } else { 5 };
                Ok(Val::Bool(rest[0] == b'T'))
            }
            Some(c) => Err(format!("unexpected {:?} at byte {start}", char::from(c))),
            None => Err("header ends where a value was expected".into()),
        }
    }

    /// Parses the whole header into (descr, fortran_order, shape).
    fn header(&mut self) -> Result<(Val, bool, Vec<usize>), String> {
        let mut slots: [Option<Val>; 3] = [None, None, None];
        self.expect(b'{')?;
        while !self.eat(b'}') {
            let key = match self.value(1)? {
                Val::Str(k) => k,
                v => return Err(format!("expected a string key, found {v:?}")),
            };
            let slot = match key.as_str() {
                "descr" => 0,
                "fortran_order" => 1,
                "shape" => 2,
                _ => return Err(format!("unexpected key {key:?}")),
            };
            self.expect(b':')?;
            if slots[slot].replace(self.value(1)?).is_some() {
                return Err(format!("duplicate key {key:?}"));
            }
            if !self.eat(b',') {
                self.expect(b'}')?;
                break;
            }
        }
        self.skip_ws();
        if self.i != self.s.len() {
            return Err(format!("unexpected text after the dict at byte {}", self.i));
        }
        let [descr, fortran, shape] = slots;
        let missing = "missing key (expected 'descr', 'fortran_order' and 'shape')";
        let fortran = match fortran.ok_or(missing)? {
            Val::Bool(b) => b,
            v => return Err(format!("expected fortran_order True or False, found {v:?}")),
        };
        let shape = match shape.ok_or(missing)? {
            Val::Int(n) => vec![n], // lenient: a bare integer as a 1-d shape
            Val::Seq(items) => items.into_iter().map(int).collect::<Result<_, _>>()?,
            v => return Err(format!("expected a shape tuple, found {v:?}")),
        };
        Ok((descr.ok_or(missing)?, fortran, shape))
    }
}

/// A shape entry: a non-negative integer.
fn int(v: Val) -> Result<usize, String> {
    match v {
        Val::Int(n) => Ok(n),
        v => Err(format!("expected integers >= 0 in shape, found {v:?}")),
    }
}

/// Element types with a fixed little-endian encoding.
trait Element: Copy {
    const DTYPE: DType;
    fn decode(b: &[u8]) -> Self;
    fn encode(self, out: &mut Vec<u8>);
}

macro_rules! element {
    ($t:ty, $d:expr) => {
        impl Element for $t {
            const DTYPE: DType = $d;
            fn decode(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().expect("chunk of element size"))
            }
            fn encode(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
element!(i8, DType::I8);
element!(i32, DType::I32);
element!(u16, DType::U16);

/// Decodes a whole `.npy` file image; `path` is only used in errors.
fn parse<T: Element>(path: &Path, bytes: &[u8], ndim: usize) -> Result<Array<T>, NpyError> {
    let p = || path.to_path_buf();
    let malformed = |detail: String| NpyError::MalformedHeader(p(), detail);
    if !bytes.starts_with(MAGIC) {
        let found = bytes[..bytes.len().min(6)].escape_ascii().to_string();
        return Err(NpyError::BadMagic(p(), found));
    }
    let len_bytes = match bytes.get(6..8) {
        Some([1, 0]) => 2,
        Some([2, 0]) => 4,
        Some(&[major, minor]) => return Err(NpyError::UnsupportedVersion(p(), major, minor)),
        _ => return Err(malformed("file ends inside the version".into())),
    };
    let start = 8 + len_bytes;
    let Some(lb) = bytes.get(8..start) else {
        return Err(malformed("file ends inside the header length".into()));
    };
    let hlen = lb
        .iter()
        .rev()
        .fold(0, |acc, &b| (acc << 8) | usize::from(b));
    let end = start.saturating_add(hlen);
    let Some(header) = bytes.get(start..end) else {
        let have = bytes.len() - start;
        return Err(malformed(format!(
            "header length is {hlen}, found only {have} bytes"
        )));
    };
    let (descr, fortran, shape) = Parser { s: header, i: 0 }.header().map_err(malformed)?;
    let (dtype, size) = (T::DTYPE, T::DTYPE.size());
    let found = match descr {
        Val::Str(d) if d == dtype.descr() => None,
        Val::Str(d) if dtype == DType::I8 && ["<i1", ">i1", "=i1"].contains(&d.as_str()) => None,
        Val::Str(d) => Some(describe_descr(&d)),
        Val::Seq(_) => Some("a structured dtype".into()),
        v => Some(format!("{v:?}")),
    };
    if let Some(found) = found {
        return Err(NpyError::WrongDType(p(), dtype, found));
    }
    if fortran {
        return Err(NpyError::FortranOrder(p()));
    }
    if shape.len() != ndim {
        return Err(NpyError::WrongNdim(p(), ndim, shape));
    }
    let expected = count(&shape, size);
    let too_large = || malformed(format!("shape {} is too large", shape_str(&shape)));
    let expected = expected.ok_or_else(too_large)?;
    let data = &bytes[end..];
    if data.len() != expected {
        let found = data.len();
        return Err(NpyError::DataLength(p(), shape, dtype, expected, found));
    }
    let data = data.chunks_exact(size).map(T::decode).collect();
    Ok(Array { shape, data })
}

/// Encodes an array as a complete `.npy` file image.
fn encode<T: Element>(path: &Path, shape: &[usize], data: &[T]) -> Result<Vec<u8>, NpyError> {
    if count(shape, 1) != Some(data.len()) {
        let (path, shape) = (path.to_path_buf(), shape.to_vec());
        return Err(NpyError::ShapeMismatch(path, shape, data.len()));
    }
    let (descr, shape) = (T::DTYPE.descr(), shape_str(shape));
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Version 1.0 has a 2-byte header length; 2.0 (4 bytes) only for huge shapes.
    let v1 = dict.len() + 11 <= 1 << 16;
    let prefix = if v1 { 10 } else { 12 };
    let hlen = (prefix + dict.len() + 1).div_ceil(64) * 64 - prefix;
    let mut out = Vec::with_capacity(prefix + hlen + std::mem::size_of_val(data));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[2 - u8::from(v1), 0]);
    out.extend_from_slice(&(hlen as u32).to_le_bytes()[..prefix - 8]);
    out.extend_from_slice(dict.as_bytes());
    out.resize(prefix + hlen - 1, b' ');
    out.push(b'\n');
    data.iter().for_each(|x| x.encode(&mut out));
    Ok(out)
}

/// Defines the public, monomorphic reader and writer for one element type.
macro_rules! read_write {
    ($read:ident, $write:ident, $t:ty, $what:literal) => {
        #[doc = concat!("Reads ", $what, " C-order array that must have `ndim` dimensions.")]
        pub fn $read(path: &Path, ndim: usize) -> Result<Array<$t>, NpyError> {
            let bytes = std::fs::read(path).map_err(|e| NpyError::Io(path.into(), "read", e))?;
            parse(path, &bytes, ndim)
        }

        #[doc = concat!("Writes row-major `data` of the given `shape` as ", $what, " `.npy` file.")]
        pub fn $write(path: &Path, shape: &[usize], data: &[$t]) -> Result<(), NpyError> {
            let bytes = encode(path, shape, data)?;
            std::fs::write(path, bytes).map_err(|e| NpyError::Io(path.into(), "write", e))
        }
    };
}
read_write!(read_i8, write_i8, i8, "an `int8` (`|i1`)");
read_write!(read_i32, write_i32, i32, "an `int32` (`<i4`)");
read_write!(read_u16, write_u16, u16, "a `uint16` (`<u2`)");

#[cfg(test)]
mod tests;
