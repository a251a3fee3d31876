//! What the statement and the overview read (SPEC §11.5). The statement's groupings are made in
//! `payout_core::statement` from the day's payouts summed alike ([`DayGroup`]s, one `GROUP BY`), so
//! a busy day is a few dozen groups to read, not thousands of rows.

use async_trait::async_trait;
use jiff::civil::Date;
use payout_core::api::{OperatorRef, PayoutStatus, PayoutView};
use payout_core::statement::DayGroup;
use payout_core::{AccountKind, Money, PayoutType, Time};

use super::rows::{counted, money, named, payout_views, select_payouts, time, PayoutRow};
use super::StoreError;

/// The shop's figures for the overview, as of one read.
#[derive(Clone, Debug)]
pub struct ShopFigures {
    pub counted_today: Money,
    /// Every payout created today, whatever its status.
    pub payouts_today: u64,
    /// Today's counted payouts (SPEC §3), whose sum is `counted_today`.
    pub counted_payouts_today: u64,
    pub succeeded_today: u64,
    pub succeeded_amount_today: Money,
    pub failed_today: u64,
    pub rejected_today: u64,
    pub awaiting_approval: u64,
    pub stuck: u64,
    /// (business day, type, counted sum) from `since` on.
    pub sums: Vec<(String, PayoutType, Money)>,
}

#[async_trait]
pub trait ReportStore: Send + Sync + 'static {
    /// Every payout created on business day `date`, oldest first.
    async fn payouts_of_day(&self, shop_id: i64, date: Date) -> Result<Vec<PayoutView>, StoreError>;
    /// The payouts created on business day `date`, summed alike.
    async fn day_groups(&self, shop_id: i64, date: Date) -> Result<Vec<DayGroup>, StoreError>;
    /// Today's figures and the counted sums per day and type from `since` (a business day) on.
    /// A payout `processing` since before `stuck_before` counts as stuck.
    async fn shop_figures(
        &self,
        shop_id: i64,
        today: Date,
        since: Date,
        stuck_before: Time,
    ) -> Result<ShopFigures, StoreError>;
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    status: String,
    payout_type: String,
    source_account: String,
    reason_id: Option<i64>,
    reason_name_zh: Option<String>,
    reason_name_en: Option<String>,
    operator_id: i64,
    username: String,
    display_name: String,
    payouts: i64,
    sum_fen: i64,
    first_at: i64,
    first_id: i64,
}

impl GroupRow {
    fn group(self) -> Result<DayGroup, StoreError> {
        Ok(DayGroup {
            status: named(&self.status, PayoutStatus::parse)?,
            payout_type: named(&self.payout_type, PayoutType::parse)?,
            source_account: named(&self.source_account, AccountKind::parse)?,
            reason: self.reason_id.zip(self.reason_name_zh).map(|(id, zh)| (id, zh, self.reason_name_en)),
            operator: OperatorRef {
                id: self.operator_id,
                username: self.username,
                display_name: self.display_name,
            },
            count: u64::try_from(self.payouts).unwrap_or(0),
            amount: money(self.sum_fen)?,
            first: (time(self.first_at), self.first_id),
        })
    }
}

#[derive(sqlx::FromRow)]
struct TodayRow {
    counted_fen: i64,
    payouts: i64,
    counted_payouts: i64,
    succeeded_payouts: i64,
    succeeded_fen: i64,
    failed_payouts: i64,
    rejected_payouts: i64,
}

#[derive(sqlx::FromRow)]
struct SumRow {
    business_date: String,
    payout_type: String,
    sum_fen: i64,
}

