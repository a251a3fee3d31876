//! The order as the workbench and the order page show it: source app, paid amount, time, payment
//! method, the buyer (masked) and its line items (a table that becomes cards at phone width).

use leptos::prelude::*;
use payout_core::api::PayoutContext;

use crate::format;
use crate::i18n::use_lang;

/// The order's facts and line items.
#[component]
pub fn OrderSummary(
    /// The loaded context (`None` shows nothing).
    #[prop(into)]
    current: Signal<Option<PayoutContext>>,
) -> impl IntoView {
    let lang = use_lang();
    let order = move || current.with(|c| c.as_ref().map(|c| c.order.clone()));
    let item_rows = move || {
        order().map(|o| {
            let l = lang.get();
            o.items
                .into_iter()
                .map(|i| {
                    view! {
                        <tr>
                            <td data-label=l.pick("商品", "Product")>{i.title}</td>
                            <td data-label=l.pick("商品单号", "Item")><span class="mono">{i.id}</span></td>
                            <td class="num nowrap" data-label=l.pick("金额", "Amount")>{format::money(i.amount)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <dl class="facts">
            <div>
                <dt>{move || lang.get().pick("下单来源", "Source app")}</dt>
                <dd data-testid="order-source">{move || order().map(|o| format::source_app(lang.get(), &o.source_app))}</dd>
            </div>
            <div>
                <dt>{move || lang.get().pick("实付金额", "Paid")}</dt>
                <dd data-testid="order-paid">{move || order().map(|o| format::money(o.paid_amount))}</dd>
            </div>
            <div>
                <dt>{move || lang.get().pick("下单时间", "Ordered at")}</dt>
                <dd>{move || order().map(|o| format::time(o.ordered_at))}</dd>
            </div>
            {move || order().and_then(|o| o.buyer).map(|buyer| view! {
                <div>
                    <dt>{move || lang.get().pick("买家", "Buyer")}</dt>
                    // Masked by the server (payout_core::orders::mask_buyer_ref): the whole reference never reaches the browser.
                    <dd class="mono" data-testid="order-buyer">{buyer}</dd>
                </div>
            })}
            <div>
                <dt>{move || lang.get().pick("支付方式", "Payment")}</dt>
                <dd data-testid="order-payment">
                    {move || {
                        order()
                            .map(|o| {
                                let l = lang.get();
                                let mut s = if o.online_paid {
                                    l.pick("在线支付", "Paid online")
                                } else {
                                    l.pick("货到付款", "Cash on delivery")
                                }
                                    .to_owned();
                                if o.cross_border {
                                    s.push_str(l.pick(" · 跨境", " · cross-border"));
                                }
                                s
                            })
                    }}
                </dd>
            </div>
        </dl>
        <div class="table-wrap">
            <table class="table table--compact table--cards" data-testid="order-items">
                <caption class="table__caption">{move || lang.get().pick("商品明细", "Line items")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || lang.get().pick("商品", "Product")}</th>
                        <th scope="col">{move || lang.get().pick("商品单号", "Item")}</th>
                        <th scope="col" class="num">{move || lang.get().pick("金额", "Amount")}</th>
                    </tr>
                </thead>
                <tbody>{item_rows}</tbody>
            </table>
        </div>
    }
}
