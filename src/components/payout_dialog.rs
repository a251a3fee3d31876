//! The payout dialog (SPEC §6.2, §11.1, §11.2): source account, reason, payout type, amount, linked
//! product, the buyer message (the reason's template, placeholders kept, with a live preview of what
//! the buyer will receive) and the internal note.
//!
//! Every keystroke runs `payout_core::check_draft` on the loaded context with the corrected clock,
//! so each message is the server's own, shown beside its field; submit stays disabled while anything
//! is violated, and a line beside it says why. A server rejection is merged in and shown the same way.
//!
//! Each submission carries an idempotency key. The key is kept until a definite answer (a 2xx or a
//! 4xx): after no answer, a timeout or a 5xx the payout may exist, so the dialog locks the form to
//! that submission and its only way forward is to send the very same request again (the server
//! answers it once). The [`Submitter`] that holds it belongs to the screen, so closing and opening
//! the dialog again does not lose it. An attempt keeps the time it was made: the server forgets a
//! key after 24 h, so past [`RESEND_WITHIN_SECONDS`] a resend could pay twice. Such an attempt is
//! never sent again; the dialog and the workbench send the agent to the order's payout records.

use leptos::prelude::*;
use payout_core::api::{PayoutContext, PayoutDraft, PayoutView};
use payout_core::approval::needs_approval;
use payout_core::reasons::{fill_template, Reason, MAX_TEXT_CHARS};
use payout_core::rules::limits_exceeded_by_oversized_amount;
use payout_core::{check_draft, meters, AccountKind, Field, Money, PayoutType, Policy, Time, Violation};

use crate::api::{self, ApiError};
use crate::components::account_choice::AccountChoice;
use crate::components::amount_field::{parse_amount, AmountField};
use crate::components::button::Button;
use crate::components::dialog::Modal;
use crate::components::feedback::{ProcessingWarning, StuckWarning};
use crate::components::field::{SelectField, TextAreaField};
use crate::format;
use crate::i18n::{use_lang, Lang};

/// How long after its first sending an unanswered submission may still be sent again with its
/// idempotency key: the server keeps keys for 24 hours, and an hour is left for clocks and queues.
pub const RESEND_WITHIN_SECONDS: i64 = 23 * 3600;

/// One submission: the draft as sent, its idempotency key and when it was first sent (the
/// server's clock as the dialog knows it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub draft: PayoutDraft,
    pub key: String,
    /// `None` for an attempt kept before the time was recorded: its age is unknown.
    #[serde(default)]
    pub created_at: Option<Time>,
}

impl Attempt {
    /// A new submission of `draft` with a fresh idempotency key, made at `now`.
    pub fn new(draft: PayoutDraft, now: Time) -> Attempt {
        Attempt { draft, key: api::new_idempotency_key(), created_at: Some(now) }
    }

    /// Too old to send again: the server may have forgotten its key (or its age is unknown).
    pub fn is_stale(&self, now: Time) -> bool {
        self.created_at.is_none_or(|at| now.seconds_since(at) >= RESEND_WITHIN_SECONDS)
    }
}

