//! Operators' local passphrases, and the operators as the window lists them (a page at a time, searched,
//! filtered and sorted by the database).
//!
//! Invariant: only a passphrase's hash (an Argon2id PHC string, made by the application layer) is ever
//! stored or read here; the passphrase itself never reaches the store.

use crate::operators::{operator_row, Operator, COLUMNS, FROM};
use crate::ManagedFilter;
use crate::{Result, Store, StoreError};
use roster_core::AdminStatus;
use rusqlite::{params_from_iter, types::Value, OptionalExtension};

/// What a list of operators is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorSort {
    /// Email.
    Email,
    /// Name.
    Name,
    /// Role (a custom role by its name).
    Role,
    /// Status.
    Status,
    /// The managing sync's name (added by hand first).
    ManagedBy,
}

/// Which operators a list shows, and in which order.
#[derive(Debug, Clone, Copy)]
pub struct OperatorQuery<'a> {
    /// Text found in the name or the email (case-insensitive); empty for all.
    pub text: &'a str,
    /// Only this status.
    pub status: Option<AdminStatus>,
    /// Only these operators.
    pub managed: ManagedFilter<'a>,
    /// Order.
    pub sort: OperatorSort,
    /// Reverse order.
    pub descending: bool,
}

impl Store {
    /// A page of operators matching `q`, and how many match in all.
    pub fn operators_page(
        &self,
        q: &OperatorQuery<'_>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Operator>, u64)> {
        let mut clauses = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        let text = q.text.trim();
        if !text.is_empty() {
            args.push(Value::Text(text.to_lowercase()));
            let n = args.len();
            clauses.push(format!(
                "(instr(lower(a.email), ?{n}) > 0 OR instr(lower(a.name), ?{n}) > 0)"
            ));
        }
        if let Some(s) = q.status {
            args.push(Value::Text(s.as_str().to_string()));
            clauses.push(format!("a.status = ?{}", args.len()));
        }
        match q.managed {
            ManagedFilter::Any => {}
            ManagedFilter::Unmanaged => clauses.push("a.managed_by IS NULL".into()),
            ManagedFilter::By(key) => {
                args.push(Value::Text(key.to_string()));
                clauses.push(format!("a.managed_by = ?{}", args.len()));
            }
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let column = match q.sort {
            OperatorSort::Email => "a.email COLLATE NOCASE",
            OperatorSort::Name => "a.name COLLATE NOCASE",
            OperatorSort::Role => "COALESCE(r.name, a.role) COLLATE NOCASE",
            OperatorSort::Status => "a.status",
            OperatorSort::ManagedBy => "COALESCE(d.name, '') COLLATE NOCASE",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let c = self.reader();
        let total: i64 = c.query_row(
            &format!("SELECT count(*) FROM {FROM} {filter}"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        args.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let (l, o) = (args.len() - 1, args.len());
        let mut st = c.prepare(&format!(
            "SELECT {COLUMNS} FROM {FROM} {filter} ORDER BY {column} {dir}, a.email COLLATE NOCASE {dir} LIMIT ?{l} OFFSET ?{o}"
        ))?;
        let rows = st
            .query_map(params_from_iter(args.iter()), operator_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    /// The operator's passphrase hash (a PHC string), if one is set.
    pub fn operator_passphrase(&self, email: &str) -> Result<Option<String>> {
        let c = self.reader();
        let hash: Option<Option<String>> = c
            .query_row(
                "SELECT passphrase_hash FROM admins WHERE email = ?1",
                [email.trim()],
                |r| r.get(0),
            )
            .optional()?;
        match hash {
            Some(h) => Ok(h),
            None => Err(StoreError::NotFound(format!(
                "There is no administrator with the email {email} in this tenant."
            ))),
        }
    }

    /// Sets (a PHC hash) or clears (`None`) an operator's local passphrase. Synced operators may have one:
    /// it is local to this computer, not something the directory manages.
    pub fn set_operator_passphrase(&self, email: &str, hash: Option<&str>) -> Result<()> {
        let n = self.writer().execute(
            "UPDATE admins SET passphrase_hash = ?2 WHERE email = ?1",
            rusqlite::params![email.trim(), hash],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no administrator with the email {email} in this tenant."
            )));
        }
        Ok(())
    }

    /// The deletion threshold (percent) a new sync starts with when its settings name none.
    pub fn default_deletion_threshold(&self) -> Result<u8> {
        let v: i64 = self.reader().query_row(
            "SELECT default_deletion_threshold_percent FROM tenant WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(u8::try_from(v.clamp(0, 100)).unwrap_or(10))
    }

    /// Sets the default deletion threshold for new syncs (0–100, checked by the caller).
    pub fn set_default_deletion_threshold(&self, percent: u8) -> Result<()> {
        self.writer().execute(
            "UPDATE tenant SET default_deletion_threshold_percent = ?1 WHERE id = 1",
            [percent],
        )?;
        Ok(())
    }
}
