//! A request's parameters: decoded from the query string, a form body or a JSON body into one
//! multi-map, with the canonical form Duo signs ([`Params::canonical`]) and typed accessors
//! ([`typed`]) that fail the way Duo does: 40002 "Invalid request parameters" with the parameter's name
//! as `message_detail`.

pub mod codec;
pub mod typed;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::DuoError;

/// A multi-map of decoded parameter names to their values, in the order each name's values arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: BTreeMap<String, Vec<String>>,
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Params::default()
    }

    /// From `(name, value)` pairs, as given (nothing decoded).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut params = Params::new();
        for (k, v) in pairs {
            params.insert(k, v);
        }
        params
    }

    /// From a raw query string (without the `?`): `+` is a space, `%XX` decoded. A name or value that
    /// is not UTF-8 is 40002 naming it.
    pub fn from_query(query: &str) -> Result<Self, DuoError> {
        codec::split_pairs(query)
            .map(Params::from_pairs)
            .map_err(|name| DuoError::invalid_param(&name))
    }

    /// From an `application/x-www-form-urlencoded` body; like [`Params::from_query`].
    pub fn from_form(body: &[u8]) -> Result<Self, DuoError> {
        let text = std::str::from_utf8(body).map_err(|_| DuoError::invalid_param("body"))?;
        Params::from_query(text)
    }

    /// From a JSON body, which must be an object. Strings are taken as they are; numbers and booleans
    /// as their JSON text (`5`, `true`); arrays and objects as their compact JSON text (so
    /// `username_list` may be a real array); `null` as an absent parameter.
    pub fn from_json(body: &[u8]) -> Result<Self, DuoError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|_| DuoError::invalid_param("body"))?;
        let Value::Object(object) = value else {
            return Err(DuoError::invalid_param("body"));
        };
        let mut params = Params::new();
        for (key, value) in object {
            match value {
                Value::Null => {}
                Value::String(s) => params.insert(key, s),
                other => params.insert(key, other.to_string()),
            }
        }
        Ok(params)
    }

    /// Adds one value for `name`.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.entries
            .entry(name.into())
            .or_default()
            .push(value.into());
    }

    /// Adds every value of `other`.
    pub fn extend(&mut self, other: Params) {
        for (name, values) in other.entries {
            self.entries.entry(name).or_default().extend(values);
        }
    }

    /// Every value given for `name` (empty when absent).
    pub fn all(&self, name: &str) -> &[String] {
        self.entries.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `name` was given at all.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The names given, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Whether no parameter was given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Duo's canonical parameter line: each name and value encoded ([`codec::encode_canonical`]),
    /// sorted by encoded name and then encoded value, `name=value` joined with `&`; empty when there
    /// are none. The order is on the encoded text, as duo_client sorts it, not on the raw text.
    pub fn canonical(&self) -> String {
        let mut names: Vec<(String, &Vec<String>)> = self
            .entries
            .iter()
            .map(|(name, values)| (codec::encode_canonical(name), values))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let mut pairs = Vec::new();
        for (name, values) in names {
            let mut encoded: Vec<String> =
                values.iter().map(|v| codec::encode_canonical(v)).collect();
            encoded.sort();
            pairs.extend(encoded.into_iter().map(|v| format!("{name}={v}")));
        }
        pairs.join("&")
    }

    /// 40002 naming the first parameter (by name) that the endpoint does not accept. `accepted` lists
    /// names; one ending in `*` accepts every name with that prefix (`custom_attributes.*`).
    pub fn reject_unknown(&self, accepted: &[&str]) -> Result<(), DuoError> {
        let known = |name: &str| {
            accepted.iter().any(|a| match a.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix) && name.len() > prefix.len(),
                None => *a == name,
            })
        };
        match self.names().find(|name| !known(name)) {
            Some(unknown) => Err(DuoError::invalid_param(unknown)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
