//! Replaying identity providers against the real `rosterctl serve`: one tenant, SCIM integrations made
//! with `rosterctl scim create`, a SCIM client that sends what Okta or Entra ID send, and Roster's state
//! read back through `rosterctl` itself (users, groups, trash, history).
//!
//! Bearer tokens stay inside [`Scim`] and [`Integration`]: neither implements `Debug`, and no assertion
//! message here shows a command's stdout where a token could be.

#![allow(dead_code)] // each test file uses what it needs

use crate::serving::{ctl, listening_on, serve, Serving};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// SCIM's media type.
pub const SCIM_JSON: &str = "application/scim+json";
/// The URN of a SCIM error body.
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The URN of a PATCH body.
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// What Okta's provisioning sends as `User-Agent` (Okta's SCIM 2.0 reference).
pub const OKTA_AGENT: &str = "Okta SCIM Client 1.0.0";
/// What Entra ID's provisioning service sends as `User-Agent`.
pub const ENTRA_AGENT: &str = "Microsoft.Identity.Provisioning";

/// One tenant ("Acme") in a temporary data directory, served by `rosterctl serve` on 127.0.0.1.
pub struct Rig {
    tmp: tempfile::TempDir,
    serving: Serving,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

/// A SCIM integration as `rosterctl scim create` made it.
pub struct Integration {
    pub key: String,
    pub name: String,
    token: String,
}

impl Rig {
    /// Creates the tenant and starts serving it.
    pub fn start() -> Rig {
        let tmp = tempfile::tempdir().unwrap();
        let out = with_secrets(tmp.path())
            .args(["tenant", "create", "Acme"])
            .output()
            .unwrap();
        assert!(out.status.success(), "tenant create: {out:?}");
        let (serving, line) = serve(with_secrets(tmp.path()), &["--listen", "127.0.0.1:0"]);
        let addr = listening_on(&line);
        Rig { tmp, serving, addr }
    }

    pub fn data_dir(&self) -> &Path {
        self.tmp.path()
    }

    /// `rosterctl --tenant Acme ARGS`, with the encrypted-file secret store.
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut c = with_secrets(self.tmp.path());
        c.args(["--tenant", "Acme"]).args(args);
        c
    }

