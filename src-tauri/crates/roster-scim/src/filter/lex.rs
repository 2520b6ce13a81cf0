//! Filter and path text into tokens, with 1-based character positions for messages.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    End,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// 1-based character position in the input.
    pub(super) pos: usize,
}

/// A parse failure: where, and what was expected. The caller decides the `scimType`.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub(super) pos: usize,
    pub(super) msg: String,
}

impl ParseError {
    pub(super) fn at(pos: usize, msg: impl Into<String>) -> Self {
        ParseError {
            pos,
            msg: msg.into(),
        }
    }
}

pub(super) fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("\"{w}\""),
        Tok::Str(_) => "a quoted string".into(),
        Tok::Num(_) => "a number".into(),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::LBracket => "\"[\"".into(),
        Tok::RBracket => "\"]\"".into(),
        Tok::End => "the end".into(),
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | '$')
}

pub(super) fn lex(input: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut i = 0;
    while let Some(&(byte, c)) = chars.get(i) {
        let pos = i + 1;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => out.push(Token {
                tok: Tok::LParen,
                pos,
            }),
            ')' => out.push(Token {
                tok: Tok::RParen,
                pos,
            }),
            '[' => out.push(Token {
                tok: Tok::LBracket,
                pos,
            }),
            ']' => out.push(Token {
                tok: Tok::RBracket,
                pos,
            }),
            '"' => {
                // Find the closing quote, skipping escaped characters, then let serde_json decode the
                // JSON string (all of RFC 8259's escapes, surrogate pairs included).
                let mut j = i + 1;
                let mut closed = None;
                while let Some(&(b, ch)) = chars.get(j) {
                    match ch {
                        '\\' => j += 2,
                        '"' => {
                            closed = Some(b);
                            break;
                        }
                        _ => j += 1,
                    }
                }
                let Some(end) = closed else {
                    return Err(ParseError::at(
                        pos,
                        "a string is not closed; end it with a double quote",
                    ));
                };
                let text = input.get(byte..=end).unwrap_or_default();
                let s: String = serde_json::from_str(text).map_err(|_| {
                    ParseError::at(
                        pos,
                        "a string has an invalid escape; use JSON escapes such as \\\" and \\\\",
                    )
                })?;
                out.push(Token {
                    tok: Tok::Str(s),
                    pos,
                });
                i = j + 1;
                continue;
            }
            c if c == '-' || c.is_ascii_digit() => {
                let mut j = i;
                while chars.get(j).is_some_and(|&(_, ch)| {
                    ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E')
                }) {
                    j += 1;
                }
                let end = chars.get(j).map_or(input.len(), |&(b, _)| b);
                let text = input.get(byte..end).unwrap_or_default();
                let n = serde_json::from_str::<serde_json::Number>(text)
                    .ok()
                    .and_then(|n| n.as_f64())
                    .ok_or_else(|| ParseError::at(pos, format!("\"{text}\" is not a number")))?;
                out.push(Token {
                    tok: Tok::Num(n),
                    pos,
                });
                i = j;
                continue;
            }
            c if is_word_char(c) => {
                let mut j = i;
                while chars.get(j).is_some_and(|&(_, ch)| is_word_char(ch)) {
                    j += 1;
                }
                let end = chars.get(j).map_or(input.len(), |&(b, _)| b);
                let word = input.get(byte..end).unwrap_or_default().to_owned();
                out.push(Token {
                    tok: Tok::Word(word),
                    pos,
                });
                i = j;
                continue;
            }
            other => {
                return Err(ParseError::at(
                    pos,
                    format!("the character '{other}' has no meaning in a filter"),
                ))
            }
        }
        i += 1;
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len() + 1,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_words_lex_apart() {
        let toks: Vec<Tok> = lex("a.b eq -1.5e2)")
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect();
        assert_eq!(
            toks,
            vec![
                Tok::Word("a.b".into()),
                Tok::Word("eq".into()),
                Tok::Num(-150.0),
                Tok::RParen,
                Tok::End
            ]
        );
    }
}
