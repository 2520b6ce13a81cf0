use super::*;
use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

#[test]
fn the_bearer_token_is_read_from_the_authorization_header_only() {
    let mut h = HeaderMap::new();
    assert_eq!(bearer(&h), None);
    h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
    assert_eq!(bearer(&h), Some("abc"));
    h.insert(AUTHORIZATION, HeaderValue::from_static("bearer   xyz "));
    assert_eq!(bearer(&h), Some("xyz"));
    h.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
    assert_eq!(bearer(&h), None);
    h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
    assert_eq!(bearer(&h), None);
}

#[test]
fn refusals_are_scim_errors_and_a_401_asks_for_a_bearer_token() {
    let r = scim_error(&ScimError::new(401, None, "no"));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(WWW_AUTHENTICATE).is_some());
    assert_eq!(r.headers().get(CONTENT_TYPE).unwrap(), SCIM_JSON);
}

/// The whole router, as `rosterctl serve` mounts it, with one integration: its key and token.
fn door() -> (Router, String, String, tempfile::TempDir) {
    let (roster, key, token, dir) = integration();
    let app = crate::front_doors(&roster, &Origin::new("http://127.0.0.1:8742"));
    (app, key, token, dir)
}

/// A tenant with one integration: the application, the integration's key and token.
fn integration() -> (Arc<Roster>, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let roster = Arc::new(
        Roster::new(roster_api::Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(roster_api::MemorySecrets::default()),
            clock: Arc::new(roster_api::SystemClock),
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap(),
    );
    roster.create_tenant("Acme", None).unwrap();
    let issued = roster
        .session("Acme", &roster_api::Caller::Local)
        .unwrap()
        .create_scim_integration("Okta", roster_api::scim::ScimFlavor::Okta, "http://x")
        .unwrap();
    (roster, issued.directory_key, issued.token, dir)
}

struct Answer {
    status: StatusCode,
    allow: Option<String>,
    etag: Option<String>,
    body: Value,
}

async fn send(
    app: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header(CONTENT_TYPE, SCIM_JSON);
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let allow = r
        .headers()
        .get(axum::http::header::ALLOW)
        .map(|v| v.to_str().unwrap().to_string());
    let etag = r
        .headers()
        .get(ETAG)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = r.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        allow,
        etag,
        body,
    }
}

