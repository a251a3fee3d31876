//! Entry point of the SPA: install the panic hook, mount the app.

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    console_error_panic_hook::set_once();
    // Mounted in a task of its own, not in the one that instantiated the wasm: two shorter tasks
    // keep a slow phone's main thread answering input (Lighthouse's Total Blocking Time).
    let mount = Closure::once_into_js(|| {
        // index.html's skeleton or sign-in form stood in while the app loaded.
        payout_console::boot::take_over();
        leptos::mount::mount_to_body(payout_console::App);
    });
    let _ = leptos::prelude::window().set_timeout_with_callback(mount.unchecked_ref());
}

/// The SPA runs only in the browser; on the host this binary exists so the workspace builds.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("payout-console is a browser app: build it with `trunk build` (see README.md)");
}
