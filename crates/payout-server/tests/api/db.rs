//! The store a test runs against. One suite, two stores: by default each test gets a fresh
//! SQLite file; with `PAYOUT_TEST_STORE=postgres` each test gets a fresh database on the
//! PostgreSQL server at `PAYOUT_TEST_DATABASE_URL` (scripts/test.sh starts one and runs the
//! suite both ways).

use std::path::{Path, PathBuf};
use std::time::Duration;

use payout_server::config::Config;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

#[derive(Clone, Debug)]
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres(String),
}

/// True when this run is on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("PAYOUT_TEST_STORE").is_ok_and(|s| s == "postgres")
}

impl TestDb {
    /// A new, empty database for one test (`dir` holds the SQLite file).
    pub async fn fresh(dir: &Path) -> TestDb {
        if !on_postgres() {
            return TestDb::Sqlite(dir.join("payout.sqlite"));
        }
        let admin = std::env::var("PAYOUT_TEST_DATABASE_URL")
            .expect("PAYOUT_TEST_STORE=postgres needs PAYOUT_TEST_DATABASE_URL (postgres://… of a server)");
        let name = format!("test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the test PostgreSQL");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin.rsplit_once('/').expect("a database URL ends in /DB");
        TestDb::Postgres(format!("{base}/{name}"))
    }

    /// The database a configuration points at.
    pub fn of(config: &Config) -> TestDb {
        match &config.store.database_url {
            Some(url) => TestDb::Postgres(url.clone()),
            None => TestDb::Sqlite(config.store.db.clone()),
        }
    }

    /// Points a server's configuration at this database.
    pub fn configure(&self, config: &mut Config) {
        match self {
            TestDb::Sqlite(path) => config.store.db = path.clone(),
            TestDb::Postgres(url) => config.store.database_url = Some(url.clone()),
        }
    }

    /// The same, as the binary's command-line arguments.
    pub fn args(&self) -> Vec<String> {
        match self {
            TestDb::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
            TestDb::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }

    /// Runs one statement (arranging state no API offers, e.g. a small balance).
    pub async fn execute(&self, statement: &str) {
        let statement = AssertSqlSafe(statement.to_owned());
        match self {
            TestDb::Sqlite(path) => {
                let mut conn = sqlite(path).await;
                sqlx::query(statement).execute(&mut conn).await.unwrap();
            }
            TestDb::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(statement).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    /// One integer (NULL as 0) from a fresh connection, so it sees every commit.
    pub async fn scalar(&self, query: &str) -> i64 {
        // PostgreSQL's SUM of BIGINT is NUMERIC: cast, the same way on both stores.
        let query = AssertSqlSafe(format!("SELECT CAST(({query}) AS BIGINT)"));
        let value: Option<i64> = match self {
            TestDb::Sqlite(path) => {
                sqlx::query_scalar(query).fetch_one(&mut sqlite(path).await).await.unwrap()
            }
            TestDb::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                let value = sqlx::query_scalar(query).fetch_one(&mut conn).await.unwrap();
                conn.close().await.unwrap();
                value
            }
        };
        value.unwrap_or(0)
    }

    /// PostgreSQL sessions of the servers idle inside a transaction right now (none on SQLite).
    pub async fn sessions_idle_in_transaction(&self) -> i64 {
        match self {
            TestDb::Sqlite(_) => 0,
            TestDb::Postgres(_) => {
                self.scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = 'payout-server' AND state LIKE 'idle in transaction%'",
                )
                .await
            }
        }
    }

    /// Nothing is left inside a transaction: SQLite's write lock is free at once, or no
    /// PostgreSQL session of the servers sits `idle in transaction` or holds a lock.
    pub async fn no_transaction_left_open(&self) -> Result<(), String> {
        match self {
            TestDb::Sqlite(path) => {
                let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(3))
                    .connect()
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await.map_err(|e| e.to_string())?;
                sqlx::query("ROLLBACK").execute(&mut conn).await.map_err(|e| e.to_string())?;
                Ok(())
            }
            TestDb::Postgres(_) => {
                // A transaction may be between two statements for a moment; one that stays open
                // for seconds was left behind.
                let mut left = 0;
                for _ in 0..30 {
                    left = self
                        .scalar(
                            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                             AND application_name = 'payout-server' AND xact_start < now() - interval '2 seconds'",
                        )
                        .await;
                    if left == 0 {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(format!("{left} server sessions stayed inside a transaction"))
            }
        }
    }
}

async fn sqlite(path: &Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::new().filename(path).connect().await.unwrap()
}
