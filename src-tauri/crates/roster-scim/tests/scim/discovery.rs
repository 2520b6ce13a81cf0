//! The discovery documents: every attribute of RFC 7643 §4.1, §4.2 and §4.3 with the characteristics of the
//! RFC's schema listing (§8.7.1), written out here by hand; and the ServiceProviderConfig and ResourceTypes.

use roster_scim::{
    resource_type, resource_types, schema_document, schemas, service_provider_config,
};
use roster_scim::{Limits, MAX_RESULTS};
use serde_json::Value;

const BASE: &str = "https://roster.example/scim/v2/dk1/";

// path | type | multiValued | required | caseExact | mutability | returned | uniqueness | canonicalValues | referenceTypes
// Differences from §8.7.1, each on purpose:
// - addresses.primary: §4.1.2 and the RFC's example user (§8.2) have it; the listing forgot it.
// - Group displayName required: §4.2 says REQUIRED and Roster needs a name; the listing says false.
// - members.display: the common sub-attribute (§2.4) Okta sends; the RFC's group example (§8.4) shows it. Roster keeps members by id only, so it is read-only.
const USER: &str = "
userName|string|single|required|ci|readWrite|default|server||
name|complex|single|optional|ci|readWrite|default|none||
name.formatted|string|single|optional|ci|readWrite|default|none||
name.familyName|string|single|optional|ci|readWrite|default|none||
name.givenName|string|single|optional|ci|readWrite|default|none||
name.middleName|string|single|optional|ci|readWrite|default|none||
name.honorificPrefix|string|single|optional|ci|readWrite|default|none||
name.honorificSuffix|string|single|optional|ci|readWrite|default|none||
displayName|string|single|optional|ci|readWrite|default|none||
nickName|string|single|optional|ci|readWrite|default|none||
profileUrl|reference|single|optional|ci|readWrite|default|none||external
title|string|single|optional|ci|readWrite|default|none||
userType|string|single|optional|ci|readWrite|default|none||
preferredLanguage|string|single|optional|ci|readWrite|default|none||
locale|string|single|optional|ci|readWrite|default|none||
timezone|string|single|optional|ci|readWrite|default|none||
active|boolean|single|optional|ci|readWrite|default|none||
password|string|single|optional|ci|writeOnly|never|none||
emails|complex|multi|optional|ci|readWrite|default|none||
emails.value|string|single|optional|ci|readWrite|default|none||
emails.display|string|single|optional|ci|readWrite|default|none||
emails.type|string|single|optional|ci|readWrite|default|none|work,home,other|
emails.primary|boolean|single|optional|ci|readWrite|default|none||
phoneNumbers|complex|multi|optional|ci|readWrite|default|none||
phoneNumbers.value|string|single|optional|ci|readWrite|default|none||
phoneNumbers.display|string|single|optional|ci|readWrite|default|none||
phoneNumbers.type|string|single|optional|ci|readWrite|default|none|work,home,mobile,fax,pager,other|
phoneNumbers.primary|boolean|single|optional|ci|readWrite|default|none||
ims|complex|multi|optional|ci|readWrite|default|none||
ims.value|string|single|optional|ci|readWrite|default|none||
ims.display|string|single|optional|ci|readWrite|default|none||
ims.type|string|single|optional|ci|readWrite|default|none|aim,gtalk,icq,xmpp,msn,skype,qq,yahoo|
ims.primary|boolean|single|optional|ci|readWrite|default|none||
photos|complex|multi|optional|ci|readWrite|default|none||
photos.value|reference|single|optional|ci|readWrite|default|none||external
photos.display|string|single|optional|ci|readWrite|default|none||
photos.type|string|single|optional|ci|readWrite|default|none|photo,thumbnail|
photos.primary|boolean|single|optional|ci|readWrite|default|none||
addresses|complex|multi|optional|ci|readWrite|default|none||
addresses.formatted|string|single|optional|ci|readWrite|default|none||
addresses.streetAddress|string|single|optional|ci|readWrite|default|none||
addresses.locality|string|single|optional|ci|readWrite|default|none||
addresses.region|string|single|optional|ci|readWrite|default|none||
addresses.postalCode|string|single|optional|ci|readWrite|default|none||
addresses.country|string|single|optional|ci|readWrite|default|none||
addresses.type|string|single|optional|ci|readWrite|default|none|work,home,other|
addresses.primary|boolean|single|optional|ci|readWrite|default|none||
groups|complex|multi|optional|ci|readOnly|default|none||
groups.value|string|single|optional|ci|readOnly|default|none||
groups.$ref|reference|single|optional|ci|readOnly|default|none||User,Group
groups.display|string|single|optional|ci|readOnly|default|none||
groups.type|string|single|optional|ci|readOnly|default|none|direct,indirect|
entitlements|complex|multi|optional|ci|readWrite|default|none||
entitlements.value|string|single|optional|ci|readWrite|default|none||
entitlements.display|string|single|optional|ci|readWrite|default|none||
entitlements.type|string|single|optional|ci|readWrite|default|none||
entitlements.primary|boolean|single|optional|ci|readWrite|default|none||
roles|complex|multi|optional|ci|readWrite|default|none||
roles.value|string|single|optional|ci|readWrite|default|none||
roles.display|string|single|optional|ci|readWrite|default|none||
roles.type|string|single|optional|ci|readWrite|default|none||
roles.primary|boolean|single|optional|ci|readWrite|default|none||
x509Certificates|complex|multi|optional|ci|readWrite|default|none||
x509Certificates.value|binary|single|optional|ci|readWrite|default|none||
x509Certificates.display|string|single|optional|ci|readWrite|default|none||
x509Certificates.type|string|single|optional|ci|readWrite|default|none||
x509Certificates.primary|boolean|single|optional|ci|readWrite|default|none||
";

