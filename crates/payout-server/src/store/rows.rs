//! Row mapping shared by both stores: each row type names its columns (`#[derive(FromRow)]`
//! decodes by name, for either driver), and turns itself into the view the API sends.

use payout_core::api::{AuditEntry, OperatorRef, PayoutEvent, PayoutStatus, PayoutView, TopUpView};
use payout_core::facts::AccountFacts;
use payout_core::{AccountKind, Money, PayoutType, Time};

use super::StoreError;

pub(super) fn money(fen: i64) -> Result<Money, StoreError> {
    Money::from_fen(fen).ok_or_else(|| StoreError::Corrupt(format!("amount out of range: {fen} fen")))
}

/// Instants are stored as Unix milliseconds (UTC) in both stores.
pub(super) fn time(ms: i64) -> Time {
    Time::from_unix_millis(ms)
}

/// A text column that holds one of an enum's names (`aggregate`, `pending`, …).
pub(super) fn named<T>(text: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Corrupt(format!("unexpected value {text:?}")))
}

/// The UTC+08:00 calendar day a payout counts towards, as stored (`YYYY-MM-DD`).
pub(super) fn business_date(t: Time) -> String {
    t.business_date().to_string()
}

/// A row type that both drivers read by column name from one field list: `sqlx::FromRow` for the
/// sqlx stores, and `Decoded::from_sql_row` for SQLite's single writer ([`super::writer`], rusqlite).
macro_rules! row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(sqlx::FromRow)]
        $vis struct $name {
            $(pub(in crate::store) $field: $ty),*
        }

        impl $crate::store::statements::Decoded for $name {
            fn from_sql_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(Self { $($field: row.get(stringify!($field))?),* })
            }
        }
    };
}
pub(super) use row;

/// The SQL condition of a counted payout (SPEC §3), as a literal for `concat!`: the statuses the
/// `payout_statuses` table marks counted, which the server checks against payout-core's
/// `PayoutStatus::is_counted` when it opens the store ([`super::check_counted`]).
macro_rules! counted {
    () => {
        "status IN (SELECT status FROM payout_statuses WHERE counted)"
    };
}
pub(super) use counted;

/// `SELECT <payout columns> FROM payouts p JOIN users u …` as a literal, so every payout query is
/// static SQL (sqlx 0.9 refuses strings built at run time unless audited).
macro_rules! payout_columns {
    () => {
        "p.shop_id, p.id, p.order_no, p.source_account, p.payout_type, p.amount_fen, p.status, \
         p.failure_reason, p.linked_item_id, p.note, p.operator_id, u.username, u.display_name, \
         p.created_at, p.updated_at, p.reason_id, p.reason_name_zh, p.reason_name_en, p.buyer_message, \
         p.decided_by, p.decided_at, p.reject_reason, p.buyer_notified_at, p.buyer_notification_failed_at"
    };
}
pub(super) use payout_columns;

macro_rules! select_payouts {
    ($($rest:literal)*) => {
        concat!(
            "SELECT ", $crate::store::rows::payout_columns!(), " FROM payouts p JOIN users u ON u.shop_id = p.shop_id AND u.id = p.operator_id"
            $(, " ", $rest)*
        )
    };
}
pub(super) use select_payouts;

/// A row of [`select_payouts!`].
#[derive(sqlx::FromRow)]
pub(super) struct PayoutRow {
    id: i64,
    order_no: String,
    source_account: String,
    payout_type: String,
    amount_fen: i64,
    status: String,
    failure_reason: Option<String>,
    linked_item_id: Option<String>,
    note: Option<String>,
    operator_id: i64,
    username: String,
    display_name: String,
    created_at: i64,
    updated_at: i64,
    reason_id: Option<i64>,
    reason_name_zh: Option<String>,
    reason_name_en: Option<String>,
    buyer_message: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    reject_reason: Option<String>,
    buyer_notified_at: Option<i64>,
    buyer_notification_failed_at: Option<i64>,
}

impl PayoutRow {
    pub(super) fn view(self) -> Result<PayoutView, StoreError> {
        Ok(PayoutView {
            id: self.id,
            order_no: self.order_no,
            source_account: named(&self.source_account, AccountKind::parse)?,
            payout_type: named(&self.payout_type, PayoutType::parse)?,
            amount: money(self.amount_fen)?,
            status: named(&self.status, PayoutStatus::parse)?,
            failure_reason: self.failure_reason,
            linked_item_id: self.linked_item_id,
            note: self.note,
            operator: OperatorRef {
                id: self.operator_id,
                username: self.username,
                display_name: self.display_name,
            },
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            reason_id: self.reason_id,
            reason_name_zh: self.reason_name_zh,
            reason_name_en: self.reason_name_en,
            buyer_message: self.buyer_message,
            decided_by: self.decided_by,
            decided_at: self.decided_at.map(time),
            reject_reason: self.reject_reason,
            buyer_notified_at: self.buyer_notified_at.map(time),
            buyer_notification_failed_at: self.buyer_notification_failed_at.map(time),
            // Needs the policy and the clock: the handlers mark it (`views::mark_stuck`).
            stuck: false,
        })
    }
}

pub(super) fn payout_views(rows: Vec<PayoutRow>) -> Result<Vec<PayoutView>, StoreError> {
    rows.into_iter().map(PayoutRow::view).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    at: i64,
    status: String,
    actor: String,
    reason: Option<String>,
}

impl EventRow {
    pub(super) fn view(self) -> Result<PayoutEvent, StoreError> {
        Ok(PayoutEvent {
            at: time(self.at),
            status: named(&self.status, PayoutStatus::parse)?,
            actor: self.actor,
            reason: self.reason,
        })
    }
}

row! {
    pub(super) struct AccountRow {
        kind: String,
        opened: bool,
        balance_fen: i64,
        frozen_fen: i64,
        reserved_fen: i64,
    }
}

impl AccountRow {
    pub(super) fn facts(self) -> Result<AccountFacts, StoreError> {
        Ok(AccountFacts {
            kind: named(&self.kind, AccountKind::parse)?,
            opened: self.opened,
            balance: money(self.balance_fen)?,
            frozen: money(self.frozen_fen)?,
            reserved: money(self.reserved_fen)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OperatorRow {
    id: i64,
    username: String,
    display_name: String,
}

impl From<OperatorRow> for OperatorRef {
    fn from(r: OperatorRow) -> Self {
        OperatorRef { id: r.id, username: r.username, display_name: r.display_name }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TopUpRow {
    id: i64,
    amount_fen: i64,
    reference: String,
    actor: String,
    created_at: i64,
}

impl TopUpRow {
    pub(super) fn view(self) -> Result<TopUpView, StoreError> {
        Ok(TopUpView {
            id: self.id,
            amount: money(self.amount_fen)?,
            reference: self.reference,
            actor: self.actor,
            created_at: time(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: time(r.at),
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
        }
    }
}

for_each_store! {
    use sqlx::QueryBuilder;
    use crate::store::PayoutKey;

    impl This {
        /// `(shop_id, id) IN (VALUES (…), …)` for a batch of payouts (or notifications, keyed the
        /// same way), so a batch is one statement.
        pub(in crate::store) fn push_keys(qb: &mut QueryBuilder<Db>, keys: impl IntoIterator<Item = PayoutKey>) {
            qb.push("(shop_id, id) IN (VALUES ");
            let mut list = qb.separated(", ");
            for key in keys {
                list.push("(").push_bind_unseparated(key.shop_id).push_unseparated(", ");
                list.push_bind_unseparated(key.id).push_unseparated(")");
            }
            qb.push(")");
        }
    }
}
