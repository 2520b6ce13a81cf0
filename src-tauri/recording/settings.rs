//! Settings' part of the recorded session: the server's settings (moved to another port, a bad address
//! refused) and Admin API applications (created with its secret shown once, used by a signed request so
//! that "last used" shows, grants changed, the secret reset, another deleted); and what an operator who
//! is not an Owner is told.

use super::Recorder;
use serde_json::{json, Value};

/// The server settings as the window sends them, listening on `listen`.
fn setup(listen: &str) -> Value {
    json!({"listen": listen, "tls": "none", "cert_pem": "", "key_pem": "", "host_names": [], "public_origin": ""})
}

/// The Owner's part (the server is serving: SCIM started it).
pub(super) fn record(r: &mut Recorder) {
    r.later(3);
    r.ok("server_settings", json!({}));
    r.ok("server_status", json!({}));
    r.ok("api_grants", json!({}));
    r.ok("api_list", json!({}));
    r.err(
        "api_create",
        json!({"name": "", "grants": ["read_resource"]}),
    );
    let keys = r.ok(
        "api_create",
        json!({"name": "Reports script", "grants": ["read_resource", "read_log"]}),
    );
    r.ok("api_list", json!({}));
    let origin = r.ok("server_status", json!({}))["origin"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, users) =
        crate::tests::adminapi::call(&origin, &keys, "GET", "/admin/v1/users", &[("limit", "1")]);
    assert_eq!(code, 200, "{users}");
    r.later(1);
    r.ok("api_list", json!({}));
    let ikey = keys["ikey"].clone();
    r.ok(
        "api_set_grants",
        json!({"ikey": ikey, "grants": ["read_resource", "read_log", "write_resource"]}),
    );
    r.ok("api_reset_secret", json!({"ikey": ikey}));
    let other = r.ok(
        "api_create",
        json!({"name": "Old script", "grants": ["admins"]}),
    );
    r.ok("api_delete", json!({"ikey": other["ikey"]}));
    r.ok("api_list", json!({}));
    r.err("server_configure", json!({"settings": setup("localhost")}));
    r.ok(
        "server_configure",
        json!({"settings": setup("127.0.0.1:0")}),
    );
    r.ok("server_settings", json!({}));
}

/// What a User Manager is refused.
pub(super) fn refused(r: &mut Recorder) {
    r.err("api_list", json!({}));
    r.err(
        "server_configure",
        json!({"settings": setup("127.0.0.1:0")}),
    );
}
