//! How values are shown: amounts as `¥12.50`, times as `YYYY-MM-DD HH:MM:SS` in UTC+8, labels in
//! the current language. Also the corrected clock the dialog's rules run on.

use leptos::prelude::*;
use payout_core::api::PayoutStatus;
use payout_core::{AccountKind, Money, PayoutType, Time};

use crate::i18n::Lang;

/// `¥12.50`.
pub fn money(m: Money) -> String {
    format!("¥{m}")
}

/// `2026-11-24 18:05:00`: the business clock (UTC+08:00), which is how the API writes times.
pub fn time(t: Time) -> String {
    let text = t.to_rfc3339();
    text.get(..19).unwrap_or(&text).replacen('T', " ", 1)
}

pub fn payout_type(lang: Lang, t: PayoutType) -> &'static str {
    lang.pick(t.label_zh(), t.label_en())
}

pub fn account(lang: Lang, k: AccountKind) -> &'static str {
    lang.pick(k.label_zh(), k.label_en())
}

pub fn status(lang: Lang, s: PayoutStatus) -> &'static str {
    lang.pick(s.label_zh(), s.label_en())
}

/// Who made a state change: a username, or the settlement worker.
pub fn actor(lang: Lang, actor: &str) -> String {
    if actor == payout_core::api::SETTLEMENT_ACTOR {
        lang.pick("系统结算", "Settlement").to_owned()
    } else {
        actor.to_owned()
    }
}

/// The app an order was placed in.
pub fn source_app(lang: Lang, app: &str) -> String {
    let (zh, en) = payout_core::facts::source_app_label(app);
    lang.pick(zh, en).to_owned()
}

/// The server's "now" as the browser can know it: the browser clock plus the difference measured
/// when data last arrived (`server_time` − browser time then). Ticks every second while the
/// component that made it lives, so cooldowns count down.
#[derive(Clone, Copy)]
pub struct ServerClock {
    offset_ms: RwSignal<i64>,
    now: RwSignal<Time>,
}

fn browser_millis() -> i64 {
    js_sys::Date::now() as i64
}

impl ServerClock {
    pub fn new() -> ServerClock {
        let offset_ms = RwSignal::new(0);
        let now = RwSignal::new(Time::from_unix_millis(browser_millis()));
        let tick = move || {
            if let Some(offset) = offset_ms.try_get_untracked() {
                now.try_set(Time::from_unix_millis(browser_millis() + offset));
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
        ServerClock { offset_ms, now }
    }

    /// Aligns with the server's clock as of an answer that carried `server_time`.
    pub fn sync(&self, server_time: Time) {
        self.offset_ms.set(server_time.unix_millis() - browser_millis());
        self.now.set(server_time);
    }

    pub fn now(&self) -> Signal<Time> {
        self.now.into()
    }
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock::new()
    }
}
