//! Requests to the vendor's token and userinfo endpoints (through the `oauth2` crate), and the mapping of
//! their answers to [`TokenSet`] and [`OAuthError`].

use crate::bearer::TokenSet;
use crate::{colon, OAuthError};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpClientError, HttpRequest, HttpResponse, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, StandardRevocableToken, StandardTokenResponse,
    TokenResponse, TokenUrl,
};
use roster_cloud::ConsentConfig;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The OpenID Connect `id_token` next to the standard token response fields.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField(<redacted>)")
    }
}

impl ExtraTokenFields for IdTokenField {}

type Response = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// An OAuth client with its authorization and token endpoints set.
pub(crate) type OidcClient = oauth2::Client<
    BasicErrorResponse,
    Response,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Token lifetime assumed when the vendor does not say (all three say; RFC 6749 makes it optional).
const DEFAULT_EXPIRES_IN: i64 = 3600;

/// The client for `config`, redirecting to `redirect` (consent) or nowhere (refresh). The client secret is
/// set only when the config has one: public clients must not send one (Entra AADSTS700025).
pub(crate) fn client(
    config: &ConsentConfig,
    redirect: Option<&str>,
) -> Result<OidcClient, OAuthError> {
    let auth = AuthUrl::new(config.authorize_url.clone())
        .map_err(|e| OAuthError::Config(format!("the authorization URL is not a URL ({e})")))?;
    let token = TokenUrl::new(config.token_url.clone())
        .map_err(|e| OAuthError::Config(format!("the token URL is not a URL ({e})")))?;
    let mut c = oauth2::Client::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(auth)
        .set_token_uri(token);
    if let Some(secret) = config.client_secret.as_ref().filter(|s| !s.is_empty()) {
        c = c.set_client_secret(ClientSecret::new(secret.clone()));
    }
    if let Some(r) = redirect {
        let r = RedirectUrl::new(r.to_string())
            .map_err(|e| OAuthError::Config(format!("the redirect URI is not a URL ({e})")))?;
        c = c.set_redirect_uri(r);
    }
    Ok(c)
}

/// The HTTP client of token requests: no redirects (a redirect could carry the code or secret elsewhere),
/// bounded time. Non-JSON error answers (a proxy's 502 page, an outage) become transport errors carrying
/// the status, so that they read as "unreachable" rather than "garbled".
#[derive(Debug, Clone)]
pub(crate) struct TokenHttp(reqwest::Client);

impl TokenHttp {
    pub(crate) fn new() -> Result<TokenHttp, OAuthError> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("Roster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(TokenHttp)
            .map_err(|e| OAuthError::Config(format!("HTTPS could not be set up ({e})")))
    }

    pub(crate) fn inner(&self) -> &reqwest::Client {
        &self.0
    }
}

const STATUS_PREFIX: &str = "status ";

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let inner = self.0.call(request);
        Box::pin(async move {
            let response = inner.await?;
            let status = response.status();
            if status != oauth2::http::StatusCode::OK {
                let oauth_error = serde_json::from_slice::<serde_json::Value>(response.body())
                    .ok()
                    .is_some_and(|v| v.get("error").is_some_and(|e| e.is_string()));
                if !oauth_error {
                    return Err(HttpClientError::Other(format!(
                        "{STATUS_PREFIX}{}",
                        status.as_u16()
                    )));
                }
            }
            Ok(response)
        })
    }
}

/// What the token endpoint said, read.
pub(crate) struct Answer {
    pub tokens: TokenSet,
    pub id_token: Option<String>,
}

fn read(vendor: &str, r: &Response, now: i64) -> Result<Answer, OAuthError> {
    let kind = r.token_type().as_ref().to_ascii_lowercase();
    if kind != "bearer" {
        return Err(OAuthError::Exchange {
            vendor: vendor.to_string(),
            error: "unsupported token type".into(),
            description: colon(Some(&kind)),
            hint: "Roster uses bearer tokens. If this is Okta, turn off \"Require Demonstrating Proof of Possession (DPoP)\" in the app's settings, then try again.".into(),
        });
    }
    let expires_in = r
        .expires_in()
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2))
        .unwrap_or(DEFAULT_EXPIRES_IN);
    Ok(Answer {
        tokens: TokenSet {
            access_token: r.access_token().secret().clone(),
            refresh_token: r.refresh_token().map(|t| t.secret().clone()),
            expires_at: now.saturating_add(expires_in),
            scope: r
                .scopes()
                .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
        },
        id_token: r.extra_fields().id_token.clone(),
    })
}

/// A vendor's error description, first line only (Entra appends trace ids on further lines).
fn description(e: &BasicErrorResponse) -> String {
    colon(
        e.error_description()
            .map(|d| d.lines().next().unwrap_or("")),
    )
}

