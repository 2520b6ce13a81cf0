//! The recursive-descent parser for filters and PATCH paths; names are resolved against the schema here.

use super::lex::{describe, lex, ParseError, Tok, Token};
use super::{CompareOp, Expr, Literal};
use crate::error::ScimError;
use crate::schema::{self, AttrRef, Attribute, AttributeType, ResourceKind, Target};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where names are resolved: a resource's attributes, or (inside `[…]`) one attribute's sub-attributes.
#[derive(Clone, Copy)]
enum Scope {
    Resource(ResourceKind),
    Within(&'static Attribute),
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Returned by `peek` past the last token (`lex` ends with one already; this keeps `peek` total).
    end: Token,
}

const EXAMPLE: &str = "for example: userName eq \"bjensen\" and emails[type eq \"work\"]";

fn is_keyword(w: &str, k: &str) -> bool {
    w.eq_ignore_ascii_case(k)
}

impl Parser {
    fn new(input: &str) -> Result<Self, ParseError> {
        let tokens = lex(input)?;
        let end = Token {
            tok: Tok::End,
            pos: input.chars().count() + 1,
        };
        Ok(Parser { tokens, at: 0, end })
    }

    fn peek(&self) -> &Token {
        self.tokens.get(self.at).unwrap_or(&self.end)
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    /// `.sub` right after a value filter's `]`: the sub-attribute's name and position, consumed.
    fn dotted_sub(&mut self) -> Option<(String, usize)> {
        let t = self.peek();
        let sub = match &t.tok {
            Tok::Word(w) => w.strip_prefix('.')?.to_owned(),
            _ => return None,
        };
        let pos = t.pos;
        self.next();
        Some((sub, pos))
    }

    fn peek_keyword(&self, k: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(w) if is_keyword(w, k))
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), ParseError> {
        let t = self.next();
        if t.tok == want {
            Ok(())
        } else {
            Err(ParseError::at(
                t.pos,
                format!("expected {what}, found {}", describe(&t.tok)),
            ))
        }
    }

