//! The one table of payouts every list uses (records, the workbench's order, the approval queue,
//! the statement): time, order, type and reason, amount and account, operator, status, what the payout
//! says ([`PayoutInfo`]) and the list's own actions. At phone width each row becomes a card.

use std::sync::Arc;

use leptos::prelude::*;
use payout_core::api::PayoutView;
use payout_core::approval::expires_at;
use payout_core::{Policy, Time};

use crate::components::payout_info::{has_info, PayoutInfo};
use crate::components::status_badge::StatusBadge;
use crate::format;
use crate::i18n::use_lang;

/// The buttons or links of one row (`None`: the row has none).
pub type RowActions = Arc<dyn Fn(&PayoutView) -> Option<AnyView> + Send + Sync>;

/// A table of payouts.
#[component]
pub fn PayoutTable(
    payouts: Vec<PayoutView>,
    /// `data-testid` of the table and of each row.
    testid: &'static str,
    row_testid: &'static str,
    /// Id of the heading that names the table.
    labelled_by: &'static str,
    /// Show the order number (a link to the order page).
    #[prop(optional)]
    with_order: bool,
    /// The approval queue: show the time left before the request expires, as of this clock.
    #[prop(optional)]
    expiry: Option<Signal<Time>>,
    /// The row's actions; with none, no actions column.
    #[prop(optional)]
    actions: Option<RowActions>,
) -> impl IntoView {
    let lang = use_lang();
    let label = move |zh: &'static str, en: &'static str| move || lang.get().pick(zh, en);
    let th = move |zh: &'static str, en: &'static str, class: &'static str| {
        view! { <th scope="col" class=class>{label(zh, en)}</th> }
    };
    let has_actions = actions.is_some();
    // Every payout in the approval queue awaits approval: no status column there.
    let with_status = expiry.is_none();
    let rows = payouts
        .into_iter()
        .map(|p| {
            let extra = actions.as_ref().and_then(|a| a(&p));
            let no_info = !has_info(&p);
            let no_actions = extra.is_none();
            let stuck = p.stuck;
            let reason = (p.reason_name_zh.clone(), p.reason_name_en.clone());
            let expires = expires_at(&Policy::default(), p.created_at);
            view! {
                <tr data-testid=row_testid data-status=p.status.as_str() data-id=p.id data-amount=p.amount.to_string()>
                    <td class="cell-time" data-label=label("时间", "Time")>{format::time(p.created_at)}</td>
                    {with_order.then(|| view! {
                        <td class="nowrap" data-label=label("订单号", "Order")>
                            <a class="link mono" href=format!("/orders/{}", p.order_no)>{p.order_no.clone()}</a>
                        </td>
                    })}
                    <td data-label=label("类型 · 原因", "Type · reason")>
                        <span>
                            <span class="nowrap">{move || format::payout_type(lang.get(), p.payout_type)}</span>
                            {move || {
                                format::reason_name(lang.get(), reason.0.as_deref(), reason.1.as_deref())
                                    .map(|r| view! { <span class="cell-sub" data-testid="reason-name">{r}</span> })
                            }}
                        </span>
                    </td>
                    <td class="num" data-label=label("金额 · 出款账户", "Amount · account")>
                        <span>
                            <span class="nowrap">{format::money(p.amount)}</span>
                            <span class="cell-sub">{move || format::account(lang.get(), p.source_account)}</span>
                        </span>
                    </td>
                    <td class="nowrap" data-label=label("操作人", "Operator")>{p.operator.display_name.clone()}</td>
                    {with_status.then(|| view! {
                        <td data-label=label("状态", "Status")><StatusBadge status=p.status stuck=stuck /></td>
                    })}
                    {expiry.map(|now| view! {
                        <td class="nowrap" data-label=label("剩余审核时间", "Time left")>
                            {move || {
                                let left = expires.seconds_since(now.get());
                                let l = lang.get();
                                if left <= 0 { l.pick("即将自动驳回", "Expiring").to_owned() } else { format::duration(l, left) }
                            }}
                        </td>
                    })}
                    <td class="cell-info" class:cell--empty=no_info data-label=label("说明", "Details")>
                        {(!no_info).then(|| view! { <PayoutInfo p=p.clone() /> })}
                    </td>
                    {has_actions.then(|| view! {
                        <td class="cell-actions" class:cell--empty=no_actions data-label=label("操作", "Actions")>{extra}</td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby=labelled_by>
            <table class="table table--cards" data-testid=testid>
                <thead>
                    <tr>
                        {th("时间", "Time", "")}
                        {with_order.then(|| th("订单号", "Order", ""))}
                        {th("类型 · 原因", "Type · reason", "")}
                        {th("金额 · 出款账户", "Amount · account", "num")}
                        {th("操作人", "Operator", "")}
                        {with_status.then(|| th("状态", "Status", ""))}
                        {expiry.map(|_| th("剩余审核时间", "Time left", ""))}
                        {th("说明", "Details", "")}
                        {has_actions.then(|| th("操作", "Actions", ""))}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
