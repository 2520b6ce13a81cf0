//! Filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), which share one grammar.
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / "not" "(" FILTER ")" / "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"          ; valFilter: the same, names relative to attrPath
//! attrExp   = attrPath "pr" / attrPath compareOp compValue
//! attrPath  = [URN ":"] ATTRNAME ["." subAttr]
//! compareOp = eq / ne / co / sw / ew / gt / ge / lt / le
//! compValue = false / null / true / number / string   ; JSON literals
//! ```
//!
//! Precedence: grouping, then `not`, then `and`, then `or`. Keywords, operators and attribute names are
//! case-insensitive. One extension to the grammar, because Entra ID sends it:
//! `emails[type eq "work"].value eq "x"` (a sub-attribute and a comparison after a value filter), meaning
//! "some email is of type work and has the value x".
//!
//! Attribute names are resolved against the schema when the filter is parsed, so an unknown attribute,
//! an operator that does not fit the attribute's type (`gt` on a boolean) or a literal of the wrong
//! type is a 400 `invalidFilter` that says so, and matching knows each attribute's `caseExact`.

use crate::error::ScimError;
use crate::schema::{self, AttrRef, Attribute, AttributeType, ResourceKind, Target};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A parsed filter for one resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    kind: ResourceKind,
    expr: Expr,
}

/// A filter shape the store can answer from an index instead of a scan (see [`Filter::lookup`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// `id eq "…"`: compare exactly.
    Id(String),
    /// `externalId eq "…"`: compare exactly.
    ExternalId(String),
    /// `userName eq "…"` (users): compare case-insensitively.
    UserName(String),
    /// `displayName eq "…"` (groups): compare case-insensitively.
    DisplayName(String),
    /// An email address (users), from `emails.value eq "…"`, `emails eq "…"`, `emails[value eq "…"]` or
    /// `emails[type eq "work"].value eq "…"`: compare case-insensitively.
    Email(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    /// A date-time literal for a `dateTime` attribute, parsed once; the text is kept for `co`/`sw`/`ew`.
    Date(OffsetDateTime, String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Present(AttrRef),
    Compare(AttrRef, CompareOp, Literal),
    /// Some value of a multi-valued attribute matches the inner filter, whose names are the attribute's
    /// sub-attributes.
    Any(AttrRef, Box<Expr>),
}

// ---- Lexing.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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
struct Token {
    tok: Tok,
    /// 1-based character position in the input.
    pos: usize,
}

/// A parse failure: where, and what was expected. The caller decides the `scimType`.
#[derive(Debug)]
pub(crate) struct ParseError {
    pos: usize,
    msg: String,
}

impl ParseError {
    fn at(pos: usize, msg: impl Into<String>) -> Self {
        ParseError {
            pos,
            msg: msg.into(),
        }
    }
}

fn describe(t: &Tok) -> String {
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

fn lex(input: &str) -> Result<Vec<Token>, ParseError> {
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

// ---- Parsing.

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

impl Filter {
    /// Parses `input` for resources of `kind`. Errors are 400 `invalidFilter` with the position and
    /// what was expected there.
    pub fn parse(kind: ResourceKind, input: &str) -> Result<Filter, ScimError> {
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
        Ok(Filter { kind, expr })
    }

    /// The resource type the filter was parsed for.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// Whether `resource` (as served: with `id` and `meta`, canonical attribute names) matches. String
    /// comparisons follow each attribute's `caseExact` (`userName` and emails ignore case; `id` and
    /// `externalId` do not); date-times compare as instants; a multi-valued attribute matches when any
    /// value does; `ne` is "no value equals".
    pub fn matches(&self, resource: &Value) -> bool {
        eval(&self.expr, resource)
    }

    /// The indexed shape in this filter, if any: the filter itself, or one side of an `and` (at any
    /// depth of `and`s). Every resource the filter matches has the lookup's value, so the store can fetch
    /// those candidates by index and keep the ones [`Filter::matches`] accepts. `or` and `not` give no
    /// lookup.
    pub fn lookup(&self) -> Option<Lookup> {
        lookup(self.kind, &self.expr)
    }

    /// Whether the filter names `members`: a group's members are not in its stored document, so the
    /// caller must render them before calling [`Filter::matches`].
    pub fn mentions_members(&self) -> bool {
        mentions(&self.expr, "members")
    }
}

fn mentions(e: &Expr, name: &str) -> bool {
    match e {
        Expr::Or(a, b) | Expr::And(a, b) => mentions(a, name) || mentions(b, name),
        Expr::Not(a) => mentions(a, name),
        Expr::Present(r) | Expr::Compare(r, _, _) => r.ext.is_none() && r.attr.name == name,
        Expr::Any(r, _) => r.ext.is_none() && r.attr.name == name,
    }
}

fn lookup(kind: ResourceKind, e: &Expr) -> Option<Lookup> {
    match e {
        Expr::And(a, b) => lookup(kind, a).or_else(|| lookup(kind, b)),
        Expr::Compare(r, CompareOp::Eq, Literal::Str(v)) if r.ext.is_none() => {
            match (kind, r.attr.name, r.sub.map(|s| s.name)) {
                (_, "id", None) => Some(Lookup::Id(v.clone())),
                (_, "externalId", None) => Some(Lookup::ExternalId(v.clone())),
                (ResourceKind::User, "userName", None) => Some(Lookup::UserName(v.clone())),
                (ResourceKind::Group, "displayName", None) => Some(Lookup::DisplayName(v.clone())),
                (ResourceKind::User, "emails", Some("value")) => Some(Lookup::Email(v.clone())),
                _ => None,
            }
        }
        Expr::Any(r, inner) if kind == ResourceKind::User && r.attr.name == "emails" => {
            email_value(inner)
        }
        _ => None,
    }
}

/// `value eq "…"` inside `emails[…]`, alone or on one side of an `and`.
fn email_value(e: &Expr) -> Option<Lookup> {
    match e {
        Expr::And(a, b) => email_value(a).or_else(|| email_value(b)),
        Expr::Compare(r, CompareOp::Eq, Literal::Str(v)) if r.attr.name == "value" => {
            Some(Lookup::Email(v.clone()))
        }
        _ => None,
    }
}

// ---- Evaluation.

/// `obj[name]`: the canonical spelling first, then any case (documents from elsewhere).
pub(crate) fn get<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The values of `r.attr` in `obj` (each element of a multi-valued attribute).
fn elements<'a>(r: &AttrRef, obj: &'a Value) -> Vec<&'a Value> {
    let container = match r.ext {
        Some(ext) => get(obj, ext.id),
        None => Some(obj),
    };
    match container.and_then(|c| get(c, r.attr.name)) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
    }
}

