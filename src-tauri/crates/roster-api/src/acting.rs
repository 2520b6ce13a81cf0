//! Who acts in the window: operators' local passphrases (stored as Argon2id PHC hashes, never as
//! passphrases) and switching the acting operator.
//!
//! The rule for switching (from the operator acting now to `target`, an active operator):
//! - an Owner may switch to anyone without a passphrase ("view as": to check what a User Manager sees);
//! - anyone may switch to an operator that has a local passphrase, by entering it;
//! - anyone may switch back to the tenant's first Owner (who the window acts as by default) when that
//!   Owner has no passphrase; with one, it must be entered like any other.
//!
//! The window keeps the resulting [`Caller`] and builds every command's session from it; the rule lives
//! here so every front door that offers a switch applies the same one.

use crate::error::{ApiError, Code, Result};
use crate::json;
use crate::session::{Caller, Session, TenantHandle};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use roster_core::access::{Authority, Permission};
use roster_core::{AdminRole, AdminStatus};

/// Shortest local passphrase accepted.
pub const PASSPHRASE_MIN: usize = 8;
/// Longest local passphrase accepted (hashing cost grows with it).
pub const PASSPHRASE_MAX: usize = 1024;

/// The Argon2id PHC string of `passphrase`, with a random salt.
fn hash(passphrase: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| {
        ApiError::new(
            Code::Unknown,
            format!("The passphrase could not be salted: {e}."),
        )
    })?;
    Argon2::default()
        .hash_password(passphrase.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            ApiError::new(
                Code::Unknown,
                format!("The passphrase could not be hashed: {e}."),
            )
        })
}

/// Whether `passphrase` is the one `phc` was made from.
fn verify(passphrase: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(passphrase.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn check_passphrase(p: &str) -> Result<()> {
    let n = p.chars().count();
    if n < PASSPHRASE_MIN {
        return Err(ApiError::validation(format!(
            "A local passphrase has at least {PASSPHRASE_MIN} characters. Nothing was changed."
        )));
    }
    if n > PASSPHRASE_MAX {
        return Err(ApiError::validation(format!(
            "A local passphrase has at most {PASSPHRASE_MAX} characters. Nothing was changed."
        )));
    }
    Ok(())
}

fn is_owner(a: &Authority) -> bool {
    *a == Authority::Role {
        role: AdminRole::Owner,
    }
}

impl Session<'_> {
    /// Sets (`Some`) or clears (`None`) an operator's local passphrase. The operator themself may, and an
    /// Owner may for anyone. Only the Argon2id hash is stored.
    pub fn set_operator_passphrase(
        &self,
        email: &str,
        passphrase: Option<&str>,
    ) -> Result<json::Operator> {
        let own = self
            .acting
            .email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()));
        if !own {
            self.require(Permission::ManageOperators)?;
        }
        self.operator(email)?;
        let phc = match passphrase {
            Some(p) => {
                check_passphrase(p)?;
                Some(hash(p)?)
            }
            None => None,
        };
        self.tenant
            .store
            .set_operator_passphrase(email, phc.as_deref())?;
        self.operator(email)
    }

    /// The operators the window may switch to from who acts now (see the module's rule), the current
    /// one first.
    pub fn switch_targets(&self) -> Result<Vec<json::SwitchTarget>> {
        self.require(Permission::View)?;
        let store = &self.tenant.store;
        let first = store.first_owner()?.map(|o| o.admin.email);
        let owner = is_owner(&self.acting.authority);
        let mut out = Vec::new();
        for o in store.operators()? {
            if o.admin.status != AdminStatus::Active {
                continue;
            }
            let current = self
                .acting
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&o.admin.email));
            let is_first = first.as_deref() == Some(o.admin.email.as_str());
            if !(current || owner || o.has_passphrase || is_first) {
                continue;
            }
            let op = json::Operator::from_store(o);
            out.push(json::SwitchTarget {
                needs_passphrase: !current && !owner && op.has_passphrase,
                role_name: op.role_name,
                email: op.email,
                name: op.name,
                current,
            });
        }
        out.sort_by_key(|t| !t.current);
        Ok(out)
    }
}

impl TenantHandle<'_> {
    /// Switches who the window acts as, from `current` to the operator `target`, by the module's rule.
    /// Returns the caller to keep (the first Owner is [`Caller::Local`]) and who it acts as.
    pub fn switch_operator(
        &self,
        current: &Caller,
        target: &str,
        passphrase: Option<&str>,
    ) -> Result<(Caller, json::ActingAs)> {
        let store = &self.tenant.store;
        let first = store.first_owner()?.map(|o| o.admin.email);
        let is_first = first
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(target.trim()));
        let caller = if is_first {
            Caller::Local
        } else {
            Caller::As(target.trim().to_string())
        };
        // Exists and is active, or refused with the reason.
        let next = self.as_caller(&caller)?;
        // Who acts now; one who can no longer act (removed, disabled) switches like anyone without a role.
        let now = self.as_caller(current).ok();
        let same = now
            .as_ref()
            .is_some_and(|s| s.acting.email == next.acting.email);
        let owner = now.as_ref().is_some_and(|s| is_owner(&s.acting.authority));
        let target_email = next.acting.email.clone().unwrap_or_default();
        let phc = store.operator_passphrase(&target_email)?;
        if !(same || owner) {
            match (phc, passphrase) {
                (Some(phc), Some(p)) => {
                    if !verify(p, &phc) {
                        return Err(ApiError::new(
                            Code::Forbidden,
                            format!("That is not {target_email}'s passphrase. You still act as before; try again."),
                        ));
                    }
                }
                (Some(_), None) => {
                    return Err(ApiError::validation(format!(
                        "Enter {target_email}'s local passphrase to act as them."
                    )))
                }
                (None, _) if is_first => {}
                (None, _) => {
                    return Err(ApiError::new(
                        Code::Forbidden,
                        format!(
                            "{target_email} has no local passphrase, so only an Owner can act as them (\"view as\"). Ask an Owner to set a passphrase for them in Administrators, or switch from an Owner."
                        ),
                    ))
                }
            }
        }
        Ok((caller, next.acting_as()))
    }
}
