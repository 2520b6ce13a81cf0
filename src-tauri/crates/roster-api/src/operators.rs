//! A tenant's operators (its administrators, synced or added by hand, with Duo's roles) and its custom
//! roles. Only the Owner manages them; anyone may list them.

use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use rand::RngCore;
use roster_core::access::{CustomRole, DirectoryConfig, Permission, RunSyncs};
use roster_core::{Admin, AdminId, AdminRole, AdminStatus};

/// Checks an operator's email: its key in the tenant.
pub(crate) fn check_email(email: &str) -> Result<String> {
    let e = email.trim();
    let ok = e.len() <= 256
        && e.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(ApiError::validation(format!(
            "\"{e}\" is not an email address. An administrator is known by their email, such as ana@example.org."
        )));
    }
    Ok(e.to_string())
}

/// A role given as text: one of Duo's role names (case-sensitive, as in Duo), else a custom role's name.
fn role_of(session: &Session<'_>, text: &str) -> Result<(AdminRole, Option<String>)> {
    if let Some(r) = AdminRole::parse(text.trim()) {
        return Ok((r, None));
    }
    let custom = session.tenant.store.roles()?;
    match custom
        .into_iter()
        .find(|c| c.name.eq_ignore_ascii_case(text.trim()))
    {
        Some(c) => Ok((AdminRole::ReadOnly, Some(c.name))),
        None => {
            let names: Vec<&str> = AdminRole::ALL.iter().map(|r| r.as_str()).collect();
            Err(ApiError::validation(format!(
                "\"{text}\" is neither one of Duo's roles ({}) nor a custom role of this tenant. Create custom roles with `rosterctl role create`.",
                names.join(", ")
            )))
        }
    }
}

fn operator_json(o: roster_store::Operator) -> json::Operator {
    json::Operator::from_store(o)
}

impl Session<'_> {
    /// The tenant's operators, by email.
    pub fn list_operators(&self) -> Result<Vec<json::Operator>> {
        self.require(Permission::View)?;
        Ok(self
            .tenant
            .store
            .operators()?
            .into_iter()
            .map(operator_json)
            .collect())
    }

    /// Adds an operator by hand, with one of Duo's roles or a custom role.
    pub fn add_operator(&self, email: &str, name: &str, role: &str) -> Result<json::Operator> {
        self.require(Permission::ManageOperators)?;
        let email = check_email(email)?;
        let name = crate::names::check_name("administrator", name)?;
        let (role, custom) = role_of(self, role)?;
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let admin = Admin {
            id: AdminId::derive(&roster_core::DirectoryKey::from_random(b), &email),
            name,
            email: email.clone(),
            phone: None,
            role,
            status: AdminStatus::Active,
            managed_by: None,
            external_id: None,
            last_directory_sync: None,
            left_at: None,
        };
        let audit = self.operator_audit(
            "admin_create",
            &email,
            serde_json::json!({"name": admin.name, "role": custom.as_deref().unwrap_or(admin.role.as_str())}),
        );
        self.tenant
            .store
            .add_operator(&admin, custom.as_deref(), self.now(), Some(&audit))?;
        self.operator(&email)
    }

    /// Gives an operator added by hand another role.
    pub fn set_operator_role(&self, email: &str, role: &str) -> Result<json::Operator> {
        self.require(Permission::ManageOperators)?;
        let (role, custom) = role_of(self, role)?;
        let audit = self.operator_audit(
            "admin_update",
            email,
            serde_json::json!({"role": custom.as_deref().unwrap_or(role.as_str())}),
        );
        self.tenant
            .store
            .set_operator_role(email, role, custom.as_deref(), Some(&audit))?;
        self.operator(email)
    }

    /// Activates or disables an operator added by hand: a disabled operator cannot act (`--as`). Owners
    /// cannot be disabled (as in Duo); "Expired" and "Pending Activation" are not set by hand.
    pub fn set_operator_status(&self, email: &str, status: AdminStatus) -> Result<json::Operator> {
        self.require(Permission::ManageOperators)?;
        match status {
            AdminStatus::Active | AdminStatus::Disabled => {}
            AdminStatus::Expired | AdminStatus::PendingActivation => {
                return Err(ApiError::validation(format!(
                    "An administrator's status is set by hand to Active or Disabled only, not \"{}\".",
                    status.as_str()
                )))
            }
        }
        let audit = self.operator_audit(
            "admin_update",
            email,
            serde_json::json!({"status": status.as_str()}),
        );
        self.tenant
            .store
            .set_operator_status(email, status, Some(&audit))?;
        self.operator(email)
    }

    /// Removes an operator added by hand.
    pub fn remove_operator(&self, email: &str) -> Result<()> {
        self.require(Permission::ManageOperators)?;
        let audit = self.operator_audit("admin_delete", email, serde_json::json!({}));
        Ok(self.tenant.store.remove_operator(email, Some(&audit))?)
    }

    pub(crate) fn operator(&self, email: &str) -> Result<json::Operator> {
        self.tenant
            .store
            .operator(email)?
            .map(operator_json)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "There is no administrator with the email {email} in this tenant."
                ))
            })
    }

    /// The tenant's custom roles.
    pub fn list_roles(&self) -> Result<Vec<CustomRole>> {
        self.require(Permission::View)?;
        Ok(self.tenant.store.roles()?)
    }

    /// Creates a custom role with the seed's two directory permissions.
    pub fn create_role(
        &self,
        name: &str,
        directory_config: DirectoryConfig,
        run_syncs: RunSyncs,
    ) -> Result<CustomRole> {
        self.require(Permission::ManageOperators)?;
        let name = crate::names::check_name("role", name)?;
        if AdminRole::ALL
            .iter()
            .any(|r| r.as_str().eq_ignore_ascii_case(&name))
        {
            return Err(ApiError::validation(format!(
                "\"{name}\" is one of Duo's roles. Give the custom role another name."
            )));
        }
        let role = CustomRole {
            name,
            directory_config,
            run_syncs,
        };
        let audit = self.operator_audit(
            "role_create",
            &role.name,
            serde_json::to_value(&role).unwrap_or_default(),
        );
        self.tenant
            .store
            .add_role(&role, self.now(), Some(&audit))?;
        Ok(role)
    }
}

impl Session<'_> {
    /// A page of the tenant's operators (synced and added by hand), searched, filtered and sorted by the
    /// store.
    pub fn operators_page(
        &self,
        filter: &json::OperatorFilter,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::Operator>> {
        use roster_store::OperatorSort as S;
        self.require(Permission::View)?;
        let q = roster_store::OperatorQuery {
            text: &filter.query,
            status: filter.status,
            managed: crate::lists::managed(&filter.managed),
            sort: match filter.sort {
                json::OperatorSort::Email => S::Email,
                json::OperatorSort::Name => S::Name,
                json::OperatorSort::Role => S::Role,
                json::OperatorSort::Status => S::Status,
                json::OperatorSort::ManagedBy => S::ManagedBy,
            },
            descending: filter.descending,
        };
        let (rows, total) = self
            .tenant
            .store
            .operators_page(&q, offset, limit.clamp(1, 1000))?;
        Ok(json::Page {
            total: Some(total),
            next: None,
            rows: rows.into_iter().map(json::Operator::from_store).collect(),
        })
    }

    /// One operator, by email.
    pub fn operator_detail(&self, email: &str) -> Result<json::Operator> {
        self.require(Permission::View)?;
        self.operator(email)
    }
}
