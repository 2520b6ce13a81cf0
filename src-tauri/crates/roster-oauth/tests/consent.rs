#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The real consent flow against the emulated authorization servers, with an HTTP client playing the
//! browser, and the stored bearer refreshing against them.

use roster_cloud::{Bearer, ConsentConfig, LoopbackHost};
use roster_core::clock::{Clock, ManualClock, SystemClock, Timestamp};
use roster_core::source::ConnectorError;
use roster_emulator::auth::{Browser, Decision, Visit};
use roster_emulator::{serve, Options, Running, Vendor};
use roster_oauth::{consent, Authorized, Consent, OAuthError, OpenUrl, StoredBearer, TokenSet};
use roster_secrets::{EncryptedFile, MemorySecrets, SecretStore, Sensitive};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "tenant/conn-1/oauth";

fn config(r: &Running) -> ConsentConfig {
    let o = &r.state.options;
    let url = &r.url;
    match r.state.vendor {
        Vendor::Entra => ConsentConfig {
            vendor: "Microsoft Entra ID".into(),
            authorize_url: format!("{url}/northwind.onmicrosoft.com/oauth2/v2.0/authorize"),
            token_url: format!("{url}/northwind.onmicrosoft.com/oauth2/v2.0/token"),
            client_id: o.client_id.clone(),
            client_secret: None,
            scopes: [
                "https://graph.microsoft.com/User.Read.All",
                "https://graph.microsoft.com/GroupMember.Read.All",
                "offline_access",
                "openid",
                "profile",
            ]
            .map(String::from)
            .to_vec(),
            loopback_host: LoopbackHost::Localhost,
            ..ConsentConfig::default()
        },
        Vendor::Google => ConsentConfig {
            vendor: "Google Workspace".into(),
            authorize_url: format!("{url}/o/oauth2/v2/auth"),
            token_url: format!("{url}/token"),
            client_id: o.client_id.clone(),
            client_secret: o.client_secret.clone(),
            scopes: [
                "https://www.googleapis.com/auth/admin.directory.user.readonly",
                "https://www.googleapis.com/auth/admin.directory.group.readonly",
                "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
                "openid",
                "email",
                "profile",
            ]
            .map(String::from)
            .to_vec(),
            extra_params: vec![
                ("access_type".into(), "offline".into()),
                ("prompt".into(), "consent".into()),
            ],
            userinfo_url: Some(format!("{url}/v1/userinfo")),
            ..ConsentConfig::default()
        },
        Vendor::Okta => ConsentConfig {
            vendor: "Okta".into(),
            authorize_url: format!("{url}/oauth2/v1/authorize"),
            token_url: format!("{url}/oauth2/v1/token"),
            client_id: o.client_id.clone(),
            client_secret: None,
            scopes: [
                "okta.users.read",
                "okta.groups.read",
                "openid",
                "profile",
                "offline_access",
            ]
            .map(String::from)
            .to_vec(),
            userinfo_url: Some(format!("{url}/oauth2/v1/userinfo")),
            ..ConsentConfig::default()
        },
    }
}

/// Plays the system browser: when asked to open a URL, visits it and clicks `decision`.
struct TestBrowser {
    decision: Decision,
    visit: Mutex<Option<tokio::task::JoinHandle<Result<Visit, String>>>>,
}

impl TestBrowser {
    fn new(decision: Decision) -> TestBrowser {
        TestBrowser {
            decision,
            visit: Mutex::new(None),
        }
    }
    /// What the browser ended up showing.
    async fn seen(&self) -> Visit {
        let h = self
            .visit
            .lock()
            .unwrap()
            .take()
            .expect("the browser was opened");
        h.await.unwrap().unwrap()
    }
}

impl OpenUrl for TestBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let url = url.to_string();
        let decision = self.decision;
        *self.visit.lock().unwrap() = Some(tokio::spawn(async move {
            Browser::new().visit(&url, decision).await
        }));
        Ok(())
    }
}

fn never() -> impl std::future::Future<Output = ()> {
    std::future::pending()
}

fn now() -> i64 {
    SystemClock.now().0
}

async fn authorize(r: &Running) -> Authorized {
    let b = TestBrowser::new(Decision::Approve);
    let a = consent(&config(r), &b, Duration::from_secs(20), never())
        .await
        .unwrap();
    let seen = b.seen().await;
    assert_eq!(seen.status, 200);
    a
}

