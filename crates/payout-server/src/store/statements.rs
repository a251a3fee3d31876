//! Running a statement on whichever connection holds the transaction: sqlx's (both stores) or the
//! SQLite single writer's rusqlite connection. What is written once over [`Statements`] — the
//! facts a payout is checked against and the steps of creating it (`payouts.rs`) — is then the
//! same code, the same statements in the same order, on every path: nothing can drift between
//! PostgreSQL, SQLite's readers and SQLite's writer.
//!
//! Statements use `$N` placeholders, each first appearing in ascending order, so sqlx binds them
//! by number and rusqlite by position alike.

use rusqlite::types::{ToSql, ToSqlOutput};

use super::StoreError;

/// One bound parameter.
#[derive(Clone, Copy, Debug)]
pub(super) enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::OptText(v)
    }
}

/// `args![a, b, …]`: the parameters of a statement, each converted to an [`Arg`].
macro_rules! args {
    ($($arg:expr),* $(,)?) => { [$($crate::store::statements::Arg::from($arg)),*] };
}
pub(super) use args;

/// A row type both drivers decode by column name: `row!` (rows.rs) implements it.
pub(super) trait Decoded:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
    + Sized
{
    fn from_sql_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// The statements a transaction runs, on either driver.
pub(super) trait Statements {
    async fn optional<R: Decoded>(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<R>, StoreError>;
    async fn all<R: Decoded>(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Vec<R>, StoreError>;
    /// The first column of the one row the statement returns.
    async fn scalar(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, StoreError>;
    /// Rows changed.
    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError>;

    /// The one row the statement must return.
    async fn one<R: Decoded>(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<R, StoreError> {
        self.optional(sql, args).await?.ok_or_else(|| StoreError::Database(format!("no row: {sql}")))
    }
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::Int(v) => v.to_sql(),
            Arg::OptInt(v) => v.to_sql(),
            Arg::Text(v) => v.to_sql(),
            Arg::OptText(v) => v.to_sql(),
        }
    }
}

/// The SQLite single writer's connection (a savepoint of its batch). Its statements run at once on
/// the calling thread; the futures only carry the shared code.
pub(super) struct Rusqlite<'c>(pub &'c rusqlite::Connection);

impl Statements for Rusqlite<'_> {
    async fn optional<R: Decoded>(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<R>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .0
            .prepare_cached(sql)?
            .query_row(rusqlite::params_from_iter(args), R::from_sql_row)
            .optional()?)
    }

    async fn all<R: Decoded>(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Vec<R>, StoreError> {
        let mut statement = self.0.prepare_cached(sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(args), R::from_sql_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    async fn scalar(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, StoreError> {
        Ok(self.0.prepare_cached(sql)?.query_row(rusqlite::params_from_iter(args), |row| row.get(0))?)
    }

    async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let changed = self.0.prepare_cached(sql)?.execute(rusqlite::params_from_iter(args))?;
        Ok(changed as u64)
    }
}

for_each_store! {
    use super::{Arg, Decoded, Statements};

    /// Binds `args` to a sqlx query of this driver, in order.
    macro_rules! bound {
        ($query:expr, $args:expr) => {{
            let mut q = $query;
            for arg in $args {
                q = match *arg {
                    Arg::Int(v) => q.bind(v),
                    Arg::OptInt(v) => q.bind(v),
                    Arg::Text(v) => q.bind(v),
                    Arg::OptText(v) => q.bind(v),
                };
            }
            q
        }};
    }

    impl Statements for Conn {
        async fn optional<R: Decoded>(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Option<R>, StoreError> {
            Ok(bound!(sqlx::query_as::<Db, R>(sql), args).fetch_optional(&mut *self).await?)
        }

        async fn all<R: Decoded>(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<Vec<R>, StoreError> {
            Ok(bound!(sqlx::query_as::<Db, R>(sql), args).fetch_all(&mut *self).await?)
        }

        async fn scalar(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<i64, StoreError> {
            Ok(bound!(sqlx::query_scalar::<Db, i64>(sql), args).fetch_one(&mut *self).await?)
        }

        async fn execute(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
            Ok(bound!(sqlx::query::<Db>(sql), args).execute(&mut *self).await?.rows_affected())
        }
    }
}
