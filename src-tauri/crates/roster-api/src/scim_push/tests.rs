//! The push helpers: ids, ETags, lookup e-mails, and tracing a taken username to its sync.

use super::*;

#[test]
fn ids_look_like_uuids_and_differ() {
    let a = new_id();
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert_ne!(a, new_id());
}

#[test]
fn if_match_accepts_the_current_version_only() {
    assert!(check_if_match(None, 3).is_ok());
    assert!(check_if_match(Some("W/\"3\""), 3).is_ok());
    assert!(check_if_match(Some("\"3\""), 3).is_ok());
    assert!(check_if_match(Some("*"), 3).is_ok());
    assert!(check_if_match(Some("W/\"2\""), 3).is_err());
}

#[test]
fn a_taken_username_is_traced_to_the_other_sync_that_manages_it() {
    let own = DirectoryKey("DSOWN".into());
    let hr = DirectoryKey("DSHR".into());
    let user = |name: &str, by: Option<&DirectoryKey>| roster_core::User {
        id: roster_core::UserId(name.into()),
        fields: roster_core::UserFields {
            username: name.into(),
            ..Default::default()
        },
        status: roster_core::UserStatus::Active,
        managed_by: by.cloned(),
        external_id: None,
        last_directory_sync: None,
        trashed_at: None,
        groups: Vec::new(),
    };
    let users = [
        user("ann", Some(&own)),
        user("Bob", Some(&hr)),
        user("carl", None),
    ];
    assert_eq!(
        owner_of_taken_name("bob", &users, &own),
        Some(&hr),
        "usernames compare case-insensitively, as Roster's do"
    );
    assert_eq!(
        owner_of_taken_name("ann", &users, &own),
        None,
        "the integration's own user is not another sync's"
    );
    assert_eq!(
        owner_of_taken_name("carl", &users, &own),
        None,
        "a user no sync manages has no sync to name"
    );
}

#[test]
fn the_lookup_email_prefers_primary_then_work() {
    let doc = serde_json::json!({"emails": [
        {"value": "home@x.org", "type": "home"},
        {"value": "work@x.org", "type": "work"},
    ]});
    assert_eq!(lookup_email(&doc).as_deref(), Some("work@x.org"));
    let doc = serde_json::json!({"emails": [
        {"value": "work@x.org", "type": "work"},
        {"value": "p@x.org", "primary": true},
    ]});
    assert_eq!(lookup_email(&doc).as_deref(), Some("p@x.org"));
}
