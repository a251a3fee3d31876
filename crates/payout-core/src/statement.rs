//! The daily statement and the overview (SPEC §11.5). The statement is computed here from the day's
//! payouts, grouped alike in everything it groups by ([`DayGroup`]: the store sums them with one
//! `GROUP BY`, so a day of thousands of payouts is a few dozen groups), so every grouping adds up to
//! the same total by construction.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{OperatorRef, PayoutStatus, PayoutView};
use crate::facts::{AccountKind, PayoutType};
use crate::money::Money;
use crate::time::Time;

/// Count and sum of the payouts in one group (every status: what was submitted), of those of them
/// that succeeded (money that actually left the shop) and of those that are counted (SPEC §3:
/// awaiting approval, pending, processing or succeeded; what takes up the limits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    /// The group's identifier: a status, payout type, account kind, reason id or operator id.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// Every payout of the group, failed and rejected ones too.
    pub count: u64,
    pub amount: Money,
    pub succeeded_count: u64,
    pub succeeded_amount: Money,
    /// The counted payouts of the group (failed and rejected ones left out).
    #[serde(default)]
    pub counted_count: u64,
    #[serde(default)]
    pub counted_amount: Money,
}

impl Bucket {
    fn new(key: String, label_zh: String, label_en: String) -> Bucket {
        Bucket {
            key,
            label_zh,
            label_en,
            count: 0,
            amount: Money::ZERO,
            succeeded_count: 0,
            succeeded_amount: Money::ZERO,
            counted_count: 0,
            counted_amount: Money::ZERO,
        }
    }

    fn add(&mut self, g: &DayGroup) {
        self.count += g.count;
        self.amount = self.amount.saturating_add(g.amount);
        if g.status == PayoutStatus::Succeeded {
            self.succeeded_count += g.count;
            self.succeeded_amount = self.succeeded_amount.saturating_add(g.amount);
        }
        if g.status.is_counted() {
            self.counted_count += g.count;
            self.counted_amount = self.counted_amount.saturating_add(g.amount);
        }
    }
}

/// `GET /api/statements/{date}`: the payouts created on one business day, grouped every way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    /// The business day (UTC+08:00), `YYYY-MM-DD`.
    pub date: String,
    pub total: Bucket,
    pub by_status: Vec<Bucket>,
    pub by_payout_type: Vec<Bucket>,
    pub by_reason: Vec<Bucket>,
    pub by_source_account: Vec<Bucket>,
    pub by_operator: Vec<Bucket>,
}

impl Statement {
    /// The day's line for one status (every status has one).
    pub fn status(&self, status: PayoutStatus) -> Option<&Bucket> {
        self.by_status.iter().find(|b| b.key == status.as_str())
    }
}

/// Payouts of one day alike in status, type, account, reason and operator: their count and sum,
/// and the first of them (reasons and operators are listed in the order they first appeared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayGroup {
    pub status: PayoutStatus,
    pub payout_type: PayoutType,
    pub source_account: AccountKind,
    /// The reason's id and its names when the payout was made; `None` without one.
    pub reason: Option<(i64, String, Option<String>)>,
    pub operator: OperatorRef,
    pub count: u64,
    pub amount: Money,
    /// The earliest `(created_at, id)` in the group.
    pub first: (Time, i64),
}

impl DayGroup {
    /// One payout, as a group of one.
    pub fn of(p: &PayoutView) -> DayGroup {
        DayGroup {
            status: p.status,
            payout_type: p.payout_type,
            source_account: p.source_account,
            reason: p
                .reason_id
                .zip(p.reason_name_zh.clone())
                .map(|(id, zh)| (id, zh, p.reason_name_en.clone())),
            operator: p.operator.clone(),
            count: 1,
            amount: p.amount,
            first: (p.created_at, p.id),
        }
    }
}

/// The statement of `payouts` (those created on `date`).
pub fn statement(date: String, payouts: &[PayoutView]) -> Statement {
    statement_of_groups(date, payouts.iter().map(DayGroup::of).collect())
}

