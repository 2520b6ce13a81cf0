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

mod eval;
mod lex;
mod parse;

pub(crate) use eval::{eval, non_empty};
pub(crate) use parse::{parse_path, PatchPath};

use crate::error::ScimError;
use crate::schema::{AttrRef, ResourceKind};
use serde_json::Value;
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

impl Filter {
    /// Parses `input` for resources of `kind`. Errors are 400 `invalidFilter` with the position and
    /// what was expected there.
    pub fn parse(kind: ResourceKind, input: &str) -> Result<Filter, ScimError> {
        let expr = parse::filter(kind, input)?;
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
