//! From stored documents to Roster's SourceUser: the flattened names, and the default mapping they are
//! made for.

use crate::fixture;
use roster_core::mapping::map_user;
use roster_scim::{group_from_body, group_name, patch_user, user_from_body, user_source};
use serde_json::{json, Value};

fn pairs(doc: &Value) -> Vec<(String, String)> {
    user_source("u1", doc)
        .attributes
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect()
}

#[test]
fn the_rfc_user_flattens_to_documented_names() {
    let doc = user_from_body(&fixture("rfc/user-enterprise.json")).unwrap();
    let su = user_source("2819c223-7f76-453a-919d-413861904646", &doc);
    assert_eq!(
        &*su.external_id, "2819c223-7f76-453a-919d-413861904646",
        "the SCIM id, not externalId"
    );
    assert_eq!(su.locator.as_deref(), Some("bjensen@example.com"));
    assert!(!su.disabled);
    let want: Vec<(&str, &str)> = vec![
        ("userName", "bjensen@example.com"),
        ("displayName", "Babs Jensen"),
        ("nickName", "Babs"),
        ("title", "Tour Guide"),
        ("userType", "Employee"),
        ("preferredLanguage", "en-US"),
        ("locale", "en-US"),
        ("timezone", "America/Los_Angeles"),
        ("profileUrl", "https://login.example.com/bjensen"),
        ("externalId", "701984"),
        ("active", "true"),
        ("name.formatted", "Ms. Barbara J Jensen, III"),
        ("name.givenName", "Barbara"),
        ("name.familyName", "Jensen"),
        ("name.middleName", "Jane"),
        ("name.honorificPrefix", "Ms."),
        ("name.honorificSuffix", "III"),
        ("realName", "Babs Jensen"),
        ("email", "bjensen@example.com"),
        ("emails", "bjensen@example.com"),
        ("emails", "babs@jensen.org"),
        ("emails.primary", "bjensen@example.com"),
        ("emails.work", "bjensen@example.com"),
        ("emails.home", "babs@jensen.org"),
        ("phoneNumbers", "555-555-5555"),
        ("phoneNumbers", "555-555-4444"),
        ("phoneNumbers.work", "555-555-5555"),
        ("phoneNumbers.mobile", "555-555-4444"),
        ("ims", "someaimhandle"),
        ("ims.aim", "someaimhandle"),
        (
            "photos",
            "https://photos.example.com/profilephoto/72930000000Ccne/F",
        ),
        (
            "photos",
            "https://photos.example.com/profilephoto/72930000000Ccne/T",
        ),
        (
            "photos.photo",
            "https://photos.example.com/profilephoto/72930000000Ccne/F",
        ),
        (
            "photos.thumbnail",
            "https://photos.example.com/profilephoto/72930000000Ccne/T",
        ),
        (
            "addresses.formatted",
            "100 Universal City Plaza\nHollywood, CA 91608 USA",
        ),
        ("addresses.streetAddress", "100 Universal City Plaza"),
        ("addresses.locality", "Hollywood"),
        ("addresses.region", "CA"),
        ("addresses.postalCode", "91608"),
        ("addresses.country", "USA"),
        (
            "addresses.work.formatted",
            "100 Universal City Plaza\nHollywood, CA 91608 USA",
        ),
        ("addresses.work.streetAddress", "100 Universal City Plaza"),
        ("addresses.work.locality", "Hollywood"),
        ("addresses.work.region", "CA"),
        ("addresses.work.postalCode", "91608"),
        ("addresses.work.country", "USA"),
        (
            "addresses.home.formatted",
            "456 Hollywood Blvd\nHollywood, CA 91608 USA",
        ),
        ("addresses.home.streetAddress", "456 Hollywood Blvd"),
        ("addresses.home.locality", "Hollywood"),
        ("addresses.home.region", "CA"),
        ("addresses.home.postalCode", "91608"),
        ("addresses.home.country", "USA"),
        ("enterprise.employeeNumber", "701984"),
        ("enterprise.costCenter", "4130"),
        ("enterprise.organization", "Universal Studios"),
        ("enterprise.division", "Theme Park"),
        ("enterprise.department", "Tour Operations"),
        ("enterprise.manager", "26118915-6090-4610-87e4-49d8ca9f808d"),
    ];
    let want: Vec<(String, String)> = want
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(pairs(&doc), want);
}

#[test]
fn deactivation_disables_and_reactivation_enables() {
    let doc = user_from_body(&fixture("okta/create-user.json")).unwrap();
    assert!(!user_source("u1", &doc).disabled);
    let off = patch_user("u1", &doc, &fixture("okta/deactivate-user.json")).unwrap();
    assert!(user_source("u1", &off).disabled, "active: false disables");
    let off = patch_user("u1", &doc, &fixture("entra/disable-user.json")).unwrap();
    assert!(
        user_source("u1", &off).disabled,
        "Entra's \"False\" disables too"
    );
    let none = json!({"userName": "u"});
    assert!(
        !user_source("u1", &none).disabled,
        "no active attribute is not disabled"
    );
}

#[test]
fn the_preferred_email_is_primary_then_work_then_first() {
    let email = |emails: Value| {
        user_source("u", &json!({"userName": "u", "emails": emails}))
            .first("email")
            .map(str::to_owned)
    };
    assert_eq!(
        email(json!([{"value": "w@x", "type": "work"}, {"value": "p@x", "primary": true}]))
            .as_deref(),
        Some("p@x")
    );
    assert_eq!(
        email(json!([{"value": "h@x", "type": "home"}, {"value": "w@x", "type": "Work"}]))
            .as_deref(),
        Some("w@x")
    );
    assert_eq!(
        email(json!([{"value": "h@x", "type": "home"}, {"value": "o@x"}])).as_deref(),
        Some("h@x")
    );
    assert_eq!(email(json!([])), None);
}

#[test]
fn the_default_scim_mapping_reads_these_names() {
    // The map the application layer gives SCIM integrations.
    let map = roster_scim::default_attributes();
    let entra = user_from_body(&fixture("entra/create-user.json")).unwrap();
    let f = map_user(&map, &user_source("u1", &entra)).unwrap();
    assert_eq!(f.username, "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee");
    assert_eq!(
        f.realname.as_deref(),
        Some("givenName familyName"),
        "without displayName the formatted name is the real name"
    );
    assert_eq!(f.firstname.as_deref(), Some("givenName"));
    assert_eq!(f.lastname.as_deref(), Some("familyName"));
    assert_eq!(
        f.email.as_deref(),
        Some("Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com")
    );
    let rfc = user_from_body(&fixture("rfc/user-enterprise.json")).unwrap();
    let f = map_user(&map, &user_source("u1", &rfc)).unwrap();
    assert_eq!(f.phones, ["555-555-5555", "555-555-4444"]);
    assert_eq!(f.realname.as_deref(), Some("Babs Jensen"));
}

#[test]
fn group_names() {
    let g = group_from_body(&fixture("okta/create-group.json")).unwrap();
    assert_eq!(group_name(&g.doc), "Test SCIMv2");
    assert_eq!(group_name(&json!({})), "");
}
