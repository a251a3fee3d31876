//! The payout dialog (SPEC §6.2): source account, payout type, amount, linked product, note.
//!
//! Every keystroke runs `payout_core::check_payout` on the loaded context with the corrected clock,
//! so each message is the server's own, shown beside its field; submit stays disabled while anything
//! is violated, and a line beside it says why. A server rejection is merged in and shown the same way.
//!
//! Each submission carries an idempotency key. The key is kept until a definite answer (a 2xx or a
//! 4xx): after no answer, a timeout or a 5xx the payout may exist, so the dialog locks the form to
//! that submission and its only way forward is to send the very same request again (the server
//! answers it once). The [`Submitter`] that holds it belongs to the screen, so closing and opening
//! the dialog again does not lose it.

use leptos::prelude::*;
use payout_core::api::{PayoutContext, PayoutDraft, PayoutView};
use payout_core::rules::limits_exceeded_by_oversized_amount;
use payout_core::{check_payout, meters, AccountKind, Field, Money, PayoutType, Time, Violation};

use crate::api::{self, ApiError};
use crate::components::account_choice::AccountChoice;
use crate::components::amount_field::AmountField;
use crate::components::dialog::Modal;
use crate::components::feedback::ProcessingWarning;
use crate::components::field::SelectField;
use crate::format;
use crate::i18n::{use_lang, Lang};

/// One submission: the draft as sent and its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub draft: PayoutDraft,
    pub key: String,
}

/// The unanswered submission kept in the tab's `sessionStorage`, with whose it is, so a reload (or
/// a crash of the page) does not lose its key while the payout may exist.
pub mod pending {
    use super::Attempt;

    const KEY: &str = "payout.unresolved";

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Stored {
        user_id: i64,
        attempt: Attempt,
    }

    fn storage() -> Option<web_sys::Storage> {
        leptos::prelude::window().session_storage().ok().flatten()
    }

    /// The submission `user_id` left unanswered in this tab, if any.
    pub fn load(user_id: i64) -> Option<Attempt> {
        let text = storage()?.get_item(KEY).ok()??;
        let stored: Stored = serde_json::from_str(&text).ok()?;
        (stored.user_id == user_id).then_some(stored.attempt)
    }

    /// Keeps `attempt` for `user_id`, or forgets it.
    pub fn save(user_id: Option<i64>, attempt: Option<&Attempt>) {
        let Some(storage) = storage() else { return };
        match (user_id, attempt) {
            (Some(user_id), Some(attempt)) => {
                let stored = Stored { user_id, attempt: attempt.clone() };
                if let Ok(text) = serde_json::to_string(&stored) {
                    let _ = storage.set_item(KEY, &text);
                }
            }
            _ => {
                let _ = storage.remove_item(KEY);
            }
        }
    }
}

/// Creates payouts for a screen: the write action (whose `version()` the screen's data is keyed
/// on) and the submission still waiting for a definite answer.
#[derive(Clone, Copy)]
pub struct Submitter {
    pub action: Action<Attempt, Result<PayoutView, ApiError>>,
    /// The submission whose answer was ambiguous; its order's dialog is locked to it until a retry
    /// gets a definite answer.
    pub unresolved: RwSignal<Option<Attempt>>,
}

impl Submitter {
    pub fn new() -> Submitter {
        let unresolved = RwSignal::new(None::<Attempt>);
        let action = Action::new_local(move |a: &Attempt| {
            let a = a.clone();
            async move {
                let result = api::create_payout(&a.draft, &a.key).await;
                match &result {
                    Err(e) if e.is_ambiguous() => {
                        unresolved.try_set(Some(a));
                    }
                    _ => {
                        unresolved.try_update(|u| {
                            if u.as_ref().is_some_and(|u| u.key == a.key) {
                                *u = None;
                            }
                        });
                    }
                }
                result
            }
        });
        Submitter { action, unresolved }
    }

