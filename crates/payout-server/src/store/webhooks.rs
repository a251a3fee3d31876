//! Webhooks (SPEC §12.6): endpoints, the outbox of events and their deliveries.
//!
//! An event is written by [`emit`] in the transaction that made the change it reports (the payout
//! path of either store, settlement, approvals, the stuck check), with one delivery row per active
//! endpoint of the shop subscribed to it — nothing when none is. The webhook worker of every server
//! takes due deliveries under a lease (as the buyer notifications are taken), at least once, with
//! the event's id in the `webhook-id` header of every attempt.

use async_trait::async_trait;
use payout_core::api::PayoutView;
use payout_core::webhooks::{DeliveryStatus, DeliveryView, EndpointView, EventType};
use payout_core::Time;
use serde_json::json;

use super::rows::row;
use super::rows::{named, time};
use super::statements::{args, Statements};
use super::{Lock, StoreError};

row! {
    pub(super) struct Subscriber {
        id: i64,
        events: String,
    }
}

/// Writes `event` about each of `payouts` (of one shop) for every active endpoint subscribed to
/// it, in the caller's transaction. Returns how many deliveries it queued.
pub(super) async fn emit<S: Statements>(
    s: &mut S,
    shop_id: i64,
    event: EventType,
    payouts: &[PayoutView],
    now: Time,
) -> Result<usize, StoreError> {
    if payouts.is_empty() {
        return Ok(0);
    }
    let subscribers: Vec<Subscriber> = s
        .all(
            "SELECT id, events FROM webhook_endpoints WHERE shop_id = $1 AND active = TRUE AND deleted_at IS NULL",
            &args![shop_id],
        )
        .await?
        .into_iter()
        .filter(|e: &Subscriber| e.events.split(',').any(|name| name == event.as_str()))
        .collect();
    if subscribers.is_empty() {
        return Ok(0);
    }
    let mut queued = 0;
    for payout in payouts {
        let event_id = new_event_id();
        let payload =
            json!({"id": event_id, "type": event.as_str(), "created_at": now, "data": {"payout": payout}})
                .to_string();
        let row = s
            .scalar(
                "INSERT INTO webhook_events (shop_id, event_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &args![shop_id, event_id.as_str(), event.as_str(), payload.as_str(), now.unix_millis()],
            )
            .await?;
        for endpoint in &subscribers {
            s.execute(
                "INSERT INTO webhook_deliveries (shop_id, event_row, endpoint_id, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $4)",
                &args![shop_id, row, endpoint.id, now.unix_millis()],
            )
            .await?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// Whether an active endpoint of the shop listens to `event` (before loading what it would carry).
pub(super) async fn listening<S: Statements>(
    s: &mut S,
    shop_id: i64,
    event: EventType,
) -> Result<bool, StoreError> {
    let subscribers: Vec<Subscriber> = s
        .all(
            "SELECT id, events FROM webhook_endpoints WHERE shop_id = $1 AND active = TRUE AND deleted_at IS NULL",
            &args![shop_id],
        )
        .await?;
    Ok(subscribers.iter().any(|e| e.events.split(',').any(|name| name == event.as_str())))
}

/// `msg_` and 24 random hex digits: unique across servers without asking the database.
pub(super) fn new_event_id() -> String {
    format!("msg_{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// A delivery taken for one attempt.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub shop_id: i64,
    pub id: i64,
    pub endpoint_id: i64,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// What one attempt came to.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub delivered: bool,
    pub status: Option<u16>,
    pub response: Option<String>,
    pub error: Option<String>,
    /// When to try again; `None` with `delivered: false` means given up (`failed`).
    pub retry_at: Option<Time>,
}

/// A new endpoint to store.
pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub events: &'a [EventType],
    pub secret: &'a str,
}

/// What an update sets on an endpoint.
pub struct EndpointChange<'a> {
    pub url: &'a str,
    pub events: &'a [EventType],
    pub active: bool,
}

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn webhook_create(
        &self,
        shop_id: i64,
        by: &str,
        endpoint: &NewEndpoint<'_>,
        now: Time,
    ) -> Result<EndpointView, StoreError>;
    async fn webhooks(&self, shop_id: i64) -> Result<Vec<EndpointView>, StoreError>;
    /// `None` when the shop has no such endpoint.
    async fn webhook_update(
        &self,
        shop_id: i64,
        id: i64,
        by: &str,
        change: &EndpointChange<'_>,
        now: Time,
    ) -> Result<Option<EndpointView>, StoreError>;
    /// Removes an endpoint; its pending deliveries end `failed`. `false` when there is none.
    async fn webhook_delete(&self, shop_id: i64, id: i64, by: &str, now: Time) -> Result<bool, StoreError>;
    /// Queues a `webhook.test` event to this endpoint only.
    async fn webhook_test(
        &self,
        shop_id: i64,
        id: i64,
        now: Time,
    ) -> Result<Option<DeliveryView>, StoreError>;
    async fn webhook_deliveries(
        &self,
        shop_id: i64,
        endpoint_id: i64,
        limit: u32,
    ) -> Result<Option<Vec<DeliveryView>>, StoreError>;
    /// A failed (or pending) delivery due again now, its attempts counted afresh, same event id.
    async fn webhook_resend(
        &self,
        shop_id: i64,
        delivery_id: i64,
        now: Time,
    ) -> Result<Option<DeliveryView>, StoreError>;
    /// Takes up to `limit` due deliveries until `lease_until`, none of `busy` endpoints (they have
    /// as many attempts out as they may).
    /// Leases up to `limit` due deliveries, at most `room(endpoint)` of each endpoint's (which is
    /// never more than `per_endpoint`), counting each as an attempt. Nothing beyond is leased, so a
    /// busy endpoint's backlog stays free for the next tick, or for another server.
    async fn webhook_take(
        &self,
        now: Time,
        lease_until: Time,
        limit: u32,
        per_endpoint: u32,
        room: &(dyn Fn(i64) -> usize + Sync),
    ) -> Result<Vec<DueDelivery>, StoreError>;
    async fn webhook_record(&self, outcomes: &[(DueDelivery, Attempt)], now: Time) -> Result<(), StoreError>;
    /// Deliveries neither delivered nor given up, across shops (the backlog metric).
    async fn webhook_backlog(&self) -> Result<i64, StoreError>;
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    url: String,
    events: String,
    active: bool,
    created_at: i64,
    pending: i64,
    failed: i64,
}

impl EndpointRow {
    fn view(self) -> Result<EndpointView, StoreError> {
        Ok(EndpointView {
            id: self.id,
            url: self.url,
            events: self
                .events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|e| named(e, EventType::parse))
                .collect::<Result<_, _>>()?,
            active: self.active,
            created_at: time(self.created_at),
            pending: u64::try_from(self.pending).unwrap_or(0),
            failed: u64::try_from(self.failed).unwrap_or(0),
        })
    }
}

