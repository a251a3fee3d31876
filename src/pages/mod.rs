//! One module per screen of SPEC §6 and §11.
pub mod approvals;
pub mod order_detail;
pub mod overview;
pub mod quotas;
pub mod reasons;
pub mod records;
pub mod settings;
pub mod sign_in;
pub mod statements;
pub mod workbench;