const ENTERPRISE: &str = "
employeeNumber|string|single|optional|ci|readWrite|default|none||
costCenter|string|single|optional|ci|readWrite|default|none||
organization|string|single|optional|ci|readWrite|default|none||
division|string|single|optional|ci|readWrite|default|none||
department|string|single|optional|ci|readWrite|default|none||
manager|complex|single|optional|ci|readWrite|default|none||
manager.value|string|single|optional|ci|readWrite|default|none||
manager.$ref|reference|single|optional|ci|readWrite|default|none||User
manager.displayName|string|single|optional|ci|readOnly|default|none||
";

const GROUP: &str = "
displayName|string|single|required|ci|readWrite|default|none||
members|complex|multi|optional|ci|readWrite|default|none||
members.value|string|single|optional|ci|immutable|default|none||
members.$ref|reference|single|optional|ci|immutable|default|none||User,Group
members.display|string|single|optional|ci|readOnly|default|none||
members.type|string|single|optional|ci|immutable|default|none|User,Group|
";

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_owned()
}

fn flag(v: &Value, key: &str, yes: &str, no: &str) -> String {
    match v[key].as_bool() {
        Some(true) => yes.to_owned(),
        Some(false) => no.to_owned(),
        None => panic!("{key} is not a boolean in {v}"),
    }
}

