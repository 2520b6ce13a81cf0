//! The resource schemas: User (RFC 7643 §4.1), Group (§4.2) and the Enterprise User extension (§4.3),
//! with every attribute's characteristics (§2.2, §7).
//!
//! This one table drives everything: validating bodies, resolving PATCH paths and filter attributes,
//! projection, and the `/Schemas` documents that clients (and `scim2-tester`) generate requests from.
//! Where the RFC's own schema listing (§8.7.1) and its prose disagree, the table follows what Roster
//! enforces and says so next to the attribute.

/// The User resource's core schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The Group resource's core schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Enterprise User extension.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// A PATCH request body.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A list or query response.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// A `POST …/.search` body.
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// The ServiceProviderConfig resource.
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// A ResourceType resource.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// A Schema resource.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The two kinds of resource Roster serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

impl ResourceKind {
    /// The resource type's name: `User` or `Group` (`meta.resourceType`).
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    /// The endpoint's path segment: `Users` or `Groups`.
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }

    /// The core schema.
    pub fn core(self) -> &'static Schema {
        match self {
            ResourceKind::User => &USER,
            ResourceKind::Group => &GROUP,
        }
    }

    /// The schema extensions this resource type accepts.
    pub fn extensions(self) -> &'static [&'static Schema] {
        match self {
            ResourceKind::User => &USER_EXTENSIONS,
            ResourceKind::Group => &[],
        }
    }

    /// The extension with this URN (ASCII case-insensitive).
    pub fn extension(self, urn: &str) -> Option<&'static Schema> {
        self.extensions()
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }
}

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A number with a fraction.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` string, e.g. `2008-01-23T04:56:22Z`.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI for a resource.
    Reference,
    /// An object of sub-attributes.
    Complex,
}

impl AttributeType {
    /// The `type` spelling in a schema document.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Boolean => "boolean",
            AttributeType::Decimal => "decimal",
            AttributeType::Integer => "integer",
            AttributeType::DateTime => "dateTime",
            AttributeType::Binary => "binary",
            AttributeType::Reference => "reference",
            AttributeType::Complex => "complex",
        }
    }
}

/// Whether and how a client may change an attribute (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Only the service provider sets it.
    ReadOnly,
    /// Clients may change it.
    ReadWrite,
    /// Set once, then never changed.
    Immutable,
    /// Clients may set it; it is never returned.
    WriteOnly,
}

impl Mutability {
    /// The schema document spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Whatever `attributes` asks for.
    Always,
    /// Never.
    Never,
    /// Unless `attributes` names others or `excludedAttributes` names it.
    Default,
    /// Only when `attributes` names it.
    Request,
}

impl Returned {
    /// The schema document spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// How unique an attribute's value must be (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique among this service provider's resources of the type.
    Server,
    /// Globally unique.
    Global,
}

impl Uniqueness {
    /// The schema document spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with its characteristics.
#[derive(Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The name, in the schema's spelling (clients may use any case).
    pub name: &'static str,
    /// The data type.
    pub kind: AttributeType,
    /// Whether the value is an array.
    pub multi_valued: bool,
    /// What the attribute holds.
    pub description: &'static str,
    /// Whether a resource must have it.
    pub required: bool,
    /// Whether string comparisons respect case.
    pub case_exact: bool,
    /// Who may change it.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// How unique it must be.
    pub uniqueness: Uniqueness,
    /// Suggested values (`type` sub-attributes).
    pub canonical_values: &'static [&'static str],
    /// What a `reference` may point at.
    pub reference_types: &'static [&'static str],
    /// A complex attribute's sub-attributes.
    pub sub_attributes: &'static [Attribute],
}

impl Attribute {
    const fn new(name: &'static str, kind: AttributeType, description: &'static str) -> Self {
        Attribute {
            name,
            kind,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    /// The sub-attribute with this name (ASCII case-insensitive).
    pub fn sub(&self, name: &str) -> Option<&'static Attribute> {
        find(self.sub_attributes, name)
    }
}

const fn string(name: &'static str, description: &'static str) -> Attribute {
    Attribute::new(name, AttributeType::String, description)
}
const fn boolean(name: &'static str, description: &'static str) -> Attribute {
    Attribute::new(name, AttributeType::Boolean, description)
}
const fn reference(
    name: &'static str,
    types: &'static [&'static str],
    description: &'static str,
) -> Attribute {
    let mut a = Attribute::new(name, AttributeType::Reference, description);
    a.reference_types = types;
    a
}
const fn complex(
    name: &'static str,
    subs: &'static [Attribute],
    description: &'static str,
) -> Attribute {
    let mut a = Attribute::new(name, AttributeType::Complex, description);
    a.sub_attributes = subs;
    a
}

/// A schema: its URN, name and attributes.
#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    /// The URN.
    pub id: &'static str,
    /// A short name.
    pub name: &'static str,
    /// What it describes.
    pub description: &'static str,
    /// Its attributes.
    pub attributes: &'static [Attribute],
}

impl Schema {
    /// The attribute with this name (ASCII case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        find(self.attributes, name)
    }
}

/// The attribute with this name in `attrs` (ASCII case-insensitive).
pub(crate) fn find(attrs: &'static [Attribute], name: &str) -> Option<&'static Attribute> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

// ---- Common attributes (RFC 7643 §3.1). They belong to every resource and appear in no schema's
// ---- attribute list; `schemas` is listed here so filters and projection can name it.

const META_SUBS: &[Attribute] = &[
    string("resourceType", "The name of the resource's type.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
    Attribute::new(
        "created",
        AttributeType::DateTime,
        "When the resource was added.",
    )
    .mutability(Mutability::ReadOnly),
    Attribute::new(
        "lastModified",
        AttributeType::DateTime,
        "When the resource last changed.",
    )
    .mutability(Mutability::ReadOnly),
    reference("location", &["uri"], "The resource's URI.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
    string("version", "The resource's version (a weak entity tag).")
        .case_exact()
        .mutability(Mutability::ReadOnly),
];

/// `id`, `externalId`, `meta` and `schemas`.
pub(crate) static COMMON: &[Attribute] = &[
    string("id", "The service provider's identifier for the resource.")
        .case_exact()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always)
        .uniqueness(Uniqueness::Server),
    string(
        "externalId",
        "The provisioning client's identifier for the resource.",
    )
    .case_exact(),
    complex("meta", META_SUBS, "Resource metadata.").mutability(Mutability::ReadOnly),
    reference("schemas", &["uri"], "The schemas the resource uses.")
        .multi()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always),
];

// ---- User (RFC 7643 §4.1, listing in §8.7.1).

const NAME_SUBS: &[Attribute] = &[
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family (last) name."),
    string("givenName", "The given (first) name."),
    string("middleName", "The middle name(s)."),
    string("honorificPrefix", "The honorific prefix, e.g. 'Ms.'."),
    string("honorificSuffix", "The honorific suffix, e.g. 'III'."),
];

const EMAIL_SUBS: &[Attribute] = &[
    string("value", "The email address."),
    string("display", "A human-readable name, for display."),
    string("type", "The address's function.").canonical(&["work", "home", "other"]),
    boolean(
        "primary",
        "Whether this is the preferred address; true at most once.",
    ),
];

const PHONE_SUBS: &[Attribute] = &[
    string("value", "The phone number."),
    string("display", "A human-readable name, for display."),
    string("type", "The number's function.")
        .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    boolean(
        "primary",
        "Whether this is the preferred number; true at most once.",
    ),
];

const IM_SUBS: &[Attribute] = &[
    string("value", "The instant messaging address."),
    string("display", "A human-readable name, for display."),
    string("type", "The messaging service.")
        .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    boolean(
        "primary",
        "Whether this is the preferred address; true at most once.",
    ),
];

const PHOTO_SUBS: &[Attribute] = &[
    reference("value", &["external"], "The URL of a photo of the User."),
    string("display", "A human-readable name, for display."),
    string("type", "Photo or thumbnail.").canonical(&["photo", "thumbnail"]),
    boolean(
        "primary",
        "Whether this is the preferred photo; true at most once.",
    ),
];

// RFC 7643 §8.7.1 lists no `primary` for addresses, but §4.1.2 gives every multi-valued attribute one and
// the RFC's own example user (§8.2) sends `"primary": true` on an address: a listing without it would refuse
// the RFC's example.
const ADDRESS_SUBS: &[Attribute] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    string("streetAddress", "The street address."),
    string("locality", "The city or locality."),
    string("region", "The state or region."),
    string("postalCode", "The zip or postal code."),
    string("country", "The country."),
    string("type", "The address's function.").canonical(&["work", "home", "other"]),
    boolean(
        "primary",
        "Whether this is the preferred address; true at most once.",
    ),
];

const USER_GROUP_SUBS: &[Attribute] = &[
    string("value", "The id of the group.").mutability(Mutability::ReadOnly),
    reference("$ref", &["User", "Group"], "The URI of the group.").mutability(Mutability::ReadOnly),
    string("display", "The group's display name.").mutability(Mutability::ReadOnly),
    string("type", "Direct or indirect membership.")
        .canonical(&["direct", "indirect"])
        .mutability(Mutability::ReadOnly),
];

const ENTITLEMENT_SUBS: &[Attribute] = &[
    string("value", "The entitlement."),
    string("display", "A human-readable name, for display."),
    string("type", "The entitlement's function."),
    boolean(
        "primary",
        "Whether this is the preferred entitlement; true at most once.",
    ),
];

const ROLE_SUBS: &[Attribute] = &[
    string("value", "The role."),
    string("display", "A human-readable name, for display."),
    string("type", "The role's function."),
    boolean(
        "primary",
        "Whether this is the preferred role; true at most once.",
    ),
];

const CERTIFICATE_SUBS: &[Attribute] = &[
    Attribute::new(
        "value",
        AttributeType::Binary,
        "A DER-encoded X.509 certificate, base64.",
    ),
    string("display", "A human-readable name, for display."),
    string("type", "The certificate's function."),
    boolean(
        "primary",
        "Whether this is the preferred certificate; true at most once.",
    ),
];

const USER_ATTRIBUTES: &[Attribute] = &[
    string(
        "userName",
        "The unique name the user signs in with. Required and unique.",
    )
    .required()
    .uniqueness(Uniqueness::Server),
    complex("name", NAME_SUBS, "The components of the user's real name."),
    string("displayName", "The user's name, for display."),
    string("nickName", "The casual way to address the user."),
    reference(
        "profileUrl",
        &["external"],
        "The URL of the user's online profile.",
    ),
    string("title", "The user's title, e.g. 'Vice President'."),
    string(
        "userType",
        "The user's relationship to the organization, e.g. 'Employee'.",
    ),
    string(
        "preferredLanguage",
        "The user's preferred language, e.g. 'en-US'.",
    ),
    string("locale", "The user's locale, for formatting, e.g. 'en-US'."),
    string(
        "timezone",
        "The user's time zone, e.g. 'America/Los_Angeles'.",
    ),
    boolean("active", "Whether the user's account is active."),
    string(
        "password",
        "An initial or new password. Roster never stores or returns it.",
    )
    .mutability(Mutability::WriteOnly)
    .returned(Returned::Never),
    complex("emails", EMAIL_SUBS, "Email addresses.").multi(),
    complex("phoneNumbers", PHONE_SUBS, "Phone numbers.").multi(),
    complex("ims", IM_SUBS, "Instant messaging addresses.").multi(),
    complex("photos", PHOTO_SUBS, "URLs of photos of the user.").multi(),
    complex("addresses", ADDRESS_SUBS, "Physical mailing addresses.").multi(),
    complex(
        "groups",
        USER_GROUP_SUBS,
        "The groups the user belongs to. Read-only: change memberships through /Groups.",
    )
    .multi()
    .mutability(Mutability::ReadOnly),
    complex("entitlements", ENTITLEMENT_SUBS, "Entitlements.").multi(),
    complex("roles", ROLE_SUBS, "Roles.").multi(),
    complex("x509Certificates", CERTIFICATE_SUBS, "X.509 certificates.").multi(),
];

/// The User core schema.
pub static USER: Schema = Schema {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: USER_ATTRIBUTES,
};

// ---- Group (RFC 7643 §4.2).

// §8.7.1 lists value, $ref and type; `display` is the common sub-attribute of §2.4, sent by Okta and shown in
// the RFC's own group example (§8.4). Roster keeps memberships by id only, so `display` is read-only (a
// client's own is ignored, as RFC 7643 §2.2 asks) and members come back with value, $ref and type, as
// §8.7.1 lists them.
const MEMBER_SUBS: &[Attribute] = &[
    string("value", "The id of the member.").mutability(Mutability::Immutable),
    reference("$ref", &["User", "Group"], "The URI of the member.")
        .mutability(Mutability::Immutable),
    string("display", "Not kept: members are kept by id.").mutability(Mutability::ReadOnly),
    string("type", "The kind of member. Roster's groups hold users.")
        .canonical(&["User", "Group"])
        .mutability(Mutability::Immutable),
];

// §8.7.1 marks displayName `"required": false` while §4.2 says REQUIRED; Roster requires it (a group is
// named by it), so the listing says so.
const GROUP_ATTRIBUTES: &[Attribute] = &[
    string("displayName", "The group's name. Required.").required(),
    complex("members", MEMBER_SUBS, "The group's members.").multi(),
];

/// The Group core schema.
pub static GROUP: Schema = Schema {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: GROUP_ATTRIBUTES,
};

// ---- Enterprise User (RFC 7643 §4.3).

const MANAGER_SUBS: &[Attribute] = &[
    string("value", "The id of the manager's User."),
    reference("$ref", &["User"], "The URI of the manager's User."),
    string("displayName", "The manager's display name.").mutability(Mutability::ReadOnly),
];

const ENTERPRISE_ATTRIBUTES: &[Attribute] = &[
    string(
        "employeeNumber",
        "The identifier the organization assigned to the person.",
    ),
    string("costCenter", "The name of a cost center."),
    string("organization", "The name of an organization."),
    string("division", "The name of a division."),
    string("department", "The name of a department."),
    complex("manager", MANAGER_SUBS, "The user's manager."),
];

/// The Enterprise User extension.
pub static ENTERPRISE_USER: Schema = Schema {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: ENTERPRISE_ATTRIBUTES,
};

static USER_EXTENSIONS: [&Schema; 1] = [&ENTERPRISE_USER];

/// Every schema Roster serves, in `/Schemas` order.
pub static ALL: [&Schema; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

// ---- Resolving attribute paths.

/// A resolved attribute: where it lives and, for `name.givenName`, which sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttrRef {
    /// The extension holding it; `None` for core and common attributes (the resource's top level).
    pub ext: Option<&'static Schema>,
    /// The attribute.
    pub attr: &'static Attribute,
    /// The sub-attribute, for `attr.sub`.
    pub sub: Option<&'static Attribute>,
}

impl AttrRef {
    /// The definition of what the path names: the sub-attribute if any, else the attribute.
    pub fn leaf(&self) -> &'static Attribute {
        self.sub.unwrap_or(self.attr)
    }

    /// Its full name, e.g. `name.givenName` or `urn:…:User:manager.value`.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(ext) = self.ext {
            s.push_str(ext.id);
            s.push(':');
        }
        s.push_str(self.attr.name);
        if let Some(sub) = self.sub {
            s.push('.');
            s.push_str(sub.name);
        }
        s
    }
}

/// What a path names: an attribute, or a whole extension (`urn:…:enterprise:2.0:User`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Attr(AttrRef),
    Extension(&'static Schema),
}

/// Why a path did not resolve; the caller turns it into an error of the right type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved(pub String);

/// Splits a leading schema URN (`urn:…:User:`) off `path`: which schema, and the rest. Paths without one
/// give `None`. A URN that is not one of `kind`'s schemas is an error.
fn split_urn(
    kind: ResourceKind,
    path: &str,
) -> Result<Option<(&'static Schema, &str)>, Unresolved> {
    let is_urn = path
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    if !is_urn {
        return Ok(None);
    }
    let candidates = std::iter::once(kind.core()).chain(kind.extensions().iter().copied());
    for schema in candidates {
        let n = schema.id.len();
        let Some(head) = path.get(..n) else { continue };
        if !head.eq_ignore_ascii_case(schema.id) {
            continue;
        }
        match path.get(n..) {
            Some("") => return Ok(Some((schema, ""))),
            Some(rest) if rest.starts_with(':') => return Ok(Some((schema, &rest[1..]))),
            _ => {}
        }
    }
    Err(Unresolved(format!(
        "the schema of \"{path}\" is not one {} resources use ({})",
        kind.name(),
        std::iter::once(kind.core())
            .chain(kind.extensions().iter().copied())
            .map(|s| s.id)
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Resolves `[urn:…:]attr[.sub]` for `kind`, case-insensitively. Names without a URN are looked up among
/// the common and core attributes first, then (leniently, as Entra ID sends `manager`) among the
/// extensions' attributes.
pub(crate) fn resolve(kind: ResourceKind, path: &str) -> Result<Target, Unresolved> {
    let (schema, rest) = match split_urn(kind, path)? {
        Some((schema, "")) => {
            return if std::ptr::eq(schema, kind.core()) {
                Err(Unresolved(format!(
                    "\"{path}\" names the whole core schema; name one of its attributes instead"
                )))
            } else {
                Ok(Target::Extension(schema))
            };
        }
        Some((schema, rest)) => (Some(schema), rest),
        None => (None, path),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    let found = match schema {
        Some(s) if std::ptr::eq(s, kind.core()) => find(COMMON, name)
            .or_else(|| s.attribute(name))
            .map(|a| (None, a)),
        Some(ext) => ext.attribute(name).map(|a| (Some(ext), a)),
        None => find(COMMON, name)
            .or_else(|| kind.core().attribute(name))
            .map(|a| (None, a))
            .or_else(|| {
                kind.extensions()
                    .iter()
                    .find_map(|ext| ext.attribute(name).map(|a| (Some(*ext), a)))
            }),
    };
    let Some((ext, attr)) = found else {
        return Err(Unresolved(format!(
            "\"{name}\" is not an attribute of {} resources",
            kind.name()
        )));
    };
    let sub = match sub {
        None => None,
        Some(sub) => match attr.sub(sub) {
            Some(s) => Some(s),
            None if attr.kind == AttributeType::Complex => {
                return Err(Unresolved(format!(
                    "\"{sub}\" is not a sub-attribute of {} (it has {})",
                    attr.name,
                    attr.sub_attributes
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
            None => {
                return Err(Unresolved(format!(
                    "{} has no sub-attributes, so \"{path}\" names nothing",
                    attr.name
                )))
            }
        },
    };
    Ok(Target::Attr(AttrRef { ext, attr, sub }))
}

/// The schema with this URN, for `/Schemas/{id}` (ASCII case-insensitive).
pub fn by_id(id: &str) -> Option<&'static Schema> {
    ALL.iter().copied().find(|s| s.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: ResourceKind, path: &str) -> AttrRef {
        match resolve(kind, path) {
            Ok(Target::Attr(a)) => a,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn paths_resolve_case_insensitively_to_the_schema_spelling() {
        let a = attr(ResourceKind::User, "NAME.GIVENNAME");
        assert_eq!(
            (a.attr.name, a.sub.map(|s| s.name)),
            ("name", Some("givenName"))
        );
        let a = attr(
            ResourceKind::User,
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        );
        assert_eq!(a.attr.name, "userName");
        assert!(a.ext.is_none(), "core attributes live at the top level");
        let a = attr(
            ResourceKind::User,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        );
        assert_eq!(
            a.display(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        );
        let a = attr(ResourceKind::User, "manager");
        assert_eq!(
            a.ext.map(|s| s.id),
            Some(ENTERPRISE_USER_SCHEMA),
            "a bare extension attribute name resolves into the extension (Entra sends `manager`)"
        );
    }

    #[test]
    fn unknown_names_and_schemas_do_not_resolve() {
        assert!(resolve(ResourceKind::User, "nope").is_err());
        assert!(resolve(ResourceKind::User, "name.nope").is_err());
        assert!(resolve(ResourceKind::User, "userName.x").is_err());
        assert!(
            resolve(ResourceKind::Group, "manager").is_err(),
            "groups have no extension"
        );
        assert!(resolve(ResourceKind::User, "urn:example:custom:1.0:User:x").is_err());
        assert!(matches!(
            resolve(ResourceKind::User, ENTERPRISE_USER_SCHEMA),
            Ok(Target::Extension(_))
        ));
    }
}
