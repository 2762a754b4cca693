//! The fastest answer this machine's HTTP stack can give: one route, no middleware.
//! `make bench` runs it beside Vigil and reports Vigil's throughput as a ratio of this.
//!
//! Usage: `hello 127.0.0.1:4000`.

use axum::{Router, routing::get};

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4000".to_owned());
    let app = Router::new().route("/", get(|| async { "Hello, world!" }));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
    axum::serve(listener, app).await.expect("the server runs");
}
