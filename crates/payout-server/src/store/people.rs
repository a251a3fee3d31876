//! People (SPEC §12.1, §12.2): shops and their main accounts made by operators, the sub-accounts
//! a main account runs, passwords (one-time and chosen), two-step verification, and the sessions
//! that end when they must. Every change is one transaction with its audit row.

use async_trait::async_trait;
use payout_core::api::AuditEntry;
use payout_core::people::SubAccountView;
use payout_core::reasons::DEFAULT_REASONS;
use payout_core::{AccountKind, Qualification, Role, ShopStatus, Time};

use super::audit::Audit;
use super::rows::{named, time};
use super::{Lock, StoreError};

/// Who made a change, as the audit log names them: a user of the shop, or the deployment's
/// operator (a subcommand of `payout-server`).
#[derive(Clone, Copy, Debug)]
pub enum By<'a> {
    User(&'a str),
    Operator,
}

impl By<'_> {
    pub fn name(self) -> String {
        match self {
            By::User(username) => username.to_owned(),
            By::Operator => "operator".to_owned(),
        }
    }
}

/// A password to store: its argon2id hash, and when it stops working if it is a one-time one.
#[derive(Clone)]
pub struct NewPassword {
    pub hash: String,
    pub expires_at: Option<Time>,
}

/// A shop an operator creates, with its main account (SPEC §12.1).
pub struct NewShop<'a> {
    pub name: &'a str,
    pub qualification: Qualification,
    pub aggregate_opened: bool,
    pub main_username: &'a str,
    pub main_display_name: &'a str,
    pub password: NewPassword,
}

/// A shop as `payout-server shop list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ShopListing {
    pub id: i64,
    pub name: String,
    pub qualification: Qualification,
    pub status: ShopStatus,
    pub main_username: String,
}

/// What creating an account came to.
#[derive(Debug)]
pub enum Created<T> {
    Created(T),
    /// The username is taken in the deployment (`409 USERNAME_TAKEN`).
    UsernameTaken,
}

/// An account's secrets as changing them needs: the current password's hash and two-step
/// verification's state.
#[derive(Clone)]
pub struct Security {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
}

/// A user by name, for the operator's password reset.
#[derive(Clone, Debug)]
pub struct UserRef {
    pub shop_id: i64,
    pub user_id: i64,
    pub username: String,
}

