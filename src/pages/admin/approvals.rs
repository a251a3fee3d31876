//! The approval queue (审核, SPEC §11.2, main account) at `/approvals`: payouts of sub-accounts at or
//! above the shop's threshold, oldest first, with the time left before they expire. Approve sends
//! one on its way; reject needs a reason (R-A1), which the agent then reads. One decision at a time:
//! a second click while one is under way sends nothing.

use std::sync::Arc;

use leptos::prelude::*;
use payout_core::api::{PayoutStatus, PayoutView};
use payout_core::approval::{reject_reason, RejectRequest};

use crate::api::{self, ApiError};
use crate::components::button::Button;
use crate::components::dialog::Modal;
use crate::components::feedback::{error_text, Empty, ErrorView, Gate, Loading};
use crate::components::field::TextAreaField;
use crate::components::pager::{by_number, Pager};
use crate::components::payout_table::{PayoutTable, RowActions};
use crate::format::{self, ServerClock};
use crate::i18n::{use_lang, Lang};

#[component]
pub fn Approvals() -> impl IntoView {
    view! {
        <Gate allow=|p| p.manage_settings>
            <ApprovalsScreen />
        </Gate>
    }
}

/// One decision: approve (`reject: None`) or reject with the reason typed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Decision {
    payout: PayoutView,
    reject: Option<String>,
}

#[component]
fn ApprovalsScreen() -> impl IntoView {
    let lang = use_lang();
    let page = RwSignal::new(1u32);
    let decide = Action::new_local(|d: &Decision| {
        let d = d.clone();
        async move {
            let body = d.reject.clone().map(|reason| RejectRequest { reason });
            let result = api::decide(d.payout.id, body.as_ref()).await;
            (d, result)
        }
    });
    // The payout being decided, set before the request leaves: a double click sends one decision.
    let deciding = RwSignal::new(None::<i64>);
    Effect::watch(move || decide.version().get(), move |_, _, _| deciding.set(None), false);
    let list = LocalResource::new(move || {
        let p = page.get();
        // Decided (or already decided by someone else: 409): the queue is read again.
        decide.version().track();
        async move { api::approvals(p).await }
    });
    // Requests come in, expire or are decided in another tab: the queue is read again now and then.
    if let Ok(handle) = set_interval_with_handle(move || list.refetch(), std::time::Duration::from_secs(30)) {
        on_cleanup(move || handle.clear());
    }
    let clock = ServerClock::new();
    let rejecting = RwSignal::new(None::<PayoutView>);
    let send = move |d: Decision| {
        if deciding.get_untracked().is_some() {
            return;
        }
        deciding.set(Some(d.payout.id));
        decide.dispatch(d);
    };
    let actions: RowActions = Arc::new(move |p: &PayoutView| {
        if p.status != PayoutStatus::AwaitingApproval {
            return None;
        }
        let (approve, reject) = (p.clone(), p.clone());
        let busy = move || deciding.get().is_some();
        Some(
            view! {
                <Button
                    label=("通过", "Approve")
                    class="btn--primary btn--small"
                    testid="approve"
                    disabled=Signal::derive(busy)
                    on_click=move || send(Decision { payout: approve.clone(), reject: None })
                />
                <Button
                    label=("驳回", "Reject")
                    class="btn--small"
                    testid="reject"
                    disabled=Signal::derive(busy)
                    on_click=move || rejecting.set(Some(reject.clone()))
                />
            }
            .into_any(),
        )
    });
    let to_page = Callback::new(move |p: u32| page.set(p));
    view! {
        <section class="page" aria-labelledby="approvals-title">
            <h1 id="approvals-title">{move || lang.get().pick("打款审核", "Payout approvals")}</h1>
            <p class="muted">
                {move || {
                    lang.get()
                        .pick(
                            "子账号达到审核门槛的打款在此等待审核，最早提交的在前；超过 24 小时未审核将自动驳回。",
                            "Payouts by sub-accounts at or above the approval threshold wait here, oldest first; one not decided within 24 hours is rejected automatically.",
                        )
                }}
            </p>
            <div aria-live="polite" data-testid="decision-result">
                {move || decide.value().get().map(|(d, result)| view! { <Outcome d result /> })}
            </div>
            <Transition fallback=|| view! { <Loading /> }>
                {move || {
                    let actions = actions.clone();
                    Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => {
                            view! { <Empty zh="暂无待审核的打款" en="Nothing waiting for approval" /> }.into_any()
                        }
                        Ok(l) => view! {
                            <PayoutTable
                                payouts=l.items
                                testid="approvals-table"
                                row_testid="approval-row"
                                labelled_by="approvals-title"
                                with_order=true
                                expiry=clock.now()
                                actions
                            />
                            <Pager
                                page=l.page
                                per_page=l.per_page
                                total=l.total
                                has_prev=by_number(l.page, l.per_page, l.total).0
                                has_next=by_number(l.page, l.per_page, l.total).1
                                on_prev=move |()| to_page.run(l.page.saturating_sub(1).max(1))
                                on_next=move |()| to_page.run(l.page + 1)
                            />
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorView error=e on_retry=move || list.refetch() /> }.into_any(),
                    }
                })
                }}
            </Transition>
            {move || {
                rejecting
                    .get()
                    .map(|p| {
                        view! {
                            <RejectDialog
                                p
                                on_close=move || rejecting.set(None)
                                on_reject=move |d: Decision| {
                                    rejecting.set(None);
                                    send(d);
                                }
                            />
                        }
                    })
            }}
        </section>
    }
}