/// The values `r` names in `obj`: its elements, or their sub-attribute.
fn values<'a>(r: &AttrRef, obj: &'a Value) -> Vec<&'a Value> {
    let els = elements(r, obj);
    match r.sub {
        None => els,
        Some(sub) => els
            .into_iter()
            .filter_map(|e| get(e, sub.name))
            .filter(|v| !v.is_null())
            .collect(),
    }
}

pub(crate) fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(non_empty),
        Value::Object(o) => o.values().any(non_empty),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

pub(crate) fn eval(e: &Expr, obj: &Value) -> bool {
    match e {
        Expr::Or(a, b) => eval(a, obj) || eval(b, obj),
        Expr::And(a, b) => eval(a, obj) && eval(b, obj),
        Expr::Not(a) => !eval(a, obj),
        Expr::Present(r) => values(r, obj).into_iter().any(non_empty),
        Expr::Compare(r, CompareOp::Eq, Literal::Null) => {
            !values(r, obj).into_iter().any(non_empty)
        }
        Expr::Compare(r, CompareOp::Ne, Literal::Null) => values(r, obj).into_iter().any(non_empty),
        Expr::Compare(r, CompareOp::Ne, lit) => !values(r, obj)
            .into_iter()
            .any(|v| compare(r.leaf(), v, CompareOp::Eq, lit)),
        Expr::Compare(r, op, lit) => values(r, obj)
            .into_iter()
            .any(|v| compare(r.leaf(), v, *op, lit)),
        Expr::Any(r, inner) => elements(r, obj).into_iter().any(|el| eval(inner, el)),
    }
}

fn order<T: PartialOrd>(a: T, b: T, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn text_compare(a: &str, b: &str, case_exact: bool, op: CompareOp) -> bool {
    let (a, b) = if case_exact {
        (a.to_owned(), b.to_owned())
    } else {
        (a.to_lowercase(), b.to_lowercase())
    };
    match op {
        CompareOp::Co => a.contains(&b),
        CompareOp::Sw => a.starts_with(&b),
        CompareOp::Ew => a.ends_with(&b),
        other => order(a.as_str(), b.as_str(), other),
    }
}

fn compare(def: &Attribute, v: &Value, op: CompareOp, lit: &Literal) -> bool {
    match (def.kind, lit) {
        (AttributeType::Boolean, Literal::Bool(b)) => v.as_bool().is_some_and(|x| order(x, *b, op)),
        (AttributeType::Integer | AttributeType::Decimal, Literal::Number(n)) => {
            v.as_f64().is_some_and(|x| order(x, *n, op))
        }
        (AttributeType::DateTime, Literal::Date(t, text)) => {
            let Some(s) = v.as_str() else { return false };
            if op.is_substring() {
                return text_compare(s, text, false, op);
            }
            OffsetDateTime::parse(s, &Rfc3339).is_ok_and(|x| order(x, *t, op))
        }
        (_, Literal::Str(s)) => v
            .as_str()
            .is_some_and(|x| text_compare(x, s, def.case_exact, op)),
        _ => false,
    }
}

// ---- PATCH paths.

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
