//! Rendering, projection (`attributes` / `excludedAttributes`), list queries and ListResponses.

use crate::fixture;
use roster_scim::{
    group_from_body, list_response, project, render, render_group, user_from_body, Limits,
    ListQuery, Member, Projection, ResourceKind, ResourceMeta, ScimType,
};
use serde_json::{json, Value};

const BASE: &str = "https://roster.example/scim/v2/dk1";

fn meta(kind: ResourceKind, id: &str) -> ResourceMeta<'_> {
    ResourceMeta {
        kind,
        id,
        created: "2026-01-02T03:04:05Z",
        last_modified: "2026-02-03T04:05:06Z",
        version: Some("W/\"7\""),
    }
}

fn rendered_bjensen() -> Value {
    let doc = user_from_body(&fixture("rfc/user-enterprise.json")).unwrap();
    render(BASE, &doc, &meta(ResourceKind::User, "u1"))
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn render_adds_id_and_meta() {
    let doc = user_from_body(&fixture("okta/create-user.json")).unwrap();
    let r = render(&format!("{BASE}/"), &doc, &meta(ResourceKind::User, "u1"));
    assert_eq!(r["id"], "u1");
    assert_eq!(
        r["meta"],
        json!({
            "resourceType": "User",
            "created": "2026-01-02T03:04:05Z",
            "lastModified": "2026-02-03T04:05:06Z",
            "location": "https://roster.example/scim/v2/dk1/Users/u1",
            "version": "W/\"7\"",
        })
    );
    assert_eq!(r["userName"], "test.user@okta.local");
    let no_version = render(
        BASE,
        &doc,
        &ResourceMeta {
            version: None,
            ..meta(ResourceKind::User, "u1")
        },
    );
    assert!(no_version["meta"].get("version").is_none());
}

#[test]
fn render_group_lists_members_with_refs() {
    let g = group_from_body(&fixture("okta/create-group.json")).unwrap();
    let members = vec![
        Member {
            value: "u1".into(),
            display: Some("Ann".into()),
        },
        Member {
            value: "u2".into(),
            display: None,
        },
    ];
    let r = render_group(BASE, &g.doc, &meta(ResourceKind::Group, "g1"), members);
    assert_eq!(
        r["meta"]["location"],
        "https://roster.example/scim/v2/dk1/Groups/g1"
    );
    assert_eq!(
        r["members"],
        json!([
            {"value": "u1", "display": "Ann", "$ref": "https://roster.example/scim/v2/dk1/Users/u1", "type": "User"},
            {"value": "u2", "$ref": "https://roster.example/scim/v2/dk1/Users/u2", "type": "User"},
        ])
    );
    let empty = render_group(BASE, &g.doc, &meta(ResourceKind::Group, "g1"), Vec::new());
    assert!(empty.get("members").is_none(), "no members is unassigned");
    let plain = render(BASE, &g.doc, &meta(ResourceKind::Group, "g1"));
    assert!(plain.get("members").is_none());
}

#[test]
fn attributes_keeps_what_is_asked_and_what_is_always_returned() {
    let u = rendered_bjensen();
    let p = project(ResourceKind::User, &u, &["userName"], &[]);
    assert_eq!(
        p,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1",
            "userName": "bjensen@example.com",
        }),
        "id and schemas are always returned; meta is returned by default only"
    );
    let p = project(
        ResourceKind::User,
        &u,
        &[
            "NAME.givenName",
            "emails.value",
            "emails.TYPE",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ],
        &[],
    );
    assert_eq!(p["name"], json!({"givenName": "Barbara"}));
    assert_eq!(
        p["emails"],
        json!([
            {"value": "bjensen@example.com", "type": "work"},
            {"value": "babs@jensen.org", "type": "home"}
        ])
    );
    assert_eq!(
        p["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        json!({"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}})
    );
    assert_eq!(
        p["schemas"],
        json!([
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ])
    );
    let p = project(ResourceKind::User, &u, &["name", "name.givenName"], &[]);
    assert_eq!(
        p["name"]["familyName"], "Jensen",
        "the whole attribute wins over one sub-attribute"
    );
    let p = project(
        ResourceKind::User,
        &u,
        &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        &[],
    );
    assert_eq!(
        p["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        "701984"
    );
    let p = project(
        ResourceKind::User,
        &u,
        &["nonsense", "password", "meta.created"],
        &[],
    );
    assert_eq!(
        p["meta"],
        json!({"created": "2026-01-02T03:04:05Z"}),
        "unknown names are ignored"
    );
    assert!(p.get("password").is_none());
}

