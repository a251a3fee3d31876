//! API tests: the real server over real HTTP on a fresh database per test — SQLite, or with
//! `PAYOUT_TEST_STORE=postgres` PostgreSQL (see `db.rs`).
mod approvals;
mod authz;
mod bad_input;
mod cluster;
mod concurrency;
mod db;
mod hardening;
mod health;
mod helpers;
mod idempotency;
mod notifications;
mod operation;
mod orders;
mod people;
mod process;
mod reasons;
mod records;
mod restart;
mod rules;
mod sessions;
mod settings;
mod statements;
mod webhooks;
