//! Tokens the emulated authorization servers issue and the emulated APIs check: opaque random strings with
//! a lifetime, refresh tokens that rotate, and revocation (an admin withdrawing consent).

use base64::Engine;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who a token was issued to and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The client (app registration) it was issued to.
    pub client_id: String,
    /// The directory person who consented (their id in [`crate::Directory`]).
    pub subject: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// Why a token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Never issued (or garbled).
    Unknown,
    /// Past its lifetime.
    Expired,
    /// Consent was revoked.
    Revoked,
}

/// A token response's contents.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Access token.
    pub access_token: String,
    /// Refresh token (rotated on every refresh).
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Default)]
struct Inner {
    access: HashMap<String, (Grant, Instant)>,
    refresh: HashMap<String, Grant>,
    revoked: bool,
}

/// The token registry of one emulator.
#[derive(Debug)]
pub struct Tokens {
    inner: Mutex<Inner>,
    lifetime_secs: AtomicU64,
}

fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

impl Tokens {
    /// A registry whose access tokens live `lifetime_secs`.
    pub fn new(lifetime_secs: u64) -> Tokens {
        Tokens {
            inner: Mutex::new(Inner::default()),
            lifetime_secs: AtomicU64::new(lifetime_secs),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_lifetime(&self, secs: u64) {
        self.lifetime_secs.store(secs, Ordering::SeqCst);
    }

    /// Issues an access and a refresh token for `grant` (consent succeeded). Consent given again after a
    /// revocation is valid again.
    pub fn issue(&self, grant: Grant) -> Issued {
        let mut inner = self.lock();
        inner.revoked = false;
        Self::issue_locked(&mut inner, grant, self.lifetime_secs.load(Ordering::SeqCst))
    }

    fn issue_locked(inner: &mut Inner, grant: Grant, lifetime: u64) -> Issued {
        let access_token = random_token("at.");
        let refresh_token = random_token("rt.");
        inner.access.insert(
            access_token.clone(),
            (
                grant.clone(),
                Instant::now() + Duration::from_secs(lifetime),
            ),
        );
        inner.refresh.insert(refresh_token.clone(), grant);
        Issued {
            access_token,
            refresh_token,
            expires_in: lifetime,
        }
    }

    /// Checks an access token presented to an API.
    pub fn check(&self, access_token: &str) -> Result<Grant, Rejection> {
        let inner = self.lock();
        match inner.access.get(access_token) {
            None if inner.revoked => Err(Rejection::Revoked),
            None => Err(Rejection::Unknown),
            Some((g, until)) => {
                if Instant::now() >= *until {
                    Err(Rejection::Expired)
                } else {
                    Ok(g.clone())
                }
            }
        }
    }

    /// Redeems a refresh token for new tokens; the old refresh token stops working (rotation).
    pub fn refresh(&self, refresh_token: &str, client_id: &str) -> Result<Issued, Rejection> {
        let mut inner = self.lock();
        if inner.revoked {
            return Err(Rejection::Revoked);
        }
        match inner.refresh.get(refresh_token) {
            Some(g) if g.client_id == client_id => {}
            _ => return Err(Rejection::Unknown),
        }
        let grant = inner
            .refresh
            .remove(refresh_token)
            .ok_or(Rejection::Unknown)?;
        let lifetime = self.lifetime_secs.load(Ordering::SeqCst);
        Ok(Self::issue_locked(&mut inner, grant, lifetime))
    }

    /// Honours a refresh token issued by an earlier run of this emulator (the offline demo restarts with
    /// the app; the real vendors remember consents across restarts, and so must the demo).
    pub fn adopt_refresh(&self, refresh_token: &str, grant: Grant) {
        let mut inner = self.lock();
        inner.revoked = false;
        inner.refresh.insert(refresh_token.to_string(), grant);
    }

    /// The admin withdrew consent: every access and refresh token stops working.
    pub fn revoke_all(&self) {
        let mut inner = self.lock();
        inner.access.clear();
        inner.refresh.clear();
        inner.revoked = true;
    }

    /// Every access token issued so far expires now (refresh tokens keep working).
    pub fn expire_access(&self) {
        let now = Instant::now();
        for (_, until) in self.lock().access.values_mut() {
            *until = now;
        }
    }

    /// Issues an access token directly, without a consent flow (tests and benchmarks of the APIs alone).
    pub fn mint(&self, client_id: &str, subject: &str, scopes: &[&str]) -> String {
        self.issue(Grant {
            client_id: client_id.to_string(),
            subject: subject.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        })
        .access_token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_rotate_and_revoke() {
        let t = Tokens::new(3600);
        let g = Grant {
            client_id: "c".into(),
            subject: "s".into(),
            scopes: vec![],
        };
        let i = t.issue(g.clone());
        assert_eq!(t.check(&i.access_token), Ok(g.clone()));
        assert_eq!(t.check("nope"), Err(Rejection::Unknown));
        t.expire_access();
        assert_eq!(t.check(&i.access_token), Err(Rejection::Expired));
        assert_eq!(
            t.refresh(&i.refresh_token, "other").map(|_| ()).err(),
            Some(Rejection::Unknown),
            "a refresh token works only for its own client"
        );
        let j = t.refresh(&i.refresh_token, "c").unwrap();
        assert!(t.check(&j.access_token).is_ok());
        assert!(
            t.refresh(&i.refresh_token, "c").is_err(),
            "refresh tokens rotate"
        );
        t.revoke_all();
        assert_eq!(t.check(&j.access_token), Err(Rejection::Revoked));
        assert_eq!(
            t.refresh(&j.refresh_token, "c").map(|_| ()).err(),
            Some(Rejection::Revoked)
        );
    }
}
