//! Who is calling: passwords (argon2id), sessions, CSRF, and the typed extractors that say who
//! may call a handler (`Actor`, `PayoutActor`, `QuotaManager`, `MainAccount`). Every role check of
//! the API is in this file; a handler states its caller in its signature and cannot forget one.
//!
//! The session is an opaque random token in an `HttpOnly`, `SameSite=Strict` cookie; the store
//! keeps only its SHA-256, so a leaked database cannot be replayed as cookies. Each session has a
//! CSRF token that state-changing requests must echo in `X-CSRF-Token`.

use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use payout_core::api::{Permissions, SessionInfo, ShopView, UserView};
use payout_core::keys::Scope;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use crate::domain::Actor;
use crate::error::ApiError;
use crate::state::AppState;

pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sessions last one working day.
pub const SESSION_SECONDS: i64 = 12 * 3600;

pub use payout_core::people::normalize_username;

/// An argon2id hash (PHC string) with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Hashes a password on a blocking thread (argon2id takes tens of milliseconds of one core and
/// 19 MiB), waiting for one of the server's hashing slots first, so a burst of password changes
/// or resets queues instead of growing memory.
pub async fn hash_password_off_thread(state: &AppState, password: SecretString) -> Result<String, ApiError> {
    let permit =
        tokio::time::timeout(std::time::Duration::from_secs(5), state.hashing.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::SignInBusy)?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let hashed = hash_password(password.expose_secret());
        drop(permit);
        hashed
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Verifies a password on a blocking thread, like [`hash_password_off_thread`].
pub async fn verify_password_off_thread(
    state: &AppState,
    hash: String,
    password: SecretString,
) -> Result<bool, ApiError> {
    let permit =
        tokio::time::timeout(std::time::Duration::from_secs(5), state.hashing.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::SignInBusy)?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let verified = verify_password(&hash, password.expose_secret());
        drop(permit);
        verified
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A hash to verify against when the username does not exist, so both failures take as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How the session cookie is written: plain for `http://127.0.0.1`, or `__Host-…; Secure` when
/// the console is served over HTTPS (`--secure-cookies`), which also pins it to this exact host.
#[derive(Clone, Copy, Debug)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    pub fn name(self) -> &'static str {
        if self.secure {
            "__Host-payout_session"
        } else {
            "payout_session"
        }
    }

    fn attributes(self) -> &'static str {
        if self.secure {
            "HttpOnly; Secure; SameSite=Strict; Path=/"
        } else {
            "HttpOnly; SameSite=Strict; Path=/"
        }
    }

    pub fn set(self, token: &str) -> String {
        format!("{}={token}; {}; Max-Age={SESSION_SECONDS}", self.name(), self.attributes())
    }

    pub fn clear(self) -> String {
        format!("{}=; {}; Max-Age=0", self.name(), self.attributes())
    }

    /// The marker cookie: no secret (its value is `1`), readable by the page (not `HttpOnly`),
    /// set and cleared with the session cookie. The SPA asks `GET /api/session` only when it is
    /// there, so loading a page signed out makes no request the browser logs as a failed `401`.
    pub fn marker_name(self) -> &'static str {
        if self.secure {
            "__Host-payout_signed_in"
        } else {
            "payout_signed_in"
        }
    }

    fn marker_attributes(self) -> &'static str {
        if self.secure {
            "Secure; SameSite=Strict; Path=/"
        } else {
            "SameSite=Strict; Path=/"
        }
    }

    pub fn marker_set(self) -> String {
        format!("{}=1; {}; Max-Age={SESSION_SECONDS}", self.marker_name(), self.marker_attributes())
    }

    pub fn marker_clear(self) -> String {
        format!("{}=; {}; Max-Age=0", self.marker_name(), self.marker_attributes())
    }

    /// The raw session token the request carries, if any.
    pub fn token(self, headers: &HeaderMap) -> Option<String> {
        cookie(headers, self.name())
    }
}

/// Whether a request carries the marker cookie (under either name): whoever sent it may be signed
/// in, so the page to send is the one that waits for the session, not the sign-in form.
pub fn carries_marker(headers: &HeaderMap) -> bool {
    [false, true].into_iter().any(|secure| cookie(headers, CookiePolicy { secure }.marker_name()).is_some())
}

