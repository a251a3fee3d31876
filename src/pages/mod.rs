//! One module per screen of SPEC §6 and §11. The main account's screens are in `admin`, built
//! only into the full bundle (the `admin` feature; see `crate::nav`).
pub mod account;
#[cfg(feature = "admin")]
pub mod admin;
pub mod order_detail;
pub mod records;
pub mod sign_in;
pub mod workbench;
