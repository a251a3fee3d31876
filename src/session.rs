//! Who is signed in. Loaded once at start (`GET /api/session`, asked only when the server's
//! marker cookie says a session was started in this browser); any `401` later sends the person
//! back to sign in, and from there to the page they were on.

use leptos::prelude::*;
use leptos::task::spawn_local;
use payout_core::api::{Permissions, SessionInfo};

use crate::api::{self, ApiError};

#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    Loading,
    SignedOut,
    SignedIn(SessionInfo),
    /// The session could not even be asked for (network, server down).
    Failed(ApiError),
}

/// Asks the server who is signed in and keeps the answer in context.
pub fn provide_session() -> RwSignal<SessionState> {
    let session = RwSignal::new(SessionState::Loading);
    provide_context(session);
    api::on_unauthorized(move || session.set(SessionState::SignedOut));
    // A session that must change its one-time password (signed in on another tab, say): ask again,
    // and the shell shows the change form.
    api::on_password_change_required(move || reload_session(session));
    reload_session(session);
    session
}

pub fn reload_session(session: RwSignal<SessionState>) {
    // No marker cookie, no session: known at once, without asking (and without a skeleton that
    // the sign-in form then replaces).
    if !api::may_be_signed_in() {
        session.set(SessionState::SignedOut);
        return;
    }
    session.set(SessionState::Loading);
    spawn_local(async move {
        session.set(match api::session().await {
            Ok(Some(info)) => SessionState::SignedIn(info),
            Ok(None) => SessionState::SignedOut,
            Err(e) => SessionState::Failed(e),
        });
    });
}

/// Asks the server again who is signed in, without showing the loading state (after a change
/// that the session's answer reflects: a password changed, two-step verification on or off).
pub fn refresh_session(session: RwSignal<SessionState>) {
    spawn_local(async move {
        if let Ok(Some(info)) = api::session().await {
            session.try_set(SessionState::SignedIn(info));
        }
    });
}

/// The signed-in person's session (`None` when signed out).
pub fn use_session_info() -> Signal<Option<SessionInfo>> {
    let session = use_session();
    Signal::derive(move || match session.get() {
        SessionState::SignedIn(info) => Some(info),
        _ => None,
    })
}

pub fn use_session() -> RwSignal<SessionState> {
    use_context().unwrap_or_else(|| RwSignal::new(SessionState::SignedOut))
}

/// What the signed-in person may do (nothing when signed out).
pub fn use_permissions() -> Signal<Permissions> {
    let session = use_session();
    Signal::derive(move || {
        session.with(|s| match s {
            SessionState::SignedIn(info) => info.permissions,
            _ => Permissions { payout: false, manage_quotas: false, manage_settings: false },
        })
    })
}

/// A path inside the app to return to after signing in; anything else (other sites) is refused.
pub fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/sign-in") =>
        {
            n
        }
        _ => "/".to_owned(),
    }
}
