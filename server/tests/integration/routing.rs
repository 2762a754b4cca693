//! Page renders while other routers are being built (as the tests themselves do, one
//! app per test): building the route list once per process keeps a concurrent render
//! from stalling forever (leptos-rs/leptos#4773). Without the fix this stalls within a
//! few dozen requests; the timeout only detects a hang, it measures nothing.

use app::accounts::Role;

use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_routers_are_built() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let responder = app.with_user(Role::Responder).await;
    let reference = app.declared_at(&responder, "Routing", 1).await;
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let builder = tokio::spawn(async move {
        for _ in 0..15 {
            drop(TestApp::spawn(Backend::Sqlite).await.unwrap());
        }
    });
    let mut stalled = 0;
    let path = format!("/incidents/{reference}");
    for _ in 0..60 {
        let render = app.get_with(&viewer, &path);
        match tokio::time::timeout(std::time::Duration::from_secs(5), render).await {
            Ok(page) => assert_eq!(page.status(), 200),
            Err(_) => stalled += 1,
        }
    }
    builder.await.unwrap();
    assert_eq!(stalled, 0, "renders stalled");
}
