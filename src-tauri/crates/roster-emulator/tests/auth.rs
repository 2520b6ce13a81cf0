#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The emulated authorization servers, driven over HTTP with reqwest playing the browser and the app.

use base64::Engine;
use roster_emulator::{serve, Options, Running, Vendor};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const VERIFIER: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-._~";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorize_path(v: Vendor, tenant: &str) -> String {
    match v {
        Vendor::Entra => format!("/{tenant}/oauth2/v2.0/authorize"),
        Vendor::Google => "/o/oauth2/v2/auth".into(),
        Vendor::Okta => "/oauth2/v1/authorize".into(),
    }
}

fn token_path(v: Vendor) -> &'static str {
    match v {
        Vendor::Entra => "/northwind.onmicrosoft.com/oauth2/v2.0/token",
        Vendor::Google => "/token",
        Vendor::Okta => "/oauth2/v1/token",
    }
}

fn scopes(v: Vendor) -> &'static str {
    match v {
        Vendor::Entra => "https://graph.microsoft.com/User.Read.All GroupMember.Read.All offline_access openid profile",
        Vendor::Google => "https://www.googleapis.com/auth/admin.directory.user.readonly https://www.googleapis.com/auth/admin.directory.group.readonly https://www.googleapis.com/auth/admin.directory.group.member.readonly openid email profile",
        Vendor::Okta => "okta.users.read okta.groups.read openid profile offline_access",
    }
}

fn redirect(v: Vendor, port: u16) -> String {
    match v {
        Vendor::Entra => format!("http://localhost:{port}/callback"),
        _ => format!("http://127.0.0.1:{port}/callback"),
    }
}

/// An authorization URL with every parameter right; `change` edits them.
fn auth_url(r: &Running, change: impl FnOnce(&mut Vec<(String, String)>)) -> String {
    let v = r.state.vendor;
    let mut p: Vec<(String, String)> = vec![
        ("client_id".into(), r.state.options.client_id.clone()),
        ("response_type".into(), "code".into()),
        ("redirect_uri".into(), redirect(v, 49152)),
        ("scope".into(), scopes(v).into()),
        ("state".into(), "st-123".into()),
        ("nonce".into(), "n-456".into()),
        ("code_challenge".into(), challenge(VERIFIER)),
        ("code_challenge_method".into(), "S256".into()),
    ];
    if v == Vendor::Google {
        p.push(("access_type".into(), "offline".into()));
    }
    change(&mut p);
    let mut u = url::Url::parse(&format!(
        "{}{}",
        r.url,
        authorize_path(v, "northwind.onmicrosoft.com")
    ))
    .unwrap();
    u.query_pairs_mut().extend_pairs(p.iter());
    u.to_string()
}

fn set(p: &mut [(String, String)], k: &str, v: &str) {
    for (key, val) in p.iter_mut() {
        if key == k {
            *val = v.to_string();
        }
    }
}