#[tokio::test]
async fn full_consent_with_each_vendor() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let cfg = config(&r);
        let c = Consent::start(&cfg).unwrap();
        let url = url::Url::parse(c.authorization_url()).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256", "{v:?}");
        assert_eq!(q["code_challenge"].len(), 43);
        assert!(q["state"].len() >= 16, "a random state");
        assert!(q.contains_key("nonce"), "openid asked, so a nonce");
        let redirect = url::Url::parse(&q["redirect_uri"]).unwrap();
        let host = if v == Vendor::Entra {
            "localhost"
        } else {
            "127.0.0.1"
        };
        assert_eq!(redirect.host_str(), Some(host), "{v:?}");
        assert_eq!(redirect.path(), "/callback");
        assert_eq!(c.redirect_uri(), q["redirect_uri"]);

        let b = TestBrowser::new(Decision::Approve);
        b.open(c.authorization_url()).unwrap();
        let before = now();
        let a = c.finish(Duration::from_secs(20), never()).await.unwrap();
        let seen = b.seen().await;
        assert!(
            seen.page
                .contains(&format!("Roster is connected to {}", cfg.vendor)),
            "{v:?}: {}",
            seen.page
        );
        assert!(seen.page.contains("You can close this tab"));
        let admin = r.state.read().admin().unwrap().clone();
        assert_eq!(
            a.authorized_by.as_deref(),
            Some(admin.mail.as_str()),
            "{v:?}: who authorized"
        );
        let grant = r.state.tokens.check(&a.tokens.access_token).unwrap();
        assert_eq!(grant.subject, admin.id);
        assert!(a.tokens.refresh_token.is_some(), "{v:?}: offline access");
        assert!(
            (a.tokens.expires_at - before - 3600).abs() <= 5,
            "{v:?}: expires in an hour"
        );
        assert!(a.tokens.scope.as_deref().unwrap_or("").contains("openid"));

        let shown = format!("{a:?} {:?}", a.tokens);
        assert!(
            !shown.contains(&a.tokens.access_token),
            "no access token in Debug"
        );
        assert!(
            !shown.contains(a.tokens.refresh_token.as_deref().unwrap()),
            "no refresh token in Debug"
        );
    }
}

#[tokio::test]
async fn google_userinfo_names_who_when_there_is_no_id_token() {
    let r = serve(Vendor::Google, Options::demo(Vendor::Google))
        .await
        .unwrap();
    let mut cfg = config(&r);
    cfg.scopes.retain(|s| s.contains("admin.directory"));
    let b = TestBrowser::new(Decision::Approve);
    let a = consent(&cfg, &b, Duration::from_secs(20), never())
        .await
        .unwrap();
    assert_eq!(
        a.authorized_by.as_deref(),
        Some(r.state.read().admin().unwrap().mail.as_str())
    );
}

#[tokio::test]
async fn deny_is_reported_to_app_and_browser() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let b = TestBrowser::new(Decision::Deny);
        let e = consent(&config(&r), &b, Duration::from_secs(20), never())
            .await
            .unwrap_err();
        assert!(matches!(e, OAuthError::Denied { .. }), "{v:?}: {e}");
        assert!(e.to_string().contains("declined"));
        let seen = b.seen().await;
        assert_eq!(seen.status, 400);
        assert!(
            seen.page.contains("Roster was not connected"),
            "{}",
            seen.page
        );
    }
}

