//! API tests: the real server over real HTTP on a fresh SQLite file per test.
mod authz;
mod bad_input;
mod concurrency;
mod hardening;
mod health;
mod helpers;
mod idempotency;
mod operation;
mod process;
mod records;
mod restart;
mod rules;
mod sessions;
mod settings;