#[test]
fn excluded_attributes_removes_but_never_the_always_ones() {
    let u = rendered_bjensen();
    let p = project(
        ResourceKind::User,
        &u,
        &[] as &[&str],
        &[
            "emails",
            "id",
            "schemas",
            "name.givenName",
            "addresses.formatted",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
    );
    assert!(p.get("emails").is_none());
    assert_eq!(p["id"], "u1", "id cannot be excluded");
    assert_eq!(p["name"]["familyName"], "Jensen");
    assert!(p["name"].get("givenName").is_none());
    assert!(p["addresses"][0].get("formatted").is_none());
    assert_eq!(p["addresses"][0]["locality"], "Hollywood");
    assert!(p
        .get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        .is_none());
    assert_eq!(
        p["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        "schemas names only the extensions still present"
    );
    let p = project(
        ResourceKind::User,
        &u,
        &[] as &[&str],
        &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"],
    );
    let ext = &p["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert!(ext.get("manager").is_none());
    assert_eq!(ext["department"], "Tour Operations");
}

#[test]
fn entras_group_lookup_excludes_members_so_they_need_not_be_read() {
    let q = ListQuery::from_query(
        ResourceKind::Group,
        &params(&[
            ("excludedAttributes", "members"),
            ("filter", "displayName eq \"displayName\""),
        ]),
        &Limits::default(),
    )
    .unwrap();
    assert!(
        !q.projection.includes("members"),
        "the store can skip the member rows"
    );
    assert!(q.projection.includes("displayName"));
    let g: Value = serde_json::from_slice(&fixture("rfc/group.json")).unwrap();
    let p = q.projection.apply(&g);
    assert!(p.get("members").is_none());
    assert_eq!(p["displayName"], "Tour Guides");
    let all = Projection::all(ResourceKind::Group);
    assert!(all.includes("members"));
    let some = Projection::new(ResourceKind::Group, &["displayName"], &[]);
    assert!(!some.includes("members"));
    assert!(some.includes("id"), "id is always returned");
    let part = Projection::new(ResourceKind::Group, &[] as &[&str], &["members.display"]);
    assert!(
        part.includes("members"),
        "excluding a sub-attribute still returns the members"
    );
}

#[test]
fn list_queries_page_as_rfc_7644_section_3_4_2_4_says() {
    let limits = Limits { max_results: 200 };
    let q =
        |pairs: &[(&str, &str)]| ListQuery::from_query(ResourceKind::User, &params(pairs), &limits);
    let okta = q(&[
        ("filter", "userName eq \"test.user@okta.local\""),
        ("startIndex", "1"),
        ("count", "100"),
    ])
    .unwrap();
    assert_eq!((okta.start_index, okta.count, okta.offset()), (1, 100, 0));
    assert!(okta.filter.is_some());
    let d = q(&[]).unwrap();
    assert_eq!(
        (d.start_index, d.count),
        (1, 200),
        "no count: the most a page holds"
    );
    assert!(d.filter.is_none());
    assert_eq!(
        q(&[("startIndex", "0")]).unwrap().start_index,
        1,
        "below 1 means 1"
    );
    assert_eq!(q(&[("startIndex", "-4")]).unwrap().start_index, 1);
    assert_eq!(q(&[("startIndex", "101")]).unwrap().offset(), 100);
    assert_eq!(q(&[("count", "-1")]).unwrap().count, 0, "negative means 0");
    assert_eq!(q(&[("count", "0")]).unwrap().count, 0);
    assert_eq!(
        q(&[("count", "5000")]).unwrap().count,
        200,
        "capped at maxResults"
    );
    assert_eq!(
        q(&[
            ("COUNT", "7"),
            ("sortBy", "userName"),
            ("sortOrder", "descending")
        ])
        .unwrap()
        .count,
        7,
        "sorting is ignored"
    );
    let e = q(&[("count", "ten")]).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert!(
        e.detail.contains("count must be a whole number"),
        "{}",
        e.detail
    );
    let e = q(&[("filter", "userName eq")]).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    let e = q(&[("attributes", "userName"), ("excludedAttributes", "emails")]).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    let p = q(&[("attributes", "userName, emails.value ,")]).unwrap();
    let shown = p.projection.apply(&rendered_bjensen());
    assert!(
        shown.get("userName").is_some()
            && shown.get("emails").is_some()
            && shown.get("title").is_none()
    );
}

#[test]
fn search_bodies_follow_the_search_request_schema() {
    let limits = Limits::default();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "attributes": ["displayName", "userName"],
        "filter": "displayName sw \"smith\"",
        "startIndex": 1,
        "count": 10,
    });
    let q = ListQuery::from_search_body(ResourceKind::User, body.to_string().as_bytes(), &limits)
        .unwrap();
    assert_eq!((q.start_index, q.count), (1, 10));
    assert!(q
        .filter
        .unwrap()
        .matches(&json!({"displayName": "Smith, J"})));
    let shown = q.projection.apply(&rendered_bjensen());
    assert!(shown.get("title").is_none() && shown.get("userName").is_some());
    let bare = ListQuery::from_search_body(
        ResourceKind::Group,
        br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}"#,
        &limits,
    )
    .unwrap();
    assert_eq!((bare.start_index, bare.count), (1, 1000));
    let e = ListQuery::from_search_body(ResourceKind::User, br#"{"filter": "title pr"}"#, &limits)
        .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    assert!(e.detail.contains("SearchRequest"), "{}", e.detail);
    let e = ListQuery::from_search_body(
        ResourceKind::User,
        br#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": "many"}"#,
        &limits,
    )
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn list_responses_use_integers_and_the_page_length() {
    let r = list_response(250, 101, vec![json!({"id": "a"}), json!({"id": "b"})]);
    assert_eq!(
        r,
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 250,
            "startIndex": 101,
            "itemsPerPage": 2,
            "Resources": [{"id": "a"}, {"id": "b"}],
        }),
        "Okta requires integers, not strings"
    );
    let empty = list_response(0, 1, Vec::new());
    assert_eq!(
        empty["Resources"],
        json!([]),
        "Okta's and Entra's empty answer"
    );
    assert_eq!(empty["itemsPerPage"], 0);
}