#[tokio::test]
async fn answers_with_a_wrong_state_are_refused_and_the_wait_goes_on() {
    let r = serve(Vendor::Okta, Options::demo(Vendor::Okta))
        .await
        .unwrap();
    let c = Consent::start(&config(&r)).unwrap();
    let redirect = c.redirect_uri();
    let auth_url = c.authorization_url().to_string();
    let stray = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let forged = http
            .get(format!("{redirect}?code=forged&state=not-the-state"))
            .send()
            .await
            .unwrap();
        let forged_status = forged.status().as_u16();
        let forged_page = forged.text().await.unwrap();
        let missing = http
            .get(format!("{redirect}?code=forged"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        let favicon = http
            .get(redirect.replace("/callback", "/favicon.ico"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        // An idle connection (a browser's preconnect) must not hold up the real answer.
        let idle = tokio::net::TcpStream::connect(
            url::Url::parse(&redirect)
                .unwrap()
                .socket_addrs(|| None)
                .unwrap()[0],
        )
        .await
        .unwrap();
        let real = Browser::new()
            .visit(&auth_url, Decision::Approve)
            .await
            .unwrap();
        drop(idle);
        (forged_status, forged_page, missing, favicon, real)
    });
    let a = c.finish(Duration::from_secs(20), never()).await.unwrap();
    let (forged_status, forged_page, missing, favicon, real) = stray.await.unwrap();
    assert_eq!(forged_status, 400);
    assert!(
        forged_page.contains("does not belong to Roster"),
        "{forged_page}"
    );
    assert_eq!(missing, 400, "no state: refused");
    assert_eq!(favicon, 404);
    assert_eq!(real.status, 200);
    assert!(
        r.state.tokens.check(&a.tokens.access_token).is_ok(),
        "the real answer was taken"
    );
}

#[tokio::test]
async fn no_answer_times_out_with_a_plain_message() {
    let r = serve(Vendor::Okta, Options::demo(Vendor::Okta))
        .await
        .unwrap();
    let c = Consent::start(&config(&r)).unwrap();
    let started = std::time::Instant::now();
    let e = c
        .finish(Duration::from_millis(300), never())
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::TimedOut(_)), "{e}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        e.to_string()
            .starts_with("No answer came from the browser within 300 milliseconds"),
        "{e}"
    );
    assert_eq!(
        OAuthError::TimedOut(Duration::from_secs(300))
            .to_string()
            .split('.')
            .next()
            .unwrap(),
        "No answer came from the browser within 5 minutes"
    );
}

#[tokio::test]
async fn cancel_stops_the_wait() {
    let r = serve(Vendor::Entra, Options::demo(Vendor::Entra))
        .await
        .unwrap();
    let c = Consent::start(&config(&r)).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tx.send(());
    });
    let started = std::time::Instant::now();
    let e = c
        .finish(Duration::from_secs(30), async {
            let _ = rx.await;
        })
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::Cancelled), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(e.to_string().starts_with("The sign-in was cancelled"));
}

#[tokio::test]
async fn google_needs_its_client_secret() {
    let r = serve(Vendor::Google, Options::demo(Vendor::Google))
        .await
        .unwrap();
    let mut cfg = config(&r);
    cfg.client_secret = None;
    let b = TestBrowser::new(Decision::Approve);
    let e = consent(&cfg, &b, Duration::from_secs(20), never())
        .await
        .unwrap_err();
    assert!(matches!(e, OAuthError::Exchange { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("client_secret is missing"), "{msg}");
    assert!(msg.contains("add the client secret"), "{msg}");
    let seen = b.seen().await;
    assert!(seen
        .page
        .contains("Roster was not connected to Google Workspace"));
    assert!(seen.page.contains("client secret"));

    // And the emulator's secret with the config's matches: the same flow works.
    let ok = consent(
        &config(&r),
        &TestBrowser::new(Decision::Approve),
        Duration::from_secs(20),
        never(),
    )
    .await;
    assert!(ok.is_ok());
}

#[tokio::test]
async fn entra_public_client_must_not_send_a_secret() {
    let r = serve(Vendor::Entra, Options::demo(Vendor::Entra))
        .await
        .unwrap();
    let mut cfg = config(&r);
    cfg.client_secret = Some("not-for-public-clients".into());
    let e = consent(
        &cfg,
        &TestBrowser::new(Decision::Approve),
        Duration::from_secs(20),
        never(),
    )
    .await
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("AADSTS700025") && msg.contains("remove the client secret"),
        "{msg}"
    );
    assert!(
        !msg.contains("not-for-public-clients"),
        "no secret in messages"
    );
    assert!(
        !format!("{cfg:?}").contains("not-for-public-clients"),
        "no secret in Debug"
    );
}

#[tokio::test]
async fn refreshes_before_expiry_and_saves_rotated_tokens() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        r.state.tokens.set_lifetime(900);
        let clock = Arc::new(ManualClock::new(Timestamp(now())));
        let b = TestBrowser::new(Decision::Approve);
        let c = Consent::start(&config(&r))
            .unwrap()
            .with_clock(clock.clone());
        b.open(c.authorization_url()).unwrap();
        let a = c.finish(Duration::from_secs(20), never()).await.unwrap();
        assert_eq!(a.tokens.expires_at, clock.now().0 + 900);
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
        a.tokens.save(secrets.as_ref(), KEY).unwrap();
        let bearer = StoredBearer::new(secrets.clone(), KEY.into(), config(&r), clock.clone());

        assert_eq!(
            bearer.token().await.unwrap(),
            a.tokens.access_token,
            "{v:?}: fresh enough, no refresh"
        );
        clock.advance(599);
        assert_eq!(
            bearer.token().await.unwrap(),
            a.tokens.access_token,
            "{v:?}: 301 s left, still no refresh"
        );
        clock.advance(2);
        let t = bearer.token().await.unwrap();
        assert_ne!(
            t, a.tokens.access_token,
            "{v:?}: refreshed within 5 minutes of expiry"
        );
        assert!(r.state.tokens.check(&t).is_ok());
        let stored = TokenSet::load(secrets.as_ref(), KEY).unwrap().unwrap();
        assert_eq!(stored.access_token, t);
        assert_ne!(
            stored.refresh_token, a.tokens.refresh_token,
            "{v:?}: rotated refresh token saved"
        );
        assert_eq!(stored.expires_at, clock.now().0 + 900);
        assert_eq!(bearer.token().await.unwrap(), t, "no second refresh");
    }
}