/// A cookie's value by name (empty values are none).
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// Any valid session, also one signed in with a one-time password that must be changed: only the
/// session and password endpoints take this. Rejects with `401` without a valid session, and with
/// `403` when a state-changing request lacks the session's CSRF token. Carries the session's token
/// hash, so a password change can keep this session and end the others.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub actor: Actor,
    pub token_hash: String,
}

impl Deref for SignedIn {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.actor
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, ApiError> {
        let Some(token) = state.cookies.token(&parts.headers) else {
            // A key is never a session: a valid one here is outside its scopes.
            return Err(match KeyCaller::from_headers(&parts.headers, state).await? {
                Some(key) => key.scope_required(),
                None => ApiError::NotSignedIn,
            });
        };
        let token_hash = token_hash(&token);
        let actor =
            state.store.session_actor(&token_hash, state.clock.now()).await?.ok_or(ApiError::NotSignedIn)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            // Compared without an early exit, so the time taken says nothing about the token.
            if !bool::from(sent.as_bytes().ct_eq(actor.csrf_token.as_bytes())) {
                return Err(ApiError::CsrfRejected);
            }
        }
        Ok(SignedIn { actor, token_hash })
    }
}

/// The signed-in actor, for every endpoint but the session's and the password's: a session signed
/// in with a one-time password gets `403 PASSWORD_CHANGE_REQUIRED` until it changes it.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, ApiError> {
        let SignedIn { actor, .. } = SignedIn::from_request_parts(parts, state).await?;
        if actor.password_change_required {
            return Err(ApiError::Forbidden {
                code: "PASSWORD_CHANGE_REQUIRED",
                zh: "请先修改一次性密码".into(),
                en: "Change your one-time password first".into(),
            });
        }
        Ok(actor)
    }
}

/// A request made with an API key (`Authorization: Bearer <key>`, SPEC §12.4): for its own shop,
/// within its scopes, never a session (no CSRF token, no sign-in).
#[derive(Clone, Debug)]
pub struct KeyCaller {
    pub shop_id: i64,
    pub key_id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// The characters of a key that find it (its digest is then compared in constant time).
pub const KEY_PREFIX_CHARS: usize = 8;

impl KeyCaller {
    /// The key the request carries, checked: `None` without an `Authorization: Bearer` header,
    /// `401 API_KEY_INVALID` for an unknown or revoked key.
    pub async fn from_headers(headers: &HeaderMap, state: &AppState) -> Result<Option<KeyCaller>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
        let invalid = || ApiError::Unauthorized {
            code: "API_KEY_INVALID",
            zh: "API 密钥无效或已撤销".into(),
            en: "The API key is unknown or revoked".into(),
        };
        let key =
            value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or_else(invalid)?;
        if key.len() < KEY_PREFIX_CHARS || !key.is_ascii() {
            return Err(invalid());
        }
        let digest = token_hash(key);
        let candidates = state.store.api_keys_by_prefix(&key[..KEY_PREFIX_CHARS]).await?;
        // Every candidate is compared, each in constant time.
        let found = candidates.into_iter().fold(None, |found, c| {
            if bool::from(c.key_hash.as_bytes().ct_eq(digest.as_bytes())) {
                Some(c)
            } else {
                found
            }
        });
        let key = found.filter(|k| !k.revoked).ok_or_else(invalid)?;
        state.store.api_key_used(key.shop_id, key.id, state.clock.now()).await?;
        Ok(Some(KeyCaller { shop_id: key.shop_id, key_id: key.id, name: key.name, scopes: key.scopes }))
    }

    /// How the audit log names what the key did.
    pub fn actor_name(&self) -> String {
        format!("api-key:{}", self.name)
    }

    fn scope_required(&self) -> ApiError {
        ApiError::Forbidden {
            code: "SCOPE_REQUIRED",
            zh: format!("API 密钥“{}”没有执行此操作的权限范围", self.name),
            en: format!("The API key \"{}\" has no scope for this", self.name),
        }
    }

    fn with(self, scope: Scope) -> Result<KeyCaller, ApiError> {
        if self.scopes.contains(&scope) {
            Ok(self)
        } else {
            Err(ApiError::Forbidden {
                code: "SCOPE_REQUIRED",
                zh: format!("API 密钥“{}”缺少权限范围 {}", self.name, scope.as_str()),
                en: format!("The API key \"{}\" lacks the scope {}", self.name, scope.as_str()),
            })
        }
    }
}

