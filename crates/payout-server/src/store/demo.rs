//! The demo data of SPEC §9: three shops, six logins, the orders that show each rule. Ages are
//! relative to the server's start, so the demo stays valid on any date.

use payout_core::api::{PayoutStatus, SETTLEMENT_ACTOR};
use payout_core::facts::AccountFacts;
use payout_core::reasons::{fill_template, DEFAULT_REASONS};
use payout_core::{AccountKind, Money, PayoutType, Qualification, Role, ShopStatus, Time};

use super::people::NewUser;
use super::rows::business_date;
use super::{PayoutKey, StoreError};

/// Password of every demo login.
pub const DEMO_PASSWORD: &str = "demo-pass-2026";

/// A whole data set, written by [`super::Store::seed`] in one transaction.
pub struct Seed {
    pub shops: Vec<SeedShop>,
    /// When it was made: the accounts' creation time.
    pub at: Time,
}

pub struct SeedShop {
    pub name: String,
    pub qualification: Qualification,
    pub status: ShopStatus,
    pub selected_source_account: AccountKind,
    pub accounts: Vec<AccountFacts>,
    pub users: Vec<SeedUser>,
    pub orders: Vec<SeedOrder>,
    /// Payouts by a sub-account at or above this wait for approval (SPEC §11.2).
    pub approval_threshold: Option<Money>,
}

pub struct SeedUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub payout_enabled: bool,
    pub manage_quotas: bool,
    pub per_payout_limit: Money,
    pub daily_limit: Money,
}

pub struct SeedOrder {
    pub order_no: String,
    pub source_app: String,
    pub paid: Money,
    pub ordered_at: Time,
    pub online_paid: bool,
    pub cross_border: bool,
    pub buyer_ref: String,
    /// (title, amount); item ids are `{order_no}-{n}`.
    pub items: Vec<(String, Money)>,
    pub payouts: Vec<SeedPayout>,
}

pub struct SeedPayout {
    pub operator: String,
    pub source_account: AccountKind,
    pub payout_type: PayoutType,
    pub amount: Money,
    pub status: PayoutStatus,
    pub failure_reason: Option<String>,
    pub created_at: Time,
    /// The zh name of one of the shop's default reasons.
    pub reason: Option<&'static str>,
}

fn yuan(text: &str) -> Money {
    Money::parse(text).unwrap_or(Money::ZERO)
}

fn account(kind: AccountKind, opened: bool, balance: &str, frozen: &str) -> AccountFacts {
    AccountFacts { kind, opened, balance: yuan(balance), frozen: yuan(frozen), reserved: Money::ZERO }
}

fn main_user(username: &str, display_name: &str, hash: &str) -> SeedUser {
    SeedUser {
        username: username.into(),
        display_name: display_name.into(),
        role: Role::Main,
        password_hash: hash.into(),
        payout_enabled: true,
        manage_quotas: true,
        per_payout_limit: Money::ZERO,
        daily_limit: Money::ZERO,
    }
}

fn sub_user(
    username: &str,
    display_name: &str,
    hash: &str,
    quota: Option<(&str, &str)>,
    manage: bool,
) -> SeedUser {
    SeedUser {
        username: username.into(),
        display_name: display_name.into(),
        role: Role::Sub,
        password_hash: hash.into(),
        payout_enabled: quota.is_some(),
        manage_quotas: manage,
        per_payout_limit: quota.map_or(Money::ZERO, |q| yuan(q.0)),
        daily_limit: quota.map_or(Money::ZERO, |q| yuan(q.1)),
    }
}

struct OrderSpec<'a> {
    no: &'a str,
    app: &'a str,
    paid: &'a str,
    days_ago: i64,
    online_paid: bool,
    cross_border: bool,
    items: &'a [(&'a str, &'a str)],
}

