use super::*;

fn endpoint(method: &str, path: &str) -> Result<Endpoint, Code> {
    route(method, path)
        .map(|m| m.endpoint())
        .map_err(|e| e.code)
}

#[test]
fn every_endpoint_of_the_brief_resolves() {
    let cases = [
        ("GET", "/admin/v1/users", E::UsersList),
        ("POST", "/admin/v1/users", E::UserCreate),
        ("GET", "/admin/v1/users/DU1", E::UserGet),
        ("POST", "/admin/v1/users/DU1", E::UserUpdate),
        ("DELETE", "/admin/v1/users/DU1", E::UserDelete),
        ("GET", "/admin/v1/users/DU1/groups", E::UserGroupsList),
        ("POST", "/admin/v1/users/DU1/groups", E::UserGroupAdd),
        (
            "DELETE",
            "/admin/v1/users/DU1/groups/DG1",
            E::UserGroupRemove,
        ),
        ("GET", "/admin/v1/groups", E::GroupsList),
        ("GET", "/admin/v1/groups/DG1", E::GroupGetV1),
        ("POST", "/admin/v1/groups/DG1", E::GroupUpdate),
        ("GET", "/admin/v2/groups/DG1", E::GroupGetV2),
        ("GET", "/admin/v2/groups/DG1/users", E::GroupUsersV2),
        ("GET", "/admin/v1/admins", E::AdminsList),
        ("GET", "/admin/v1/admins/DE1", E::AdminGet),
        (
            "POST",
            "/admin/v1/users/directorysync/DK1/syncuser",
            E::SyncUser,
        ),
        (
            "POST",
            "/admin/v1/admins/directorysync/DK1/syncadmin",
            E::SyncAdmin,
        ),
        ("GET", "/admin/v1/users/directorysync", E::UserSyncsList),
        ("GET", "/admin/v1/settings", E::SettingsGet),
        ("POST", "/admin/v1/settings", E::SettingsUpdate),
        ("GET", "/admin/v1/info/summary", E::InfoSummary),
        ("GET", "/admin/v1/logs/administrator", E::AdminLogV1),
        ("GET", "/admin/v2/logs/administrator", E::AdminLogV2),
    ];
    for (method, path, want) in cases {
        assert_eq!(endpoint(method, path), Ok(want), "{method} {path}");
    }
    assert_eq!(
        endpoint("get", "/admin/v1/users"),
        Ok(E::UsersList),
        "methods in any case"
    );
}

#[test]
fn path_parameters_come_out_in_order() {
    let m = route("DELETE", "/admin/v1/users/DU9/groups/DG7").ok();
    assert_eq!(
        m.as_ref().map(|m| m.path_params.clone()),
        Some(vec!["DU9", "DG7"])
    );
    assert_eq!(m.and_then(|m| m.id()), Some("DU9"));
    let sync = route("POST", "/admin/v1/users/directorysync/KEY42/syncuser").ok();
    assert_eq!(sync.and_then(|m| m.id()), Some("KEY42"));
}

#[test]
fn unknown_paths_are_404_and_other_methods_405() {
    for path in [
        "/admin/v1/nothing",
        "/admin/v1/users/",
        "/admin/v1/users//groups",
        "/admin/v3/groups/DG1",
        "/admin/v1/users/DU1/groups/DG1/extra",
        "/admin/v1/users/directorysync/DK1/syncadmin",
        "",
        "/",
    ] {
        assert_eq!(endpoint("GET", path), Err(Code::NotFound), "{path}");
    }
    for (method, path) in [
        ("PUT", "/admin/v1/users"),
        ("DELETE", "/admin/v1/users"),
        ("PATCH", "/admin/v1/users/DU1"),
        ("GET", "/admin/v1/users/directorysync/DK1/syncuser"),
        ("POST", "/admin/v1/admins"),
        ("DELETE", "/admin/v1/settings"),
        ("POST", "/admin/v1/logs/administrator"),
        ("BREW", "/admin/v1/info/summary"),
    ] {
        assert_eq!(
            endpoint(method, path),
            Err(Code::MethodNotAllowed),
            "{method} {path}"
        );
    }
}

#[test]
fn literal_segments_win_over_ids() {
    assert_eq!(
        endpoint("POST", "/admin/v1/users/directorysync"),
        Err(Code::MethodNotAllowed),
        "the sync list is not a user called directorysync"
    );
    assert_eq!(
        endpoint("DELETE", "/admin/v1/users/directorysync"),
        Err(Code::MethodNotAllowed)
    );
}

#[test]
fn grants_classes_and_paging_follow_duo() {
    let r = |m: &str, p: &str| route(m, p).map(|m| *m.route).ok();
    let users = r("GET", "/admin/v1/users");
    assert_eq!(
        users.map(|r| (r.grant, r.class)),
        Some((G::ReadResource, R::GetPage))
    );
    assert_eq!(users.and_then(|r| r.paging), Some(PageLimits::USERS));
    assert_eq!(
        r("POST", "/admin/v1/users").map(|r| r.grant),
        Some(G::WriteResource)
    );
    assert_eq!(
        r("POST", "/admin/v1/users/directorysync/K/syncuser").map(|r| r.grant),
        Some(G::WriteResource)
    );
    assert_eq!(
        r("POST", "/admin/v1/admins/directorysync/K/syncadmin").map(|r| (r.grant, r.params)),
        Some((G::Admins, &["email"][..]))
    );
    assert_eq!(
        r("GET", "/admin/v1/admins").and_then(|r| r.paging),
        Some(PageLimits::ADMINS)
    );
    assert_eq!(
        r("GET", "/admin/v1/settings").map(|r| r.grant),
        Some(G::Settings)
    );
    assert_eq!(
        r("GET", "/admin/v1/info/summary").map(|r| r.grant),
        Some(G::Info)
    );
    assert_eq!(
        r("GET", "/admin/v2/logs/administrator").map(|r| (r.grant, r.class)),
        Some((G::ReadLog, R::Logs))
    );
    assert_eq!(
        r("GET", "/admin/v1/users/DU1").map(|r| r.class),
        Some(R::GetObject)
    );
    assert_eq!(
        r("DELETE", "/admin/v1/users/DU1").map(|r| r.class),
        Some(R::ModifyObject)
    );
}

#[test]
fn the_table_has_one_route_per_method_and_path() {
    for (i, a) in ROUTES.iter().enumerate() {
        for b in &ROUTES[i + 1..] {
            assert!(
                !(a.pattern == b.pattern && a.method == b.method),
                "{:?} and {:?} share {} {:?}",
                a.endpoint,
                b.endpoint,
                a.pattern,
                a.method
            );
            assert_ne!(a.endpoint, b.endpoint);
        }
        assert_eq!(
            a.paging.is_some(),
            a.params.contains(&"limit"),
            "{:?}",
            a.endpoint
        );
    }
}