/// Groups the day's payouts into a statement. Every status, type and account has a line even when
/// nothing fell in it, so statements of two days line up.
pub fn statement_of_groups(date: String, mut groups: Vec<DayGroup>) -> Statement {
    groups.sort_by_key(|g| g.first);
    let mut total = Bucket::new("total".into(), "合计".into(), "Total".into());
    let mut by_status: Vec<Bucket> = PayoutStatus::ALL
        .iter()
        .map(|s| Bucket::new(s.as_str().into(), s.label_zh().into(), s.label_en().into()))
        .collect();
    let mut by_type: Vec<Bucket> = PayoutType::ALL
        .iter()
        .map(|t| Bucket::new(t.as_str().into(), t.label_zh().into(), t.label_en().into()))
        .collect();
    let mut by_account: Vec<Bucket> = AccountKind::ALL
        .iter()
        .map(|k| Bucket::new(k.as_str().into(), k.label_zh().into(), k.label_en().into()))
        .collect();
    // Reasons and operators in order of first appearance in the day.
    let mut by_reason: BTreeMap<String, (usize, Bucket)> = BTreeMap::new();
    let mut by_operator: BTreeMap<i64, (usize, Bucket)> = BTreeMap::new();
    for g in &groups {
        total.add(g);
        if let Some(b) = by_status.iter_mut().find(|b| b.key == g.status.as_str()) {
            b.add(g);
        }
        if let Some(b) = by_type.iter_mut().find(|b| b.key == g.payout_type.as_str()) {
            b.add(g);
        }
        if let Some(b) = by_account.iter_mut().find(|b| b.key == g.source_account.as_str()) {
            b.add(g);
        }
        let (key, zh, en) = match &g.reason {
            Some((id, zh, en)) => (id.to_string(), zh.clone(), en.clone().unwrap_or_else(|| zh.clone())),
            None => ("none".to_owned(), "未选原因".to_owned(), "No reason".to_owned()),
        };
        let next = by_reason.len();
        by_reason.entry(key.clone()).or_insert_with(|| (next, Bucket::new(key, zh, en))).1.add(g);
        let next = by_operator.len();
        by_operator
            .entry(g.operator.id)
            .or_insert_with(|| {
                let name = format!("{} ({})", g.operator.display_name, g.operator.username);
                (next, Bucket::new(g.operator.id.to_string(), name.clone(), name))
            })
            .1
            .add(g);
    }
    let ordered = |map: Vec<(usize, Bucket)>| {
        let mut v = map;
        v.sort_by_key(|(i, _)| *i);
        v.into_iter().map(|(_, b)| b).collect::<Vec<_>>()
    };
    Statement {
        date,
        total,
        by_status,
        by_payout_type: by_type,
        by_reason: ordered(by_reason.into_values().collect()),
        by_source_account: by_account,
        by_operator: ordered(by_operator.into_values().collect()),
    }
}

/// One sub-account's use of its quota today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentUsage {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub payout_permission: bool,
    pub enabled: bool,
    pub per_payout_limit: Money,
    pub daily_limit: Money,
    pub used_today: Money,
}

/// One payout type's counted sum on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TypeSum {
    pub payout_type: PayoutType,
    pub amount: Money,
}

/// The counted payouts of one business day, by type (every type, in `PayoutType::ALL` order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DaySums {
    pub date: String,
    pub total: Money,
    pub by_type: Vec<TypeSum>,
}

/// `GET /api/overview?days=N`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    /// Today's business day.
    pub date: String,
    pub shop_daily_cap: Money,
    pub shop_counted_today: Money,
    pub shop_remaining: Money,
    /// Every payout created today, failed and rejected ones too.
    pub payouts_today: u64,
    /// Today's counted payouts (SPEC §3): the payouts behind `shop_counted_today`.
    #[serde(default)]
    pub counted_today: u64,
    /// Today's payouts that succeeded: the money that went out.
    #[serde(default)]
    pub succeeded_today: u64,
    #[serde(default)]
    pub succeeded_today_amount: Money,
    /// Today's failed and rejected payouts (never counted), apart.
    #[serde(default)]
    pub failed_today: u64,
    #[serde(default)]
    pub rejected_today: u64,
    /// Payouts awaiting approval, of any day.
    pub awaiting_approval: u64,
    pub stuck: u64,
    pub agents: Vec<AgentUsage>,
    /// The last `days` business days, oldest first, today last; days without payouts are zero.
    pub days: Vec<DaySums>,
}