// Why: Users and Groups share one handler per operation, picked by the path; each path must still reach
// the operation and the resource kind it names, and nothing else.
#[tokio::test]
async fn each_operation_reaches_the_resource_kind_its_path_names() {
    let (app, key, token, _dir) = door();
    let t = Some(token.as_str());
    let base = format!("/scim/v2/{key}");
    let bodies = [
        (
            "Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@example.org"}),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "b@example.org"}),
            "userName",
        ),
        (
            "Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "A"}),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "B"}),
            "displayName",
        ),
    ];
    for (kind, created, replaced, name) in bodies {
        let r = send(
            &app,
            Method::POST,
            &format!("{base}/{kind}"),
            t,
            Some(created),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{kind}: {}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let one = format!("{base}/{kind}/{id}");
        let r = send(&app, Method::GET, &one, t, None).await;
        assert_eq!(
            (r.status, r.body["id"].as_str()),
            (StatusCode::OK, Some(id.as_str()))
        );
        let r = send(&app, Method::PUT, &one, t, Some(replaced)).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        let patched = match kind {
            "Users" => "c@example.org",
            _ => "C",
        };
        let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": name, "value": patched}]});
        // Asking for the name: a group's PATCH answers with its resource too (else 204, tested below).
        let r = send(
            &app,
            Method::PATCH,
            &format!("{one}?attributes={name}"),
            t,
            Some(ops),
        )
        .await;
        assert_eq!(
            (r.status, &r.body[name]),
            (StatusCode::OK, &json!(patched)),
            "{kind}"
        );
        let r = send(&app, Method::GET, &format!("{base}/{kind}"), t, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body["totalResults"], 1,
            "{kind}: only its own kind: {}",
            r.body
        );
        assert_eq!(r.body["Resources"][0]["id"], id.as_str());
        let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
        let r = send(
            &app,
            Method::POST,
            &format!("{base}/{kind}/.search"),
            t,
            Some(search),
        )
        .await;
        assert_eq!(
            (r.status, &r.body["totalResults"]),
            (StatusCode::OK, &json!(1)),
            "{kind}"
        );
        let r = send(&app, Method::DELETE, &one, t, None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{kind}: {}", r.body);
        let r = send(&app, Method::GET, &one, t, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{kind}");
    }
    for path in [
        "ServiceProviderConfig",
        "ResourceTypes",
        "ResourceTypes/User",
        "Schemas",
    ] {
        let r = send(&app, Method::GET, &format!("{base}/{path}"), t, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
    let r = send(
        &app,
        Method::POST,
        &format!("{base}/.search"),
        t,
        Some(search),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

// Why: RFC 7644 §3.5.2 lets a PATCH that asks for no attributes be answered with 204, and requires 200
// with the resource when it names `attributes` or `excludedAttributes`. A group's PATCH answers 204 when
// it may (its answer would list every member, read inside the write), carrying the new version so that
// a client can still send a conditional change; a user's PATCH always answers the user.
#[tokio::test]
async fn a_group_patch_answers_204_with_its_new_etag_unless_it_asks_for_attributes() {
    let (app, key, token, _dir) = door();
    let t = Some(token.as_str());
    let base = format!("/scim/v2/{key}");
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@example.org"});
    let r = send(&app, Method::POST, &format!("{base}/Users"), t, Some(user)).await;
    let uid = r.body["id"].as_str().unwrap().to_string();
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "A"});
    let r = send(
        &app,
        Method::POST,
        &format!("{base}/Groups"),
        t,
        Some(group),
    )
    .await;
    let gid = r.body["id"].as_str().unwrap().to_string();
    let one = format!("{base}/Groups/{gid}");
    let ops = |op: &str, path: &str, value: Value| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": op, "path": path, "value": value}]})
    };

    let r = send(
        &app,
        Method::PATCH,
        &one,
        t,
        Some(ops("add", "members", json!([{"value": uid}]))),
    )
    .await;
    assert_eq!((r.status, &r.body), (StatusCode::NO_CONTENT, &Value::Null));
    let read = send(&app, Method::GET, &one, t, None).await;
    assert_eq!(
        read.body["members"][0]["value"],
        uid.as_str(),
        "{}",
        read.body
    );
    assert_eq!(
        r.etag, read.etag,
        "the 204 carries the version the change made"
    );
    assert_eq!(read.etag.as_deref(), Some("W/\"2\""));

    // Named attributes, even unknown ones, ask for the resource: 200, as they project it.
    let r = send(
        &app,
        Method::PATCH,
        &format!("{one}?excludedAttributes=members"),
        t,
        Some(ops("replace", "displayName", json!("B"))),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["displayName"]),
        (StatusCode::OK, &json!("B")),
        "{}",
        r.body
    );
    assert!(r.body.get("members").is_none(), "{}", r.body);
    assert_eq!(r.etag.as_deref(), Some("W/\"3\""));
    let r = send(
        &app,
        Method::PATCH,
        &format!("{one}?attributes=members"),
        t,
        Some(ops("replace", "displayName", json!("C"))),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["members"][0]["value"]),
        (StatusCode::OK, &json!(uid)),
        "{}",
        r.body
    );
    assert!(r.body.get("displayName").is_none(), "{}", r.body);
    // `meta` is left out with the rest; the version still comes as the ETag, for a conditional change.
    assert!(r.body.get("meta").is_none(), "{}", r.body);
    assert_eq!(r.etag.as_deref(), Some("W/\"4\""));
    let read = send(
        &app,
        Method::GET,
        &format!("{one}?attributes=members"),
        t,
        None,
    )
    .await;
    assert_eq!(
        (read.body.get("meta"), read.etag.as_deref()),
        (None, Some("W/\"4\"")),
        "{}",
        read.body
    );
    let r = send(
        &app,
        Method::PATCH,
        &format!("{one}?attributes=nickName"),
        t,
        Some(ops("replace", "displayName", json!("D"))),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["id"]),
        (StatusCode::OK, &json!(gid)),
        "{}",
        r.body
    );
    let r = send(
        &app,
        Method::PATCH,
        &format!("{one}?attributes=id&excludedAttributes=members"),
        t,
        Some(ops("replace", "displayName", json!("E"))),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let read = send(&app, Method::GET, &one, t, None).await;
    assert_eq!(
        read.body["displayName"], "D",
        "a refused PATCH changes nothing"
    );

    // A user's PATCH answers the user, projected when asked.
    let user = format!("{base}/Users/{uid}");
    let r = send(
        &app,
        Method::PATCH,
        &user,
        t,
        Some(ops("replace", "active", json!(false))),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["active"], &r.body["groups"][0]["value"]),
        (StatusCode::OK, &json!(false), &json!(gid)),
        "{}",
        r.body
    );
    let r = send(
        &app,
        Method::PATCH,
        &format!("{user}?attributes=active"),
        t,
        Some(ops("replace", "active", json!(true))),
    )
    .await;
    assert_eq!(
        (r.status, &r.body["active"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        r.body
    );
    assert!(
        r.body.get("userName").is_none() && r.body.get("groups").is_none(),
        "{}",
        r.body
    );
}

// Why: a path that names no resource kind, or a method a path does not serve, must be answered as the
// server answers any such request (404, 405 with Allow), in SCIM's format, before any token is looked at.
#[tokio::test]
async fn a_path_naming_no_resource_kind_is_404_and_a_method_not_served_is_405() {
    let (app, key, token, _dir) = door();
    let base = format!("/scim/v2/{key}");
    for token in [None, Some(token.as_str())] {
        for (method, path) in [
            (Method::GET, "Widgets"),
            (Method::POST, "Widgets"),
            (Method::DELETE, "Widgets"),
            (Method::GET, "users"),
            (Method::POST, "Widgets/.search"),
            (Method::GET, "Widgets/x"),
            (Method::PATCH, "Widgets/x"),
        ] {
            let path = format!("{base}/{path}");
            let r = send(&app, method.clone(), &path, token, None).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                r.body
            );
            assert_eq!(
                r.body["detail"],
                format!("Roster has nothing at {path}. Check the URL."),
                "{method} {path}"
            );
            assert_eq!(r.body["status"], "404");
        }
        for (method, path, allowed) in [
            (Method::DELETE, "Users", "GET,HEAD,POST"),
            (Method::PUT, "Groups", "GET,HEAD,POST"),
            (Method::GET, "Users/.search", "POST"),
            (Method::POST, "Groups/x", "GET,HEAD,PUT,PATCH,DELETE"),
        ] {
            let path = format!("{base}/{path}");
            let r = send(&app, method.clone(), &path, token, None).await;
            assert_eq!(
                r.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {}",
                r.body
            );
            assert_eq!(
                r.body["detail"],
                format!("{method} is not allowed on {path}.")
            );
            let mut allow: Vec<String> = r
                .allow
                .unwrap_or_default()
                .split(',')
                .map(|m| m.trim().to_string())
                .collect();
            allow.sort();
            let mut want: Vec<&str> = allowed.split(',').collect();
            want.sort();
            assert_eq!(allow, want, "{method} {path}");
        }
    }
    let r = send(&app, Method::GET, &format!("{base}/Users"), None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

// Why: a write runs on its integration's lane, apart from the request; a request answered 503 because
// its time ran out while it queued must change nothing (the gate's rule), and the lane must go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_time_runs_out_in_its_lane_changes_nothing() {
    let (roster, key, token, _dir) = integration();
    let lanes = Arc::new(Lanes::default());
    let app = crate::FrontDoors::new(crate::RequestLimits {
        // Long enough for a free lane to begin a push on a loaded machine; the busy lane holds one past it.
        handler_timeout: std::time::Duration::from_secs(2),
        ..crate::RequestLimits::default()
    })
    .door(
        PREFIX,
        routes_on(roster, Origin::new("http://127.0.0.1:8742"), lanes.clone()),
        error,
    )
    .router();
    let t = Some(token.as_str());
    let users = format!("/scim/v2/{key}/Users");
    let late = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "late@example.org"});
    let push = || send(&app, Method::POST, &users, t, Some(late.clone()));

    // The lane is busy (as with a write waiting for a long sync's write lock) past the request's time.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let busy: Job = Box::new(move || {
        let _ = held.recv();
    });
    assert!(lanes.send(&key, busy).is_ok());
    let r = push().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.body["status"], "503", "a SCIM error: {}", r.body);

    // Once the lane is free, the queued write is skipped: the user was never created.
    release.send(()).unwrap();
    let (done, drained) = tokio::sync::oneshot::channel();
    let marker: Job = Box::new(move || {
        let _ = done.send(());
    });
    assert!(lanes.send(&key, marker).is_ok());
    drained.await.unwrap();
    let filter = format!("{users}?filter=userName%20eq%20%22late@example.org%22");
    let r = send(&app, Method::GET, &filter, t, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["totalResults"], 0, "{}", r.body);

    // And the lane goes on: the same push sent again is created.
    let r = push().await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = send(&app, Method::GET, &filter, t, None).await;
    assert_eq!(r.body["totalResults"], 1, "{}", r.body);
}

