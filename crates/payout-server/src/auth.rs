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
use payout_core::{Qualification, Role};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sessions last one working day.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// The signed-in person, as the session resolves it from the store on every request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Sub-accounts: payout permission granted by the main account (R-P1).
    pub payout_enabled: bool,
    pub manage_quotas: bool,
    pub shop_id: i64,
    pub shop_name: String,
    pub qualification: Qualification,
    pub shop_status: String,
    pub csrf_token: String,
}

impl Actor {
    /// R-P1: the main account, or a sub-account with payout permission.
    pub fn may_pay(&self) -> bool {
        self.role == Role::Main || self.payout_enabled
    }

    pub fn may_manage_quotas(&self) -> bool {
        self.role == Role::Main || self.manage_quotas
    }

    pub fn may_manage_settings(&self) -> bool {
        self.role == Role::Main
    }
}

/// Usernames are compared in one form everywhere (sign-in, throttle keys): surrounding spaces
/// dropped, lower case. `" Lin.Admin "` is `lin.admin`.
pub fn normalize_username(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// An argon2id hash (PHC string) with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
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
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == self.name())
            .map(|(_, v)| v.to_owned())
            .filter(|v| !v.is_empty())
    }
}

/// Compares without an early exit, so the time taken says nothing about the token.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signed-in actor. Rejects with `401` without a valid session, and with `403` when a
/// state-changing request lacks the session's CSRF token.
impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, ApiError> {
        let token = state.cookies.token(&parts.headers).ok_or(ApiError::NotSignedIn)?;
        let actor = state
            .store
            .session_actor(&token_hash(&token), state.clock.now())
            .await?
            .ok_or(ApiError::NotSignedIn)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same(sent, &actor.csrf_token) {
                return Err(ApiError::CsrfRejected);
            }
        }
        Ok(actor)
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

/// The sign-in throttle's policy (README, "Sign-in"). Counted in the store, so every server
/// process shares it and a restart keeps it.
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
        },
        shop: ShopView {
            id: actor.shop_id,
            name: actor.shop_name.clone(),
            qualification: actor.qualification,
            status: actor.shop_status.clone(),
        },
        permissions: Permissions {
            payout: actor.may_pay(),
            manage_quotas: actor.may_manage_quotas(),
            manage_settings: actor.may_manage_settings(),
        },
        csrf_token: actor.csrf_token.clone(),
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
