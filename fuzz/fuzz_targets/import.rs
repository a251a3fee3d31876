//! The order file's parser (SPEC §12.3) on arbitrary bytes: it never panics, and any file it accepts
//! round-trips through the export format — the orders written out and read back are the same
//! orders, none refused.

#![no_main]

use libfuzzer_sys::fuzz_target;
use payout_core::import::{export_orders, import_bytes};

fuzz_target!(|bytes: &[u8]| {
    let Ok((orders, _rejected)) = import_bytes(bytes) else { return };
    if orders.is_empty() {
        return;
    }
    let written = export_orders(&orders);
    let (again, refused) = import_bytes(&written).expect("an exported file is an order file");
    assert!(refused.is_empty(), "the export of accepted orders was refused: {refused:?}");
    assert_eq!(again, orders, "the orders changed through the export format");
});
