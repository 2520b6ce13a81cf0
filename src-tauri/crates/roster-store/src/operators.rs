//! Operators: the people who act in a tenant (its administrators, synced or added by hand, with Duo's
//! roles) and the tenant's custom roles. The application layer checks their permissions; this module only
//! reads and writes them.
//!
//! Invariants: a tenant always has an active Owner (the last one cannot be removed, demoted or disabled);
//! an administrator a sync manages has its name, role and status from the directory, so they are not
//! changed here; an operator with a custom role has the built-in role Read-only underneath.

use crate::{Result, Store, StoreError};
use roster_core::access::{Authority, CustomRole, DirectoryConfig, RunSyncs};
use roster_core::{Admin, AdminId, AdminRole, AdminStatus, DirectoryKey, Timestamp};
use rusqlite::{params, OptionalExtension, Row};

/// An operator: an administrator and what it acts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The administrator.
    pub admin: Admin,
    /// Its role, or its custom role.
    pub authority: Authority,
    /// The name of the sync that manages it, if one does.
    pub managed_by_name: Option<String>,
    /// Whether it has a local passphrase (the hash itself is read only to check one).
    pub has_passphrase: bool,
}

pub(crate) const COLUMNS: &str = "a.id, a.name, a.email, a.phone, a.role, a.status, a.managed_by, a.external_id, a.last_directory_sync, a.left_at,
    r.name, r.directory_config, r.run_syncs, d.name, a.passphrase_hash IS NOT NULL";

pub(crate) const FROM: &str = "admins a LEFT JOIN roles r ON r.name = a.custom_role LEFT JOIN directories d ON d.key = a.managed_by";

fn bad(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
}

fn directory_config(s: &str) -> rusqlite::Result<DirectoryConfig> {
    match s {
        "all" => Ok(DirectoryConfig::All),
        "none" => Ok(DirectoryConfig::None),
        other => Err(bad("directory configuration", other)),
    }
}

fn run_syncs(s: &str) -> rusqlite::Result<RunSyncs> {
    match s {
        "all" => Ok(RunSyncs::All),
        "individual" => Ok(RunSyncs::Individual),
        "none" => Ok(RunSyncs::None),
        other => Err(bad("run syncs", other)),
    }
}

/// The stored names of a custom role's two permissions.
fn role_words(r: &CustomRole) -> (&'static str, &'static str) {
    (
        match r.directory_config {
            DirectoryConfig::All => "all",
            DirectoryConfig::None => "none",
        },
        match r.run_syncs {
            RunSyncs::All => "all",
            RunSyncs::Individual => "individual",
            RunSyncs::None => "none",
        },
    )
}

pub(crate) fn operator_row(r: &Row<'_>) -> rusqlite::Result<Operator> {
    let role: String = r.get(4)?;
    let status: String = r.get(5)?;
    let role = AdminRole::parse(&role).ok_or_else(|| bad("admin role", &role))?;
    let custom: Option<String> = r.get(10)?;
    let authority = match custom {
        Some(name) => Authority::Custom(CustomRole {
            name,
            directory_config: directory_config(&r.get::<_, String>(11)?)?,
            run_syncs: run_syncs(&r.get::<_, String>(12)?)?,
        }),
        None => Authority::Role { role },
    };
    Ok(Operator {
        admin: Admin {
            id: AdminId(r.get(0)?),
            name: r.get(1)?,
            email: r.get(2)?,
            phone: r.get(3)?,
            role,
            status: AdminStatus::parse(&status).ok_or_else(|| bad("admin status", &status))?,
            managed_by: r.get::<_, Option<String>>(6)?.map(DirectoryKey),
            external_id: r.get(7)?,
            last_directory_sync: r.get::<_, Option<i64>>(8)?.map(Timestamp),
            left_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
        },
        authority,
        managed_by_name: r.get(13)?,
        has_passphrase: r.get(14)?,
    })
}