for_each_store! {
    #[async_trait]
    impl ReportStore for This {
        async fn payouts_of_day(&self, shop_id: i64, date: Date) -> Result<Vec<PayoutView>, StoreError> {
            let mut tx = self.begin_read().await?;
            let rows = sqlx::query_as::<_, PayoutRow>(select_payouts!(
                "WHERE p.shop_id = $1 AND p.business_date = $2 ORDER BY p.created_at, p.id"
            ))
            .bind(shop_id)
            .bind(date.to_string())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            payout_views(rows)
        }

        async fn day_groups(&self, shop_id: i64, date: Date) -> Result<Vec<DayGroup>, StoreError> {
            let mut tx = self.begin_read().await?;
            let rows = sqlx::query_as::<_, GroupRow>(
                "SELECT p.status, p.payout_type, p.source_account, p.reason_id, p.reason_name_zh, p.reason_name_en, \
                        p.operator_id, u.username, u.display_name, COUNT(*) AS payouts, CAST(SUM(p.amount_fen) AS BIGINT) AS sum_fen, \
                        MIN(p.created_at) AS first_at, MIN(p.id) AS first_id \
                 FROM payouts p JOIN users u ON u.shop_id = p.shop_id AND u.id = p.operator_id \
                 WHERE p.shop_id = $1 AND p.business_date = $2 \
                 GROUP BY p.status, p.payout_type, p.source_account, p.reason_id, p.reason_name_zh, p.reason_name_en, \
                          p.operator_id, u.username, u.display_name",
            )
            .bind(shop_id)
            .bind(date.to_string())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.into_iter().map(GroupRow::group).collect()
        }

        async fn shop_figures(&self, shop_id: i64, today: Date, since: Date, stuck_before: Time) -> Result<ShopFigures, StoreError> {
            // One snapshot, so the meter, the counts and the chart agree.
            let mut tx = self.begin_read().await?;
            let day = sqlx::query_as::<_, TodayRow>(concat!(
                "SELECT CAST(COALESCE(SUM(CASE WHEN ", counted!(), " THEN amount_fen END), 0) AS BIGINT) AS counted_fen, \
                        COUNT(*) AS payouts, \
                        CAST(COALESCE(SUM(CASE WHEN ", counted!(), " THEN 1 ELSE 0 END), 0) AS BIGINT) AS counted_payouts, \
                        CAST(COALESCE(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END), 0) AS BIGINT) AS succeeded_payouts, \
                        CAST(COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount_fen END), 0) AS BIGINT) AS succeeded_fen, \
                        CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed_payouts, \
                        CAST(COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0) AS BIGINT) AS rejected_payouts \
                 FROM payouts WHERE shop_id = $1 AND business_date = $2"
            ))
            .bind(shop_id)
            .bind(today.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let awaiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM payouts WHERE shop_id = $1 AND status = 'awaiting_approval'",
            )
            .bind(shop_id)
            .fetch_one(&mut *tx)
            .await?;
            let stuck: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM payouts WHERE shop_id = $1 AND status = 'processing' AND updated_at < $2",
            )
            .bind(shop_id)
            .bind(stuck_before.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let sums = sqlx::query_as::<_, SumRow>(concat!(
                "SELECT business_date, payout_type, CAST(SUM(amount_fen) AS BIGINT) AS sum_fen FROM payouts \
                 WHERE shop_id = $1 AND business_date >= $2 AND ", counted!(), " \
                 GROUP BY business_date, payout_type"
            ))
            .bind(shop_id)
            .bind(since.to_string())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ShopFigures {
                counted_today: money(day.counted_fen)?,
                payouts_today: u64::try_from(day.payouts).unwrap_or(0),
                counted_payouts_today: u64::try_from(day.counted_payouts).unwrap_or(0),
                succeeded_today: u64::try_from(day.succeeded_payouts).unwrap_or(0),
                succeeded_amount_today: money(day.succeeded_fen)?,
                failed_today: u64::try_from(day.failed_payouts).unwrap_or(0),
                rejected_today: u64::try_from(day.rejected_payouts).unwrap_or(0),
                awaiting_approval: u64::try_from(awaiting).unwrap_or(0),
                stuck: u64::try_from(stuck).unwrap_or(0),
                sums: sums
                    .into_iter()
                    .map(|r| Ok((r.business_date, named(&r.payout_type, PayoutType::parse)?, money(r.sum_fen)?)))
                    .collect::<Result<_, StoreError>>()?,
            })
        }
    }
}
