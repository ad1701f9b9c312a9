use super::*;
use rand::{distributions::Standard, prelude::Distribution, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("minilpu-npy-{}-{name}", std::process::id()))
}

/// A file image with the given version, header text and data, padded to `align`.
fn npy(version: u8, align: usize, header: &str, data: &[u8]) -> Vec<u8> {
    let prefix = if version == 1 { 10 } else { 12 };
    let hlen = (prefix + header.len() + 1).div_ceil(align) * align - prefix;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[version, 0]);
    out.extend_from_slice(&(hlen as u32).to_le_bytes()[..prefix - 8]);
    out.extend_from_slice(header.as_bytes());
    out.resize(prefix + hlen - 1, b' ');
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

/// Encodes, checks the 1.0 header layout, decodes.
fn roundtrip<T: Element + PartialEq + fmt::Debug>(shape: &[usize], data: &[T]) {
    let path = Path::new("rt.npy");
    let bytes = encode(path, shape, data).unwrap();
    let hlen = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    assert_eq!((bytes[6], (10 + hlen) % 64, bytes[9 + hlen]), (1, 0, b'\n'));
    let back = parse::<T>(path, &bytes, shape.len()).unwrap();
    assert_eq!((back.shape.as_slice(), back.data.as_slice()), (shape, data));
}

fn random<T>(rng: &mut ChaCha8Rng, n: usize) -> Vec<T>
where
    Standard: Distribution<T>,
{
    (0..n).map(|_| rng.gen()).collect()
}

#[test]
fn roundtrips_edge_values_and_empty_arrays() {
    roundtrip::<i8>(&[5], &[-128, -1, 0, 1, 127]);
    roundtrip::<i32>(&[2, 2], &[i32::MIN, -1, 0, i32::MAX]);
    roundtrip::<u16>(&[1, 3, 1], &[0, 1, 65535]);
    roundtrip::<i8>(&[0, 3], &[]);
    roundtrip::<i32>(&[0], &[]);
    roundtrip::<u16>(&[4, 0, 2], &[]);
    roundtrip::<i32>(&[], &[-7]);
    let mut rng = ChaCha8Rng::seed_from_u64(0x6e7079);
    for _ in 0..20 {
        let shape: Vec<usize> = (0..rng.gen_range(0..4))
            .map(|_| rng.gen_range(0..9))
            .collect();
        let n = shape.iter().product();
        roundtrip(&shape, &random::<i8>(&mut rng, n));
        roundtrip(&shape, &random::<i32>(&mut rng, n));
        roundtrip(&shape, &random::<u16>(&mut rng, n));
    }
}