impl Store {
    /// Every operator, by email.
    pub fn operators(&self) -> Result<Vec<Operator>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} ORDER BY a.email COLLATE NOCASE"
        ))?;
        let rows = st
            .query_map([], operator_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The operator with this email (case-insensitive).
    pub fn operator(&self, email: &str) -> Result<Option<Operator>> {
        let c = self.reader();
        let mut st =
            c.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE a.email = ?1"))?;
        Ok(st.query_row([email.trim()], operator_row).optional()?)
    }

    /// The tenant's first active Owner: who the desktop app and `rosterctl` act as unless told otherwise.
    pub fn first_owner(&self) -> Result<Option<Operator>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE a.role = 'Owner' AND a.custom_role IS NULL AND a.status = 'Active'
             ORDER BY a.created_at, a.id LIMIT 1"
        ))?;
        Ok(st.query_row([], operator_row).optional()?)
    }

    /// Adds an operator by hand (not managed by a sync).
    pub fn add_operator(
        &self,
        admin: &Admin,
        custom_role: Option<&str>,
        now: Timestamp,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |c| {
        c.execute(
            "INSERT INTO admins (id, name, email, phone, role, status, managed_by, external_id, last_directory_sync, left_at, created_at, custom_role)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, NULL, NULL, ?7, ?8)",
            params![
                admin.id.as_str(),
                admin.name,
                admin.email,
                admin.phone,
                admin.role.as_str(),
                admin.status.as_str(),
                now.0,
                custom_role
            ],
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(format!(
                "An administrator with the email {} already exists in this tenant, or the role does not. Check the list with `rosterctl operator list`.",
                admin.email
            )),
            _ => e.into(),
        })?;
        crate::records::bump_data_revision(c)
        })
    }

    /// Gives an operator added by hand another role (a built-in one, or a custom one).
    pub fn set_operator_role(
        &self,
        email: &str,
        role: AdminRole,
        custom_role: Option<&str>,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        let op = self.changeable(email)?;
        if op.admin.role == AdminRole::Owner && (role != AdminRole::Owner || custom_role.is_some())
        {
            self.not_the_last_owner(&op)?;
        }
        self.write_audited(audit, |c| {
            c.execute(
                "UPDATE admins SET role = ?2, custom_role = ?3 WHERE email = ?1",
                params![email.trim(), role.as_str(), custom_role],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::NotFound(format!(
                    "There is no custom role named \"{}\". List them with `rosterctl role list`.",
                    custom_role.unwrap_or_default()
                )),
                _ => e.into(),
            })?;
            crate::records::bump_data_revision(c)
        })
    }

    /// Activates or disables an operator added by hand. An Owner cannot be disabled (as in Duo): give them
    /// another role first, which keeps the tenant's last active Owner.
    pub fn set_operator_status(
        &self,
        email: &str,
        status: AdminStatus,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        let op = self.changeable(email)?;
        let owner = op.authority
            == Authority::Role {
                role: AdminRole::Owner,
            };
        if owner && status != AdminStatus::Active {
            return Err(StoreError::Conflict(format!(
                "{} is an Owner, and Owners cannot be disabled (as in Duo). Give them another role first, then disable them.",
                op.admin.email
            )));
        }
        self.write_audited(audit, |c| {
            c.execute(
                "UPDATE admins SET status = ?2 WHERE email = ?1",
                params![email.trim(), status.as_str()],
            )?;
            crate::records::bump_data_revision(c)
        })
    }

    /// Removes an operator added by hand.
    pub fn remove_operator(&self, email: &str, audit: Option<&crate::AuditEntry>) -> Result<()> {
        let op = self.changeable(email)?;
        if op.admin.role == AdminRole::Owner {
            self.not_the_last_owner(&op)?;
        }
        self.write_audited(audit, |c| {
            c.execute("DELETE FROM admins WHERE email = ?1", [email.trim()])?;
            crate::records::bump_data_revision(c)
        })
    }

    /// An operator that may be changed by hand: one that exists and that no sync manages.
    fn changeable(&self, email: &str) -> Result<Operator> {
        let op = self.operator(email)?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "There is no administrator with the email {email} in this tenant."
            ))
        })?;
        if let Some(sync) = &op.managed_by_name {
            return Err(StoreError::Conflict(format!(
                "{email} is managed by the directory sync \"{sync}\": its name, role and status come from the directory. Change them there, or in the sync's role mapping."
            )));
        }
        Ok(op)
    }

    fn not_the_last_owner(&self, op: &Operator) -> Result<()> {
        let owners: i64 = self.reader().query_row(
            "SELECT count(*) FROM admins WHERE role = 'Owner' AND custom_role IS NULL AND status = 'Active' AND email != ?1",
            [&op.admin.email],
            |r| r.get(0),
        )?;
        if owners == 0 {
            return Err(StoreError::Conflict(format!(
                "{} is this tenant's only Owner. Make someone else an Owner first.",
                op.admin.email
            )));
        }
        Ok(())
    }

    /// Every custom role, by name.
    pub fn roles(&self) -> Result<Vec<CustomRole>> {
        let c = self.reader();
        let mut st = c.prepare_cached(
            "SELECT name, directory_config, run_syncs FROM roles ORDER BY name COLLATE NOCASE",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(CustomRole {
                    name: r.get(0)?,
                    directory_config: directory_config(&r.get::<_, String>(1)?)?,
                    run_syncs: run_syncs(&r.get::<_, String>(2)?)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Adds a custom role.
    pub fn add_role(
        &self,
        role: &CustomRole,
        now: Timestamp,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        let (config, run) = role_words(role);
        self.write_audited(audit, |c| {
        c
            .execute(
                "INSERT INTO roles (name, directory_config, run_syncs, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![role.name, config, run, now.0],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(format!(
                    "A custom role named \"{}\" already exists. Choose another name.",
                    role.name
                )),
                _ => e.into(),
            })?;
        Ok(())
        })
    }
}
