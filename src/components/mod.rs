//! Reusable widgets.
pub mod amount_field;
pub mod dialog;
pub mod feedback;
pub mod lang_switch;
pub mod meter;
pub mod payout_dialog;
pub mod status_badge;
