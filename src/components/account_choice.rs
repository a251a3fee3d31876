//! A source account as a radio choice: its name, available and frozen balance, and — when it
//! cannot be chosen — why (SPEC §6: aggregate disabled with the reason for individual shops).

use leptos::prelude::*;
use payout_core::api::SourceAccountView;

use crate::format;
use crate::i18n::use_lang;

/// One radio of a source-account group.
#[component]
pub fn AccountChoice(
    /// The account as the server describes it (`allowed`, reasons, balances).
    account: SourceAccountView,
    /// The radio group's `name`; the input's id and test id are `{id_prefix}-{kind}`.
    #[prop(into)]
    group: String,
    #[prop(into)] id_prefix: String,
    /// The chosen account kind (`aggregate` or `custody`).
    selected: RwSignal<String>,
) -> impl IntoView {
    let lang = use_lang();
    let a = account;
    let kind = a.kind.as_str();
    let id = format!("{id_prefix}-{kind}");
    let reason_id = format!("{id}-reason");
    let reason = (!a.allowed).then(|| {
        let (zh, en) = (a.reason_zh.clone(), a.reason_en.clone());
        move || {
            lang.get()
                .pick(
                    zh.as_deref().unwrap_or("该账户不可用于出款"),
                    en.as_deref().unwrap_or("This account cannot be used for payouts"),
                )
                .to_owned()
        }
    });
    view! {
        <label class="choice" class:choice--disabled=!a.allowed for=id.clone()>
            <input
                type="radio"
                id=id.clone()
                name=group
                value=kind
                data-testid=id.clone()
                disabled=!a.allowed
                aria-describedby=(!a.allowed).then(|| reason_id.clone())
                prop:checked=move || selected.get() == kind
                on:change=move |_| selected.set(kind.to_owned())
            />
            <span class="choice__body">
                <span class="choice__title">{move || format::account(lang.get(), a.kind)}</span>
                {if a.opened {
                    view! {
                        <span class="choice__meta">
                            {move || lang.get().pick("可用 ", "Available ")}
                            <strong>{format::money(a.available)}</strong>
                            {move || lang.get().pick(" · 冻结 ", " · frozen ")}
                            {format::money(a.frozen)}
                        </span>
                    }
                        .into_any()
                } else {
                    view! { <span class="choice__meta">{move || lang.get().pick("未开通", "Not opened")}</span> }.into_any()
                }}
                {reason.map(|r| view! { <span class="choice__reason" id=reason_id.clone()>{r}</span> })}
            </span>
        </label>
    }
}
