//! Entry point of the SPA: install the panic hook, mount the app.
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(payout_console::App);
}
