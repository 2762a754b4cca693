//! A webhook receiver on a free port that keeps what it is sent and answers with a
//! status the test can change.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;

/// What a receiver got: headers and body of each request.
pub type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on a free port answering with `status` (changeable).
pub async fn receiver(status: u16) -> (String, Received, Arc<AtomicU16>) {
    let received: Received = Arc::default();
    let answer = Arc::new(AtomicU16::new(status));
    let (log, code) = (received.clone(), answer.clone());
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (log, code) = (log.clone(), code.clone());
            async move {
                log.lock().unwrap().push((headers, body));
                axum::http::StatusCode::from_u16(code.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, received, answer)
}