#[tokio::test]
async fn rejected_refreshes_once_for_concurrent_callers() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let a = authorize(&r).await;
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
        a.tokens.save(secrets.as_ref(), KEY).unwrap();
        let bearer = Arc::new(StoredBearer::new(
            secrets.clone(),
            KEY.into(),
            config(&r),
            Arc::new(SystemClock),
        ));
        let old = bearer.token().await.unwrap();
        r.state.tokens.expire_access();
        assert!(r.state.tokens.check(&old).is_err());
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let b = bearer.clone();
            let old = old.clone();
            tasks.push(tokio::spawn(async move { b.rejected(&old).await }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap().unwrap());
        }
        assert!(
            got.iter().all(|t| *t == got[0]),
            "{v:?}: one refresh served everyone"
        );
        assert_ne!(got[0], old);
        assert!(r.state.tokens.check(&got[0]).is_ok());
    }
}

#[tokio::test]
async fn revoked_consent_needs_reauthorization() {
    for v in Vendor::ALL {
        let r = serve(v, Options::demo(v)).await.unwrap();
        let a = authorize(&r).await;
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
        a.tokens.save(secrets.as_ref(), KEY).unwrap();
        let bearer = StoredBearer::new(
            secrets.clone(),
            KEY.into(),
            config(&r),
            Arc::new(SystemClock),
        );
        r.state.tokens.revoke_all();
        let e = bearer.rejected(&a.tokens.access_token).await.unwrap_err();
        let ConnectorError::Unauthorized(msg) = &e else {
            panic!("{v:?}: {e:?}")
        };
        assert!(msg.contains("needs reauthorization"), "{msg}");
        assert!(
            msg.contains("Reauthorize") && msg.contains("rosterctl connection reauthorize"),
            "{msg}"
        );
        assert!(
            !msg.contains(&a.tokens.access_token)
                && !msg.contains(a.tokens.refresh_token.as_deref().unwrap())
        );
        // Expiring tokens hit the same wall through token().
        let mut soon = a.tokens.clone();
        soon.expires_at = now();
        soon.save(secrets.as_ref(), KEY).unwrap();
        assert!(matches!(
            bearer.token().await,
            Err(ConnectorError::Unauthorized(_))
        ));
    }
}