#[async_trait]
pub trait PeopleStore: Send + Sync + 'static {
    /// A new active shop with both accounts at 0.00, the default reasons and its main account.
    async fn shop_create(&self, shop: &NewShop<'_>, now: Time) -> Result<Created<(i64, i64)>, StoreError>;
    async fn shops_list(&self) -> Result<Vec<ShopListing>, StoreError>;
    /// `None` when there is no such shop.
    async fn shop_set_status(
        &self,
        shop_id: i64,
        status: ShopStatus,
        now: Time,
    ) -> Result<Option<()>, StoreError>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRef>, StoreError>;

    async fn sub_accounts(&self, shop_id: i64) -> Result<Vec<SubAccountView>, StoreError>;
    async fn sub_account_create(
        &self,
        shop_id: i64,
        by: By<'_>,
        username: &str,
        display_name: &str,
        password: &NewPassword,
        now: Time,
    ) -> Result<Created<SubAccountView>, StoreError>;
    /// Renames, deactivates (its sessions end at once) or reactivates a sub-account of the shop;
    /// `None` when the shop has no such sub-account.
    async fn sub_account_update(
        &self,
        shop_id: i64,
        by: By<'_>,
        id: i64,
        display_name: Option<&str>,
        active: Option<bool>,
        now: Time,
    ) -> Result<Option<SubAccountView>, StoreError>;

    /// Sets a user's password and ends their sessions, all or all but `keep` (the session that
    /// changed it). A one-time password also turns two-step verification off: the person who
    /// forgot the password may have lost the phone too, and the reset is the way back in.
    async fn password_set(
        &self,
        shop_id: i64,
        user_id: i64,
        by: By<'_>,
        password: &NewPassword,
        keep: Option<&str>,
        now: Time,
    ) -> Result<(), StoreError>;
    async fn security(&self, shop_id: i64, user_id: i64) -> Result<Option<Security>, StoreError>;
    /// Keeps a secret being set up (not on until confirmed).
    async fn two_factor_begin(&self, shop_id: i64, user_id: i64, secret: &str) -> Result<(), StoreError>;
    /// Turns two-step verification on with the pending secret, recording the step of the code that
    /// confirmed it and the recovery codes' digests; false when nothing was pending.
    async fn two_factor_confirm(
        &self,
        shop_id: i64,
        user_id: i64,
        step: i64,
        recovery_hashes: &[String],
        now: Time,
    ) -> Result<bool, StoreError>;
    /// Turns it off and ends the user's other sessions.
    async fn two_factor_disable(
        &self,
        shop_id: i64,
        user_id: i64,
        keep: &str,
        now: Time,
    ) -> Result<(), StoreError>;
    /// Accepts a code's time step once: true only the first time, and only for a step later than
    /// the last one accepted (RFC 6238 §5.2), atomically across servers.
    async fn totp_step_use(&self, shop_id: i64, user_id: i64, step: i64) -> Result<bool, StoreError>;
    /// Uses a recovery code: true only the first time.
    async fn recovery_code_use(
        &self,
        shop_id: i64,
        user_id: i64,
        hash: &str,
        now: Time,
    ) -> Result<bool, StoreError>;
    /// The latest audit rows about one user (for operators and tests).
    async fn audit_of(&self, shop_id: i64, target: &str) -> Result<Vec<AuditEntry>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct SubAccountRow {
    id: i64,
    username: String,
    display_name: String,
    active: bool,
    payout_enabled: bool,
    manage_quotas: bool,
    two_factor: bool,
    password_change_required: bool,
    last_sign_in_at: Option<i64>,
    created_at: i64,
}

impl From<SubAccountRow> for SubAccountView {
    fn from(r: SubAccountRow) -> Self {
        SubAccountView {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            active: r.active,
            payout: r.payout_enabled,
            manage_quotas: r.manage_quotas,
            two_factor: r.two_factor,
            password_change_required: r.password_change_required,
            last_sign_in_at: r.last_sign_in_at.map(time),
            created_at: time(r.created_at),
        }
    }
}

/// `SELECT` of a shop's sub-accounts as [`SubAccountRow`]s, then `$tail` (static SQL for sqlx).
macro_rules! select_sub_accounts {
    ($tail:literal) => {
        concat!(
            "SELECT id, username, display_name, active, payout_enabled, manage_quotas, \
                    totp_secret IS NOT NULL AS two_factor, password_expires_at IS NOT NULL AS password_change_required, \
                    last_sign_in_at, created_at \
             FROM users WHERE shop_id = $1 AND role = 'sub' ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct ListingRow {
    id: i64,
    name: String,
    qualification: String,
    status: String,
    main_username: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SecurityRow {
    username: String,
    display_name: String,
    password_hash: String,
    totp_secret: Option<String>,
    totp_pending_secret: Option<String>,
}

/// A user to insert.
pub(super) struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub password_expires_at: Option<Time>,
}

for_each_store! {
    use payout_core::api::AuditEntry;
    use crate::store::rows::AuditRow;

    impl This {
        /// A shop with its two accounts and the default reasons (SPEC §11.1); the caller adds the
        /// rest. Used by the operators' `shop create` and by the demo data.
        pub(in crate::store) async fn insert_shop(
            conn: &mut Conn,
            name: &str,
            qualification: Qualification,
            status: ShopStatus,
            selected: AccountKind,
        ) -> Result<i64, StoreError> {
            let shop_id: i64 = sqlx::query_scalar(
                "INSERT INTO shops (name, qualification, status, selected_source_account) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(name)
            .bind(qualification.as_str())
            .bind(status.as_str())
            .bind(selected.as_str())
            .fetch_one(&mut *conn)
            .await?;
            for (position, (zh, en, payout_type, template)) in (1_i64..).zip(DEFAULT_REASONS) {
                sqlx::query(
                    "INSERT INTO reasons (shop_id, name_zh, name_en, payout_type, buyer_message_template, position) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(shop_id)
                .bind(zh)
                .bind(en)
                .bind(payout_type.as_str())
                .bind(Some(template).filter(|t| !t.is_empty()))
                .bind(position)
                .execute(&mut *conn)
                .await?;
            }
            Ok(shop_id)
        }

        /// Inserts an account; `None` when the username is taken in the deployment.
        pub(in crate::store) async fn insert_user(conn: &mut Conn, shop_id: i64, u: &NewUser<'_>, now: Time) -> Result<Option<i64>, StoreError> {
            Ok(sqlx::query_scalar(
                "INSERT INTO users (shop_id, username, display_name, role, password_hash, password_expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING RETURNING id",
            )
            .bind(shop_id)
            .bind(u.username)
            .bind(u.display_name)
            .bind(u.role.as_str())
            .bind(u.password_hash)
            .bind(u.password_expires_at.map(Time::unix_millis))
            .bind(now.unix_millis())
            .fetch_optional(&mut *conn)
            .await?)
        }

        /// Ends a user's sessions, all of them or all but `keep`.
        async fn end_sessions(conn: &mut Conn, shop_id: i64, user_id: i64, keep: Option<&str>) -> Result<u64, StoreError> {
            Ok(sqlx::query("DELETE FROM sessions WHERE shop_id = $1 AND user_id = $2 AND token_hash <> $3")
                .bind(shop_id)
                .bind(user_id)
                .bind(keep.unwrap_or(""))
                .execute(&mut *conn)
                .await?
                .rows_affected())
        }

        async fn sub_account_view(conn: &mut Conn, shop_id: i64, id: i64) -> Result<Option<SubAccountView>, StoreError> {
            Ok(sqlx::query_as::<_, SubAccountRow>(select_sub_accounts!("AND id = $2")).bind(shop_id).bind(id).fetch_optional(conn).await?.map(SubAccountView::from))
        }
    }

    #[async_trait]
    impl PeopleStore for This {
        async fn shop_create(&self, shop: &NewShop<'_>, now: Time) -> Result<Created<(i64, i64)>, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            // Both accounts at 0.00; custody opens with its first top-up, the aggregate account as
            // the platform says.
            let selected = if shop.qualification.may_use(AccountKind::Aggregate) && shop.aggregate_opened {
                AccountKind::Aggregate
            } else {
                AccountKind::Custody
            };
            let shop_id = This::insert_shop(&mut tx, shop.name, shop.qualification, ShopStatus::Active, selected).await?;
            for (kind, opened) in [(AccountKind::Aggregate, shop.aggregate_opened), (AccountKind::Custody, false)] {
                sqlx::query("INSERT INTO accounts (shop_id, kind, opened, balance_fen, frozen_fen) VALUES ($1, $2, $3, 0, 0)")
                    .bind(shop_id)
                    .bind(kind.as_str())
                    .bind(opened)
                    .execute(&mut *tx)
                    .await?;
            }
            let main = NewUser {
                username: shop.main_username,
                display_name: shop.main_display_name,
                role: Role::Main,
                password_hash: &shop.password.hash,
                password_expires_at: shop.password.expires_at,
            };
            let Some(user_id) = This::insert_user(&mut tx, shop_id, &main, now).await? else {
                return tx.finish(Created::UsernameTaken).await;
            };
            let detail = format!("{} · {} · main account {}", shop.name, shop.qualification.as_str(), shop.main_username);
            let target = format!("shop:{shop_id}");
            let audit = Audit { shop_id, at: now, actor: "operator", action: "shop.created", target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(Created::Created((shop_id, user_id)))
        }

        async fn shops_list(&self) -> Result<Vec<ShopListing>, StoreError> {
            let rows = sqlx::query_as::<_, ListingRow>(
                "SELECT s.id, s.name, s.qualification, s.status, \
                        (SELECT u.username FROM users u WHERE u.shop_id = s.id AND u.role = 'main' ORDER BY u.id LIMIT 1) AS main_username \
                 FROM shops s ORDER BY s.id",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(ShopListing {
                        id: r.id,
                        name: r.name,
                        qualification: named(&r.qualification, Qualification::parse)?,
                        status: named(&r.status, ShopStatus::parse)?,
                        main_username: r.main_username.unwrap_or_default(),
                    })
                })
                .collect()
        }

        async fn shop_set_status(&self, shop_id: i64, status: ShopStatus, now: Time) -> Result<Option<()>, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
            let changed = sqlx::query("UPDATE shops SET status = $1 WHERE id = $2")
                .bind(status.as_str())
                .bind(shop_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return tx.finish(None).await;
            }
            let target = format!("shop:{shop_id}");
            let audit = Audit { shop_id, at: now, actor: "operator", action: "shop.status_set", target: &target, detail: status.as_str() };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(Some(()))
        }

        async fn user_by_username(&self, username: &str) -> Result<Option<UserRef>, StoreError> {
            let row: Option<(i64, i64, String)> =
                sqlx::query_as("SELECT shop_id, id, username FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(row.map(|(shop_id, user_id, username)| UserRef { shop_id, user_id, username }))
        }

        async fn sub_accounts(&self, shop_id: i64) -> Result<Vec<SubAccountView>, StoreError> {
            let rows = sqlx::query_as::<_, SubAccountRow>(select_sub_accounts!("ORDER BY active DESC, id")).bind(shop_id).fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(SubAccountView::from).collect())
        }

        async fn sub_account_create(
            &self,
            shop_id: i64,
            by: By<'_>,
            username: &str,
            display_name: &str,
            password: &NewPassword,
            now: Time,
        ) -> Result<Created<SubAccountView>, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
            let user = NewUser {
                username,
                display_name,
                role: Role::Sub,
                password_hash: &password.hash,
                password_expires_at: password.expires_at,
            };
            let Some(id) = This::insert_user(&mut tx, shop_id, &user, now).await? else {
                return tx.finish(Created::UsernameTaken).await;
            };
            let target = format!("user:{id}");
            let detail = format!("{username} · {display_name}");
            let actor = by.name();
            let audit = Audit { shop_id, at: now, actor: &actor, action: "sub_account.created", target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            let view = This::sub_account_view(&mut tx, shop_id, id).await?.ok_or_else(|| StoreError::Corrupt("new sub-account not found".into()))?;
            tx.commit().await?;
            Ok(Created::Created(view))
        }

        async fn sub_account_update(
            &self,
            shop_id: i64,
            by: By<'_>,
            id: i64,
            display_name: Option<&str>,
            active: Option<bool>,
            now: Time,
        ) -> Result<Option<SubAccountView>, StoreError> {
            let mut tx = self.begin_write(Lock::Shop(shop_id)).await?;
            let Some(old) = This::sub_account_view(&mut tx, shop_id, id).await? else {
                return tx.finish(None).await;
            };
            let name = display_name.unwrap_or(&old.display_name);
            let active = active.unwrap_or(old.active);
            sqlx::query("UPDATE users SET display_name = $1, active = $2 WHERE shop_id = $3 AND id = $4")
                .bind(name)
                .bind(active)
                .bind(shop_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if !active {
                // D9: a deactivated account's sessions end at once, on every server.
                This::end_sessions(&mut tx, shop_id, id, None).await?;
            }
            let target = format!("user:{id}");
            let detail = format!(
                "display name {} → {} · {} → {}",
                old.display_name,
                name,
                if old.active { "active" } else { "inactive" },
                if active { "active" } else { "inactive" }
            );
            let actor = by.name();
            let action = match (old.active, active) {
                (true, false) => "sub_account.deactivated",
                (false, true) => "sub_account.reactivated",
                _ => "sub_account.updated",
            };
            let audit = Audit { shop_id, at: now, actor: &actor, action, target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            let view = This::sub_account_view(&mut tx, shop_id, id).await?;
            tx.commit().await?;
            Ok(view)
        }

        async fn password_set(
            &self,
            shop_id: i64,
            user_id: i64,
            by: By<'_>,
            password: &NewPassword,
            keep: Option<&str>,
            now: Time,
        ) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let one_time = password.expires_at.is_some();
            sqlx::query(
                "UPDATE users SET password_hash = $1, password_expires_at = $2, \
                        totp_secret = CASE WHEN $3 THEN NULL ELSE totp_secret END, \
                        totp_pending_secret = NULL \
                 WHERE shop_id = $4 AND id = $5",
            )
            .bind(&password.hash)
            .bind(password.expires_at.map(Time::unix_millis))
            .bind(one_time)
            .bind(shop_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            if one_time {
                sqlx::query("DELETE FROM recovery_codes WHERE shop_id = $1 AND user_id = $2")
                    .bind(shop_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let ended = This::end_sessions(&mut tx, shop_id, user_id, keep).await?;
            let target = format!("user:{user_id}");
            let (action, detail) = if one_time {
                ("user.password_reset", format!("one-time password issued; {ended} sessions ended; two-step verification off"))
            } else {
                ("user.password_changed", format!("{ended} other sessions ended"))
            };
            let actor = by.name();
            let audit = Audit { shop_id, at: now, actor: &actor, action, target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn security(&self, shop_id: i64, user_id: i64) -> Result<Option<Security>, StoreError> {
            let row = sqlx::query_as::<_, SecurityRow>(
                "SELECT username, display_name, password_hash, totp_secret, totp_pending_secret FROM users WHERE shop_id = $1 AND id = $2",
            )
            .bind(shop_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|r| Security {
                username: r.username,
                display_name: r.display_name,
                password_hash: r.password_hash,
                totp_secret: r.totp_secret,
                totp_pending_secret: r.totp_pending_secret,
            }))
        }

        async fn two_factor_begin(&self, shop_id: i64, user_id: i64, secret: &str) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE shop_id = $2 AND id = $3")
                .bind(secret)
                .bind(shop_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn two_factor_confirm(&self, shop_id: i64, user_id: i64, step: i64, recovery_hashes: &[String], now: Time) -> Result<bool, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let turned_on = sqlx::query(
                "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $1 \
                 WHERE shop_id = $2 AND id = $3 AND totp_pending_secret IS NOT NULL",
            )
            .bind(step)
            .bind(shop_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if turned_on == 0 {
                return tx.finish(false).await;
            }
            sqlx::query("DELETE FROM recovery_codes WHERE shop_id = $1 AND user_id = $2")
                .bind(shop_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for hash in recovery_hashes {
                sqlx::query("INSERT INTO recovery_codes (shop_id, user_id, code_hash) VALUES ($1, $2, $3)")
                    .bind(shop_id)
                    .bind(user_id)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
            }
            let target = format!("user:{user_id}");
            let audit = Audit { shop_id, at: now, actor: &user_actor(&mut tx, shop_id, user_id).await?, action: "user.two_factor_on", target: &target, detail: "" };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(true)
        }

        async fn two_factor_disable(&self, shop_id: i64, user_id: i64, keep: &str, now: Time) -> Result<(), StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            sqlx::query(
                "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE shop_id = $1 AND id = $2",
            )
            .bind(shop_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE shop_id = $1 AND user_id = $2")
                .bind(shop_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let ended = This::end_sessions(&mut tx, shop_id, user_id, Some(keep)).await?;
            let target = format!("user:{user_id}");
            let detail = format!("{ended} other sessions ended");
            let audit = Audit { shop_id, at: now, actor: &user_actor(&mut tx, shop_id, user_id).await?, action: "user.two_factor_off", target: &target, detail: &detail };
            This::audit(&mut tx, audit).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn totp_step_use(&self, shop_id: i64, user_id: i64, step: i64) -> Result<bool, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let used = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE shop_id = $2 AND id = $3 \
                 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(shop_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(used == 1)
        }

        async fn recovery_code_use(&self, shop_id: i64, user_id: i64, hash: &str, now: Time) -> Result<bool, StoreError> {
            let mut tx = self.begin_write(Lock::Rows).await?;
            let used = sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 WHERE shop_id = $2 AND user_id = $3 AND code_hash = $4 AND used_at IS NULL",
            )
            .bind(now.unix_millis())
            .bind(shop_id)
            .bind(user_id)
            .bind(hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(used == 1)
        }

        async fn audit_of(&self, shop_id: i64, target: &str) -> Result<Vec<AuditEntry>, StoreError> {
            let rows = sqlx::query_as::<_, AuditRow>(
                "SELECT id, at, actor, action, target, detail FROM audit_log WHERE shop_id = $1 AND target = $2 ORDER BY id",
            )
            .bind(shop_id)
            .bind(target)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        }
    }

    /// The username of a user, as audit rows of their own changes name them.
    async fn user_actor(conn: &mut Conn, shop_id: i64, user_id: i64) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("SELECT username FROM users WHERE shop_id = $1 AND id = $2")
            .bind(shop_id)
            .bind(user_id)
            .fetch_one(conn)
            .await?)
    }
}
