//! One module per screen of SPEC §6.
pub mod order_detail;
pub mod quotas;
pub mod records;
pub mod settings;
pub mod sign_in;
pub mod workbench;