/// Lays out `days` business days ending with `today`, filling in the sums that exist.
pub fn day_series(today: jiff::civil::Date, days: u32, sums: &[(String, PayoutType, Money)]) -> Vec<DaySums> {
    (0..days)
        .rev()
        .filter_map(|back| today.checked_sub(jiff::Span::new().days(i64::from(back))).ok())
        .map(|date| {
            let date = date.to_string();
            let by_type: Vec<TypeSum> = PayoutType::ALL
                .iter()
                .map(|&t| TypeSum {
                    payout_type: t,
                    amount: sums
                        .iter()
                        .filter(|(d, ty, _)| *d == date && *ty == t)
                        .fold(Money::ZERO, |acc, (_, _, m)| acc.saturating_add(*m)),
                })
                .collect();
            let total = by_type.iter().fold(Money::ZERO, |acc, s| acc.saturating_add(s.amount));
            DaySums { date, total, by_type }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::OperatorRef;
    use crate::fixtures::m;
    use crate::time::Time;
    use proptest::prelude::*;

    fn payout(
        id: i64,
        status: PayoutStatus,
        ty: PayoutType,
        amount: &str,
        op: i64,
        reason: Option<i64>,
    ) -> PayoutView {
        let at = Time::parse("2026-11-24T12:00:00+08:00").unwrap().plus_seconds(id);
        PayoutView {
            id,
            order_no: "6920241100000000002".into(),
            source_account: if id % 2 == 0 { AccountKind::Aggregate } else { AccountKind::Custody },
            payout_type: ty,
            amount: m(amount),
            status,
            failure_reason: None,
            linked_item_id: None,
            note: None,
            operator: OperatorRef { id: op, username: format!("u{op}"), display_name: format!("U{op}") },
            created_at: at,
            updated_at: at,
            reason_id: reason,
            reason_name_zh: reason.map(|r| format!("原因{r}")),
            reason_name_en: None,
            buyer_message: None,
            decided_by: None,
            decided_at: None,
            reject_reason: None,
            buyer_notified_at: None,
            buyer_notification_failed_at: None,
            stuck: false,
        }
    }

    #[test]
    fn every_grouping_adds_up_to_the_total_and_succeeded_is_apart() {
        let s = statement(
            "2026-11-24".into(),
            &[
                payout(3, PayoutStatus::Failed, PayoutType::Shipping, "12", 2, None),
                payout(1, PayoutStatus::Succeeded, PayoutType::Shipping, "8", 2, Some(1)),
                payout(2, PayoutStatus::Succeeded, PayoutType::Other, "150", 3, Some(4)),
                payout(4, PayoutStatus::Rejected, PayoutType::Other, "300", 3, Some(4)),
            ],
        );
        assert_eq!((s.total.count, s.total.amount, s.total.succeeded_amount), (4, m("470"), m("158")));
        for groups in [&s.by_status, &s.by_payout_type, &s.by_reason, &s.by_source_account, &s.by_operator] {
            let sum = groups.iter().fold(Money::ZERO, |a, b| a.saturating_add(b.amount));
            assert_eq!(sum, s.total.amount);
            assert_eq!(groups.iter().map(|b| b.count).sum::<u64>(), 4);
        }
        assert_eq!(s.by_status.len(), PayoutStatus::ALL.len(), "every status has a line");
        let reasons: Vec<&str> = s.by_reason.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(reasons, ["1", "4", "none"], "in order of first appearance");
    }

    #[test]
    fn the_headline_keeps_what_went_out_and_what_is_counted_apart_from_rejected_and_failed() {
        let s = statement(
            "2026-11-24".into(),
            &[
                payout(1, PayoutStatus::Succeeded, PayoutType::Shipping, "8", 2, None),
                payout(2, PayoutStatus::AwaitingApproval, PayoutType::Other, "150", 3, None),
                payout(3, PayoutStatus::Rejected, PayoutType::Other, "300", 3, None),
                payout(4, PayoutStatus::Failed, PayoutType::Other, "12", 2, None),
                payout(5, PayoutStatus::Processing, PayoutType::Other, "20", 2, None),
                payout(6, PayoutStatus::Pending, PayoutType::Other, "1", 2, None),
            ],
        );
        assert_eq!((s.total.succeeded_count, s.total.succeeded_amount), (1, m("8")), "what went out");
        assert_eq!(
            (s.total.counted_count, s.total.counted_amount),
            (4, m("179")),
            "awaiting approval, pending, processing and succeeded"
        );
        let line = |st| s.status(st).map(|b| (b.count, b.amount)).unwrap();
        assert_eq!(line(PayoutStatus::Rejected), (1, m("300")));
        assert_eq!(line(PayoutStatus::Failed), (1, m("12")));
        assert_eq!(line(PayoutStatus::AwaitingApproval), (1, m("150")));
        assert_eq!(s.status(PayoutStatus::Rejected).unwrap().counted_count, 0);
        for groups in [&s.by_status, &s.by_payout_type, &s.by_reason, &s.by_source_account, &s.by_operator] {
            let counted = groups.iter().fold(Money::ZERO, |a, b| a.saturating_add(b.counted_amount));
            assert_eq!(counted, s.total.counted_amount);
        }
    }

    #[test]
    fn the_chart_series_covers_every_day_with_zeros_between() {
        let today: jiff::civil::Date = "2026-11-24".parse().unwrap();
        let days = day_series(
            today,
            30,
            &[
                ("2026-11-24".into(), PayoutType::Shipping, m("8")),
                ("2026-11-24".into(), PayoutType::Other, m("2")),
                ("2026-10-26".into(), PayoutType::Other, m("5")),
                ("2026-10-25".into(), PayoutType::Other, m("99")),
            ],
        );
        assert_eq!(days.len(), 30);
        assert_eq!((days[0].date.as_str(), days[0].total), ("2026-10-26", m("5")));
        assert_eq!((days[29].date.as_str(), days[29].total), ("2026-11-24", m("10")));
        assert_eq!(days[15].total, Money::ZERO);
        assert_eq!(days[29].by_type.len(), 4);
    }

    proptest! {
        #[test]
        fn statement_totals_equal_the_rows(rows in proptest::collection::vec((0usize..6, 0usize..4, 1i64..50_000, 1i64..4), 0..40)) {
            let payouts: Vec<PayoutView> = rows.iter().enumerate().map(|(i, (s, t, fen, op))| {
                let mut p = payout(i as i64, PayoutStatus::ALL[*s], PayoutType::ALL[*t], "1", *op, (i % 3 != 0).then_some(*op));
                p.amount = Money::from_fen(*fen).unwrap();
                p
            }).collect();
            let want = payouts.iter().fold(Money::ZERO, |a, p| a.saturating_add(p.amount));
            let counted = payouts.iter().filter(|p| p.status.is_counted()).fold(Money::ZERO, |a, p| a.saturating_add(p.amount));
            let s = statement("2026-11-24".into(), &payouts);
            prop_assert_eq!(s.total.amount, want);
            prop_assert_eq!(s.total.counted_amount, counted);
            for groups in [&s.by_status, &s.by_payout_type, &s.by_reason, &s.by_source_account, &s.by_operator] {
                prop_assert_eq!(groups.iter().fold(Money::ZERO, |a, b| a.saturating_add(b.amount)), want);
                prop_assert_eq!(groups.iter().map(|b| b.succeeded_amount).fold(Money::ZERO, |a, b| a.saturating_add(b)), s.total.succeeded_amount);
                prop_assert_eq!(groups.iter().map(|b| b.counted_amount).fold(Money::ZERO, |a, b| a.saturating_add(b)), s.total.counted_amount);
            }
            // The store sums alike payouts with a GROUP BY: the same statement from its groups.
            let mut merged: Vec<DayGroup> = Vec::new();
            for g in payouts.iter().map(DayGroup::of) {
                let alike = |m: &&mut DayGroup| (m.status, m.payout_type, m.source_account, &m.reason, m.operator.id) == (g.status, g.payout_type, g.source_account, &g.reason, g.operator.id);
                match merged.iter_mut().find(alike) {
                    Some(m) => {
                        m.count += 1;
                        m.amount = m.amount.saturating_add(g.amount);
                        m.first = m.first.min(g.first);
                    }
                    None => merged.push(g),
                }
            }
            merged.reverse(); // the store's groups come in no particular order
            prop_assert_eq!(statement_of_groups("2026-11-24".into(), merged), s);
        }
    }
}
