//! Who is who. The API names the people behind a payout's events, a decision or a top-up by their
//! login (`lin.admin`); the console shows them by display name (林记管理员), as it does everywhere
//! else (the login stays available as a tooltip). The shop's accounts come from `GET /api/operators`,
//! asked once per page load and only when a screen shows such a name.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::i18n::Lang;

/// The shop's accounts by login, loaded on first use.
#[derive(Clone, Copy)]
pub struct People {
    /// `None` until the list has arrived (or failed: then empty, and logins are shown as they are).
    names: RwSignal<Option<HashMap<String, String>>>,
    asked: StoredValue<bool>,
}

impl People {
    fn new() -> People {
        People { names: RwSignal::new(None), asked: StoredValue::new(false) }
    }

    /// One directory for the app.
    pub fn provide() -> People {
        let people = People::new();
        provide_context(people);
        people
    }

    /// The app's directory (a fresh one where none is provided, e.g. in component tests).
    pub fn use_people() -> People {
        use_context().unwrap_or_else(People::new)
    }

    /// The display name of `login` (reactive): `None` while the list is loading or when the shop
    /// has no such account.
    pub fn display_name(&self, login: &str) -> Option<String> {
        if !self.asked.get_value() {
            self.asked.set_value(true);
            let names = self.names;
            spawn_local(async move {
                let list = api::operators().await.map(|l| l.items).unwrap_or_default();
                names.try_set(Some(list.into_iter().map(|o| (o.username, o.display_name)).collect()));
            });
        }
        self.names.with(|n| n.as_ref().and_then(|n| n.get(login).cloned()))
    }

    /// Who made a state change, as a person reads it: the settlement worker and the system (an
    /// expiry) in words, a person by display name (their login until the list has arrived, or
    /// for an account the shop no longer lists).
    pub fn actor(&self, lang: Lang, actor: &str) -> String {
        if actor == payout_core::api::SETTLEMENT_ACTOR {
            lang.pick("系统结算", "Settlement").to_owned()
        } else if actor == payout_core::approval::SYSTEM_ACTOR {
            lang.pick("系统", "System").to_owned()
        } else {
            self.display_name(actor).unwrap_or_else(|| actor.to_owned())
        }
    }
}

/// A person (or the system) who did something, by display name; the login is the tooltip.
#[component]
pub fn Actor(
    /// The login, or `settlement` / `system`, as the API gives it.
    #[prop(into)]
    login: String,
) -> impl IntoView {
    let lang = crate::i18n::use_lang();
    let people = People::use_people();
    let title = login.clone();
    view! { <span class="actor" data-testid="actor" title=title>{move || people.actor(lang.get(), &login)}</span> }
}
