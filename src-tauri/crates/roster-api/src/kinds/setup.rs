//! What the window shows to set up each kind's connections: the steps to create the customer's own app
//! registration in the vendor's console, the settings it asks for (their keys are the spec's field names),
//! and examples for LDAP servers. Text only; the rules live with the connectors, which check what is typed.

use serde::Serialize;
use ts_rs::TS;

/// How the window sets up a cloud kind's connection.
#[derive(Debug, Serialize, TS)]
pub struct CloudSetup {
    /// What the customer creates in the vendor's console ("App registration").
    pub app: &'static str,
    /// The button that starts the sign-in ("Sign in with Microsoft").
    pub sign_in: &'static str,
    /// One sentence about the kind, under its name.
    pub blurb: &'static str,
    /// The steps to create the app registration.
    pub guide: Guide,
    /// The settings the app registration gives, in the order shown.
    pub settings: &'static [Setting],
    /// Other endpoints ("Advanced"), for proxies and test environments.
    pub endpoints: &'static [Setting],
    /// What the connection is called when no name is given.
    pub name_placeholder: &'static str,
}

/// Steps to follow in a vendor's console. `**bold**` marks what to click or choose, `` `code` `` what to
/// type or copy.
#[derive(Debug, Serialize, TS)]
pub struct Guide {
    /// Why, and how long it takes.
    pub intro: &'static str,
    /// The steps.
    pub steps: &'static [&'static str],
    /// A closing note.
    pub note: &'static str,
}

/// One setting of a connection.
#[derive(Debug, Serialize, TS)]
pub struct Setting {
    /// Its field in the connection spec (`tenant`, `client_id`).
    pub key: &'static str,
    /// Its label.
    pub label: &'static str,
    /// An example, shown in the empty field.
    pub placeholder: &'static str,
    /// Where to find it, or what it does.
    pub help: Option<&'static str>,
    /// How it is entered.
    pub input: Input,
    /// Whether the connection needs it.
    pub required: bool,
}

/// How a setting is entered.
#[derive(Debug, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Input {
    /// One line of text.
    Text,
    /// A secret (hidden while typed; kept in the secret store).
    Secret,
    /// A web address.
    Url,
    /// One of a few values.
    Choice {
        /// The values, the default first.
        options: &'static [Choice],
    },
    /// Yes or no (default no).
    Flag,
}

/// A value to choose.
#[derive(Debug, Serialize, TS)]
pub struct Choice {
    /// The value.
    pub value: &'static str,
    /// What people read.
    pub label: &'static str,
}

/// How the window sets up an LDAP kind's connection.
#[derive(Debug, Serialize, TS)]
pub struct LdapSetup {
    /// Which directories it covers, and how it tells disabled accounts.
    pub about: &'static str,
    /// What the bind account is; `` `code` `` marks what to type.
    pub bind_dn_help: &'static str,
    /// Example servers, one per line.
    pub servers_placeholder: &'static str,
    /// An example bind account.
    pub bind_dn_placeholder: &'static str,
    /// An example base DN.
    pub base_dn_placeholder: &'static str,
    /// Username attributes to offer, the default first.
    pub username_attributes: &'static [Choice],
    /// Whether its schema can be told (user and group object classes, the member attribute, an attribute
    /// that marks accounts disabled): directories without a fixed schema.
    pub schema_settings: bool,
}

const fn text(
    key: &'static str,
    label: &'static str,
    placeholder: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        label,
        placeholder,
        help: Some(help),
        input: Input::Text,
        required: true,
    }
}

const fn optional(s: Setting) -> Setting {
    Setting {
        required: false,
        ..s
    }
}

const fn endpoint(key: &'static str, label: &'static str, placeholder: &'static str) -> Setting {
    Setting {
        key,
        label,
        placeholder,
        help: None,
        input: Input::Url,
        required: false,
    }
}