fn list(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn flatten(prefix: &str, attrs: &Value, out: &mut Vec<String>) {
    for a in attrs.as_array().unwrap() {
        let path = format!("{prefix}{}", s(a, "name"));
        out.push(
            [
                path.clone(),
                s(a, "type"),
                flag(a, "multiValued", "multi", "single"),
                flag(a, "required", "required", "optional"),
                flag(a, "caseExact", "exact", "ci"),
                s(a, "mutability"),
                s(a, "returned"),
                s(a, "uniqueness"),
                list(a, "canonicalValues"),
                list(a, "referenceTypes"),
            ]
            .join("|"),
        );
        assert!(!s(a, "description").is_empty(), "{path} has a description");
        if let Some(subs) = a.get("subAttributes") {
            flatten(&format!("{path}."), subs, out);
        }
    }
}

fn expected(table: &str) -> Vec<String> {
    table
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn schema_lines(id: &str) -> Vec<String> {
    let doc = schema_document(BASE, id).unwrap_or_else(|| panic!("no schema {id}"));
    let mut out = Vec::new();
    flatten("", &doc["attributes"], &mut out);
    out
}

#[test]
fn the_user_schema_lists_every_attribute_of_rfc_7643_section_4_1() {
    assert_eq!(
        schema_lines("urn:ietf:params:scim:schemas:core:2.0:User"),
        expected(USER),
        "clients and scim2-tester generate their requests from this listing"
    );
}

#[test]
fn the_enterprise_user_schema_lists_every_attribute_of_section_4_3() {
    assert_eq!(
        schema_lines("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
        expected(ENTERPRISE)
    );
}

#[test]
fn the_group_schema_lists_every_attribute_of_section_4_2() {
    assert_eq!(
        schema_lines("urn:ietf:params:scim:schemas:core:2.0:Group"),
        expected(GROUP)
    );
}

#[test]
fn schemas_is_a_list_response_with_locations_under_the_base_url() {
    let all = schemas(BASE);
    assert_eq!(
        all["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );
    assert_eq!(all["totalResults"], 3);
    let ids: Vec<_> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| s(r, "id"))
        .collect();
    assert_eq!(
        ids,
        [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
        ]
    );
    for r in all["Resources"].as_array().unwrap() {
        assert_eq!(
            r["schemas"][0],
            "urn:ietf:params:scim:schemas:core:2.0:Schema"
        );
        assert_eq!(r["meta"]["resourceType"], "Schema");
        assert_eq!(
            r["meta"]["location"],
            format!("https://roster.example/scim/v2/dk1/Schemas/{}", s(r, "id")),
            "one slash between the base URL and the path, whatever the caller passed"
        );
    }
    assert!(
        schema_document(BASE, "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP").is_some(),
        "schema ids are looked up case-insensitively"
    );
    assert!(schema_document(BASE, "urn:example:nope").is_none());
}

#[test]
fn the_service_provider_config_says_what_roster_supports() {
    let spc = service_provider_config(BASE, &Limits::default());
    assert_eq!(
        spc["schemas"][0],
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    );
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], MAX_RESULTS);
    assert_eq!(spc["changePassword"]["supported"], false);
    assert_eq!(
        spc["sort"]["supported"], false,
        "ListQuery ignores sortBy, so sorting is not offered"
    );
    assert_eq!(spc["etag"]["supported"], true);
    let schemes = spc["authenticationSchemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 1);
    assert_eq!(schemes[0]["type"], "oauthbearertoken");
    assert_eq!(schemes[0]["primary"], true);
    assert_eq!(spc["meta"]["resourceType"], "ServiceProviderConfig");
    assert_eq!(
        spc["meta"]["location"],
        "https://roster.example/scim/v2/dk1/ServiceProviderConfig"
    );
    let small = service_provider_config(BASE, &Limits { max_results: 50 });
    assert_eq!(
        small["filter"]["maxResults"], 50,
        "the limit reported is the one enforced"
    );
}

#[test]
fn resource_types_name_the_endpoints_and_the_enterprise_extension() {
    let all = resource_types(BASE);
    assert_eq!(all["totalResults"], 2);
    let user = &all["Resources"][0];
    assert_eq!(user["id"], "User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], "urn:ietf:params:scim:schemas:core:2.0:User");
    assert_eq!(
        user["schemaExtensions"],
        serde_json::json!([{
            "schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "required": false
        }])
    );
    assert_eq!(
        user["meta"]["location"],
        "https://roster.example/scim/v2/dk1/ResourceTypes/User"
    );
    let group = &all["Resources"][1];
    assert_eq!(group["endpoint"], "/Groups");
    assert!(
        group.get("schemaExtensions").is_none(),
        "groups have no extension"
    );
    assert_eq!(resource_type(BASE, "group").unwrap(), *group);
    assert!(resource_type(BASE, "Device").is_none());
}
