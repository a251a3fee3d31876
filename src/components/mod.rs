//! Reusable widgets.
pub mod amount_field;
