//! What a payout says beyond its figures, the same way wherever it is listed (records, the order
//! page, the workbench, the approval queue, the statement): the buyer message and the internal
//! note apart and labelled (SPEC §11.1), the failure reason, the approval decision (§11.2), when
//! the buyer was notified (§11.3), and the "stuck" advice with "ask the rail again" (§11.4).

use leptos::prelude::*;
use payout_core::api::{PayoutStatus, PayoutView};

use crate::api::{self, ApiError};
use crate::components::feedback::error_text;
use crate::format;
use crate::i18n::{use_lang, Lang};
use crate::people::Actor;
use crate::session::use_permissions;

/// Asks the payment rail again about a stuck payout (main account). A page provides it and keys its
/// data on `action.version()`, so the refreshed payout shows once the answer is in.
#[derive(Clone, Copy)]
pub struct Requery {
    pub action: Action<i64, (i64, Result<PayoutView, ApiError>)>,
}

impl Requery {
    pub fn provide() -> Requery {
        let action = Action::new_local(|id: &i64| {
            let id = *id;
            async move { (id, api::status_query(id).await) }
        });
        let r = Requery { action };
        provide_context(r);
        r
    }
}

/// Whether [`PayoutInfo`] has anything to show for `p`.
pub fn has_info(p: &PayoutView) -> bool {
    p.buyer_message.is_some()
        || p.note.is_some()
        || p.failure_reason.is_some()
        || p.reject_reason.is_some()
        || p.decided_at.is_some()
        || p.buyer_notified_at.is_some()
        || p.buyer_notification_failed_at.is_some()
        || p.stuck
}

/// The payout's texts and state notes as a short labelled list.
#[component]
pub fn PayoutInfo(p: PayoutView) -> impl IntoView {
    let lang = use_lang();
    let row = move |testid: &'static str, zh: &'static str, en: &'static str, value: String| {
        view! {
            <div class="pinfo__row" data-testid=testid>
                <dt>{move || lang.get().pick(zh, en)}</dt>
                <dd>{value}</dd>
            </div>
        }
    };
    let id = p.id;
    let failure = p.failure_reason.clone().map(|r| {
        view! {
            <div class="pinfo__row pinfo__row--bad" data-testid="pinfo-failure">
                <dt>{move || lang.get().pick("失败原因", "Failure reason")}</dt>
                <dd>{move || format::reason(lang.get(), &r)}</dd>
            </div>
        }
    });
    let decision = p.decided_at.map(|at| {
        let who = p.decided_by.clone().unwrap_or_default();
        let rejected = p.status == PayoutStatus::Rejected;
        view! {
            <div class="pinfo__row" data-testid="pinfo-decision">
                <dt>
                    {move || if rejected { lang.get().pick("驳回", "Rejected by") } else { lang.get().pick("审核通过", "Approved by") }}
                </dt>
                <dd><Actor login=who /> " · " {format::time(at)}</dd>
            </div>
        }
    });
    let rejection = p.reject_reason.clone().map(|r| {
        view! {
            <div class="pinfo__row pinfo__row--bad" data-testid="pinfo-reject-reason">
                <dt>{move || lang.get().pick("驳回原因", "Reason for rejection")}</dt>
                <dd>{move || format::reject_reason(lang.get(), &r)}</dd>
            </div>
        }
    });
    view! {
        <div class="pinfo">
            <dl class="pinfo__list">
            {p.buyer_message.clone().map(|m| row("pinfo-buyer-message", "买家留言（买家可见）", "Buyer message (the buyer sees it)", m))}
            {p.note.clone().map(|n| row("pinfo-note", "内部备注（仅本店可见）", "Internal note (only your shop)", n))}
            {failure}
            {decision}
            {rejection}
            {p.buyer_notified_at.map(|t| row("pinfo-notified", "买家已通知", "Buyer notified at", format::time(t)))}
            {p.buyer_notification_failed_at.map(|t| view! {
                <div class="pinfo__row pinfo__row--bad" data-testid="pinfo-notify-failed">
                    <dt>{move || lang.get().pick("买家通知发送失败", "Buyer notification failed")}</dt>
                    <dd>{format::time(t)}</dd>
                </div>
            })}
            </dl>
            {p.stuck.then(|| view! { <Stuck id /> })}
            <RequeryResult id />
        </div>
    }
}

/// FAQ 5's advice on a stuck payout, and for the main account the button to ask the rail again.
#[component]
fn Stuck(id: i64) -> impl IntoView {
    let lang = use_lang();
    let permissions = use_permissions();
    let requery = use_context::<Requery>().filter(|_| permissions.get_untracked().manage_settings);
    view! {
        <div class="pinfo__stuck notice notice--warn" role="status" data-testid="stuck-advice">
            <strong>{move || lang.get().pick("打款状态确认中", "Stuck")}</strong>
            " "
            {move || lang.get().pick("请勿重复打款，款项仍在确认中", "Do not pay again; the payment is still being confirmed")}
            {requery.map(|r| {
                let busy = move || r.action.pending().get() && r.action.input().get() == Some(id);
                view! {
                    <button
                        type="button"
                        class="btn btn--small"
                        data-testid="status-query"
                        disabled=move || r.action.pending().get()
                        aria-busy=move || busy().to_string()
                        on:click=move |_| {
                            if !r.action.pending().get_untracked() {
                                r.action.dispatch(id);
                            }
                        }
                    >
                        {move || if busy() { lang.get().pick("查询中…", "Asking…") } else { lang.get().pick("再次查询", "Ask the rail again") }}
                    </button>
                }
            })}
        </div>
    }
}

/// What the rail said when asked again about this payout (shown until another one is asked about).
#[component]
fn RequeryResult(id: i64) -> impl IntoView {
    let lang = use_lang();
    let requery = use_context::<Requery>();
    move || {
        let (asked, result) = requery?.action.value().get()?;
        (asked == id).then(|| {
            let l = lang.get();
            let text = match result {
                Ok(p) if p.status == PayoutStatus::Processing => l
                    .pick(
                        "已再次查询：仍在确认中。请勿重复打款，稍后再看。",
                        "Asked again: still being confirmed. Do not pay again; check back later.",
                    )
                    .to_owned(),
                Ok(p) => match l {
                    Lang::Zh => format!("已再次查询：{}", format::status(l, p.status)),
                    Lang::En => format!("Asked again: {}", format::status(l, p.status)),
                },
                Err(e) => error_text(&e, l),
            };
            view! { <p class="pinfo__requery" role="status" data-testid="status-query-result">{text}</p> }
        })
    }
}