enum Stage {
    Code,
    Refresh,
}

fn failure(
    vendor: &str,
    stage: Stage,
    e: RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> OAuthError {
    let vendor = vendor.to_string();
    match e {
        RequestTokenError::ServerResponse(r) => {
            let error = r.error().to_string();
            let description = description(&r);
            match stage {
                Stage::Refresh if error == "invalid_grant" => OAuthError::Revoked {
                    vendor,
                    description,
                },
                Stage::Refresh => OAuthError::RefreshRefused {
                    vendor,
                    error,
                    description,
                },
                Stage::Code => {
                    let text = description.to_ascii_lowercase();
                    let hint = if text.contains("client_secret is missing") {
                        "This vendor's Desktop app client needs its client secret: add the client secret from the app registration to the connection, then try again."
                    } else if text.contains("aadsts700025") {
                        "The app registration is a public client and must not use a secret: remove the client secret from the connection, then try again."
                    } else if error == "invalid_client" || error == "unauthorized_client" {
                        "Check the client id (and client secret, if the vendor issued one) against the app registration, then try again."
                    } else {
                        "Start the sign-in again; if it fails again, check the app registration against the setup steps."
                    };
                    OAuthError::Exchange {
                        vendor,
                        error,
                        description,
                        hint: hint.to_string(),
                    }
                }
            }
        }
        RequestTokenError::Request(HttpClientError::Other(s)) if s.starts_with(STATUS_PREFIX) => {
            let status: u16 = s[STATUS_PREFIX.len()..].parse().unwrap_or(0);
            if status >= 500 || status == 429 || status == 408 {
                OAuthError::Unreachable {
                    vendor,
                    detail: format!("its token endpoint answered HTTP {status}"),
                }
            } else {
                OAuthError::Protocol {
                    vendor,
                    detail: format!("its token endpoint answered HTTP {status} without an OAuth error; check the token URL"),
                }
            }
        }
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => OAuthError::Unreachable {
            vendor,
            detail: if e.is_timeout() {
                "the token request timed out".into()
            } else if e.is_connect() {
                "the connection was refused or the name did not resolve".into()
            } else {
                "the token request failed".into()
            },
        },
        RequestTokenError::Request(_) => OAuthError::Unreachable {
            vendor,
            detail: "the token request failed".into(),
        },
        // Never show the body: a malformed success answer may hold a token.
        RequestTokenError::Parse(..) => OAuthError::Protocol {
            vendor,
            detail: "its token answer is not the expected JSON".into(),
        },
        RequestTokenError::Other(_) => OAuthError::Protocol {
            vendor,
            detail: "its token endpoint answered an empty error".into(),
        },
    }
}

/// Exchanges an authorization code (with its PKCE verifier).
pub(crate) async fn redeem(
    config: &ConsentConfig,
    client: &OidcClient,
    http: &TokenHttp,
    code: String,
    verifier: PkceCodeVerifier,
    now: i64,
) -> Result<Answer, OAuthError> {
    let r = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(|e| failure(&config.vendor, Stage::Code, e))?;
    read(&config.vendor, &r, now)
}

/// Redeems a refresh token. A new refresh token, if the vendor rotated it, is in the answer; otherwise the
/// old one stays valid and is kept.
pub(crate) async fn refresh(
    config: &ConsentConfig,
    http: &TokenHttp,
    old: &TokenSet,
    now: i64,
) -> Result<TokenSet, OAuthError> {
    let Some(rt) = old.refresh_token.clone() else {
        return Err(OAuthError::Revoked {
            vendor: config.vendor.clone(),
            description: ": no refresh token was issued".into(),
        });
    };
    let client = client(config, None)?;
    let rt = RefreshToken::new(rt);
    let r = client
        .exchange_refresh_token(&rt)
        .request_async(http)
        .await
        .map_err(|e| failure(&config.vendor, Stage::Refresh, e))?;
    let mut fresh = read(&config.vendor, &r, now)?.tokens;
    if fresh.refresh_token.is_none() {
        fresh.refresh_token = Some(rt.secret().clone());
    }
    if fresh.scope.is_none() {
        fresh.scope = old.scope.clone();
    }
    Ok(fresh)
}

/// Asks the userinfo endpoint who the token belongs to. Any failure is `None`: who authorized is
/// informative, not worth failing a consent that worked.
pub(crate) async fn userinfo(http: &TokenHttp, url: &str, access_token: &str) -> Option<String> {
    let resp = http
        .inner()
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .ok()?;
    if !resp.status().is_success() {
        tracing::debug!(status = %resp.status(), "userinfo refused");
        return None;
    }
    let v: serde_json::Value = resp.json().await.ok()?;
    crate::claims::who(&v)
}
