//! Evaluating a parsed filter against a resource (or, inside `[…]`, one value of an attribute).

use super::{CompareOp, Expr, Literal};
use crate::schema::{AttrRef, Attribute, AttributeType};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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
