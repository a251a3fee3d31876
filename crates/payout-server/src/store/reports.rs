//! What the statement and the overview read (SPEC §11.5). The grouping itself is in
//! `payout_core::statement`, so a statement's totals are the sums of the rows it lists.

use async_trait::async_trait;
use jiff::civil::Date;
use payout_core::api::PayoutView;
use payout_core::{Money, PayoutType, Time};

use super::rows::{counted, money, named, payout_views, select_payouts, PayoutRow};
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
