// `sqlx::migrate!` embeds the migrations at compile time; without this, a new migration file
// does not rebuild the crate on stable Rust (as sqlx's documentation advises).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