/// What the last decision came to.
#[component]
fn Outcome(d: Decision, result: Result<PayoutView, ApiError>) -> impl IntoView {
    let lang = use_lang();
    let label = format!("#{} · {} · {}", d.payout.id, d.payout.order_no, format::money(d.payout.amount));
    let (class, testid) = match &result {
        Ok(_) => ("notice notice--success", "decision-ok"),
        Err(_) => ("notice notice--error", "decision-error"),
    };
    let text = move || {
        let l = lang.get();
        match &result {
            Ok(p) if p.status == PayoutStatus::Rejected => match l {
                Lang::Zh => format!("已驳回 {label}"),
                Lang::En => format!("Rejected {label}"),
            },
            Ok(_) => match l {
                Lang::Zh => format!("已通过 {label}，打款将继续进行"),
                Lang::En => format!("Approved {label}; the payout goes ahead"),
            },
            // 409 NOT_AWAITING_APPROVAL: someone decided first; the queue has been read again.
            Err(e) => match l {
                Lang::Zh => format!("{label}：{}", error_text(e, l)),
                Lang::En => format!("{label}: {}", error_text(e, l)),
            },
        }
    };
    view! { <p class=class role="status" data-testid=testid>{text}</p> }
}

/// Asks why the payout is rejected (R-A1: required; R-F14: at most 200 characters).
#[component]
fn RejectDialog(
    p: PayoutView,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_reject: Callback<Decision>,
) -> impl IntoView {
    let lang = use_lang();
    let reason = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let checked = Memo::new(move |_| reason.with(|r| reject_reason(r)));
    let errors = Signal::derive(move || {
        let l = lang.get();
        checked.with(|c| match c {
            Err(v) if touched.get() => vec![v.message(l.core_key()).to_owned()],
            _ => vec![],
        })
    });
    let title = {
        let text = format!("{} · {}", p.order_no, format::money(p.amount));
        Signal::derive(move || format!("{} {text}", lang.get().pick("驳回打款", "Reject payout")))
    };
    let operator = p.operator.display_name.clone();
    view! {
        <Modal title on_close testid="reject-dialog">
            <form
                class="form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    touched.set(true);
                    if let Ok(text) = checked.get_untracked() {
                        on_reject.run(Decision { payout: p.clone(), reject: Some(text) });
                    }
                }
            >
                <p class="muted">
                    {move || match lang.get() {
                        Lang::Zh => format!("发起人 {operator} 会看到驳回原因。"),
                        Lang::En => format!("{operator}, who requested it, will see the reason."),
                    }}
                </p>
                <TextAreaField
                    id="reject-reason"
                    label=Signal::derive(move || lang.get().pick("驳回原因", "Reason for rejection").to_owned())
                    value=reason
                    on_input=move |text| {
                        reason.set(text);
                        touched.set(true);
                    }
                    errors
                    max_chars=payout_core::reasons::MAX_TEXT_CHARS
                />
                <div class="form__actions">
                    <Button label=("取消", "Cancel") on_click=on_close />
                    <Button
                        label=("确认驳回", "Reject")
                        class="btn--danger"
                        submit=true
                        testid="confirm-reject"
                        disabled=Signal::derive(move || touched.get() && checked.with(Result::is_err))
                    />
                </div>
            </form>
        </Modal>
    }
}