    fn filter(&mut self, scope: Scope) -> Result<Expr, ParseError> {
        let mut left = self.and(scope)?;
        while self.peek_keyword("or") {
            self.next();
            let right = self.and(scope)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, scope: Scope) -> Result<Expr, ParseError> {
        let mut left = self.unary(scope)?;
        while self.peek_keyword("and") {
            self.next();
            let right = self.unary(scope)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, scope: Scope) -> Result<Expr, ParseError> {
        if self.peek_keyword("not") {
            self.next();
            let t = self.next();
            if t.tok != Tok::LParen {
                return Err(ParseError::at(
                    t.pos,
                    format!(
                        "\"not\" must be followed by a filter in parentheses, as in not (title pr); found {}",
                        describe(&t.tok)
                    ),
                ));
            }
            let inner = self.filter(scope)?;
            self.expect(Tok::RParen, "\")\" to close the parenthesis")?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek().tok == Tok::LParen {
            self.next();
            let inner = self.filter(scope)?;
            self.expect(Tok::RParen, "\")\" to close the parenthesis")?;
            return Ok(inner);
        }
        self.attribute_expression(scope)
    }

    fn attribute_path(&mut self, scope: Scope) -> Result<(AttrRef, usize), ParseError> {
        let t = self.next();
        let Tok::Word(word) = &t.tok else {
            return Err(ParseError::at(
                t.pos,
                format!(
                    "expected an attribute name, found {} ({EXAMPLE})",
                    describe(&t.tok)
                ),
            ));
        };
        for k in ["and", "or", "not"] {
            if is_keyword(word, k) {
                return Err(ParseError::at(
                    t.pos,
                    format!("expected an attribute name, found \"{word}\" ({EXAMPLE})"),
                ));
            }
        }
        let r = resolve_in(scope, word).map_err(|m| ParseError::at(t.pos, m))?;
        Ok((r, t.pos))
    }

    fn attribute_expression(&mut self, scope: Scope) -> Result<Expr, ParseError> {
        let (r, pos) = self.attribute_path(scope)?;
        if self.peek().tok == Tok::LBracket {
            let Scope::Resource(_) = scope else {
                return Err(ParseError::at(
                    self.peek().pos,
                    "value filters cannot be nested inside another value filter",
                ));
            };
            if r.sub.is_some() || r.attr.kind != AttributeType::Complex {
                return Err(ParseError::at(
                    self.peek().pos,
                    format!(
                        "\"[…]\" selects values of a multi-valued complex attribute such as emails; {} is not one",
                        r.display()
                    ),
                ));
            }
            self.next();
            let inner = self.filter(Scope::Within(r.attr))?;
            self.expect(Tok::RBracket, "\"]\" to close the value filter")?;
            // Entra ID's form: `emails[type eq "work"].value eq "x"`.
            if let Some((sub, pos)) = self.dotted_sub() {
                let sub_attr = r.attr.sub(&sub).ok_or_else(|| {
                    ParseError::at(
                        pos,
                        format!("\"{sub}\" is not a sub-attribute of {}", r.attr.name),
                    )
                })?;
                let leaf = AttrRef {
                    ext: None,
                    attr: sub_attr,
                    sub: None,
                };
                let test = self.operation(leaf, pos)?;
                return Ok(Expr::Any(
                    r,
                    Box::new(Expr::And(Box::new(inner), Box::new(test))),
                ));
            }
            return Ok(Expr::Any(r, Box::new(inner)));
        }
        self.operation(r, pos)
    }

    /// `pr`, or a comparison operator and a value, after the attribute `r`.
    fn operation(&mut self, mut r: AttrRef, attr_pos: usize) -> Result<Expr, ParseError> {
        let t = self.next();
        let op_word = match &t.tok {
            Tok::Word(w) => w.clone(),
            other => {
                return Err(ParseError::at(
                    t.pos,
                    format!(
                        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after {}, found {}",
                        r.display(),
                        describe(other)
                    ),
                ))
            }
        };
        if r.leaf().name == "password" {
            return Err(ParseError::at(
                attr_pos,
                "password cannot be used in a filter",
            ));
        }
        if is_keyword(&op_word, "pr") {
            return Ok(Expr::Present(r));
        }
        let Some(op) = CompareOp::parse(&op_word) else {
            return Err(ParseError::at(
                t.pos,
                format!(
                    "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after {}, found \"{op_word}\"",
                    r.display()
                ),
            ));
        };
        // A complex attribute without a sub-attribute compares its `value` (`emails co "example.com"`).
        if r.sub.is_none() && r.attr.kind == AttributeType::Complex {
            match r.attr.sub("value") {
                Some(v) => r.sub = Some(v),
                None => {
                    return Err(ParseError::at(
                        attr_pos,
                        format!(
                            "{} is complex; compare one of its sub-attributes ({})",
                            r.attr.name,
                            r.attr
                                .sub_attributes
                                .iter()
                                .map(|s| format!("{}.{}", r.attr.name, s.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            }
        }
        let v = self.next();
        let literal = match &v.tok {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Num(n) => Literal::Number(*n),
            Tok::Word(w) if is_keyword(w, "true") => Literal::Bool(true),
            Tok::Word(w) if is_keyword(w, "false") => Literal::Bool(false),
            Tok::Word(w) if is_keyword(w, "null") => Literal::Null,
            other => {
                return Err(ParseError::at(
                    v.pos,
                    format!(
                        "expected a value after \"{}\" (a quoted string, a number, true, false or null), found {}",
                        op.as_str(),
                        describe(other)
                    ),
                ))
            }
        };
        let literal = check_literal(&r, op, literal).map_err(|m| ParseError::at(v.pos, m))?;
        Ok(Expr::Compare(r, op, literal))
    }
}

fn resolve_in(scope: Scope, word: &str) -> Result<AttrRef, String> {
    match scope {
        Scope::Resource(kind) => match schema::resolve(kind, word) {
            Ok(Target::Attr(r)) => Ok(r),
            Ok(Target::Extension(s)) => Err(format!(
                "\"{}\" is a whole schema; name one of its attributes, as in {}:employeeNumber",
                s.id, s.id
            )),
            Err(e) => Err(e.0),
        },
        Scope::Within(parent) => parent
            .sub(word)
            .map(|attr| AttrRef {
                ext: None,
                attr,
                sub: None,
            })
            .ok_or_else(|| {
                format!(
                    "\"{word}\" is not a sub-attribute of {} (it has {})",
                    parent.name,
                    parent
                        .sub_attributes
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
    }
}

/// Checks that `op` and `literal` fit the attribute's type, converting where the meaning is plain
/// (`active eq "true"`, `employeeNumber eq 42`).
fn check_literal(r: &AttrRef, op: CompareOp, literal: Literal) -> Result<Literal, String> {
    let leaf = r.leaf();
    let name = r.display();
    if literal == Literal::Null {
        return match op {
            CompareOp::Eq | CompareOp::Ne => Ok(Literal::Null),
            other => Err(format!(
                "null can only be compared with eq or ne, not {}",
                other.as_str()
            )),
        };
    }
    match leaf.kind {
        AttributeType::Boolean => {
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(format!(
                    "{name} is a boolean; compare it with eq or ne, not {}",
                    op.as_str()
                ));
            }
            match literal {
                Literal::Bool(b) => Ok(Literal::Bool(b)),
                Literal::Str(s) if s.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
                Literal::Str(s) if s.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
                _ => Err(format!(
                    "{name} is a boolean; compare it with true or false"
                )),
            }
        }
        AttributeType::Integer | AttributeType::Decimal => {
            if op.is_substring() {
                return Err(format!(
                    "{name} is a number; co, sw and ew apply to strings"
                ));
            }
            match literal {
                Literal::Number(n) => Ok(Literal::Number(n)),
                _ => Err(format!("{name} is a number; compare it with a number")),
            }
        }
        AttributeType::DateTime => match literal {
            Literal::Str(s) => match OffsetDateTime::parse(&s, &Rfc3339) {
                Ok(t) => Ok(Literal::Date(t, s)),
                Err(_) if op.is_substring() => Ok(Literal::Str(s)),
                Err(_) => Err(format!(
                    "{name} is a date-time; give an RFC 3339 date such as \"2026-01-31T12:00:00Z\""
                )),
            },
            _ => Err(format!(
                "{name} is a date-time; give an RFC 3339 date such as \"2026-01-31T12:00:00Z\""
            )),
        },
        AttributeType::Binary if op.is_ordering() => Err(format!(
            "{name} is binary; gt, ge, lt and le do not apply to it"
        )),
        AttributeType::Complex => Err(format!(
            "{name} is complex; compare one of its sub-attributes"
        )),
        AttributeType::String | AttributeType::Reference | AttributeType::Binary => match literal {
            Literal::Str(s) => Ok(Literal::Str(s)),
            Literal::Number(n) => Ok(Literal::Str(number_text(n))),
            Literal::Bool(b) => Ok(Literal::Str(b.to_string())),
            other => Ok(other),
        },
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

fn filter_error(input: &str, e: ParseError) -> ScimError {
    ScimError::invalid_filter(format!(
        "Invalid filter at character {} of {}: {}.",
        e.pos,
        input.chars().count(),
        e.msg
    ))
}

/// Parses a whole filter for `kind`.
pub(super) fn filter(kind: ResourceKind, input: &str) -> Result<Expr, ScimError> {
    if input.trim().is_empty() {
        return Err(ScimError::invalid_filter(format!(
            "The filter is empty; leave it out to list everything, or give one, {EXAMPLE}."
        )));
    }
    let mut p = Parser::new(input).map_err(|e| filter_error(input, e))?;
    let expr = p
        .filter(Scope::Resource(kind))
        .map_err(|e| filter_error(input, e))?;
    let end = p.next();
    if end.tok != Tok::End {
        let hint = match &end.tok {
            Tok::RParen => "this \")\" has no matching \"(\"".to_owned(),
            Tok::RBracket => "this \"]\" has no matching \"[\"".to_owned(),
            other => format!(
                "unexpected {}; join expressions with \"and\" or \"or\"",
                describe(other)
            ),
        };
        return Err(filter_error(input, ParseError::at(end.pos, hint)));
    }
    Ok(expr)
}

/// A parsed PATCH `path`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PatchPath {
    /// A whole extension: `urn:…:enterprise:2.0:User`.
    Extension(&'static schema::Schema),
    /// `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`.
    Attr {
        /// The attribute, and the sub-attribute if the path names one.
        r: AttrRef,
        /// The value filter, whose names are `r.attr`'s sub-attributes.
        filter: Option<Expr>,
    },
}

fn path_error(input: &str, e: ParseError) -> ScimError {
    ScimError::invalid_path(format!(
        "Invalid path \"{input}\" at character {}: {}. Paths look like name.givenName, \
         emails[type eq \"work\"].value or members[value eq \"…\"].",
        e.pos, e.msg
    ))
}

/// Parses a PATCH `path` (RFC 7644 §3.5.2: `attrPath / valuePath [subAttr]`). Errors are 400
/// `invalidPath`.
pub(crate) fn parse_path(kind: ResourceKind, input: &str) -> Result<PatchPath, ScimError> {
    let mut p = Parser::new(input).map_err(|e| path_error(input, e))?;
    let t = p.next();
    let Tok::Word(word) = &t.tok else {
        return Err(path_error(
            input,
            ParseError::at(
                t.pos,
                format!("expected an attribute name, found {}", describe(&t.tok)),
            ),
        ));
    };
    let target =
        schema::resolve(kind, word).map_err(|u| path_error(input, ParseError::at(t.pos, u.0)))?;
    let path = match target {
        Target::Extension(s) => PatchPath::Extension(s),
        Target::Attr(mut r) => {
            let mut filter = None;
            if p.peek().tok == Tok::LBracket {
                let b = p.next();
                if r.sub.is_some() || !r.attr.multi_valued || r.attr.kind != AttributeType::Complex
                {
                    return Err(path_error(
                        input,
                        ParseError::at(
                            b.pos,
                            format!(
                                "\"[…]\" selects values of a multi-valued complex attribute; {} is not one",
                                r.display()
                            ),
                        ),
                    ));
                }
                let inner = p
                    .filter(Scope::Within(r.attr))
                    .map_err(|e| path_error(input, e))?;
                p.expect(Tok::RBracket, "\"]\" to close the value filter")
                    .map_err(|e| path_error(input, e))?;
                filter = Some(inner);
                if let Some((sub, pos)) = p.dotted_sub() {
                    r.sub = Some(r.attr.sub(&sub).ok_or_else(|| {
                        path_error(
                            input,
                            ParseError::at(
                                pos,
                                format!("\"{sub}\" is not a sub-attribute of {}", r.attr.name),
                            ),
                        )
                    })?);
                }
            }
            PatchPath::Attr { r, filter }
        }
    };
    let end = p.next();
    if end.tok != Tok::End {
        return Err(path_error(
            input,
            ParseError::at(end.pos, format!("unexpected {}", describe(&end.tok))),
        ));
    }
    Ok(path)
}