fn order(
    now: Time,
    spec: OrderSpec<'_>,
    payouts: Vec<(PayoutType, &str, PayoutStatus, Option<&str>)>,
) -> SeedOrder {
    let ordered_at = now.plus_seconds(-spec.days_ago * 86_400);
    SeedOrder {
        order_no: spec.no.into(),
        source_app: spec.app.into(),
        paid: yuan(spec.paid),
        ordered_at,
        online_paid: spec.online_paid,
        cross_border: spec.cross_border,
        // A buyer id like the platform's, different per order (whom the rail pays).
        buyer_ref: format!("dy_buyer_{}", &spec.no[spec.no.len() - 4..]),
        items: spec.items.iter().map(|(t, a)| ((*t).to_owned(), yuan(a))).collect(),
        payouts: payouts
            .into_iter()
            .enumerate()
            .map(|(i, (payout_type, amount, status, reason))| SeedPayout {
                operator: "lin.agent2".into(),
                source_account: AccountKind::Aggregate,
                payout_type,
                amount: yuan(amount),
                status,
                failure_reason: reason.map(str::to_owned),
                // On the order's day, a few minutes apart: no cooldown and no daily total today.
                created_at: ordered_at.plus_seconds(3600 + 300 * i as i64),
                reason: None,
            })
            .collect(),
    }
}

/// SPEC §9, with every password hashed by `hash` (each call salts anew).
pub fn demo_seed(now: Time, hash: &dyn Fn(&str) -> String) -> Seed {
    use PayoutStatus::{Failed, Succeeded};
    let months_13_days = 13 * 31;
    let base = |no: &'static str, app: &'static str, paid: &'static str, days_ago: i64| OrderSpec {
        no,
        app,
        paid,
        days_ago,
        online_paid: true,
        cross_border: false,
        items: &[("北欧风亚麻抱枕套 45×45cm", "15.00")],
    };
    let lin_orders = vec![
        order(now, base("6920241100000000001", "douyin", "15.00", 3), vec![]),
        order(
            now,
            OrderSpec {
                items: &[("纯棉四件套 1.8m 床", "99.00"), ("记忆棉枕头", "29.00")],
                ..base("6920241100000000002", "douyin_mall", "128.00", 10)
            },
            vec![],
        ),
        order(
            now,
            OrderSpec {
                items: &[("实木床头柜", "599.00"), ("床头灯", "180.00"), ("收纳篮 3 件装", "120.00")],
                ..base("6920241100000000003", "douyin_lite", "899.00", 40)
            },
            vec![],
        ),
        order(now, base("6920241100000000004", "toutiao", "39.00", 6), vec![]),
        order(
            now,
            OrderSpec { online_paid: false, ..base("6920241100000000005", "douyin", "59.00", 8) },
            vec![],
        ),
        order(now, base("6920241100000000006", "douyin", "88.00", months_13_days), vec![]),
        order(
            now,
            OrderSpec { cross_border: true, ..base("6920241100000000007", "douyin", "66.00", 12) },
            vec![],
        ),
        order(
            now,
            OrderSpec {
                items: &[("羊毛地毯 160×230", "300.00")],
                ..base("6920241100000000008", "douyin", "300.00", 5)
            },
            (0..5).map(|_| (PayoutType::PriceDifference, "10.00", Succeeded, None)).collect(),
        ),
        order(
            now,
            OrderSpec {
                items: &[("陶瓷餐具 4 件套", "60.00")],
                ..base("6920241100000000009", "douyin_search", "60.00", 7)
            },
            vec![(PayoutType::Shipping, "8.00", Succeeded, None)],
        ),
        order(
            now,
            OrderSpec {
                items: &[("香薰蜡烛礼盒", "45.00")],
                ..base("6920241100000000010", "douyin_volcano", "45.00", 4)
            },
            vec![(
                PayoutType::ProductIssue,
                "12.00",
                Failed,
                Some("收款方钱包状态异常，转账被退回 (buyer wallet rejected the transfer)"),
            )],
        ),
    ];
    let mut lin_orders = lin_orders;
    let mut awaiting = order(
        now,
        OrderSpec {
            items: &[("真丝睡衣套装", "380.00")],
            ..base("6920241100000000011", "douyin", "380.00", 20)
        },
        vec![],
    );
    // Requested a minute before the start: waiting for the main account, not expired, and counted
    // toward today's totals of the shop and of lin.agent2.
    awaiting.payouts.push(SeedPayout {
        operator: "lin.agent2".into(),
        source_account: AccountKind::Aggregate,
        payout_type: PayoutType::ProductIssue,
        amount: yuan("150.00"),
        status: PayoutStatus::AwaitingApproval,
        failure_reason: None,
        created_at: now.plus_seconds(-60),
        reason: Some("商品轻微瑕疵"),
    });
    lin_orders.push(awaiting);
    Seed {
        at: now,
        shops: vec![
            SeedShop {
                name: "林记家居旗舰店".into(),
                qualification: Qualification::Enterprise,
                status: ShopStatus::Active,
                selected_source_account: AccountKind::Aggregate,
                accounts: vec![
                    account(AccountKind::Aggregate, true, "20000.00", "1200.00"),
                    account(AccountKind::Custody, true, "3000.00", "0"),
                ],
                users: vec![
                    main_user("lin.admin", "林记管理员", &hash(DEMO_PASSWORD)),
                    sub_user(
                        "lin.agent1",
                        "客服小林",
                        &hash(DEMO_PASSWORD),
                        Some(("50.00", "300.00")),
                        false,
                    ),
                    sub_user(
                        "lin.agent2",
                        "客服主管阿杰",
                        &hash(DEMO_PASSWORD),
                        Some(("200.00", "2000.00")),
                        true,
                    ),
                    sub_user("lin.viewer", "仓库小王", &hash(DEMO_PASSWORD), None, false),
                ],
                orders: lin_orders,
                approval_threshold: Some(yuan("100.00")),
            },
            SeedShop {
                name: "周小姐手作".into(),
                qualification: Qualification::Individual,
                status: ShopStatus::Active,
                selected_source_account: AccountKind::Custody,
                accounts: vec![
                    account(AccountKind::Aggregate, false, "0", "0"),
                    account(AccountKind::Custody, true, "500.00", "0"),
                ],
                users: vec![main_user("zhou.admin", "周小姐", &hash(DEMO_PASSWORD))],
                orders: vec![order(
                    now,
                    OrderSpec {
                        items: &[("手工编织杯垫 2 枚", "35.00")],
                        ..base("6920241100000000101", "douyin", "35.00", 9)
                    },
                    vec![],
                )],
                approval_threshold: None,
            },
            SeedShop {
                name: "孙氏数码".into(),
                qualification: Qualification::Enterprise,
                status: ShopStatus::Suspended,
                selected_source_account: AccountKind::Aggregate,
                accounts: vec![
                    account(AccountKind::Aggregate, true, "8000.00", "0"),
                    account(AccountKind::Custody, true, "1000.00", "0"),
                ],
                users: vec![main_user("sun.admin", "孙老板", &hash(DEMO_PASSWORD))],
                orders: vec![order(
                    now,
                    OrderSpec {
                        items: &[("Type-C 数据线 2m", "50.00")],
                        ..base("6920241100000000201", "douyin", "50.00", 11)
                    },
                    vec![],
                )],
                approval_threshold: None,
            },
        ],
    }
}