/// Who acts for a shop where SPEC §12 lets either a person or a key act: the shop, and the name the
/// audit log gives the actor (a username, or `api-key:<name>`).
#[derive(Clone, Debug)]
pub struct ShopCaller {
    pub shop_id: i64,
    pub actor_name: String,
}

/// Declares an extractor for a shop caller: a key with `$scope`, or a session that passes `$session`.
macro_rules! key_or_session {
    ($(#[$doc:meta])* $name:ident, $scope:expr, $session:ty) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub ShopCaller);

        impl Deref for $name {
            type Target = ShopCaller;
            fn deref(&self) -> &ShopCaller {
                &self.0
            }
        }

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<$name, ApiError> {
                if state.cookies.token(&parts.headers).is_none() {
                    if let Some(key) = KeyCaller::from_headers(&parts.headers, state).await? {
                        let key = key.with($scope)?;
                        return Ok($name(ShopCaller { shop_id: key.shop_id, actor_name: key.actor_name() }));
                    }
                }
                let actor = <$session>::from_request_parts(parts, state).await?;
                Ok($name(ShopCaller { shop_id: actor.shop_id, actor_name: actor.username.clone() }))
            }
        }
    };
}

key_or_session!(
    /// Writes orders (SPEC §12.3): the main account, or a key with `orders:write`.
    OrderWriter,
    Scope::OrdersWrite,
    MainAccount
);
key_or_session!(
    /// Reads payouts: R-P1 for a person, or a key with `payouts:read`.
    PayoutReader,
    Scope::PayoutsRead,
    PayoutActor
);

/// Reports balance movements (SPEC §12.5): a key with `accounts:write` (the platform's systems).
#[derive(Clone, Debug)]
pub struct AccountWriter(pub KeyCaller);

impl FromRequestParts<AppState> for AccountWriter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AccountWriter, ApiError> {
        match KeyCaller::from_headers(&parts.headers, state).await? {
            Some(key) => Ok(AccountWriter(key.with(Scope::AccountsWrite)?)),
            // A person signed in is not the platform.
            None => Err(match SignedIn::from_request_parts(parts, state).await {
                Ok(_) => ApiError::Forbidden {
                    code: "SCOPE_REQUIRED",
                    zh: "资金变动由平台通过带 accounts:write 权限的 API 密钥上报".into(),
                    en: "Balance movements are reported by the platform with an API key that has accounts:write".into(),
                },
                Err(e) => e,
            }),
        }
    }
}

/// `403 TWO_FACTOR_REQUIRED_TO_PAY` for an account the shop requires two-step verification of.
fn two_factor_to_pay(actor: &Actor) -> Result<(), ApiError> {
    if actor.needs_two_factor_to_pay() {
        return Err(ApiError::Forbidden {
            code: "TWO_FACTOR_REQUIRED_TO_PAY",
            zh: "店铺要求打款和审核前开启两步验证，请先在“账号安全”中开启".into(),
            en: "The shop requires two-step verification to pay or approve; turn it on under Account security first".into(),
        });
    }
    Ok(())
}

/// Who may create a payout: R-P1, and two-step verification when the shop requires it.
#[derive(Clone, Debug)]
pub struct Payer(pub Actor);

impl Deref for Payer {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl FromRequestParts<AppState> for Payer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Payer, ApiError> {
        let PayoutActor(actor) = PayoutActor::from_request_parts(parts, state).await?;
        two_factor_to_pay(&actor)?;
        Ok(Payer(actor))
    }
}

/// Declares an extractor that is an [`Actor`] who passed one role check, so a handler's
/// signature says who may call it.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub Actor);

        impl Deref for $name {
            type Target = Actor;
            fn deref(&self) -> &Actor {
                &self.0
            }
        }

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<$name, ApiError> {
                let actor = Actor::from_request_parts(parts, state).await?;
                let check: fn(&Actor) -> bool = $check;
                if check(&actor) {
                    Ok($name(actor))
                } else {
                    Err(ApiError::NotAuthorized)
                }
            }
        }
    };
}

role_extractor!(
    /// R-P1: the main account, or a sub-account with payout permission.
    PayoutActor,
    Actor::may_pay
);
role_extractor!(
    /// The main account, or a sub-account the main account made a quota manager (D6).
    QuotaManager,
    Actor::may_manage_quotas
);
role_extractor!(
    /// The shop's main account: settings, top-ups, grants (D6, D8).
    MainAccount,
    Actor::may_manage_settings
);