pub(crate) const ENTRA: CloudSetup = CloudSetup {
    app: "App registration",
    sign_in: "Sign in with Microsoft",
    blurb: "Formerly Azure Active Directory. Reads users and groups through Microsoft Graph.",
    guide: Guide {
        intro: "Roster signs in with an app registration of your own, so only your tenant trusts it. Creating one takes about five minutes.",
        steps: &[
            "Sign in to the Microsoft Entra admin center (`https://entra.microsoft.com`) as a Global Administrator or Privileged Role Administrator.",
            "Go to **Identity > Applications > App registrations** and choose **New registration**.",
            "Name it `Roster` and choose **Accounts in this organizational directory only (Single tenant)**.",
            "Under **Redirect URI**, select the platform **Public client/native (mobile & desktop)** and enter `http://localhost/callback`, then choose **Register**. (Added later under Authentication, this platform is called **Mobile and desktop applications**.)",
            "Open **API permissions > Add a permission > Microsoft Graph > Delegated permissions** and add `User.Read.All` and `GroupMember.Read.All`. Keep `offline_access`, `openid` and `profile`, which let Roster stay signed in.",
            "Choose **Grant admin consent for** your organization and confirm. Every permission should now show **Granted**.",
            "On the **Overview** page, copy the **Application (client) ID** and the **Directory (tenant) ID** into the fields below.",
        ],
        note: "No client secret is needed: Roster signs in as a desktop app (with PKCE) and only reads.",
    },
    settings: &[
        text(
            "tenant",
            "Directory (tenant) ID",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "From the app registration's Overview page. The tenant's domain (contoso.onmicrosoft.com) works too.",
        ),
        text(
            "client_id",
            "Application (client) ID",
            "8a1c6f2e-0b5d-4c1e-9f3a-2d7e6b4c1a90",
            "From the same Overview page. It is a different GUID from the tenant ID.",
        ),
        Setting {
            key: "cloud",
            label: "Cloud",
            placeholder: "",
            help: Some("Choose a national cloud only if your tenant lives there; most tenants are Global."),
            input: Input::Choice {
                options: &[
                    Choice { value: "global", label: "Global (login.microsoftonline.com)" },
                    Choice { value: "us_government", label: "US Government (GCC High, DoD: login.microsoftonline.us)" },
                    Choice { value: "china", label: "China, operated by 21Vianet (login.chinacloudapi.cn)" },
                ],
            },
            required: false,
        },
        Setting {
            key: "include_guests",
            label: "Guests",
            placeholder: "",
            help: Some("Also sync guest accounts (B2B users invited from other organizations)"),
            input: Input::Flag,
            required: false,
        },
    ],
    endpoints: &[
        endpoint("authority_url", "Sign-in address", "https://login.microsoftonline.com"),
        endpoint("graph_url", "Microsoft Graph address", "https://graph.microsoft.com"),
    ],
    name_placeholder: "Defaults to the tenant",
};

pub(crate) const GOOGLE: CloudSetup = CloudSetup {
    app: "OAuth client",
    sign_in: "Sign in with Google",
    blurb: "Reads users and groups through the Admin SDK Directory API.",
    guide: Guide {
        intro: "Roster signs in with an OAuth client of your own, created in a Google Cloud project of your organization. It takes about five minutes.",
        steps: &[
            "Open the Google Cloud console (`https://console.cloud.google.com`) with your Workspace account and create a new project, for example `Roster`.",
            "In **APIs & Services > Library**, find **Admin SDK API** and choose **Enable**.",
            "In **APIs & Services > OAuth consent screen** (called **Google Auth Platform** in newer consoles), choose the user type **Internal**, name the app `Roster`, enter a support email and save.",
            "In **APIs & Services > Credentials**, choose **Create credentials > OAuth client ID**, application type **Desktop app**, name `Roster`, then **Create**.",
            "Copy the **Client ID** and the **Client secret** into the fields below.",
            "When you sign in in the next step, use a **super administrator** account of your Workspace: it can read every user and group.",
        ],
        note: "Roster asks only for read-only access to users and groups. The client secret is kept in the OS keychain.",
    },
    settings: &[
        text(
            "client_id",
            "Client ID",
            "123456789012-abc123.apps.googleusercontent.com",
            "From the OAuth client's page under APIs & Services > Credentials.",
        ),
        Setting {
            key: super::CLIENT_SECRET,
            label: "Client secret",
            placeholder: "GOCSPX-…",
            help: Some("From the same page. Roster keeps it in the OS keychain, never in its database."),
            input: Input::Secret,
            required: true,
        },
        optional(text(
            "customer",
            "Customer ID (optional)",
            "my_customer",
            "Leave empty to read the Workspace account of the administrator who signs in.",
        )),
        optional(text(
            "domain",
            "Domain (optional)",
            "example.com",
            "Read only the users of this domain. Leave empty to read every domain of the account.",
        )),
    ],
    endpoints: &[
        endpoint("authorize_url", "Sign-in address", "https://accounts.google.com/o/oauth2/v2/auth"),
        endpoint("token_url", "Token address", "https://oauth2.googleapis.com/token"),
        endpoint("api_url", "API address", "https://admin.googleapis.com"),
    ],
    name_placeholder: "Defaults to the domain",
};

