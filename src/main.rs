//! Entry point of the SPA: install the panic hook, mount the app.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    // index.html's skeleton or sign-in form stood in while the app loaded.
    payout_console::boot::take_over();
    leptos::mount::mount_to_body(payout_console::App);
}

/// The SPA runs only in the browser; on the host this binary exists so the workspace builds.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("payout-console is a browser app: build it with `trunk build` (see README.md)");
}
