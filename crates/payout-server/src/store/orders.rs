//! Orders from the platform (SPEC §12.3): written in batches, each one transaction under the shop's
//! lock, each order created, updated in full, left as it is, or refused whole — never half. An order
//! that has payouts keeps what decided them (D10), checked under the same lock as a payout reads
//! the order, so a payout and a change of its order never both win.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use payout_core::orders::{locked_changes, Column, ItemRecord, OrderRecord};
use payout_core::Time;
use sqlx::QueryBuilder;

use super::audit::Audit;
use super::rows::{money, time};
use super::{Lock, StoreError};

/// What writing one order came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderOutcome {
    Created,
    Updated,
    /// The store already holds exactly this.
    Unchanged,
    /// D10: it has payouts, and these columns would change.
    Locked(Vec<Column>),
    /// An item id of another order of the shop (item ids are the platform's, unique per shop).
    ItemTaken(String),
}

#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Writes `orders` (distinct order numbers) of the shop in one transaction under its lock.
    async fn orders_write(
        &self,
        shop_id: i64,
        orders: &[OrderRecord],
    ) -> Result<Vec<OrderOutcome>, StoreError>;
    /// Audits one import or order change (`action`, with its counts in `detail`).
    async fn orders_audit(
        &self,
        shop_id: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
        now: Time,
    ) -> Result<(), StoreError>;
}

#[derive(sqlx::FromRow)]
struct StoredOrder {
    id: i64,
    order_no: String,
    source_app: String,
    paid_fen: i64,
    ordered_at: i64,
    online_paid: bool,
    cross_border: bool,
    buyer_ref: Option<String>,
}

#[derive(sqlx::FromRow)]
struct StoredItem {
    order_id: i64,
    id: String,
    title: String,
    amount_fen: i64,
}

/// Rows per multi-row statement (each at most 9 parameters: far under either driver's limit).
const ROWS: usize = 500;