fn query(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// GETs the consent page and clicks `button`; returns the redirect Location.
async fn click(url: &str, button: &str) -> String {
    let c = http();
    let page = c.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200, "consent page");
    let html = page.text().await.unwrap();
    let at = html.find("name=\"request\" value=\"").unwrap() + "name=\"request\" value=\"".len();
    let id = &html[at..at + html[at..].find('"').unwrap()];
    let a = html.find("action=\"").unwrap() + 8;
    let action = &html[a..a + html[a..].find('"').unwrap()];
    let post = url::Url::parse(url).unwrap().join(action).unwrap();
    let r = c
        .post(post)
        .form(&[("request", id), ("decision", button)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn token(
    r: &Running,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, serde_json::Value) {
    let mut req = http()
        .post(format!("{}{}", r.url, token_path(r.state.vendor)))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Client authentication as each vendor wants it (Google: the secret as HTTP Basic).
fn basic(r: &Running) -> Option<(String, String)> {
    r.state
        .options
        .client_secret
        .clone()
        .map(|s| (r.state.options.client_id.clone(), s))
}

async fn redeem(r: &Running, code: &str, verifier: &str) -> (u16, serde_json::Value) {
    let redirect_uri = redirect(r.state.vendor, 49152);
    let b = basic(r);
    token(
        r,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &redirect_uri),
            ("client_id", &r.state.options.client_id),
            ("code_verifier", verifier),
        ],
        b.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
    )
    .await
}

fn claims(jwt: &str) -> serde_json::Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn full_consent_for_each_vendor() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let admin = r.state.read().admin().unwrap().clone();
        // The consent page names the admin, lists scopes in words, and has both buttons.
        let url = auth_url(&r, |_| {});
        let html = http().get(&url).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&admin.display_name()), "{v:?}: admin shown");
        assert!(html.contains("id=\"approve\"") && html.contains("id=\"deny\""));
        assert!(html.contains("<form method=\"post\""));
        let brand = match v {
            Vendor::Entra => "Microsoft",
            Vendor::Google => "Google",
            Vendor::Okta => "Okta",
        };
        assert!(
            html.contains(&format!("<title>{brand}"))
                || html.contains(&format!("with {brand}</title>")),
            "{v:?} branded"
        );
        let words = match v {
            Vendor::Entra => "Read all group memberships",
            Vendor::Google => "See info about users on your domain",
            Vendor::Okta => "groups and their members",
        };
        assert!(html.contains(words), "{v:?}: scopes in plain words");

        let loc = click(&url, "approve").await;
        assert!(
            loc.starts_with(&redirect(v, 49152)),
            "{v:?}: back to the loopback redirect"
        );
        let q = query(&loc);
        assert_eq!(q["state"], "st-123");
        let code = q["code"].clone();

        let (status, body) = redeem(&r, &code, VERIFIER).await;
        assert_eq!(status, 200, "{v:?}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        assert!(
            body["refresh_token"].is_string(),
            "{v:?}: offline access asked, refresh token given"
        );
        let at = body["access_token"].as_str().unwrap();
        let grant = r.state.tokens.check(at).unwrap();
        assert_eq!(grant.subject, admin.id);
        assert_eq!(grant.client_id, r.state.options.client_id);
        let c = claims(body["id_token"].as_str().unwrap());
        assert_eq!(c["aud"], r.state.options.client_id.as_str());
        assert_eq!(c["sub"], admin.id.as_str());
        assert_eq!(c["nonce"], "n-456");
        assert_eq!(c["name"], admin.display_name().as_str());
        assert!(c["exp"].as_u64().unwrap() > c["iat"].as_u64().unwrap());
        let who = if v == Vendor::Google {
            &c["email"]
        } else {
            &c["preferred_username"]
        };
        assert_eq!(who, admin.mail.as_str());

        // Codes are single-use.
        let (status, body) = redeem(&r, &code, VERIFIER).await;
        assert_eq!(status, 400, "{v:?}: a code works once");
        assert_eq!(body["error"], "invalid_grant");
    }
}

async fn consent_tokens(r: &Running) -> serde_json::Value {
    let loc = click(&auth_url(r, |_| {}), "approve").await;
    let (status, body) = redeem(r, &query(&loc)["code"], VERIFIER).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn refresh_rotates_and_revocation_is_invalid_grant() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let first = consent_tokens(&r).await;
        let rt = first["refresh_token"].as_str().unwrap().to_string();
        let b = basic(&r);
        let auth = b.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
        let id = r.state.options.client_id.clone();
        let (status, body) = token(
            &r,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", &id),
            ],
            auth,
        )
        .await;
        assert_eq!(status, 200, "{v:?}: {body}");
        assert!(r
            .state
            .tokens
            .check(body["access_token"].as_str().unwrap())
            .is_ok());
        let rt2 = body["refresh_token"].as_str().unwrap().to_string();
        let (status, _) = token(
            &r,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", &id),
            ],
            auth,
        )
        .await;
        assert_eq!(status, 400, "{v:?}: the old refresh token was rotated out");

        r.state.tokens.revoke_all();
        let (status, body) = token(
            &r,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt2),
                ("client_id", &id),
            ],
            auth,
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_grant");
        let d = body["error_description"].as_str().unwrap();
        match v {
            Vendor::Entra => {
                assert!(d.starts_with("AADSTS50173"), "{d}");
                assert_eq!(body["error_codes"][0], 50173);
            }
            Vendor::Google => assert_eq!(d, "Token has been expired or revoked."),
            Vendor::Okta => assert_eq!(d, "The refresh token is invalid or expired."),
        }
        assert!(!d.contains(&rt2), "no token in errors");
    }
}