#[test]
fn public_api_and_exact_header() {
    let path = tmp("api");
    write_i8(&path, &[3, 4], &[1; 12]).unwrap();
    let file = std::fs::read(&path).unwrap();
    let want = "{'descr': '|i1', 'fortran_order': False, 'shape': (3, 4), }";
    let header = String::from_utf8_lossy(&file[10..128]);
    assert_eq!((file.len(), header.trim_end()), (128 + 12, want));
    assert_eq!(&file[..10], b"\x93NUMPY\x01\x00\x76\x00");
    let array = read_i8(&path, 2).unwrap();
    assert_eq!((array.shape, array.data), (vec![3, 4], vec![1; 12]));
    write_i32(&path, &[2], &[i32::MIN, i32::MAX]).unwrap();
    assert_eq!(read_i32(&path, 1).unwrap().data, [i32::MIN, i32::MAX]);
    write_u16(&path, &[], &[65535]).unwrap();
    assert_eq!(read_u16(&path, 0).unwrap().data, [65535]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(DType::I8.to_string(), "int8 (|i1)");
    assert_eq!(DType::U16.to_string(), "uint16 (<u2)");
}

/// `version align expected-shape header`; data is 0, 1, 2, ... as `<i4`.
const GOOD_HEADERS: &str = "
1 64 [2] {'descr': '<i4', 'fortran_order': False, 'shape': (2,), }
1 16 [1,2] {'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }
2 64 [2,1] {'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }
1 64 [] {'descr': '<i4', 'fortran_order': False, 'shape': (), }
1 64 [0,3] {'descr': '<i4', 'fortran_order': False, 'shape': (0, 3), }
1 64 [3] {\"shape\":(3,),\t\"descr\" : \"<i4\",'fortran_order':False}
1 16 [2,1] {'descr': '<i4', 'fortran_order': False, 'shape': (2L, 1L), }
1 64 [2] {'descr': '<i4', 'fortran_order': False, 'shape': 2, }";

#[test]
fn reads_numpy_style_headers() {
    for line in GOOD_HEADERS.lines().skip(1) {
        let f: Vec<&str> = line.splitn(4, ' ').collect();
        let shape: Vec<usize> = f[2][1..f[2].len() - 1]
            .split(',')
            .filter(|d| !d.is_empty())
            .map(|d| d.parse().unwrap())
            .collect();
        let n = shape.iter().product::<usize>() as i32;
        let data: Vec<u8> = (0..n).flat_map(i32::to_le_bytes).collect();
        let file = npy(f[0].parse().unwrap(), f[1].parse().unwrap(), f[3], &data);
        let a = parse::<i32>(Path::new("h.npy"), &file, shape.len()).unwrap();
        assert_eq!(a.shape, shape, "{line}");
        assert!(a.data.iter().copied().eq(0..n), "{line}");
    }
    let h = "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }";
    let a = parse::<i8>(Path::new("a"), &npy(1, 64, h, &[128, 127]), 1);
    assert_eq!(a.unwrap().data, [-128, 127]);
    let h = "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }";
    let a = parse::<u16>(Path::new("a"), &npy(2, 64, h, &[0xff, 0xff]), 1);
    assert_eq!(a.unwrap().data, [65535]);
}

/// `ndim data-bytes descr fortran_order shape => expected message part`,
/// read as int8 (`|i1`).
const BAD_HEADERS: &str = "
2 0 '<f8' False (3, 4) => wrong dtype: expected int8 (|i1), found float64 (<f8)
1 0 '>i4' False (3,) => found int32 big-endian (>i4)
1 0 '|b1' False (3,) => found bool (|b1)
1 0 '<U7' False (3,) => found \"<U7\"
1 0 [('a','<i4')] False (3,) => found a structured dtype
2 12 '|i1' True (3, 4) => Fortran order (fortran_order: True); expected C order
2 0 '|i1' False (3, 4, 5) => dimensions: expected 2, found shape (3, 4, 5) (3-d)
0 0 '|i1' False (3,) => dimensions: expected 0, found shape (3,) (1-d)
2 11 '|i1' False (3, 4) => shape (3, 4) of int8 (|i1) needs 12 bytes, found 11 (truncated)
2 13 '|i1' False (3, 4) => needs 12 bytes, found 13 (extra bytes)
1 0 '|i1' 0 (3,) => expected fortran_order True or False, found Int(0)
2 0 '|i1' False (3, -1) => unexpected '-' at byte
2 0 '|i1' False (18446744073709551615, 2) => shape (18446744073709551615, 2) is too large
1 0 '|i1' False (99999999999999999999999,) => integer too large
1 0 '|i1' False (3,)) => expected '}'
1 0 '|i1 False (3,) => expected '}' at byte 17, found 'f'
1 0 '|i1' False 'x' => expected a shape tuple, found Str(\"x\")";

/// `header => expected message part`, read as 1-d int8.
const RAW_HEADERS: &str = "
{'descr': '|i1', 'shape': (3,)} => missing key (expected 'descr', 'fortran_order' and 'shape')
{'descr': '|i1', 'sh': (3,)} => unexpected key \"sh\"
{'descr': '|i1', 'descr': '|i1'} => duplicate key \"descr\"
{'descr': 'x\\y'} => escape sequences in strings are not supported
{'descr': '|i1'} x => unexpected text after the dict at byte 17
{'descr': '|i1', 3: 4} => expected a string key, found Int(3)
{'descr': '|i1 => unterminated string literal
{'descr': (((((((((((1,),),),),),),),),),),)} => nested too deeply
['descr'] => expected '{' at byte 0, found '['
{'descr': None} => unexpected 'N' at byte 10
{'descr': => header ends where a value was expected";

fn check(bytes: &[u8], ndim: usize, want: &str) {
    let msg = parse::<i8>(Path::new("dir/x.npy"), bytes, ndim)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("dir/x.npy: ") && msg.contains(want),
        "{msg}\nwant: {want}"
    );
}

#[test]
fn errors_name_the_file_and_expected_vs_found() {
    for line in BAD_HEADERS.lines().skip(1) {
        let (case, want) = line.split_once(" => ").unwrap();
        let f: Vec<&str> = case.splitn(5, ' ').collect();
        let header = format!(
            "{{'descr': {}, 'fortran_order': {}, 'shape': {}, }}",
            f[2], f[3], f[4]
        );
        let data = vec![0; f[1].parse().unwrap()];
        check(&npy(1, 64, &header, &data), f[0].parse().unwrap(), want);
    }
    for line in RAW_HEADERS.lines().skip(1) {
        let (header, want) = line.split_once(" => ").unwrap();
        check(&npy(1, 64, header, &[]), 1, want);
    }
    let good = encode(Path::new("x"), &[3, 4], &[0i8; 12]).unwrap();
    let with_version = |v: [u8; 2]| [&good[..6], &v[..], &good[8..]].concat();
    let magic = r#"not an .npy file: expected magic b"\x93NUMPY", found b"PK\x03\x04 z""#;
    check(b"PK\x03\x04 zip", 2, magic);
    check(&good[..4], 2, r#"found b"\x93NUM""#);
    check(
        &with_version([3, 0]),
        2,
        "version 3.0 (expected 1.0 or 2.0)",
    );
    check(
        &with_version([1, 1]),
        2,
        "version 1.1 (expected 1.0 or 2.0)",
    );
    check(&good[..7], 2, "file ends inside the version");
    check(&good[..9], 2, "file ends inside the header length");
    check(&good[..40], 2, "header length is 118, found only 30 bytes");
    let msg = parse::<u16>(Path::new("y"), &good, 2).unwrap_err();
    let want = "y: wrong dtype: expected uint16 (<u2), found int8 (|i1)";
    assert_eq!(msg.to_string(), want);
    let missing = tmp("does-not-exist");
    let msg = read_i8(&missing, 1).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}: cannot read .npy file", missing.display())));
    let msg = write_i32(Path::new("z"), &[2, 3], &[0; 5]).unwrap_err();
    let want = "z: cannot write: shape (2, 3) holds 6 elements, found 5 data elements";
    assert_eq!(msg.to_string(), want);
    let msg = write_u16(Path::new("z"), &[usize::MAX, 3], &[]).unwrap_err();
    assert!(msg.to_string().contains("holds too many elements"), "{msg}");
}

#[test]
fn fuzzed_input_never_panics() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xf022);
    let p = Path::new("fuzz.npy");
    let h = "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2), }";
    let valid = [
        encode(p, &[2, 3], &[-5i32, 0, 7, i32::MIN, i32::MAX, 1]).unwrap(),
        npy(2, 16, h, &[1, 2, 3, 4]),
    ];
    let run = |bytes: &[u8]| {
        for ndim in 0..4 {
            let _ = parse::<i8>(p, bytes, ndim);
            let _ = parse::<i32>(p, bytes, ndim);
            let _ = parse::<u16>(p, bytes, ndim);
        }
    };
    let alphabet = b"(),:'\"{}[] 0123456789LTF";
    for file in &valid {
        (0..=file.len()).for_each(|n| run(&file[..n]));
        for _ in 0..2000 {
            let mut f = file.clone();
            for _ in 0..rng.gen_range(1..4) {
                let (i, c) = (rng.gen_range(0..f.len()), rng.gen_range(0..alphabet.len()));
                f[i] = if rng.gen() { rng.gen() } else { alphabet[c] };
            }
            run(&f);
        }
    }
    for _ in 0..3000 {
        let mut f = MAGIC.to_vec();
        f.extend_from_slice(&[rng.gen_range(1..3), 0, rng.gen(), rng.gen_range(0..2)]);
        let n = rng.gen_range(0..300);
        f.extend(random::<u8>(&mut rng, n));
        run(&f);
        run(&f[6..]);
    }
}

const NUMPY_SCRIPT: &str = "
import sys, numpy as np
d = sys.argv[1] + '/'
a = np.load(d + 'r_i8.npy'); assert a.dtype == np.int8 and a.tolist() == [[-128, -1, 0], [1, 2, 127]]
b = np.load(d + 'r_i32.npy'); assert b.dtype == np.int32 and b.shape == (2, 3, 5)
c = np.load(d + 'r_u16.npy'); assert c.dtype == np.uint16 and c.shape == (0, 3)
s = np.load(d + 'r_u16s.npy'); assert s.dtype == np.uint16 and s.shape == () and s == 65535
np.save(d + 'p_i32.npy', b[:, ::-1] + 0)  # C-order copy, reversed along axis 1
np.save(d + 'p_i8.npy', np.array([[-128, 127]], dtype=np.int8))
with open(d + 'p_u16.npy', 'wb') as f:
    np.lib.format.write_array(f, np.array([0, 1, 65535], dtype=np.uint16), version=(2, 0))
np.save(d + 'p_f8.npy', np.zeros((3, 4)))
np.save(d + 'p_fortran.npy', np.asfortranarray(np.zeros((2, 3), dtype=np.int8)))
";

/// Round trip through real numpy; skipped (with a note) when it is not installed.
#[test]
fn numpy_interop() {
    let python = |args: &[&str]| std::process::Command::new("python3").args(args).output();
    if !python(&["-c", "import numpy"]).is_ok_and(|o| o.status.success()) {
        eprintln!("note: numpy_interop skipped: `python3 -c 'import numpy'` failed");
        return;
    }
    let dir = tmp("interop");
    std::fs::create_dir_all(&dir).unwrap();
    let rand = random::<i32>(&mut ChaCha8Rng::seed_from_u64(42), 30);
    write_i8(&dir.join("r_i8.npy"), &[2, 3], &[-128, -1, 0, 1, 2, 127]).unwrap();
    write_i32(&dir.join("r_i32.npy"), &[2, 3, 5], &rand).unwrap();
    write_u16(&dir.join("r_u16.npy"), &[0, 3], &[]).unwrap();
    write_u16(&dir.join("r_u16s.npy"), &[], &[65535]).unwrap();
    let out = python(&["-c", NUMPY_SCRIPT, dir.to_str().unwrap()]).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = read_i32(&dir.join("p_i32.npy"), 3).unwrap();
    let flipped = (0..30).map(|i| rand[i / 15 * 15 + (2 - i / 5 % 3) * 5 + i % 5]);
    assert!(b.shape == [2, 3, 5] && b.data.iter().copied().eq(flipped));
    assert_eq!(read_i8(&dir.join("p_i8.npy"), 2).unwrap().data, [-128, 127]);
    assert_eq!(
        read_u16(&dir.join("p_u16.npy"), 1).unwrap().data,
        [0, 1, 65535]
    );
    let f8 = read_i8(&dir.join("p_f8.npy"), 2).unwrap_err().to_string();
    assert!(
        f8.contains("expected int8 (|i1), found float64 (<f8)"),
        "{f8}"
    );
    let fortran = read_i8(&dir.join("p_fortran.npy"), 2).unwrap_err();
    assert!(
        fortran.to_string().contains("expected C order"),
        "{fortran}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
