//! API tests: the real server over real HTTP on a fresh SQLite file per test.
mod authz;
mod bad_input;
mod concurrency;
mod health;
mod helpers;
mod idempotency;
mod records;
mod restart;
mod rules;
mod sessions;
mod settings;