#[tokio::test]
async fn deny_redirects_access_denied_with_state() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let loc = click(&auth_url(&r, |_| {}), "deny").await;
        let q = query(&loc);
        assert_eq!(q["error"], "access_denied", "{v:?}");
        assert_eq!(q["state"], "st-123");
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        for (k, val) in [("code_challenge_method", "plain"), ("code_challenge", "")] {
            let url = auth_url(&r, |p| set(p, k, val));
            let resp = http().get(&url).send().await.unwrap();
            assert_eq!(resp.status(), 302, "{v:?} {k}={val}");
            let q = query(resp.headers()["location"].to_str().unwrap());
            assert_eq!(q["error"], "invalid_request", "{v:?} {k}={val} refused");
            assert_eq!(q["state"], "st-123");
        }
        // Wrong verifier: invalid_grant, and the code is spent.
        let loc = click(&auth_url(&r, |_| {}), "approve").await;
        let code = query(&loc)["code"].clone();
        let (status, body) = redeem(
            &r,
            &code,
            "wrong-verifier-wrong-verifier-wrong-verifier-1234",
        )
        .await;
        assert_eq!(status, 400, "{v:?}");
        assert_eq!(body["error"], "invalid_grant");
        let (status, _) = redeem(&r, &code, VERIFIER).await;
        assert_eq!(status, 400, "{v:?}: a code is spent by a failed attempt");
    }
}

#[tokio::test]
async fn codes_are_bound_to_redirect_uri_and_client() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let loc = click(&auth_url(&r, |_| {}), "approve").await;
        let code = query(&loc)["code"].clone();
        let other_redirect = redirect(v, 50000);
        let b = basic(&r);
        let (status, body) = token(
            &r,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &other_redirect),
                ("client_id", &r.state.options.client_id),
                ("code_verifier", VERIFIER),
            ],
            b.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        )
        .await;
        assert_eq!(status, 400, "{v:?}: {body}");
        assert!(body["error"] == "invalid_grant" || body["error"] == "redirect_uri_mismatch");

        let loc = click(&auth_url(&r, |_| {}), "approve").await;
        let code = query(&loc)["code"].clone();
        let redirect_uri = redirect(v, 49152);
        let (status, body) = token(
            &r,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect_uri),
                ("client_id", "someone-else"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
        assert!(status == 400 || status == 401, "{v:?}");
        assert!(
            body["error"] == "invalid_client" || body["error"] == "invalid_grant",
            "{body}"
        );
    }
}

#[tokio::test]
async fn loopback_redirects_on_any_port_and_nothing_else() {
    let cases: &[(Vendor, &str, bool)] = &[
        (Vendor::Entra, "http://localhost:1234/callback", true),
        (Vendor::Entra, "http://127.0.0.1:61000/callback", true),
        (Vendor::Entra, "http://evil.example/callback", false),
        (Vendor::Entra, "https://localhost:1234/callback", false),
        (Vendor::Google, "http://127.0.0.1:5555/callback", true),
        (Vendor::Google, "http://[::1]:5555/", true),
        (Vendor::Google, "http://192.168.1.2:5555/callback", false),
        (Vendor::Okta, "http://127.0.0.1:40000/callback", true),
        (Vendor::Okta, "http://127.0.0.1:40000/other", false),
        (Vendor::Okta, "http://example.com:40000/callback", false),
    ];
    for (v, uri, ok) in cases {
        let r = serve(*v, Options::demo(*v)).await.unwrap();
        let url = auth_url(&r, |p| set(p, "redirect_uri", uri));
        let resp = http().get(&url).send().await.unwrap();
        if *ok {
            assert_eq!(resp.status(), 200, "{v:?} {uri} accepted");
        } else {
            assert_eq!(
                resp.status(),
                400,
                "{v:?} {uri} refused with an error page, not redirected"
            );
        }
    }
}

#[tokio::test]
async fn scopes_and_clients_are_checked() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let url = auth_url(&r, |p| set(p, "scope", "openid Mail.Send"));
        let resp = http().get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 302);
        assert_eq!(
            query(resp.headers()["location"].to_str().unwrap())["error"],
            "invalid_scope",
            "{v:?}"
        );
        let url = auth_url(&r, |p| set(p, "client_id", "unknown-app"));
        assert_eq!(
            http().get(&url).send().await.unwrap().status(),
            400,
            "{v:?}: unknown client"
        );
        let url = auth_url(&r, |p| set(p, "response_type", "token"));
        let resp = http().get(&url).send().await.unwrap();
        assert_eq!(
            query(resp.headers()["location"].to_str().unwrap())["error"],
            "unsupported_response_type"
        );
    }
}