for_each_store! {
    #[async_trait]
    impl OrderStore for This {
        async fn orders_write(&self, shop_id: i64, orders: &[OrderRecord]) -> Result<Vec<OrderOutcome>, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
            // What the store holds of these orders: rows, items, and which have payouts.
            let mut stored: HashMap<String, StoredOrder> = HashMap::new();
            let mut items: HashMap<i64, Vec<ItemRecord>> = HashMap::new();
            let mut paid_out: HashSet<i64> = HashSet::new();
            let mut owners: HashMap<String, i64> = HashMap::new();
            for chunk in orders.chunks(ROWS) {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border, buyer_ref FROM orders WHERE shop_id = ",
                );
                qb.push_bind(shop_id).push(" AND order_no");
                This::push_in(&mut qb, chunk.iter().map(|o| o.order_no.clone()).collect());
                for row in qb.build_query_as::<StoredOrder>().fetch_all(&mut *tx).await? {
                    stored.insert(row.order_no.clone(), row);
                }
                let wanted: Vec<&str> = chunk.iter().flat_map(|o| o.items.iter().map(|i| i.id.as_str())).collect();
                for ids in wanted.chunks(ROWS) {
                    let mut qb = QueryBuilder::<Db>::new("SELECT id, order_id FROM order_items WHERE shop_id = ");
                    qb.push_bind(shop_id).push(" AND id");
                    This::push_in(&mut qb, ids.iter().map(|id| (*id).to_owned()).collect());
                    for (id, order_id) in qb.build_query_as::<(String, i64)>().fetch_all(&mut *tx).await? {
                        owners.insert(id, order_id);
                    }
                }
            }
            let ids: Vec<i64> = stored.values().map(|o| o.id).collect();
            for chunk in ids.chunks(ROWS) {
                let mut qb = QueryBuilder::<Db>::new("SELECT order_id, id, title, amount_fen FROM order_items WHERE shop_id = ");
                qb.push_bind(shop_id).push(" AND order_id");
                This::push_in(&mut qb, chunk.to_vec());
                qb.push(" ORDER BY order_id, position");
                for row in qb.build_query_as::<StoredItem>().fetch_all(&mut *tx).await? {
                    items.entry(row.order_id).or_default().push(ItemRecord { id: row.id, title: row.title, amount: money(row.amount_fen)? });
                }
                let mut qb = QueryBuilder::<Db>::new("SELECT DISTINCT order_id FROM payouts WHERE shop_id = ");
                qb.push_bind(shop_id).push(" AND order_id");
                This::push_in(&mut qb, chunk.to_vec());
                paid_out.extend(qb.build_query_scalar::<i64>().fetch_all(&mut *tx).await?);
            }

            // Decide each order against what is stored.
            let mut outcomes = Vec::with_capacity(orders.len());
            let mut inserts: Vec<&OrderRecord> = Vec::new();
            let mut updates: Vec<(i64, &OrderRecord)> = Vec::new();
            let mut claimed: HashMap<&str, &str> = HashMap::new();
            for o in orders {
                let existing = stored.get(&o.order_no);
                let own_id = existing.map(|e| e.id);
                // An item id held by another order of the shop, or by an earlier order of this batch.
                let taken = o.items.iter().find(|i| {
                    owners.get(&i.id).is_some_and(|owner| Some(*owner) != own_id)
                        || claimed.get(i.id.as_str()).is_some_and(|other| *other != o.order_no)
                });
                if let Some(item) = taken {
                    outcomes.push(OrderOutcome::ItemTaken(item.id.clone()));
                    continue;
                }
                for item in &o.items {
                    claimed.insert(&item.id, &o.order_no);
                }
                let Some(existing) = existing else {
                    inserts.push(o);
                    outcomes.push(OrderOutcome::Created);
                    continue;
                };
                let old = OrderRecord {
                    order_no: existing.order_no.clone(),
                    paid_amount: money(existing.paid_fen)?,
                    ordered_at: time(existing.ordered_at),
                    online_paid: existing.online_paid,
                    source_app: existing.source_app.clone(),
                    cross_border: existing.cross_border,
                    buyer_ref: existing.buyer_ref.clone(),
                    items: items.remove(&existing.id).unwrap_or_default(),
                };
                if &old == o {
                    outcomes.push(OrderOutcome::Unchanged);
                    continue;
                }
                let locked = if paid_out.contains(&existing.id) { locked_changes(&old, o) } else { Vec::new() };
                if !locked.is_empty() {
                    outcomes.push(OrderOutcome::Locked(locked));
                    continue;
                }
                updates.push((existing.id, o));
                outcomes.push(OrderOutcome::Updated);
            }

            // Updates: the order's row, and its items replaced.
            for (id, o) in &updates {
                sqlx::query(
                    "UPDATE orders SET source_app = $1, paid_fen = $2, ordered_at = $3, online_paid = $4, cross_border = $5, buyer_ref = $6 \
                     WHERE shop_id = $7 AND id = $8",
                )
                .bind(&o.source_app)
                .bind(o.paid_amount.to_fen())
                .bind(o.ordered_at.unix_millis())
                .bind(o.online_paid)
                .bind(o.cross_border)
                .bind(o.buyer_ref.as_deref())
                .bind(shop_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            for chunk in updates.chunks(ROWS) {
                let mut qb = QueryBuilder::<Db>::new("DELETE FROM order_items WHERE shop_id = ");
                qb.push_bind(shop_id).push(" AND order_id");
                This::push_in(&mut qb, chunk.iter().map(|(id, _)| *id).collect());
                qb.build().execute(&mut *tx).await?;
            }
            // Inserts: the orders' rows, many to a statement, then everyone's items.
            let mut new_ids: HashMap<String, i64> = HashMap::new();
            for chunk in inserts.chunks(ROWS) {
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border, buyer_ref) ",
                );
                qb.push_values(chunk, |mut row, o| {
                    row.push_bind(shop_id)
                        .push_bind(o.order_no.as_str())
                        .push_bind(o.source_app.as_str())
                        .push_bind(o.paid_amount.to_fen())
                        .push_bind(o.ordered_at.unix_millis())
                        .push_bind(o.online_paid)
                        .push_bind(o.cross_border)
                        .push_bind(o.buyer_ref.as_deref());
                });
                qb.push(" RETURNING id, order_no");
                for (id, order_no) in qb.build_query_as::<(i64, String)>().fetch_all(&mut *tx).await? {
                    new_ids.insert(order_no, id);
                }
            }
            let item_rows: Vec<(i64, i64, &ItemRecord)> = updates
                .iter()
                .map(|(id, o)| (*id, *o))
                .chain(inserts.iter().filter_map(|o| new_ids.get(&o.order_no).map(|id| (*id, *o))))
                .flat_map(|(id, o)| (0_i64..).zip(&o.items).map(move |(position, item)| (id, position, item)))
                .collect();
            for chunk in item_rows.chunks(ROWS) {
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO order_items (shop_id, order_id, id, position, title, amount_fen) ");
                qb.push_values(chunk, |mut row, (order_id, position, item)| {
                    row.push_bind(shop_id)
                        .push_bind(*order_id)
                        .push_bind(item.id.as_str())
                        .push_bind(*position)
                        .push_bind(item.title.as_str())
                        .push_bind(item.amount.to_fen());
                });
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(outcomes)
        }

        async fn orders_audit(&self, shop_id: i64, actor: &str, action: &str, target: &str, detail: &str, now: Time) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            This::audit(&mut tx, Audit { shop_id, at: now, actor, action, target, detail }).await?;
            tx.commit().await?;
            Ok(())
        }
    }
}