pub(crate) const OKTA: CloudSetup = CloudSetup {
    app: "App integration",
    sign_in: "Sign in with Okta",
    blurb: "Reads users and groups through the Okta Management API.",
    guide: Guide {
        intro: "Roster signs in with an app integration of your own in your Okta org. Creating one takes about five minutes.",
        steps: &[
            "Sign in to the Okta **Admin Console** (your org address with `-admin`, for example `https://acme-admin.okta.com`).",
            "Go to **Applications > Applications** and choose **Create App Integration**: sign-in method **OIDC - OpenID Connect**, application type **Native Application**, then **Next**.",
            "Name it `Roster`. Under **Grant type**, tick **Authorization Code** and **Refresh Token**.",
            "Set the **Sign-in redirect URI** to `http://127.0.0.1/callback`. Roster receives the answer on this computer only.",
            "Under **Assignments**, assign the app to the administrator who will sign in in the next step, then **Save**.",
            "On the **General** tab, under **Client Credentials**, set **Client authentication** to **None** and tick **Require PKCE as additional verification**.",
            "On the **Okta API Scopes** tab, choose **Grant** for `okta.users.read` and `okta.groups.read`.",
            "Copy the **Client ID** from the General tab, and your org URL (the Admin Console address without `-admin`, for example `https://acme.okta.com`), into the fields below.",
        ],
        note: "The administrator who signs in needs a role that can read users and groups, for example Read-only Administrator.",
    },
    settings: &[
        text(
            "org_url",
            "Org URL",
            "https://acme.okta.com",
            "The address your users sign in at, without “-admin”.",
        ),
        text(
            "client_id",
            "Client ID",
            "0oa1b2c3d4E5F6g7H8i9",
            "From the app integration's General tab.",
        ),
    ],
    endpoints: &[
        endpoint("authorize_url", "Sign-in address", "https://acme.okta.com/oauth2/v1/authorize"),
        endpoint("token_url", "Token address", "https://acme.okta.com/oauth2/v1/token"),
        endpoint("api_url", "API address", "https://acme.okta.com"),
    ],
    name_placeholder: "Defaults to the org address",
};

pub(crate) const ACTIVE_DIRECTORY: LdapSetup = LdapSetup {
    about: "Microsoft Active Directory, AD LDS or Samba AD. Disabled accounts are recognised from userAccountControl.",
    bind_dn_help: "The service account Roster signs in as: `DOMAIN\\user`, `user@domain` or a full DN. It only needs to read users and groups.",
    servers_placeholder: "ldaps://dc1.samdom.test:636\nldaps://dc2.samdom.test:636",
    bind_dn_placeholder: "SAMDOM\\svc-roster or svc-roster@samdom.test",
    base_dn_placeholder: "DC=samdom,DC=test",
    username_attributes: &[
        Choice {
            value: "sAMAccountName",
            label: "sAMAccountName (e.g. jsmith)",
        },
        Choice {
            value: "userPrincipalName",
            label: "userPrincipalName (e.g. jsmith@samdom.test)",
        },
        Choice {
            value: "mail",
            label: "mail (email address)",
        },
    ],
    schema_settings: false,
};

pub(crate) const OPENLDAP: LdapSetup = LdapSetup {
    about: "OpenLDAP or another RFC 4519 directory (389 Directory Server, FreeIPA…).",
    bind_dn_help:
        "The DN of the account Roster signs in as. It only needs to read users and groups.",
    servers_placeholder: "ldaps://ldap1.example.org:636\nldaps://ldap2.example.org:636",
    bind_dn_placeholder: "cn=roster,ou=services,dc=example,dc=org",
    base_dn_placeholder: "dc=example,dc=org",
    username_attributes: &[
        Choice {
            value: "uid",
            label: "uid (e.g. jsmith)",
        },
        Choice {
            value: "mail",
            label: "mail (email address)",
        },
    ],
    schema_settings: true,
};
