//! Reusable widgets (two of them only for the main account's screens, in the full bundle).
pub mod account_choice;
pub mod amount_field;
pub mod button;
pub mod copy;
#[cfg(feature = "admin")] // the overview's
pub mod day_chart;
pub mod dialog;
pub mod feedback;
pub mod field;
pub mod lang_switch;
pub mod meter;
pub mod order_summary;
pub mod pager;
pub mod payout_dialog;
pub mod payout_info;
pub mod payout_table;
pub mod status_badge;
#[cfg(feature = "admin")] // the quotas', settings' and reasons' switches
pub mod switch;