/// R-A2: who may approve or reject a payout — the main account only; anyone else signed in gets
/// `403 NOT_APPROVER`.
#[derive(Clone, Debug)]
pub struct Approver(pub Actor);

impl Deref for Approver {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl FromRequestParts<AppState> for Approver {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Approver, ApiError> {
        let actor = Actor::from_request_parts(parts, state).await?;
        payout_core::approval::approver(actor.role).map_err(|v| ApiError::Forbidden {
            code: "NOT_APPROVER",
            zh: v.message_zh,
            en: v.message_en,
        })?;
        two_factor_to_pay(&actor)?;
        Ok(Approver(actor))
    }
}

/// The address the request came from (the TCP peer). Keys the sign-in throttle and rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(extensions: &axum::http::Extensions) -> ClientIp {
        ClientIp(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip()),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp::of(&parts.extensions))
    }
}

/// Keys the rate limit of `POST /api/session` by client address, before any hashing.
#[derive(Clone, Copy, Debug)]
pub struct ClientIpKey;

impl tower_governor::key_extractor::KeyExtractor for ClientIpKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, tower_governor::GovernorError> {
        Ok(ClientIp::of(req.extensions()).0)
    }
}

/// The sign-in throttle's policy (docs/security.md, "The sign-in throttle"). Counted in the store,
/// so every server process shares it and a restart keeps it.
pub mod throttle {
    use std::net::IpAddr;

    /// Guesses evaluated for one username from one client address per window.
    pub const PER_ACCOUNT_AND_ADDRESS: u32 = 5;
    /// Failed guesses one client address may make per window, whatever the usernames.
    pub const PER_ADDRESS: u32 = 20;
    pub const WINDOW_SECONDS: i64 = 15 * 60;

    pub fn account_and_address(username: &str, ip: IpAddr) -> String {
        format!("user:{username}|ip:{ip}")
    }

    pub fn address(ip: IpAddr) -> String {
        format!("ip:{ip}")
    }
}

pub fn session_info(actor: &Actor) -> SessionInfo {
    SessionInfo {
        user: UserView {
            id: actor.user_id,
            username: actor.username.clone(),
            display_name: actor.display_name.clone(),
            role: actor.role,
            two_factor: actor.two_factor,
        },
        shop: ShopView {
            id: actor.shop_id,
            name: actor.shop_name.clone(),
            qualification: actor.qualification,
            status: actor.shop_status,
        },
        permissions: Permissions {
            payout: actor.may_pay(),
            manage_quotas: actor.may_manage_quotas(),
            manage_settings: actor.may_manage_settings(),
        },
        csrf_token: actor.csrf_token.clone(),
        password_change_required: actor.password_change_required,
        two_factor_setup_required: actor.needs_two_factor_to_pay(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_compared_trimmed_and_in_lower_case() {
        assert_eq!(normalize_username(" Lin.Admin \t"), "lin.admin");
    }

    #[test]
    fn a_secure_session_cookie_is_host_only_and_secure() {
        let secure = CookiePolicy { secure: true }.set("abc");
        assert!(secure.starts_with("__Host-payout_session=abc;"), "{secure}");
        assert!(secure.contains("; Secure;") && secure.contains("Path=/") && !secure.contains("Domain"));
        assert!(!CookiePolicy { secure: false }.set("abc").contains("Secure"));
    }

    #[test]
    fn the_signed_in_marker_holds_no_secret_is_readable_by_the_page_and_lives_as_long_as_the_session() {
        for secure in [false, true] {
            let p = CookiePolicy { secure };
            let marker = p.marker_set();
            assert!(marker.starts_with(&format!("{}=1;", p.marker_name())), "{marker}");
            assert!(
                !marker.contains("HttpOnly")
                    && marker.contains("SameSite=Strict")
                    && marker.contains("Path=/")
            );
            assert!(marker.ends_with(&format!("Max-Age={SESSION_SECONDS}")), "{marker}");
            assert_eq!(marker.contains("Secure"), secure);
            assert!(p.marker_clear().contains("Max-Age=0"));
        }
        assert!(CookiePolicy { secure: true }.marker_name().starts_with("__Host-"));
    }
}
