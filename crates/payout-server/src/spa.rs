//! Serves the built SPA: files from `dist/`, and `index.html` for every other path so that deep
//! links such as `/payout?order=…` open the app on that screen. Precompressed `.br` and `.gz`
//! siblings written by `scripts/build.sh` are sent when the browser accepts them.

use std::path::Path;

use tower_http::services::{ServeDir, ServeFile};

pub fn service(dist: &Path) -> ServeDir<ServeFile> {
    ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(ServeFile::new(dist.join("index.html")).precompressed_br().precompressed_gzip())
}