/// Endpoints with their counts, then `$tail`.
macro_rules! select_endpoints {
    ($tail:literal) => {
        concat!(
            "SELECT e.id, e.url, e.events, e.active, e.created_at, \
                    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.shop_id = e.shop_id AND d.endpoint_id = e.id AND d.status = 'pending') AS pending, \
                    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.shop_id = e.shop_id AND d.endpoint_id = e.id AND d.status = 'failed') AS failed \
             FROM webhook_endpoints e WHERE e.shop_id = $1 AND e.deleted_at IS NULL ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    event_id: String,
    r#type: String,
    status: String,
    attempts: i64,
    last_status: Option<i64>,
    last_response: Option<String>,
    last_error: Option<String>,
    next_attempt_at: Option<i64>,
    created_at: i64,
    delivered_at: Option<i64>,
}

impl DeliveryRow {
    fn view(self) -> Result<DeliveryView, StoreError> {
        let status = match self.status.as_str() {
            "pending" => DeliveryStatus::Pending,
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            other => return Err(StoreError::Corrupt(format!("delivery status {other:?}"))),
        };
        Ok(DeliveryView {
            id: self.id,
            event_id: self.event_id,
            event_type: named(&self.r#type, EventType::parse)?,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            last_status: self.last_status.and_then(|s| u16::try_from(s).ok()),
            last_response: self.last_response,
            last_error: self.last_error,
            next_attempt_at: self.next_attempt_at.filter(|_| status == DeliveryStatus::Pending).map(time),
            created_at: time(self.created_at),
            delivered_at: self.delivered_at.map(time),
        })
    }
}

macro_rules! select_deliveries {
    ($tail:literal) => {
        concat!(
            "SELECT d.id, v.event_id, v.type, d.status, d.attempts, d.last_status, d.last_response, d.last_error, \
                    d.next_attempt_at, d.created_at, d.delivered_at \
             FROM webhook_deliveries d JOIN webhook_events v ON v.shop_id = d.shop_id AND v.id = d.event_row \
             WHERE d.shop_id = $1 ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct DueRow {
    shop_id: i64,
    id: i64,
    endpoint_id: i64,
    url: String,
    secret: String,
    event_id: String,
    payload: String,
    attempts: i64,
}

/// The due deliveries, oldest first. PostgreSQL skips rows another server is taking.
macro_rules! due_deliveries {
    ($($tail:literal)?) => {
        // Each endpoint's first `$3` due deliveries, oldest first: one endpoint's backlog cannot
        // fill a batch and starve the others.
        concat!(
            "SELECT d.shop_id, d.id, d.endpoint_id, e.url, e.secret, v.event_id, v.payload, d.attempts \
             FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.shop_id = d.shop_id AND e.id = d.endpoint_id \
             JOIN webhook_events v ON v.shop_id = d.shop_id AND v.id = d.event_row \
             WHERE (d.shop_id, d.id) IN ( \
                 SELECT shop_id, id FROM ( \
                     SELECT w.shop_id, w.id, ROW_NUMBER() OVER (PARTITION BY w.shop_id, w.endpoint_id ORDER BY w.next_attempt_at, w.id) AS n \
                     FROM webhook_deliveries w WHERE w.status = 'pending' AND w.next_attempt_at <= $1 \
                 ) ranked WHERE n <= $3) \
             AND d.status = 'pending' AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at, d.id LIMIT $2"
            $(, $tail)?
        )
    };
}

for_each_store! {
    use sqlx::QueryBuilder;
    use crate::store::rows::{payout_views, select_payouts, PayoutRow};

    impl This {
        /// [`emit`] about the shop's payouts `ids`, read as they are now, when anyone listens.
        pub(in crate::store) async fn emit_about(conn: &mut Conn, shop_id: i64, event: EventType, ids: &[i64], now: Time) -> Result<(), StoreError> {
            if ids.is_empty() || !listening(&mut *conn, shop_id, event).await? {
                return Ok(());
            }
            let mut views = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(400) {
                let mut qb = QueryBuilder::<Db>::new(select_payouts!());
                qb.push(" WHERE p.shop_id = ").push_bind(shop_id).push(" AND p.id");
                This::push_in(&mut qb, chunk.to_vec());
                views.extend(payout_views(qb.build_query_as::<PayoutRow>().fetch_all(&mut *conn).await?)?);
            }
            emit(&mut *conn, shop_id, event, &views, now).await?;
            Ok(())
        }
    }

    #[async_trait]
    impl WebhookStore for This {
        async fn webhook_create(&self, shop_id: i64, by: &str, endpoint: &NewEndpoint<'_>, now: Time) -> Result<EndpointView, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let events: Vec<&str> = endpoint.events.iter().map(|e| e.as_str()).collect();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO webhook_endpoints (shop_id, url, events, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(shop_id)
            .bind(endpoint.url)
            .bind(events.join(","))
            .bind(endpoint.secret)
            .bind(by)
            .bind(now.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let target = format!("webhook:{id}");
            let detail = format!("{} · {}", endpoint.url, events.join(" "));
            This::audit(&mut tx, super::super::audit::Audit { shop_id, at: now, actor: by, action: "webhook.created", target: &target, detail: &detail }).await?;
            let view = sqlx::query_as::<_, EndpointRow>(select_endpoints!("AND e.id = $2")).bind(shop_id).bind(id).fetch_one(&mut *tx).await?.view()?;
            tx.commit().await?;
            Ok(view)
        }

        async fn webhooks(&self, shop_id: i64) -> Result<Vec<EndpointView>, StoreError> {
            sqlx::query_as::<_, EndpointRow>(select_endpoints!("ORDER BY e.id"))
                .bind(shop_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(EndpointRow::view)
                .collect()
        }

        async fn webhook_update(&self, shop_id: i64, id: i64, by: &str, change: &EndpointChange<'_>, now: Time) -> Result<Option<EndpointView>, StoreError> {
            let EndpointChange { url, events, active } = *change;
            let mut tx = self.begin_write(Lock::Rows).await?;
            let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
            let changed = sqlx::query(
                "UPDATE webhook_endpoints SET url = $1, events = $2, active = $3 WHERE shop_id = $4 AND id = $5 AND deleted_at IS NULL",
            )
            .bind(url)
            .bind(names.join(","))
            .bind(active)
            .bind(shop_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return tx.finish(None).await;
            }
            let target = format!("webhook:{id}");
            let detail = format!("{url} · {} · {}", names.join(" "), if active { "active" } else { "off" });
            This::audit(&mut tx, super::super::audit::Audit { shop_id, at: now, actor: by, action: "webhook.updated", target: &target, detail: &detail }).await?;
            let view = sqlx::query_as::<_, EndpointRow>(select_endpoints!("AND e.id = $2")).bind(shop_id).bind(id).fetch_one(&mut *tx).await?.view()?;
            tx.commit().await?;
            Ok(Some(view))
        }

        async fn webhook_delete(&self, shop_id: i64, id: i64, by: &str, now: Time) -> Result<bool, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let changed = sqlx::query("UPDATE webhook_endpoints SET deleted_at = $1, active = FALSE WHERE shop_id = $2 AND id = $3 AND deleted_at IS NULL")
                .bind(now.unix_millis())
                .bind(shop_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return tx.finish(false).await;
            }
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint removed', finished_at = $1 \
                 WHERE shop_id = $2 AND endpoint_id = $3 AND status = 'pending'",
            )
            .bind(now.unix_millis())
            .bind(shop_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let target = format!("webhook:{id}");
            This::audit(&mut tx, super::super::audit::Audit { shop_id, at: now, actor: by, action: "webhook.deleted", target: &target, detail: "" }).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn webhook_test(&self, shop_id: i64, id: i64, now: Time) -> Result<Option<DeliveryView>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE shop_id = $1 AND id = $2 AND deleted_at IS NULL")
                .bind(shop_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return tx.finish(None).await;
            }
            let event_id = new_event_id();
            let payload = json!({"id": event_id, "type": EventType::Test.as_str(), "created_at": now, "data": {"message": "这是一条测试事件 / a test event"}}).to_string();
            let row: i64 = sqlx::query_scalar(
                "INSERT INTO webhook_events (shop_id, event_id, type, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(shop_id)
            .bind(&event_id)
            .bind(EventType::Test.as_str())
            .bind(&payload)
            .bind(now.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let delivery: i64 = sqlx::query_scalar(
                "INSERT INTO webhook_deliveries (shop_id, event_row, endpoint_id, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(shop_id)
            .bind(row)
            .bind(id)
            .bind(now.unix_millis())
            .fetch_one(&mut *tx)
            .await?;
            let view = sqlx::query_as::<_, DeliveryRow>(select_deliveries!("AND d.id = $2")).bind(shop_id).bind(delivery).fetch_one(&mut *tx).await?.view()?;
            tx.commit().await?;
            Ok(Some(view))
        }

        async fn webhook_deliveries(&self, shop_id: i64, endpoint_id: i64, limit: u32) -> Result<Option<Vec<DeliveryView>>, StoreError> {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE shop_id = $1 AND id = $2 AND deleted_at IS NULL")
                .bind(shop_id)
                .bind(endpoint_id)
                .fetch_optional(&self.pool)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let rows = sqlx::query_as::<_, DeliveryRow>(select_deliveries!("AND d.endpoint_id = $2 ORDER BY d.id DESC LIMIT $3"))
                .bind(shop_id)
                .bind(endpoint_id)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            rows.into_iter().map(DeliveryRow::view).collect::<Result<Vec<_>, _>>().map(Some)
        }

        async fn webhook_resend(&self, shop_id: i64, delivery_id: i64, now: Time) -> Result<Option<DeliveryView>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let changed = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, finished_at = NULL \
                 WHERE shop_id = $2 AND id = $3 AND status <> 'delivered' \
                   AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE shop_id = $2 AND deleted_at IS NULL)",
            )
            .bind(now.unix_millis())
            .bind(shop_id)
            .bind(delivery_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // A delivered one is resent as a new delivery of the same event (same webhook-id).
            if changed == 0 {
                let copied = sqlx::query(
                    "INSERT INTO webhook_deliveries (shop_id, event_row, endpoint_id, next_attempt_at, created_at) \
                     SELECT d.shop_id, d.event_row, d.endpoint_id, $1, $1 FROM webhook_deliveries d \
                     JOIN webhook_endpoints e ON e.shop_id = d.shop_id AND e.id = d.endpoint_id AND e.deleted_at IS NULL \
                     WHERE d.shop_id = $2 AND d.id = $3",
                )
                .bind(now.unix_millis())
                .bind(shop_id)
                .bind(delivery_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if copied == 0 {
                    return tx.finish(None).await;
                }
                let latest = sqlx::query_as::<_, DeliveryRow>(select_deliveries!(
                    "AND d.event_row = (SELECT event_row FROM webhook_deliveries WHERE shop_id = $1 AND id = $2) ORDER BY d.id DESC LIMIT 1"
                ))
                .bind(shop_id)
                .bind(delivery_id)
                .fetch_one(&mut *tx)
                .await?
                .view()?;
                tx.commit().await?;
                return Ok(Some(latest));
            }
            let view = sqlx::query_as::<_, DeliveryRow>(select_deliveries!("AND d.id = $2")).bind(shop_id).bind(delivery_id).fetch_one(&mut *tx).await?.view()?;
            tx.commit().await?;
            Ok(Some(view))
        }

        async fn webhook_take(&self, now: Time, lease_until: Time, limit: u32, per_endpoint: u32, room: &(dyn Fn(i64) -> usize + Sync)) -> Result<Vec<DueDelivery>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let rows = sqlx::query_as::<_, DueRow>(This::dialect(due_deliveries!(), due_deliveries!(" FOR UPDATE OF d SKIP LOCKED")))
                .bind(now.unix_millis())
                .bind(i64::from(limit))
                .bind(i64::from(per_endpoint))
                .fetch_all(&mut *tx)
                .await?;
            // Endpoints with attempts already out get only what is left of their room; the rest
            // of their rows are not leased (on PostgreSQL the row locks end with the transaction).
            let mut taken: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
            let mut due: Vec<DueDelivery> = Vec::new();
            for row in rows {
                let n = taken.entry(row.endpoint_id).or_default();
                if *n >= room(row.endpoint_id) {
                    continue;
                }
                *n += 1;
                due.push(DueDelivery {
                    shop_id: row.shop_id,
                    id: row.id,
                    endpoint_id: row.endpoint_id,
                    url: row.url,
                    secret: row.secret,
                    event_id: row.event_id,
                    payload: row.payload,
                    attempts: u32::try_from(row.attempts + 1).unwrap_or(u32::MAX),
                });
            }
            for chunk in due.chunks(400) {
                let mut qb = QueryBuilder::<Db>::new("UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ");
                qb.push_bind(lease_until.unix_millis()).push(" WHERE ");
                This::push_keys(&mut qb, chunk.iter().map(|d| crate::store::PayoutKey { shop_id: d.shop_id, id: d.id }));
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(due)
        }

        async fn webhook_record(&self, outcomes: &[(DueDelivery, Attempt)], now: Time) -> Result<(), StoreError> {
            if outcomes.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write(Lock::Rows).await?;
            for (d, a) in outcomes {
                let (status, next, finished) = match (a.delivered, a.retry_at) {
                    (true, _) => ("delivered", None, Some(now.unix_millis())),
                    (false, Some(at)) => ("pending", Some(at.unix_millis()), None),
                    (false, None) => ("failed", None, Some(now.unix_millis())),
                };
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, last_status = $3, last_response = $4, last_error = $5, \
                            delivered_at = CASE WHEN $1 = 'delivered' THEN $6 ELSE delivered_at END, finished_at = $7 \
                     WHERE shop_id = $8 AND id = $9 AND status = 'pending'",
                )
                .bind(status)
                .bind(next)
                .bind(a.status.map(i64::from))
                .bind(a.response.as_deref())
                .bind(a.error.as_deref())
                .bind(now.unix_millis())
                .bind(finished)
                .bind(d.shop_id)
                .bind(d.id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn webhook_backlog(&self) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'").fetch_one(&self.pool).await?)
        }
    }
}