    /// Runs `rosterctl --tenant Acme ARGS` (which prints no secret) and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.cli(args).output().unwrap();
        assert!(
            out.status.success(),
            "rosterctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "rosterctl {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Adds a SCIM integration. Its output holds the token, so a failure shows stderr only.
    pub fn integration(&self, name: &str, flavor: &str) -> Integration {
        let out = self
            .cli(&[
                "scim", "create", "--name", name, "--flavor", flavor, "--json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scim create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let (Some(key), Some(token)) = (v["directory_key"].as_str(), v["token"].as_str()) else {
            panic!("scim create printed no directory_key and token");
        };
        Integration {
            key: key.to_string(),
            name: name.to_string(),
            token: token.to_string(),
        }
    }

    /// Regenerates an integration's token: the integration with its new token.
    pub fn regenerate(&self, old: &Integration) -> Integration {
        let out = self
            .cli(&["scim", "regenerate", &old.key, "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scim regenerate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let Some(token) = v["token"].as_str() else {
            panic!("scim regenerate printed no token");
        };
        Integration {
            key: old.key.clone(),
            name: old.name.clone(),
            token: token.to_string(),
        }
    }

    /// A SCIM client for `integration`, sending `agent` as its User-Agent.
    pub fn client(&self, integration: &Integration, agent: &str) -> Scim {
        Scim {
            http: reqwest::Client::builder()
                .user_agent(agent)
                .no_proxy()
                .build()
                .unwrap(),
            base: format!("http://{}/scim/v2/{}", self.addr, integration.key),
            token: Some(integration.token.clone()),
        }
    }

    /// Roster's users (`users list --json`), not those in the trash.
    pub fn users(&self) -> Vec<Value> {
        list(self.json(&["users", "list", "--json"]))
    }

    /// Roster's user `username`, if there is one.
    pub fn find_user(&self, username: &str) -> Option<Value> {
        self.users()
            .into_iter()
            .find(|u| u["username"].as_str() == Some(username))
    }

    /// Roster's user `username`; fails the test if there is none.
    pub fn user(&self, username: &str) -> Value {
        self.find_user(username)
            .unwrap_or_else(|| panic!("Roster has no user {username}: {:?}", self.users()))
    }

    /// Roster's groups (`groups list --json`).
    pub fn groups(&self) -> Vec<Value> {
        list(self.json(&["groups", "list", "--json"]))
    }

    /// Roster's group `name`, if there is one.
    pub fn find_group(&self, name: &str) -> Option<Value> {
        self.groups()
            .into_iter()
            .find(|g| g["name"].as_str() == Some(name))
    }

    /// The trash (`trash list --json`).
    pub fn trash(&self) -> Vec<Value> {
        list(self.json(&["trash", "list", "--json"]))
    }

    /// The history of directory `key` (`runs list KEY --json`), newest first.
    pub fn runs(&self, key: &str) -> Vec<Value> {
        list(self.json(&["runs", "list", key, "--json"]))
    }

    /// Every change run `run_id` recorded (`runs changes RUN_ID --json`), in the log's order.
    pub fn changes(&self, run_id: i64) -> Vec<Value> {
        list(self.json(&["runs", "changes", &run_id.to_string(), "--json"]))
    }
}

fn with_secrets(dir: &Path) -> Command {
    let mut c = ctl(dir);
    c.env("ROSTER_SECRET_STORE", "encrypted-file")
        .env("ROSTER_SECRETS_PASSPHRASE", "test passphrase");
    c
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items,
        other => panic!("expected a JSON list, got {other}"),
    }
}

/// A SCIM client of one integration. Holds its bearer token; deliberately not `Debug`.
#[derive(Clone)]
pub struct Scim {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/scim/v2/KEY`.
    pub base: String,
    token: Option<String>,
}

/// An answer, read in full.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub etag: Option<String>,
    pub text: String,
    /// The body as JSON (`null` when empty or not JSON).
    pub body: Value,
}

impl Scim {
    /// The same client with another (or no) token: what a misconfigured identity provider sends.
    pub fn with_token_of(&self, other: Option<&Integration>) -> Scim {
        Scim {
            token: other.map(|i| i.token.clone()),
            ..self.clone()
        }
    }

    /// The same client sending a made-up token.
    pub fn with_made_up_token(&self) -> Scim {
        Scim {
            token: Some("roster_scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
            ..self.clone()
        }
    }

    /// Sends `body` (raw bytes) with `headers` to `base + path` (`path` as it goes on the wire, query
    /// included).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header(reqwest::header::CONTENT_TYPE, SCIM_JSON).body(b);
        }
        for (name, value) in headers {
            req = req.header(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        // The error (never the request, which carries the token) says what went wrong.
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let header = |n: reqwest::header::HeaderName| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status().as_u16();
        let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
        let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
        let etag = header(reqwest::header::ETAG);
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            www_authenticate,
            etag,
            text,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.raw(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.raw(Method::POST, path, Some(body.to_string().into_bytes()), &[])
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.raw(Method::PUT, path, Some(body.to_string().into_bytes()), &[])
            .await
    }

    /// PATCH with these `Operations`.
    pub async fn patch(&self, path: &str, operations: Value) -> Reply {
        self.raw(
            Method::PATCH,
            path,
            Some(patch_body(operations).to_string().into_bytes()),
            &[],
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.raw(Method::DELETE, path, None, &[]).await
    }

    /// `POST /Users` that must succeed: the created user's id.
    pub async fn create_user(&self, body: &Value) -> String {
        let r = self.post("/Users", body).await;
        assert_eq!(r.status, 201, "create {}: {}", body["userName"], r.text);
        id_of(&r)
    }

    /// `POST /Groups` that must succeed: the created group's id.
    pub async fn create_group(&self, body: &Value) -> String {
        let r = self.post("/Groups", body).await;
        assert_eq!(r.status, 201, "create {}: {}", body["displayName"], r.text);
        id_of(&r)
    }

    /// How many users and groups the integration's replica holds.
    pub async fn replica_counts(&self) -> (u64, u64) {
        let total = |r: Reply| {
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["totalResults"].as_u64().unwrap()
        };
        (
            total(self.get("/Users?count=0").await),
            total(self.get("/Groups?count=0").await),
        )
    }
}

/// A PatchOp body.
pub fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_URN], "Operations": operations})
}

/// The `id` of a resource answer.
pub fn id_of(r: &Reply) -> String {
    r.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
        .to_string()
}

/// Asserts `r` is a SCIM error (RFC 7644 §3.12) with `status` and `scim_type`: the SCIM media type, the
/// error URN, `status` as a string, and a `detail` that says something.
#[track_caller]
pub fn assert_scim_error(r: &Reply, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status, status, "HTTP status: {}", r.text);
    assert!(
        r.content_type.starts_with(SCIM_JSON),
        "a SCIM error is {SCIM_JSON}, not {:?}: {}",
        r.content_type,
        r.text
    );
    assert_eq!(r.body["schemas"], json!([ERROR_URN]), "{}", r.text);
    assert_eq!(r.body["status"], json!(status.to_string()), "{}", r.text);
    assert_eq!(
        r.body["scimType"].as_str(),
        scim_type,
        "scimType: {}",
        r.text
    );
    assert!(
        r.body["detail"].as_str().is_some_and(|d| d.len() > 10),
        "the detail says what to do: {}",
        r.text
    );
}

/// The ids of a ListResponse's resources, in order.
pub fn ids(list: &Reply) -> Vec<String> {
    list.body["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("not a ListResponse: {}", list.text))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The `value`s of a group's `members`, sorted.
pub fn member_ids(group: &Value) -> Vec<String> {
    let mut v: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A user's Roster groups, sorted.
pub fn groups_of(user: &Value) -> Vec<String> {
    let mut g: Vec<String> = user["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    g.sort();
    g
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    hits.push(path.display().to_string());
                }
            }
        }
    }
    hits
}
