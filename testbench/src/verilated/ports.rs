//! Port discovery: the top module's port declarations, parsed from the Verilog text.
//!
//! Handles ANSI headers (`module m(input wire [7:0] a, ...)`) and the non-ANSI style that
//! rust-hdl emits (`module m(a, y); input wire [7:0] a; output reg y; ...`). Widths of ranges
//! that are not plain numbers are left to Verilator's header (see `shim.rs`).

use super::{Dir, HarnessError};
use std::collections::HashMap;

/// A port as parsed from the Verilog; `width` is `None` when the range is not a plain number.
pub(super) struct Decl {
    pub name: String,
    pub dir: Dir,
    pub width: Option<usize>,
}

/// Comment-free tokens: identifiers/numbers, escaped names (without `\`), single punctuation.
fn tokenize(src: &str) -> Vec<String> {
    let c: Vec<char> = src.chars().collect();
    let word = |ch: char| ch.is_alphanumeric() || "_$'`".contains(ch);
    let (mut toks, mut i) = (Vec::new(), 0);
    while i < c.len() {
        let s = i;
        match (c[i], c.get(i + 1)) {
            (ch, _) if ch.is_whitespace() => i += 1,
            ('/', Some('/')) => i = (i..c.len()).find(|&k| c[k] == '\n').unwrap_or(c.len()),
            ('/', Some('*')) => {
                i = (i + 2..c.len())
                    .find(|&k| c[k - 1..].starts_with(&['*', '/']))
                    .map_or(c.len(), |k| k + 1)
            }
            ('"', _) => {
                i += 1;
                while i < c.len() && c[i] != '"' {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                toks.push("\"\"".into());
            }
            ('\\', _) => {
                i = (i..c.len())
                    .find(|&k| c[k].is_whitespace())
                    .unwrap_or(c.len());
                toks.push(c[s + 1..i].iter().collect());
            }
            (ch, _) if word(ch) => {
                i = (i..c.len()).find(|&k| !word(c[k])).unwrap_or(c.len());
                toks.push(c[s..i].iter().collect());
            }
            (ch, _) => {
                i += 1;
                toks.push(ch.to_string());
            }
        }
    }
    toks
}

/// Index just past the bracket group opening at `t[k]`.
fn skip_group(t: &[String], k: usize) -> usize {
    let mut depth = 0i32;
    for (j, s) in t.iter().enumerate().skip(k) {
        match s.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        if depth <= 0 {
            return j + 1;
        }
    }
    t.len()
}

/// Splits `t` at commas outside brackets.
fn split_commas(t: &[String]) -> Vec<&[String]> {
    let (mut out, mut start, mut k) = (Vec::new(), 0, 0);
    while k < t.len() {
        match t[k].as_str() {
            "(" | "[" | "{" => k = skip_group(t, k),
            "," => {
                out.push(&t[start..k]);
                k += 1;
                start = k;
            }
            _ => k += 1,
        }
    }
    if start < t.len() {
        out.push(&t[start..]);
    }
    out
}

/// One declaration `[dir] [type/signed] [ranges] name [dims] [= expr], name ...`: (direction,
/// width if given by numeric ranges, whether a type or range was given, declared names).
fn parse_decl(t: &[String]) -> (Option<Dir>, Option<usize>, bool, Vec<String>) {
    let (mut dir, mut width, mut typed, mut names) = (None, Some(1), false, Vec::new());
    let mut ranged = false;
    let ident = |s: &str| s.starts_with(|c: char| c.is_alphabetic() || c == '_');
    let mut k = 0;
    while k < t.len() {
        let s = t[k].as_str();
        let next = t.get(k + 1).map_or(",", String::as_str);
        match s {
            "input" | "inout" => dir = Some(Dir::In),
            "output" => dir = Some(Dir::Out),
            "wire" | "reg" | "logic" | "signed" | "unsigned" | "var" | "tri" | "bit" => {
                typed = true
            }
            "[" => {
                let close = skip_group(t, k);
                if names.is_empty() {
                    let r = &t[k + 1..close - 1];
                    let num = |x: &String| x.replace('_', "").parse::<usize>().ok();
                    let w = match r {
                        [a, colon, b] if colon == ":" => {
                            num(a).zip(num(b)).map(|(a, b)| a.abs_diff(b) + 1)
                        }
                        _ => None,
                    };
                    width = width.zip(w).map(|(a, b)| a * b);
                    (typed, ranged) = (true, true);
                }
                k = close;
                continue;
            }
            "=" => {
                k = split_commas(&t[k..])
                    .first()
                    .map_or(t.len(), |e| k + e.len());
                continue;
            }
            _ if ident(s) && matches!(next, "," | "[" | "=") => names.push(s.to_string()),
            _ if ident(s) => (typed, width) = (true, None), // integer, typedef names, ...
            _ => {}
        }
        k += 1;
    }
    (dir, width.filter(|_| ranged), typed, names)
}

/// The top module's ports in header order, from ANSI or non-ANSI declarations.
pub(super) fn parse_ports(verilog: &str, top: &str) -> Result<Vec<Decl>, HarnessError> {
    let t = tokenize(verilog);
    let is = |i: usize, s: &str| t.get(i).is_some_and(|x| x == s);
    let module = |i: usize| is(i, "module") || is(i, "macromodule");
    let Some(start) = (0..t.len()).find(|&i| module(i) && is(i + 1, top)) else {
        let mods: Vec<&str> = (0..t.len())
            .filter(|&i| module(i))
            .filter_map(|i| t.get(i + 1))
            .map(String::as_str)
            .collect();
        return Err(HarnessError::Ports(format!(
            "module `{top}` not found; modules: {mods:?}"
        )));
    };
    let mut i = start + 2;
    let end = (i..t.len())
        .find(|&k| is(k, "endmodule"))
        .unwrap_or(t.len());
    if is(i, "#") {
        i = skip_group(&t, i + 1);
    }
    let mut items = Vec::new();
    if is(i, "(") {
        let close = skip_group(&t, i);
        items = split_commas(&t[i + 1..close - 1]);
        i = close;
    }
    let is_dir = |s: &String| matches!(s.as_str(), "input" | "output" | "inout");
    let missing = |n: &str| {
        HarnessError::Ports(format!(
            "module `{top}`: no input/output declaration for port `{n}`"
        ))
    };
    let mut out = Vec::new();
    if items.iter().any(|it| it.iter().any(is_dir)) {
        let (mut dir, mut width) = (None, Some(1));
        for item in items {
            let (d, w, typed, names) = parse_decl(item);
            if d.is_some() || typed {
                (dir, width) = (d.or(dir), w);
            }
            let name = names.last().cloned().unwrap_or_default();
            out.push(Decl {
                dir: dir.ok_or_else(|| missing(&name))?,
                name,
                width,
            });
        }
        return Ok(out);
    }
    let mut decls = HashMap::new();
    while i < end {
        let stop = match t[i].as_str() {
            "function" => "endfunction",
            "task" => "endtask",
            _ if is_dir(&t[i]) => ";",
            _ => "",
        };
        if !stop.is_empty() {
            let close = (i..end).find(|&k| is(k, stop)).unwrap_or(end);
            if stop == ";" {
                let (d, w, _, names) = parse_decl(&t[i..close]);
                for n in names {
                    decls.insert(n, (d.unwrap_or(Dir::In), w));
                }
            }
            i = close;
        }
        i += 1;
    }
    for item in items {
        let [name] = item else {
            return Err(HarnessError::Ports(format!(
                "module `{top}`: unsupported port expression {item:?}"
            )));
        };
        let &(dir, width) = decls.get(name).ok_or_else(|| missing(name))?;
        out.push(Decl {
            name: name.clone(),
            dir,
            width,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(v: &str, top: &str) -> Vec<(String, Dir, Option<usize>)> {
        let ports = parse_ports(v, top).unwrap_or_else(|e| panic!("{e}"));
        ports
            .into_iter()
            .map(|d| (d.name, d.dir, d.width))
            .collect()
    }

    fn p(name: &str, dir: Dir, width: Option<usize>) -> (String, Dir, Option<usize>) {
        (name.to_string(), dir, width)
    }

    #[test]
    fn non_ansi_rust_hdl_style() {
        let v = "/* header */ module sub(x); input x; endmodule\n\
            module top(clock,a,y, z$q);\n    // Inputs\n    input wire  clock;\n\
            input wire  [7:0] a; // comment with input b;\n    // Outputs\n\
            output reg  [15:0] y;\n    output wire [0:2] z$q;\n    reg [3:0] r = 4'd0;\n\
            function [3:0] f; input [3:0] v; f = v; endfunction\n\
            always @(posedge clock) y <= {8'd0, a};\nendmodule\n";
        let expect = [
            p("clock", Dir::In, None),
            p("a", Dir::In, Some(8)),
            p("y", Dir::Out, Some(16)),
            p("z$q", Dir::Out, Some(3)),
        ];
        assert_eq!(summary(v, "top"), expect);
    }

    #[test]
    fn non_ansi_lists_and_inout() {
        let v = "module m(a, b, c, d);\n input [3:0] a, b;\n inout c;\n output signed [9:0] d;\n\
                 wire [3:0] unused;\nendmodule";
        let expect = [
            p("a", Dir::In, Some(4)),
            p("b", Dir::In, Some(4)),
            p("c", Dir::In, None),
            p("d", Dir::Out, Some(10)),
        ];
        assert_eq!(summary(v, "m"), expect);
    }

    #[test]
    fn ansi_with_parameters_and_continuations() {
        let v = "module m #(parameter W = 4, parameter [7:0] K = 8'h1) (\n\
                 input wire clock, // the clock\n input logic [W-1:0] p, q,\n\
                 input signed [69:0] s, output reg [1:0][7:0] r = 0, t,\n output integer n\n);\n\
                 endmodule";
        let expect = [
            p("clock", Dir::In, None),
            p("p", Dir::In, None),
            p("q", Dir::In, None),
            p("s", Dir::In, Some(70)),
            p("r", Dir::Out, Some(16)),
            p("t", Dir::Out, Some(16)),
            p("n", Dir::Out, None),
        ];
        assert_eq!(summary(v, "m"), expect);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_ports("module a(x); input x; endmodule", "b")
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("`b` not found") && e.to_string().contains("\"a\""),
            "{e}"
        );
        let e = parse_ports("module a(x, y); input x; endmodule", "a")
            .err()
            .unwrap();
        assert!(e.to_string().contains("port `y`"), "{e}");
        assert!(summary("module e; endmodule", "e").is_empty());
    }
}
