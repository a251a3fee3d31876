//! Passwords (argon2id), sessions and CSRF.
//!
//! The session is an opaque random token in an `HttpOnly`, `SameSite=Strict` cookie; the store
//! keeps only its SHA-256, so a leaked database cannot be replayed as cookies. Each session has a
//! CSRF token that state-changing requests must echo in `X-CSRF-Token`.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use payout_core::api::{Permissions, SessionInfo, ShopView, UserView};
use payout_core::Time;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Actor;

pub const SESSION_COOKIE: &str = "payout_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sessions last one working day.
pub const SESSION_SECONDS: i64 = 12 * 3600;

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

pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}")
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
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
        let token = cookie_token(&parts.headers).ok_or(ApiError::NotSignedIn)?;
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

/// The raw session token of the request, for sign-out.
pub fn request_token(headers: &HeaderMap) -> Option<String> {
    cookie_token(headers)
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

/// Failed sign-ins per username: after [`LoginThrottle::MAX_FAILURES`] within the window, every
/// attempt for that username is refused until the window has passed.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Time)>>,
}

impl LoginThrottle {
    pub const MAX_FAILURES: u32 = 5;
    pub const WINDOW_SECONDS: i64 = 15 * 60;

    pub fn is_locked(&self, username: &str, now: Time) -> bool {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.get(username).is_some_and(|(count, since)| {
            *count >= Self::MAX_FAILURES && now.seconds_since(*since) < Self::WINDOW_SECONDS
        })
    }

    pub fn record_failure(&self, username: &str, now: Time) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(username.to_owned()).or_insert((0, now));
        if now.seconds_since(entry.1) >= Self::WINDOW_SECONDS {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn clear(&self, username: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(username);
    }
}
