//! Typed reads of [`Params`]. Every failure is Duo's 40002 with the parameter's name as
//! `message_detail`: missing when required, given twice, not the type asked for, or out of range.

use std::ops::RangeInclusive;

use serde_json::Value;

use super::Params;
use crate::error::DuoError;

impl Params {
    /// The one value of `name`, or `None` when absent; given more than once is 40002.
    pub fn str(&self, name: &str) -> Result<Option<&str>, DuoError> {
        match self.all(name) {
            [] => Ok(None),
            [one] => Ok(Some(one.as_str())),
            _ => Err(DuoError::invalid_param(name)),
        }
    }

    /// The one value of `name`; absent is 40002.
    pub fn required_str(&self, name: &str) -> Result<&str, DuoError> {
        self.str(name)?.ok_or_else(|| DuoError::invalid_param(name))
    }

    /// The one value of `name`, absent or empty is 40002 (a username, an email).
    pub fn required_non_empty(&self, name: &str) -> Result<&str, DuoError> {
        match self.required_str(name)? {
            "" => Err(DuoError::invalid_param(name)),
            value => Ok(value),
        }
    }

    /// `name` as a decimal integer inside `range`, or `None` when absent. Signs, spaces, fractions and
    /// values outside `range` are 40002.
    pub fn int(&self, name: &str, range: RangeInclusive<i64>) -> Result<Option<i64>, DuoError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DuoError::invalid_param(name));
        }
        match text.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(DuoError::invalid_param(name)),
        }
    }

    /// `name` as a boolean, or `None` when absent: `true`/`false` (any case) or `1`/`0`, the forms Duo's
    /// clients send; anything else is 40002.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, DuoError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(DuoError::invalid_param(name)),
        }
    }

    /// `name` when it is exactly one of `allowed` (Duo's enumerations are case-sensitive: `"locked
    /// out"`, `"Read-only"`), or `None` when absent; any other value is 40002.
    pub fn one_of<'a>(&self, name: &str, allowed: &[&'a str]) -> Result<Option<&'a str>, DuoError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| **a == text)
            .copied()
            .map(Some)
            .ok_or_else(|| DuoError::invalid_param(name))
    }

    /// `name` as a JSON array of strings (`username_list=["a","b"]`, as duo_client sends it), or `None`
    /// when absent. Not JSON, not an array, a non-string element, an empty array or more than `max`
    /// elements is 40002.
    pub fn json_str_list(&self, name: &str, max: usize) -> Result<Option<Vec<String>>, DuoError> {
        let Some(text) = self.str(name)? else {
            return Ok(None);
        };
        let bad = || DuoError::invalid_param(name);
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
            return Err(bad());
        };
        if items.is_empty() || items.len() > max {
            return Err(bad());
        }
        items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The parameters whose names start with `prefix` (`custom_attributes.`), as `(rest of the name,
    /// value)`; a name given twice is 40002.
    pub fn with_prefix(&self, prefix: &str) -> Result<Vec<(&str, &str)>, DuoError> {
        let mut found = Vec::new();
        for name in self.names() {
            if let Some(rest) = name.strip_prefix(prefix) {
                if let Some(value) = self.str(name)? {
                    found.push((rest, value));
                }
            }
        }
        Ok(found)
    }
}