    /// The unresolved submission on this order, if any (reactive).
    pub fn unresolved_for(&self, order_no: &str) -> Option<Attempt> {
        self.unresolved.with(|u| u.as_ref().filter(|a| a.draft.order_no == order_no).cloned())
    }
}

impl Default for Submitter {
    fn default() -> Self {
        Submitter::new()
    }
}

/// The most that may be paid now: the smallest of what the order, the agent (per payout and what is
/// left today), the shop and the chosen account still allow.
pub fn max_payable(ctx: &PayoutContext, source: Option<AccountKind>, now: Time) -> Money {
    let m = meters(&ctx.policy, &ctx.facts, now);
    let mut limits = vec![m.order_remaining, m.shop_daily_remaining];
    limits.extend(m.operator_per_payout_limit.filter(|l| !l.is_zero()));
    limits.extend(m.operator_daily_remaining);
    if let Some(kind) = source {
        if let Some(a) = ctx.source_accounts.iter().find(|a| a.kind == kind) {
            limits.push(a.available);
        }
    }
    limits.into_iter().min().unwrap_or(Money::ZERO)
}

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
    /// Sends the payout; owned by the screen so an unresolved submission outlives the dialog.
    submitter: Submitter,
    /// The person closed the dialog.
    #[prop(into)]
    on_close: Callback<()>,
    /// The payout was created.
    #[prop(into)]
    on_created: Callback<PayoutView>,
) -> impl IntoView {
    let lang = use_lang();
    let order_no = ctx.order.order_no.clone();
    let unresolved = {
        let order_no = order_no.clone();
        Memo::new(move |_| submitter.unresolved_for(&order_no))
    };
    // An unresolved submission wins over everything else: the form shows exactly what was sent.
    let start_draft = unresolved.get_untracked().map(|a| a.draft);
    let allowed = |kind: &str| ctx.source_accounts.iter().any(|a| a.allowed && a.kind.as_str() == kind);
    let first_allowed = ctx.source_accounts.iter().find(|a| a.allowed).map(|a| a.kind.as_str());
    let start_account = start_draft
        .as_ref()
        .map(|d| d.source_account.as_str())
        .or(prefill.as_ref().map(|p| p.source_account.as_str()).filter(|k| allowed(k)))
        .or(Some(ctx.selected_source_account.as_str()).filter(|k| allowed(k)))
        .or(first_allowed)
        .unwrap_or("")
        .to_owned();

    let source = RwSignal::new(start_account);
    let payout_type = RwSignal::new(match (&start_draft, &prefill) {
        (Some(d), _) => d.payout_type.clone(),
        (None, Some(p)) => p.payout_type.as_str().to_owned(),
        _ => String::new(),
    });
    let amount = RwSignal::new(match (&start_draft, &prefill) {
        (Some(d), _) => d.amount.clone(),
        (None, Some(p)) => p.amount.to_string(),
        _ => String::new(),
    });
    let linked = RwSignal::new(match (&start_draft, &prefill) {
        (Some(d), _) => d.linked_item_id.clone().unwrap_or_default(),
        (None, Some(p)) => p.linked_item_id.clone().unwrap_or_default(),
        _ => String::new(),
    });
    let note = RwSignal::new(match (&start_draft, &prefill) {
        (Some(d), _) => d.note.clone().unwrap_or_default(),
        (None, Some(p)) => p.note.clone().unwrap_or_default(),
        _ => String::new(),
    });
    let confirm_dup =
        RwSignal::new(start_draft.as_ref().is_some_and(|d| d.confirm_duplicate_shipping == Some(true)));
    let type_touched = RwSignal::new(prefill.is_some() || start_draft.is_some());

    let draft = {
        let order_no = order_no.clone();
        Memo::new(move |_| {
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
        })
    };

    // The server's verdict on the draft it saw, shown until the draft changes.
    let server = RwSignal::new(None::<(PayoutDraft, Vec<Violation>)>);
    let failure = RwSignal::new(None::<ApiError>);
    let ctx = StoredValue::new(ctx);
    let violations = Memo::new(move |_| {
        let d = draft.get();
        let t = now.get();
        let mut v = ctx.with_value(|c| {
            let mut v = check_payout(&c.policy, &c.facts, &d, t);
            // Above the largest cap (R-F1) the amount is still compared with every limit, so the
            // person sees all that it exceeds.
            v.extend(limits_exceeded_by_oversized_amount(&c.policy, &c.facts, &d));
            v
        });
        server.with(|s| {
            if let Some((_, sv)) = s.as_ref().filter(|(sd, _)| *sd == d) {
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
                .map(|x| format::amounts_in(x.message(l.core_key())))
                .collect::<Vec<_>>()
        })
    };
    let amount_errors = Signal::derive(move || {
        if amount.with(|a| a.trim().is_empty()) {
            return vec![];
        }
        messages(Some(Field::Amount))
    });
    let type_errors =
        Signal::derive(move || if type_touched.get() { messages(Some(Field::PayoutType)) } else { vec![] });
    let needs_dup_confirm = move || {
        payout_type.get() == PayoutType::Shipping.as_str()
            && ctx.with_value(|c| c.facts.usage.has_counted_shipping)
    };
    let max_hint = Signal::derive(move || {
        let kind = AccountKind::parse(&source.get());
        let max = ctx.with_value(|c| max_payable(c, kind, now.get()));
        let m = format::money(max);
        match lang.get() {
            Lang::Zh => format!("最多可打 {m}"),
            Lang::En => format!("At most {m}"),
        }
    });

    // Answers to what this dialog sent (not to anything sent before it opened).
    let sent = StoredValue::new(None::<Attempt>);
    let action = submitter.action;
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            let Some(a) = sent.get_value() else { return };
            let Some(result) = action.value().get_untracked() else { return };
            sent.set_value(None);
            match result {
                Ok(created) => on_created.run(created),
                Err(e) if e.is_ambiguous() || e.violations.is_empty() => failure.set(Some(e)),
                Err(e) => server.set(Some((a.draft, e.violations))),
            }
        },
        false,
    );
    let pending = action.pending();
    let locked = move || unresolved.with(Option::is_some);
    let blocked = move || !locked() && !violations.with(|v| v.is_empty());
    let send = move || {
        let attempt = unresolved
            .get_untracked()
            .unwrap_or_else(|| Attempt { draft: draft.get_untracked(), key: api::new_idempotency_key() });
        failure.set(None);
        sent.set_value(Some(attempt.clone()));
        action.dispatch(attempt);
    };
    // Why submit is grey, said next to it.
    let why = move || -> Option<String> {
        if locked() || pending.get() || !blocked() {
            return None;
        }
        let l = lang.get();
        let mut missing = Vec::new();
        if payout_type.with(String::is_empty) {
            missing.push(l.pick("选择打款类型", "choose a payout type"));
        }
        if amount.with(|a| a.trim().is_empty()) {
            missing.push(l.pick("填写打款金额", "enter an amount"));
        }
        if needs_dup_confirm() && !confirm_dup.get() {
            missing.push(l.pick("确认再次补偿运费", "confirm the second shipping payout"));
        }
        Some(if !missing.is_empty() {
            match l {
                Lang::Zh => format!("请先{}", missing.join("、")),
                Lang::En => {
                    let text = missing.join(" and ");
                    format!("To continue, {text}.")
                }
            }
        } else {
            l.pick("请先处理上面标红的问题", "Resolve the problems marked above first").to_owned()
        })
    };

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
    let type_options = Signal::derive(move || {
        let l = lang.get();
        std::iter::once((String::new(), l.pick("请选择打款类型", "Choose a payout type").to_owned()))
            .chain(
                PayoutType::ALL
                    .into_iter()
                    .map(|t| (t.as_str().to_owned(), format::payout_type(l, t).to_owned())),
            )
            .collect::<Vec<_>>()
    });
    let item_options = Signal::derive(move || {
        let l = lang.get();
        std::iter::once((String::new(), l.pick("不关联商品", "None").to_owned()))
            .chain(items.iter().map(|i| {
                let text = match l {
                    Lang::Zh => format!("{}（{}）", i.title, format::money(i.amount)),
                    Lang::En => format!("{} ({})", i.title, format::money(i.amount)),
                };
                (i.id.clone(), text)
            }))
            .collect::<Vec<_>>()
    });

    view! {
        <Modal title=title on_close=on_close testid="payout-dialog">
            <form
                class="form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    if !blocked() && !pending.get_untracked() {
                        send();
                    }
                }
            >
                <Show when=move || processing>
                    <ProcessingWarning />
                </Show>
                <Show when=locked>
                    <div class="notice notice--warn" role="alert" data-testid="unresolved-notice">
                        <strong>{move || lang.get().pick("上次提交没有收到明确结果", "The last submission got no definite answer")}</strong>
                        <p>
                            {move || {
                                lang.get()
                                    .pick(
                                        "打款可能已经发起，也可能没有。请点击「重新提交」确认：将原样重发上次的请求，服务端只会处理一次，不会重复打款。在得到结果前，表单锁定为上次提交的内容。",
                                        "The payout may or may not have been made. Press \u{201c}Submit again\u{201d} to find out: the very same request is sent again and the server handles it only once, so it cannot pay twice. Until there is an answer, the form stays as it was submitted.",
                                    )
                            }}
                        </p>
                    </div>
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

                <fieldset class="form__fields" disabled=locked>
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

                    <SelectField
                        id="payout-type"
                        label=Signal::derive(move || lang.get().pick("打款类型", "Payout type").to_owned())
                        value=payout_type
                        options=type_options
                        errors=type_errors
                        on_touch=move || type_touched.set(true)
                    />

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

                    <AmountField value=amount errors=amount_errors hint=max_hint />

                    <SelectField
                        id="linked-item"
                        label=Signal::derive(move || lang.get().pick("关联商品（选填）", "Linked product (optional)").to_owned())
                        value=linked
                        options=item_options
                        errors=Signal::derive(move || messages(Some(Field::LinkedItemId)))
                    />

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
                </fieldset>

                <div class="form__failure" aria-live="assertive" data-testid="submit-error">
                    {move || {
                        failure
                            .get()
                            .map(|e| {
                                let l = lang.get();
                                let text = if e.is_ambiguous() {
                                    l.pick(
                                        "没有收到服务器的明确答复（网络异常、超时或服务繁忙）。",
                                        "No definite answer from the server (network problem, timeout or busy service).",
                                    )
                                        .to_owned()
                                } else if e.code == "IDEMPOTENCY_KEY_REUSED" {
                                    l.pick(
                                        "该请求已按另一内容处理过，请关闭对话框并刷新订单查看结果。",
                                        "This request was already handled with other contents; close the dialog and reload the order to see the result.",
                                    )
                                        .to_owned()
                                } else {
                                    e.message(l).to_owned()
                                };
                                view! { <p class="notice notice--error">{text}</p> }
                            })
                    }}
                </div>

                <div class="form__actions">
                    <p class="form__why" id="submit-why" data-testid="submit-why" aria-live="polite">{why}</p>
                    <button type="button" class="btn" data-testid="cancel-payout" on:click=move |_| on_close.run(())>
                        {move || lang.get().pick("取消", "Cancel")}
                    </button>
                    <button
                        type="submit"
                        class="btn btn--primary"
                        data-testid="submit-payout"
                        disabled=move || blocked() || pending.get()
                        aria-busy=move || pending.get().to_string()
                        aria-describedby="submit-why"
                    >
                        {move || {
                            let l = lang.get();
                            if pending.get() {
                                l.pick("提交中…", "Submitting…")
                            } else if locked() {
                                l.pick("重新提交", "Submit again")
                            } else {
                                l.pick("确认打款", "Pay")
                            }
                        }}
                    </button>
                </div>
            </form>
        </Modal>
    }
}
