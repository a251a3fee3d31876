//! The payout dialog (SPEC §6.2): source account, payout type, amount, linked product, note.
//!
//! Every keystroke runs `payout_core::check_payout` on the loaded context with the corrected clock,
//! so each message is the server's own, shown beside its field; submit stays disabled while anything
//! is violated. A server rejection is merged in and shown the same way. Each submission carries an
//! idempotency key, reused when the same attempt is retried after a network failure.

use leptos::prelude::*;
use payout_core::api::{PayoutContext, PayoutDraft, PayoutView};
use payout_core::{check_payout, Field, PayoutType, Time, Violation};

use crate::api::{self, ApiError};
use crate::components::account_choice::AccountChoice;
use crate::components::amount_field::AmountField;
use crate::components::dialog::Modal;
use crate::components::feedback::ProcessingWarning;
use crate::format;
use crate::i18n::use_lang;

/// The dialog for one order. `prefill` is a failed payout to initiate again.
#[component]
pub fn PayoutDialog(
    /// The order's payout context as loaded.
    ctx: PayoutContext,
    /// Values to start from ("pay again" of a failed payout).
    #[prop(default = None)]
    prefill: Option<PayoutView>,
    /// The server's "now", ticking.
    #[prop(into)]
    now: Signal<Time>,
    /// The person closed the dialog.
    #[prop(into)]
    on_close: Callback<()>,
    /// The payout was created.
    #[prop(into)]
    on_created: Callback<PayoutView>,
) -> impl IntoView {
    let lang = use_lang();
    let allowed = |kind: &str| ctx.source_accounts.iter().any(|a| a.allowed && a.kind.as_str() == kind);
    let first_allowed = ctx.source_accounts.iter().find(|a| a.allowed).map(|a| a.kind.as_str());
    let start_account = prefill
        .as_ref()
        .map(|p| p.source_account.as_str())
        .filter(|k| allowed(k))
        .or(Some(ctx.selected_source_account.as_str()).filter(|k| allowed(k)))
        .or(first_allowed)
        .unwrap_or("");

    let source = RwSignal::new(start_account.to_owned());
    let payout_type =
        RwSignal::new(prefill.as_ref().map(|p| p.payout_type.as_str().to_owned()).unwrap_or_default());
    let amount = RwSignal::new(prefill.as_ref().map(|p| p.amount.to_string()).unwrap_or_default());
    let linked = RwSignal::new(prefill.as_ref().and_then(|p| p.linked_item_id.clone()).unwrap_or_default());
    let note = RwSignal::new(prefill.as_ref().and_then(|p| p.note.clone()).unwrap_or_default());
    let confirm_dup = RwSignal::new(false);
    let type_touched = RwSignal::new(prefill.is_some());

    let order_no = ctx.order.order_no.clone();
    let draft = Memo::new(move |_| {
        let ty = payout_type.get();
        PayoutDraft {
            order_no: order_no.clone(),
            source_account: source.get(),
            amount: amount.get(),
            linked_item_id: Some(linked.get()).filter(|l| !l.is_empty()),
            note: Some(note.get().trim().to_owned()).filter(|n| !n.is_empty()),
            confirm_duplicate_shipping: (ty == PayoutType::Shipping.as_str() && confirm_dup.get())
                .then_some(true),
            payout_type: ty,
        }
    });

    // The server's verdict on the draft it saw, shown until the draft changes.
    let server = RwSignal::new(None::<(PayoutDraft, Vec<Violation>)>);
    let failure = RwSignal::new(None::<ApiError>);
    let ctx = StoredValue::new(ctx);
    let violations = Memo::new(move |_| {
        let d = draft.get();
        let mut v = ctx.with_value(|c| check_payout(&c.policy, &c.facts, &d, now.get()));
        server.with(|s| {
            if let Some((sd, sv)) = s.as_ref().filter(|(sd, _)| *sd == d) {
                let _ = sd;
                for x in sv {
                    if !v.iter().any(|y| y.code == x.code) {
                        v.push(x.clone());
                    }
                }
            }
        });
        v
    });
    let messages = move |field: Option<Field>| {
        let l = lang.get();
        violations.with(|v| {
            v.iter()
                .filter(|x| x.field == field)
                .map(|x| x.message(l.core_key()).to_owned())
                .collect::<Vec<_>>()
        })
    };
    let amount_errors = Signal::derive(move || {
        if amount.with(|a| a.trim().is_empty()) {
            return vec![];
        }
        messages(Some(Field::Amount))
    });
    let type_errors = move || if type_touched.get() { messages(Some(Field::PayoutType)) } else { vec![] };
    let needs_dup_confirm = move || {
        payout_type.get() == PayoutType::Shipping.as_str()
            && ctx.with_value(|c| c.facts.usage.has_counted_shipping)
    };

    // One idempotency key per attempt: the same draft retried after a network failure keeps it.
    let attempt = StoredValue::new(None::<(PayoutDraft, String)>);
    let submit = Action::new_local(move |_: &()| {
        let d = draft.get_untracked();
        let key = attempt
            .with_value(|a| a.as_ref().filter(|(ad, _)| *ad == d).map(|(_, k)| k.clone()))
            .unwrap_or_else(api::new_idempotency_key);
        attempt.set_value(Some((d.clone(), key.clone())));
        failure.set(None);
        async move {
            match api::create_payout(&d, &key).await {
                Ok(created) => {
                    attempt.try_set_value(None);
                    on_created.run(created);
                }
                Err(e) => {
                    if !e.is_network() {
                        attempt.try_set_value(None);
                    }
                    if e.violations.is_empty() {
                        failure.try_set(Some(e));
                    } else {
                        server.try_set(Some((d, e.violations)));
                    }
                }
            }
        }
    });
    let pending = submit.pending();
    let blocked = move || !violations.with(|v| v.is_empty());

    let (order_label, processing, accounts, items, earlier_shipping) = ctx.with_value(|c| {
        (
            c.order.order_no.clone(),
            c.facts.usage.has_processing,
            c.source_accounts.clone(),
            c.order.items.clone(),
            c.payouts
                .iter()
                .filter(|p| p.payout_type == PayoutType::Shipping && p.status.is_counted())
                .cloned()
                .collect::<Vec<_>>(),
        )
    });
    let title = Signal::derive(move || {
        format!("{} · {}", lang.get().pick("发起小额打款", "New payout"), order_label)
    });

    let account_options = accounts
        .into_iter()
        .map(|account| view! { <AccountChoice account group="source_account" id_prefix="source" selected=source /> })
        .collect_view();

    view! {
            <Modal title=title on_close=on_close testid="payout-dialog">
                <form
                    class="form"
                    novalidate
                    on:submit=move |ev| {
                        ev.prevent_default();
                        if !blocked() && !pending.get_untracked() {
                            submit.dispatch(());
                        }
                    }
                >
                    <Show when=move || processing>
    <ProcessingWarning />
    </Show>
                    <div class="form__general" aria-live="polite" data-testid="general-errors">
                        {move || {
                            let general = messages(None);
                            (!general.is_empty())
                                .then(|| {
                                    view! {
                                        <ul class="notice notice--error">
                                            {general.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                                        </ul>
                                    }
                                })
                        }}
                    </div>

                    <fieldset class="field">
                        <legend class="field__label">{move || lang.get().pick("出款账户", "Source account")}</legend>
                        <div class="choices">{account_options}</div>
                        <p class="field__error" data-testid="source-error" aria-live="polite">
                            {move || {
                                messages(Some(Field::SourceAccount))
                                    .into_iter()
                                    .map(|m| view! { <span class="field__msg">{m}</span> })
                                    .collect_view()
                            }}
                        </p>
                    </fieldset>

                    <div class="field" class:field--invalid=move || !type_errors().is_empty()>
                        <label class="field__label" for="payout-type">
                            {move || lang.get().pick("打款类型", "Payout type")}
                        </label>
                        <select
                            id="payout-type"
                            class="select"
                            data-testid="payout-type"
                            aria-describedby="payout-type-error"
                            prop:value=move || payout_type.get()
                            on:change=move |ev| {
                                type_touched.set(true);
                                payout_type.set(event_target_value(&ev));
                            }
                            on:blur=move |_| type_touched.set(true)
                        >
                            <option value="">{move || lang.get().pick("请选择打款类型", "Choose a payout type")}</option>
                            {PayoutType::ALL
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <option value=t.as_str() selected=move || payout_type.get() == t.as_str()>
                                            {move || format::payout_type(lang.get(), t)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <p id="payout-type-error" class="field__error" data-testid="payout-type-error" aria-live="polite">
                            {move || type_errors().into_iter().map(|m| view! { <span class="field__msg">{m}</span> }).collect_view()}
                        </p>
                    </div>

                    <Show when=needs_dup_confirm>
                        <div class="confirm" data-testid="duplicate-shipping">
                            <p class="confirm__title">
                                {move || {
                                    lang.get()
                                        .pick(
                                            "该订单已有运费补偿打款，确认要再次补偿运费吗？",
                                            "This order already received a shipping-fee payout. Pay shipping again?",
                                        )
                                }}
                            </p>
                            <ul class="confirm__list">
                                {earlier_shipping
                                    .iter()
                                    .map(|p| {
                                        let (at, amount, status) = (p.created_at, p.amount, p.status);
                                        view! {
                                            <li>
                                                {format::time(at)} " · " {format::money(amount)} " · "
                                                {move || format::status(lang.get(), status)}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                            <label class="check">
                                <input
                                    type="checkbox"
                                    data-testid="confirm-duplicate-shipping"
                                    prop:checked=move || confirm_dup.get()
                                    on:change=move |ev| confirm_dup.set(event_target_checked(&ev))
                                />
                                {move || lang.get().pick("确认再次补偿运费", "Yes, pay shipping again")}
                            </label>
                        </div>
                    </Show>

                    <AmountField value=amount errors=amount_errors />

                    <div class="field">
                        <label class="field__label" for="linked-item">
                            {move || lang.get().pick("关联商品（选填）", "Linked product (optional)")}
                        </label>
                        <select
                            id="linked-item"
                            class="select"
                            data-testid="linked-item"
                            aria-describedby="linked-item-error"
                            prop:value=move || linked.get()
                            on:change=move |ev| linked.set(event_target_value(&ev))
                        >
                            <option value="">{move || lang.get().pick("不关联商品", "None")}</option>
                            {items
                                .into_iter()
                                .map(|i| {
                                    let id = i.id.clone();
                                    let selected = {
                                        let id = id.clone();
                                        move || linked.get() == id
                                    };
                                    view! {
                                        <option value=id selected=selected>
                                            {format!("{}（{}）", i.title, format::money(i.amount))}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <p id="linked-item-error" class="field__error" aria-live="polite">
                            {move || {
                                messages(Some(Field::LinkedItemId))
                                    .into_iter()
                                    .map(|m| view! { <span class="field__msg">{m}</span> })
                                    .collect_view()
                            }}
                        </p>
                    </div>

                    <div class="field">
                        <label class="field__label" for="payout-note">
                            {move || lang.get().pick("备注（选填）", "Note (optional)")}
                        </label>
                        <textarea
                            id="payout-note"
                            class="textarea"
                            rows="2"
                            maxlength="200"
                            data-testid="payout-note"
                            prop:value=move || note.get()
                            on:input=move |ev| note.set(event_target_value(&ev))
                        ></textarea>
                    </div>

                    <div class="form__failure" aria-live="assertive" data-testid="submit-error">
                        {move || {
                            failure
                                .get()
                                .map(|e| {
                                    let retry = e.is_network();
                                    view! {
                                        <p class="notice notice--error">
                                            {e.message(lang.get()).to_owned()}
                                            {retry
                                                .then(|| {
                                                    lang.get()
                                                        .pick(
                                                            " 再次提交将沿用本次请求，不会重复打款。",
                                                            " Submitting again repeats this same request; it cannot pay twice.",
                                                        )
                                                })}
                                        </p>
                                    }
                                })
                        }}
                    </div>

                    <div class="form__actions">
                        <button type="button" class="btn" on:click=move |_| on_close.run(())>
                            {move || lang.get().pick("取消", "Cancel")}
                        </button>
                        <button
                            type="submit"
                            class="btn btn--primary"
                            data-testid="submit-payout"
                            disabled=move || blocked() || pending.get()
                            aria-busy=move || pending.get().to_string()
                        >
                            {move || {
                                if pending.get() {
                                    lang.get().pick("提交中…", "Submitting…")
                                } else {
                                    lang.get().pick("确认打款", "Pay")
                                }
                            }}
                        </button>
                    </div>
                </form>
            </Modal>
        }
}
