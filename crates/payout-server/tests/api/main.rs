//! API tests: the real server over real HTTP on a fresh SQLite file per test.
mod health;
mod helpers;