// Why: a write's body is parsed on the request's worker once its token is checked, not on its
// integration's lane: one that does not parse is refused at once, even while the lane is busy with a long
// write, and a client without a valid token learns nothing about its body (401, not 400).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_parse_is_refused_without_queuing_and_only_after_the_token() {
    let (roster, key, token, _dir) = integration();
    let lanes = Arc::new(Lanes::default());
    let app = crate::FrontDoors::new(crate::RequestLimits::default())
        .door(
            PREFIX,
            routes_on(roster, Origin::new("http://127.0.0.1:8742"), lanes.clone()),
            error,
        )
        .router();
    let users = format!("/scim/v2/{key}/Users");
    let no_name = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]});

    let (release, held) = std::sync::mpsc::channel::<()>();
    let busy: Job = Box::new(move || {
        let _ = held.recv();
    });
    assert!(lanes.send(&key, busy).is_ok());
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        send(
            &app,
            Method::POST,
            &users,
            Some(token.as_str()),
            Some(no_name.clone()),
        ),
    )
    .await
    .expect("answered while the lane was busy");
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["scimType"], "invalidValue", "{}", r.body);

    let r = send(
        &app,
        Method::POST,
        &users,
        Some("roster_scim_not-the-token"),
        Some(no_name),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    release.send(()).unwrap();
}
