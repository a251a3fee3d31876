//! One module per screen of SPEC §6.
pub mod workbench;