#[tokio::test]
async fn entra_tenants_and_public_client_rules() {
    let r = serve(Vendor::Entra, Options::demo(Vendor::Entra))
        .await
        .unwrap();
    for tenant in [
        "northwind.onmicrosoft.com",
        "organizations",
        "common",
        &roster_emulator::directory::guid("tenant"),
    ] {
        let mut u = url::Url::parse(&auth_url(&r, |_| {})).unwrap();
        u.set_path(&authorize_path(Vendor::Entra, tenant));
        assert_eq!(
            http().get(u.as_str()).send().await.unwrap().status(),
            200,
            "{tenant}"
        );
    }
    let mut u = url::Url::parse(&auth_url(&r, |_| {})).unwrap();
    u.set_path(&authorize_path(Vendor::Entra, "contoso.example"));
    let resp = http().get(u.as_str()).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("AADSTS90002"));
    let resp = http()
        .post(format!("{}/contoso.example/oauth2/v2.0/token", r.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", "roster-demo-entra"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90002"));

    // A public client presenting a secret is refused, even with a good code.
    let loc = click(&auth_url(&r, |_| {}), "approve").await;
    let code = query(&loc)["code"].clone();
    let redirect_uri = redirect(Vendor::Entra, 49152);
    let (status, body) = token(
        &r,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", "roster-demo-entra"),
            ("client_secret", "s3cret"),
            ("code_verifier", VERIFIER),
        ],
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS700025"));
}

#[tokio::test]
async fn google_requires_its_secret_and_offline_access() {
    let r = serve(Vendor::Google, Options::demo(Vendor::Google))
        .await
        .unwrap();
    let id = r.state.options.client_id.clone();
    let secret = r.state.options.client_secret.clone().unwrap();
    let redirect_uri = redirect(Vendor::Google, 49152);
    let form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", redirect_uri.clone()),
            ("client_id", id.clone()),
            ("code_verifier", VERIFIER.to_string()),
        ]
    };
    let as_refs = |f: &Vec<(&'static str, String)>| {
        f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };

    // No secret: refused, Google's words.
    let loc = click(&auth_url(&r, |_| {}), "approve").await;
    let f = form(&query(&loc)["code"]);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token(&r, &pairs, None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_description"], "client_secret is missing.");

    // Wrong secret: 401 invalid_client.
    let loc = click(&auth_url(&r, |_| {}), "approve").await;
    let f = form(&query(&loc)["code"]);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token(&r, &pairs, Some((&id, "wrong"))).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");

    // The secret in the form body works as well as HTTP Basic.
    let loc = click(&auth_url(&r, |_| {}), "approve").await;
    let mut f = as_refs(&form(&query(&loc)["code"]));
    f.push(("client_secret", secret.clone()));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token(&r, &pairs, None).await;
    assert_eq!(status, 200, "{body}");

    // Without access_type=offline there is no refresh token.
    let url = auth_url(&r, |p| p.retain(|(k, _)| k != "access_type"));
    let loc = click(&url, "approve").await;
    let f = form(&query(&loc)["code"]);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token(&r, &pairs, Some((&id, &secret))).await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none(), "online access only");

    // Userinfo answers with the admin's email for a valid token.
    let at = body["access_token"].as_str().unwrap();
    let info: serde_json::Value = http()
        .get(format!("{}/v1/userinfo", r.url))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], r.state.read().admin().unwrap().mail.as_str());
    let resp = http()
        .get(format!("{}/v1/userinfo", r.url))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn okta_refuses_a_client_secret() {
    let r = serve(Vendor::Okta, Options::demo(Vendor::Okta))
        .await
        .unwrap();
    let loc = click(&auth_url(&r, |_| {}), "approve").await;
    let code = query(&loc)["code"].clone();
    let redirect_uri = redirect(Vendor::Okta, 49152);
    let (status, body) = token(
        &r,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", "roster-demo-okta"),
            ("code_verifier", VERIFIER),
        ],
        Some(("roster-demo-okta", "secret")),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn the_browser_helper_follows_to_the_listener() {
    use roster_emulator::auth::{Browser, Decision};
    let r = serve(Vendor::Okta, Options::demo(Vendor::Okta))
        .await
        .unwrap();
    // A stand-in loopback listener that shows what it received.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(
            |q: axum::extract::Query<HashMap<String, String>>| async move {
                format!(
                    "got state={} code={}",
                    q.get("state").cloned().unwrap_or_default(),
                    q.contains_key("code")
                )
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = auth_url(&r, |p| {
        set(
            p,
            "redirect_uri",
            &format!("http://127.0.0.1:{port}/callback"),
        )
    });
    let visit = Browser::new().visit(&url, Decision::Approve).await.unwrap();
    assert!(visit.consent_page.unwrap().contains("id=\"approve\""));
    assert_eq!(visit.status, 200);
    assert_eq!(visit.page, "got state=st-123 code=true");
}