for_each_store! {
    impl This {
        /// Writes `seed` in the caller's transaction (see [`super::Store::seed`]).
        pub(in crate::store) async fn write_seed(conn: &mut Conn, seed: &Seed) -> Result<(), StoreError> {
            for shop in &seed.shops {
                // Every shop starts with the default reasons (SPEC §11.1), as a real one does.
                let shop_id =
                    This::insert_shop(&mut *conn, &shop.name, shop.qualification, shop.status, shop.selected_source_account).await?;
                sqlx::query("UPDATE shops SET approval_threshold_fen = $1 WHERE id = $2")
                    .bind(shop.approval_threshold.map(Money::to_fen))
                    .bind(shop_id)
                    .execute(&mut *conn)
                    .await?;
                for a in &shop.accounts {
                    sqlx::query(
                        "INSERT INTO accounts (shop_id, kind, opened, balance_fen, frozen_fen, reserved_fen) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(shop_id)
                    .bind(a.kind.as_str())
                    .bind(a.opened)
                    .bind(a.balance.to_fen())
                    .bind(a.frozen.to_fen())
                    .bind(a.reserved.to_fen())
                    .execute(&mut *conn)
                    .await?;
                }
                for u in &shop.users {
                    let new = NewUser {
                        username: &u.username,
                        display_name: &u.display_name,
                        role: u.role,
                        password_hash: &u.password_hash,
                        password_expires_at: None,
                    };
                    let id = This::insert_user(&mut *conn, shop_id, &new, seed.at).await?
                        .ok_or_else(|| StoreError::Corrupt(format!("demo username {} taken", u.username)))?;
                    sqlx::query(
                        "UPDATE users SET payout_enabled = $1, manage_quotas = $2, per_payout_limit_fen = $3, daily_limit_fen = $4 \
                         WHERE shop_id = $5 AND id = $6",
                    )
                    .bind(u.payout_enabled)
                    .bind(u.manage_quotas)
                    .bind(u.per_payout_limit.to_fen())
                    .bind(u.daily_limit.to_fen())
                    .bind(shop_id)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                }
                for o in &shop.orders {
                    let order_id: i64 = sqlx::query_scalar(
                        "INSERT INTO orders (shop_id, order_no, source_app, paid_fen, ordered_at, online_paid, cross_border, buyer_ref) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(shop_id)
                    .bind(&o.order_no)
                    .bind(&o.source_app)
                    .bind(o.paid.to_fen())
                    .bind(o.ordered_at.unix_millis())
                    .bind(o.online_paid)
                    .bind(o.cross_border)
                    .bind(&o.buyer_ref)
                    .fetch_one(&mut *conn)
                    .await?;
                    for (i, (title, amount)) in o.items.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO order_items (shop_id, order_id, id, position, title, amount_fen) VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(shop_id)
                        .bind(order_id)
                        .bind(format!("{}-{}", o.order_no, i + 1))
                        .bind(i as i64)
                        .bind(title)
                        .bind(amount.to_fen())
                        .execute(&mut *conn)
                        .await?;
                    }
                    for p in &o.payouts {
                        let operator_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE shop_id = $1 AND username = $2")
                            .bind(shop_id)
                            .bind(&p.operator)
                            .fetch_one(&mut *conn)
                            .await?;
                        let reason = match p.reason {
                            Some(name) => Some(
                                sqlx::query_as::<_, (i64, String, Option<String>)>(
                                    "SELECT id, name_zh, name_en FROM reasons WHERE shop_id = $1 AND name_zh = $2",
                                )
                                .bind(shop_id)
                                .bind(name)
                                .fetch_one(&mut *conn)
                                .await?,
                            ),
                            None => None,
                        };
                        let template = DEFAULT_REASONS.iter().find(|r| Some(r.0) == p.reason).map(|r| r.3);
                        let buyer_message =
                            template.map(|t| fill_template(t, &o.order_no, &p.amount.to_string(), &shop.name));
                        let waiting = p.status == PayoutStatus::AwaitingApproval;
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO payouts (shop_id, order_id, order_no, operator_id, source_account, payout_type, amount_fen, \
                                                  status, failure_reason, created_at, updated_at, business_date, \
                                                  reason_id, reason_name_zh, reason_name_en, buyer_message) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
                        )
                        .bind(shop_id)
                        .bind(order_id)
                        .bind(&o.order_no)
                        .bind(operator_id)
                        .bind(p.source_account.as_str())
                        .bind(p.payout_type.as_str())
                        .bind(p.amount.to_fen())
                        .bind(p.status.as_str())
                        .bind(&p.failure_reason)
                        .bind(p.created_at.unix_millis())
                        .bind(if waiting { p.created_at } else { p.created_at.plus_seconds(5) }.unix_millis())
                        .bind(business_date(p.created_at))
                        .bind(reason.as_ref().map(|r| r.0))
                        .bind(reason.as_ref().map(|r| r.1.clone()))
                        .bind(reason.as_ref().and_then(|r| r.2.clone()))
                        .bind(buyer_message)
                        .fetch_one(&mut *conn)
                        .await?;
                        let key = PayoutKey { shop_id, id };
                        if waiting {
                            // Counted and reserved while it waits (SPEC §11.2).
                            This::event(conn, key, p.created_at, PayoutStatus::AwaitingApproval, &p.operator, None).await?;
                            sqlx::query("UPDATE accounts SET reserved_fen = reserved_fen + $1 WHERE shop_id = $2 AND kind = $3")
                                .bind(p.amount.to_fen())
                                .bind(shop_id)
                                .bind(p.source_account.as_str())
                                .execute(&mut *conn)
                                .await?;
                            continue;
                        }
                        This::event(conn, key, p.created_at, PayoutStatus::Pending, &p.operator, None).await?;
                        let handed = p.created_at.plus_seconds(2);
                        This::event(conn, key, handed, PayoutStatus::Processing, SETTLEMENT_ACTOR, None).await?;
                        let reason = p.failure_reason.as_deref();
                        This::event(conn, key, p.created_at.plus_seconds(5), p.status, SETTLEMENT_ACTOR, reason).await?;
                    }
                }
            }
            Ok(())
        }
    }
}
