//! Who authorized: read from an ID token's claims or a userinfo answer. Pure.
//!
//! The ID token's signature is not checked: it came straight from the token endpoint over the connection
//! Roster opened (OpenID Connect Core 1.0 §3.1.3.7, item 6 allows TLS server validation instead). Its
//! audience and nonce are checked, so a token minted for another client or another sign-in is refused.

use base64::Engine;
use serde_json::Value;

/// The ID token's claims, after checking `aud` is `client_id` and `nonce` is the one sent (when one was).
pub(crate) fn id_token_claims(
    jwt: &str,
    client_id: &str,
    nonce: Option<&str>,
) -> Result<Value, String> {
    let mut parts = jwt.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(p), Some(_), None) => p,
        _ => return Err("the ID token is not a JWT".into()),
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "the ID token's claims are not base64url".to_string())?;
    let claims: Value = serde_json::from_slice(&bytes)
        .map_err(|_| "the ID token's claims are not JSON".to_string())?;
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err("the ID token was issued to another application".into());
    }
    if let Some(n) = nonce {
        if claims.get("nonce").and_then(Value::as_str) != Some(n) {
            return Err("the ID token does not belong to this sign-in (nonce mismatch)".into());
        }
    }
    Ok(claims)
}

/// The best name for who authorized: their sign-in name (`preferred_username`, then `email`), else their
/// display name.
pub(crate) fn who(claims: &Value) -> Option<String> {
    ["preferred_username", "email", "upn", "name"]
        .iter()
        .filter_map(|k| claims.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &Value) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            b.encode(br#"{"alg":"HS256"}"#),
            b.encode(claims.to_string())
        )
    }

    #[test]
    fn audience_and_nonce_are_checked() {
        let t =
            jwt(&serde_json::json!({"aud": "app", "nonce": "n1", "email": "a@b.c", "name": "A B"}));
        let c = id_token_claims(&t, "app", Some("n1")).unwrap();
        assert_eq!(who(&c).as_deref(), Some("a@b.c"));
        assert!(id_token_claims(&t, "other", Some("n1")).is_err());
        assert!(id_token_claims(&t, "app", Some("n2")).is_err());
        assert!(id_token_claims("not-a-jwt", "app", None).is_err());
        let arr = jwt(&serde_json::json!({"aud": ["x", "app"], "name": "Only Name"}));
        let c = id_token_claims(&arr, "app", None).unwrap();
        assert_eq!(who(&c).as_deref(), Some("Only Name"));
    }

    #[test]
    fn preferred_username_comes_first() {
        let c =
            serde_json::json!({"preferred_username": "ada@x", "email": "other@x", "name": "Ada"});
        assert_eq!(who(&c).as_deref(), Some("ada@x"));
        assert_eq!(who(&serde_json::json!({"name": " "})), None);
    }
}