/// The unanswered submission kept in the tab's `sessionStorage`, with whose it is and when it was
/// made, so a reload (or a crash of the page) does not lose its key while the payout may exist.
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
        let stored: Stored = crate::api::from_json(&text)?;
        (stored.user_id == user_id).then_some(stored.attempt)
    }

    /// Keeps `attempt` for `user_id`, or forgets it.
    pub fn save(user_id: Option<i64>, attempt: Option<&Attempt>) {
        let Some(storage) = storage() else { return };
        match (user_id, attempt) {
            (Some(user_id), Some(attempt)) => {
                let stored = Stored { user_id, attempt: attempt.clone() };
                if let Some(text) = crate::api::to_json(&stored) {
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
    /// An unanswered submission that became too old to send again ([`Attempt::is_stale`]): no
    /// longer kept, only remembered so the agent is told to look at the order's records.
    pub stale: RwSignal<Option<Attempt>>,
}

impl Submitter {
    pub fn new() -> Submitter {
        let unresolved = RwSignal::new(None::<Attempt>);
        let stale = RwSignal::new(None::<Attempt>);
        let action = Action::new_local(move |a: &Attempt| {
            let a = a.clone();
            // A new submission on the order: the agent has moved on from the stale one.
            stale.try_update(|s| {
                if s.as_ref().is_some_and(|s| s.draft.order_no == a.draft.order_no) {
                    *s = None;
                }
            });
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
        Submitter { action, unresolved, stale }
    }

    /// The unresolved submission on this order, if any (reactive).
    pub fn unresolved_for(&self, order_no: &str) -> Option<Attempt> {
        self.unresolved.with(|u| u.as_ref().filter(|a| a.draft.order_no == order_no).cloned())
    }

    /// The order's unanswered submission that was discarded as too old, if any (reactive).
    pub fn stale_for(&self, order_no: &str) -> Option<Attempt> {
        self.stale.with(|s| s.as_ref().filter(|a| a.draft.order_no == order_no).cloned())
    }

    /// Discards the unresolved submission if it is too old to send again at `now`, remembering it
    /// as [`Submitter::stale`] (the app then drops it from `sessionStorage` too).
    pub fn retire_stale(&self, now: Time) {
        if self.unresolved.with_untracked(|u| u.as_ref().is_some_and(|a| a.is_stale(now))) {
            let old = self.unresolved.try_update(Option::take).flatten();
            self.stale.set(old);
        }
    }

    /// Forgets every submission (another person signs in, or sign-out).
    pub fn forget(&self) {
        self.unresolved.set(None);
        self.stale.set(None);
    }
}

/// Says that the order's last submission got no answer and is too old to send again, and where to
/// look instead: the payout records of the order.
#[component]
pub fn StaleAttemptNotice(
    /// The order the submission was for.
    order_no: String,
) -> impl IntoView {
    let lang = use_lang();
    let href = format!("/records?order_no={order_no}");
    view! {
        <div class="notice notice--warn" role="alert" data-testid="stale-attempt">
            <strong>{move || lang.get().pick("上次提交已超过 23 小时仍没有明确结果", "The last submission is over 23 hours old and never got a definite answer")}</strong>
            <p class="notice__text">
                {move || {
                    lang.get()
                        .pick(
                            "为避免重复打款，系统不会再重发这次提交。请先查看该订单的打款记录，确认是否已经打款，再决定是否重新发起。",
                            "To avoid paying twice it is not sent again. Check this order's payout records to see whether it was paid before you pay again.",
                        )
                }}
                " "
                <a class="link" href=href data-testid="stale-attempt-records">
                    {move || lang.get().pick("查看该订单的打款记录", "See this order's payout records")}
                </a>
            </p>
        </div>
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

/// Stands for the amount in the preview while no valid amount is typed: `¥—`.
pub const NO_AMOUNT_YET: &str = "—";

/// What the buyer will receive for the buyer-message text `text` (a reason's template, or what the
/// person wrote, placeholders and all): `payout_core`'s [`fill_template`] with this order, the
/// amount as parsed (`18.90`) and the shop, as the server fills it when it creates the payout.
/// While the amount is not valid yet it reads as a blank (`¥—`), never as `{amount}`.
pub fn buyer_message_preview(
    text: &str,
    policy: &Policy,
    order_no: &str,
    amount: &str,
    shop: &str,
) -> String {
    let amount =
        parse_amount(policy, amount).map(|m| m.to_string()).unwrap_or_else(|_| NO_AMOUNT_YET.to_owned());
    fill_template(text, order_no, &amount, shop)
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
    // Too old to send again: discarded before anything is shown (and later while open).
    submitter.retire_stale(now.get_untracked());
    Effect::new(move |_| submitter.retire_stale(now.get()));
    let stale = {
        let order_no = order_no.clone();
        Memo::new(move |_| submitter.stale_for(&order_no).is_some())
    };
    let stale_order = order_no.clone();
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

    // The reason (SPEC §11.1): one of the shop's active reasons. Choosing one sets the payout type;
    // choosing another type clears it. Its template, placeholders and all, is the buyer message
    // until the person edits that; from then on their text stays. The server fills the placeholders
    // from the payout it creates; the dialog shows under the field what that will give.
    let reasons: Vec<Reason> = ctx.facts.shop.reasons.iter().filter(|r| r.active).cloned().collect();
    let require_reason = ctx.facts.shop.require_reason;
    let find_reason = {
        let reasons = reasons.clone();
        move |id: &str| reasons.iter().find(|r| r.id.to_string() == id).cloned()
    };
    let prefill_reason = prefill
        .as_ref()
        .and_then(|p| p.reason_id.map(|id| (id.to_string(), p.payout_type)))
        .filter(|(id, ty)| find_reason(id).is_some_and(|r| r.payout_type == *ty))
        .map(|(id, _)| id);
    let reason = RwSignal::new(match (&start_draft, &prefill_reason) {
        (Some(d), _) => d.reason_id.map(|id| id.to_string()).unwrap_or_default(),
        (None, Some(id)) => id.clone(),
        _ => String::new(),
    });
    let reason_touched = RwSignal::new(start_draft.is_some());
    let shop_name = ctx.facts.shop.name.clone();
    let buyer_typed = RwSignal::new(match (&start_draft, &prefill) {
        (Some(d), _) => Some(d.buyer_message.clone().unwrap_or_default()),
        // Pay again: the earlier message stays only if the person had written it themselves; one
        // the reason's template gave (as sent, or as the server filled it) starts from the template.
        (None, Some(p)) => p.buyer_message.clone().filter(|m| {
            let template =
                prefill_reason.as_deref().and_then(&find_reason).and_then(|r| r.buyer_message_template);
            !template.is_some_and(|t| {
                t == *m || fill_template(&t, &order_no, &p.amount.to_string(), &shop_name) == *m
            })
        }),
        _ => None,
    });
    let selected_reason = {
        let find_reason = find_reason.clone();
        Memo::new(move |_| reason.with(|id| find_reason(id)))
    };
    let buyer_message = Signal::derive(move || {
        buyer_typed.get().unwrap_or_else(|| {
            selected_reason.get().and_then(|r| r.buyer_message_template).unwrap_or_default()
        })
    });
    let buyer_preview = {
        let (policy, order_no, shop_name) = (ctx.policy.clone(), order_no.clone(), shop_name.clone());
        Signal::derive(move || {
            let text = buyer_message.get();
            let text = text.trim();
            (!text.is_empty())
                .then(|| amount.with(|a| buyer_message_preview(text, &policy, &order_no, a, &shop_name)))
        })
    };
    let choose_reason = move || {
        reason_touched.set(true);
        if let Some(r) = selected_reason.get_untracked() {
            payout_type.set(r.payout_type.as_str().to_owned());
            type_touched.set(true);
        }
    };
    let choose_type = move || {
        type_touched.set(true);
        let ty = payout_type.get_untracked();
        if selected_reason.get_untracked().is_some_and(|r| r.payout_type.as_str() != ty) {
            reason.set(String::new());
        }
    };

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
                reason_id: reason.with(|r| r.parse().ok()),
                // What the person emptied on purpose is sent empty, not filled in again.
                buyer_message: Some(buyer_message.get().trim().to_owned())
                    .filter(|m| !m.is_empty() || buyer_typed.with(Option::is_some)),
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
            let mut v = check_draft(&c.policy, &c.facts, &d, t);
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
    let reason_errors = Signal::derive(move || {
        if reason_touched.get() || type_touched.get() {
            messages(Some(Field::ReasonId))
        } else {
            vec![]
        }
    });
    // At or above the shop's threshold a sub-account's payout waits for the main account (§11.2).
    let approval = Memo::new(move |_| {
        ctx.with_value(|c| {
            let m = amount.with(|a| parse_amount(&c.policy, a).ok())?;
            needs_approval(&c.facts.shop, &c.facts.operator, m).then_some(c.facts.shop.approval_threshold?)
        })
    });
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
        let t = now.get_untracked();
        if unresolved.get_untracked().is_some_and(|a| a.is_stale(t)) {
            // It aged past the limit while the dialog was open: not sent, the notice says why.
            submitter.retire_stale(t);
            return;
        }
        let attempt = unresolved.get_untracked().unwrap_or_else(|| Attempt::new(draft.get_untracked(), t));
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
        if require_reason && reason.with(String::is_empty) {
            missing.push(l.pick("选择打款原因", "choose a reason"));
        }
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

    let (order_label, processing, stuck, accounts, items, earlier_shipping) = ctx.with_value(|c| {
        (
            c.order.order_no.clone(),
            c.facts.usage.has_processing,
            c.payouts.iter().any(|p| p.stuck),
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
    let type_options = Signal::derive(move || format::payout_type_options(lang.get()));
    let reason_options = Signal::derive(move || {
        let l = lang.get();
        let first = if require_reason {
            l.pick("请选择打款原因", "Choose a reason")
        } else {
            l.pick("不选择原因", "No reason")
        };
        std::iter::once((String::new(), first.to_owned()))
            .chain(reasons.iter().map(|r| {
                let (name, ty) = (r.name(l == Lang::En), format::payout_type(l, r.payout_type));
                let text = match l {
                    Lang::Zh => format!("{name}（{ty}）"),
                    Lang::En => format!("{name} ({ty})"),
                };
                (r.id.to_string(), text)
            }))
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
                {if stuck {
                    view! { <StuckWarning /> }.into_any()
                } else if processing {
                    view! { <ProcessingWarning /> }.into_any()
                } else {
                    ().into_any()
                }}
                <Show when=move || stale.get()>
                    <StaleAttemptNotice order_no=stale_order.clone() />
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
                        id="payout-reason"
                        label=Signal::derive(move || {
                            let l = lang.get();
                            if require_reason { l.pick("打款原因", "Reason") } else { l.pick("打款原因（选填）", "Reason (optional)") }.to_owned()
                        })
                        value=reason
                        options=reason_options
                        errors=reason_errors
                        on_touch=choose_reason
                    />

                    <SelectField
                        id="payout-type"
                        label=Signal::derive(move || lang.get().pick("打款类型", "Payout type").to_owned())
                        value=payout_type
                        options=type_options
                        errors=type_errors
                        on_touch=choose_type
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
                    {move || {
                        approval
                            .get()
                            .map(|t| {
                                let t = format::money(t);
                                let text = match lang.get() {
                                    Lang::Zh => format!("金额达到 {t} 审核门槛，提交后需主账号审核"),
                                    Lang::En => format!("At or above the {t} approval threshold: the main account must approve it"),
                                };
                                view! { <p class="notice notice--info" role="status" data-testid="approval-notice">{text}</p> }
                            })
                    }}

                    <SelectField
                        id="linked-item"
                        label=Signal::derive(move || lang.get().pick("关联商品（选填）", "Linked product (optional)").to_owned())
                        value=linked
                        options=item_options
                        errors=Signal::derive(move || messages(Some(Field::LinkedItemId)))
                    />

                    <div class="texts">
                        <div class="texts__buyer">
                        <TextAreaField
                            id="buyer-message"
                            label=Signal::derive(move || lang.get().pick("买家留言（选填）", "Buyer message (optional)").to_owned())
                            aside=Signal::derive(move || lang.get().pick("买家会看到这段话", "The buyer sees this").to_owned())
                            value=buyer_message
                            on_input=move |text| buyer_typed.set(Some(text))
                            errors=Signal::derive(move || messages(Some(Field::BuyerMessage)))
                            max_chars=MAX_TEXT_CHARS
                        />
                        {move || {
                            buyer_preview
                                .get()
                                .map(|text| {
                                    view! {
                                        <div class="preview" data-testid="buyer-message-preview" aria-live="polite">
                                            <span class="preview__label">
                                                {move || lang.get().pick("买家将收到：", "The buyer will receive:")}
                                            </span>
                                            <p class="preview__text" data-testid="buyer-message-preview-text">{text}</p>
                                        </div>
                                    }
                                })
                        }}
                        </div>
                        <TextAreaField
                            id="payout-note"
                            label=Signal::derive(move || lang.get().pick("内部备注（选填）", "Internal note (optional)").to_owned())
                            aside=Signal::derive(move || lang.get().pick("仅本店可见，买家看不到", "Only your shop sees this").to_owned())
                            value=note
                            on_input=move |text| note.set(text)
                            errors=Signal::derive(move || messages(Some(Field::Note)))
                            max_chars=MAX_TEXT_CHARS
                            rows=2
                        />
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
                                // The shop requires two-step verification of this payer: the way
                                // to its set-up (SPEC §12.2).
                                let lead = (e.code == "TWO_FACTOR_REQUIRED_TO_PAY").then(|| view! {
                                    " "
                                    <leptos_router::components::A href="/account#two-factor" attr:class="link" attr:data-testid="two-factor-setup-link">
                                        {l.pick("去开启两步验证", "Turn on two-step verification")}
                                    </leptos_router::components::A>
                                });
                                view! { <p class="notice notice--error">{text}{lead}</p> }
                            })
                    }}
                </div>

                <div class="form__actions">
                    <p class="form__why" id="submit-why" data-testid="submit-why" aria-live="polite">{why}</p>
                    <Button label=("取消", "Cancel") testid="cancel-payout" on_click=on_close />
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