#[tokio::test]
async fn no_tokens_means_not_authorized_yet_and_outages_are_transient() {
    let r = serve(Vendor::Okta, Options::demo(Vendor::Okta))
        .await
        .unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let bearer = StoredBearer::new(
        secrets.clone(),
        KEY.into(),
        config(&r),
        Arc::new(SystemClock),
    );
    match bearer.token().await {
        Err(ConnectorError::Unauthorized(m)) => assert!(m.contains("not authorized yet"), "{m}"),
        other => panic!("{other:?}"),
    }
    let a = authorize(&r).await;
    a.tokens.save(secrets.as_ref(), KEY).unwrap();
    let cfg = config(&r);
    r.stop().await;
    let e = bearer.rejected(&a.tokens.access_token).await.unwrap_err();
    assert!(matches!(e, ConnectorError::Unreachable(_)), "{e:?}");
    assert!(e.is_transient());
    assert!(e.to_string().contains("Okta could not be reached"), "{e}");
    assert_eq!(
        TokenSet::load(secrets.as_ref(), KEY).unwrap().unwrap(),
        a.tokens,
        "nothing lost"
    );
    let shown = format!("{bearer:?} {cfg:?}");
    assert!(!shown.contains(&a.tokens.access_token));
}

/// The app and `rosterctl serve` refreshing the same connection's tokens at once, against a vendor that
/// rotates refresh tokens and refuses one already redeemed. Two bearers over two handles on one encrypted
/// secrets file, as two processes have (the file's locks belong to the open file, not to the process).
/// Neither may end up with `invalid_grant` ("needs reauthorization"), and the stored refresh token must be
/// the newest, the only one the vendor still accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_at_once_share_one_rotation() {
    let r = serve(Vendor::Okta, Options::demo(Vendor::Okta))
        .await
        .unwrap();
    r.state.tokens.set_lifetime(900);
    let clock = Arc::new(ManualClock::new(Timestamp(now())));
    let b = TestBrowser::new(Decision::Approve);
    let c = Consent::start(&config(&r))
        .unwrap()
        .with_clock(clock.clone());
    b.open(c.authorization_url()).unwrap();
    let a = c.finish(Duration::from_secs(20), never()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.enc.json");
    let open = || -> Arc<dyn SecretStore> {
        Arc::new(EncryptedFile::new(
            &path,
            Sensitive("test passphrase".into()),
        ))
    };
    a.tokens.save(open().as_ref(), KEY).unwrap();
    let bearer = |secrets| {
        Arc::new(StoredBearer::new(
            secrets,
            KEY.into(),
            config(&r),
            clock.clone(),
        ))
    };
    let (app, cli) = (bearer(open()), bearer(open()));

    let mut before = a.tokens.clone();
    for round in ["expiring soon", "rejected by the API"] {
        let (x, y) = if round == "expiring soon" {
            clock.advance(601);
            let (p, q) = (app.clone(), cli.clone());
            tokio::join!(
                tokio::spawn(async move { p.token().await }),
                tokio::spawn(async move { q.token().await })
            )
        } else {
            r.state.tokens.expire_access();
            let (p, q) = (app.clone(), cli.clone());
            let (old_p, old_q) = (before.access_token.clone(), before.access_token.clone());
            tokio::join!(
                tokio::spawn(async move { p.rejected(&old_p).await }),
                tokio::spawn(async move { q.rejected(&old_q).await })
            )
        };
        let (x, y) = (x.unwrap(), y.unwrap());
        // Only errors are shown: the tokens stay out of the test's output.
        assert!(
            x.is_ok() && y.is_ok(),
            "{round}: neither process may fail to refresh: {:?} / {:?}",
            x.as_ref().err(),
            y.as_ref().err()
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(x == y, "{round}: one refresh served both processes");
        assert!(x != before.access_token, "{round}: a new access token");
        assert!(
            r.state.tokens.check(&x).is_ok(),
            "{round}: which the API accepts"
        );
        let stored = TokenSet::load(open().as_ref(), KEY).unwrap().unwrap();
        assert!(
            stored.access_token == x,
            "{round}: the stored access token is the one in use"
        );
        assert!(
            stored.refresh_token.is_some() && stored.refresh_token != before.refresh_token,
            "{round}: the rotated refresh token was saved"
        );
        before = stored;
    }
    let newest = before.refresh_token.clone().unwrap();
    assert!(
        r.state
            .tokens
            .refresh(&newest, &r.state.options.client_id)
            .is_ok(),
        "the stored refresh token is the newest: the vendor still accepts it"
    );
    assert!(
        r.state
            .tokens
            .refresh(
                a.tokens.refresh_token.as_deref().unwrap(),
                &r.state.options.client_id
            )
            .is_err(),
        "(the vendor does refuse a redeemed one)"
    );
}
