//! Splitting one source line into tokens (identifiers, numbers, `,` `:` `+` `-`),
//! each with its 1-based column; `;` and `#` start a comment.

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A name: mnemonic, directive, label, constant, flag or `bK` bank prefix.
    Ident(String),
    /// A number literal, already converted.
    Num(u64),
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `+`
    Plus,
    /// `-`
    Minus,
}

/// A token, its column and its source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// What it is.
    pub tok: Tok,
    /// 1-based column of its first character.
    pub col: usize,
    /// Its text as written.
    pub text: String,
}

impl Token {
    /// The identifier, if this is one.
    pub fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
}

/// A lexical error: column and message.
pub(crate) type LexError = (usize, String);

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// The value of a number literal: decimal, `0x` hex or `0b` binary, `_` separators.
pub(crate) fn parse_number(text: &str) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    let (digits, radix, kind) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16, "hex")
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d, 2, "binary")
    } else {
        (lower.as_str(), 10, "decimal")
    };
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || !clean.chars().all(|c| c.is_digit(radix)) {
        return Err(format!(
            "invalid number `{text}`: expected {kind} digits (numbers are decimal, 0x hex or 0b binary, with optional `_` separators)"
        ));
    }
    u64::from_str_radix(&clean, radix)
        .map_err(|_| format!("number `{text}` is too large (at most {})", u64::MAX))
}

/// The tokens of `line` up to its comment. On a lexical error, the tokens before it
/// and the error.
pub(crate) fn lex(line: &str) -> (Vec<Token>, Option<LexError>) {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        let single = |tok: Tok| Token {
            tok,
            col,
            text: c.to_string(),
        };
        match c {
            ';' | '#' => break,
            c if c.is_whitespace() => i += 1,
            ',' | ':' | '+' | '-' => {
                toks.push(single(match c {
                    ',' => Tok::Comma,
                    ':' => Tok::Colon,
                    '+' => Tok::Plus,
                    _ => Tok::Minus,
                }));
                i += 1;
            }
            c if ident_start(c) || c.is_ascii_digit() => {
                let start = i;
                let number = c.is_ascii_digit();
                while i < chars.len() && ident_char(chars[i]) && !(number && chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let tok = if number {
                    match parse_number(&text) {
                        Ok(v) => Tok::Num(v),
                        Err(e) => return (toks, Some((col, e))),
                    }
                } else {
                    Tok::Ident(text.clone())
                };
                toks.push(Token { tok, col, text });
            }
            _ => {
                return (
                    toks,
                    Some((
                        col,
                        format!(
                            "unexpected character `{c}`; expected a mnemonic, label, number, `bK:W`, `,`, `+`, `-` or a comment (`;` or `#`)"
                        ),
                    )),
                )
            }
        }
    }
    (toks, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("42"), Ok(42));
        assert_eq!(parse_number("0x1F"), Ok(31));
        assert_eq!(parse_number("0X1f"), Ok(31));
        assert_eq!(parse_number("0b101"), Ok(5));
        assert_eq!(parse_number("1_000"), Ok(1000));
        assert_eq!(parse_number("0x_ff_ff"), Ok(0xffff));
        assert!(parse_number("0x").is_err());
        assert!(parse_number("12a").unwrap_err().contains("decimal"));
        assert!(parse_number("0b2").unwrap_err().contains("binary"));
        assert!(parse_number("99999999999999999999")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn tokens_and_columns() {
        let (t, e) = lex("  lab: v.add b0:1, X+2 ; c");
        assert!(e.is_none());
        let cols: Vec<usize> = t.iter().map(|t| t.col).collect();
        assert_eq!(cols, vec![3, 6, 8, 14, 16, 17, 18, 20, 21, 22]);
        assert_eq!(t[2].tok, Tok::Ident("v.add".into()));
        assert_eq!(t[5].tok, Tok::Num(1));
        let (t, e) = lex("nop @");
        assert_eq!(t.len(), 1);
        assert_eq!(e.unwrap().0, 5);
        let (t, e) = lex("# all comment");
        assert!(t.is_empty() && e.is_none());
    }
}
