//! The harness every integration test uses: `TestApp` serves the real router on port 0
//! against a database of its own, dropped afterwards.

mod database;

use std::future::Future;
use std::net::SocketAddr;

use app::state::AppState;
use sea_orm::DatabaseConnection;
use vigil_server::{Config, leptos_options, open_database, router};

pub use database::{Backend, TestDatabase};

/// Emits each named `async fn(TestApp)` as two tests: `name::sqlite` and `name::postgres`.
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::support::run(super::$name, crate::support::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::support::run(super::$name, crate::support::Backend::Postgres).await;
            }
        }
    )+};
}

/// Runs `test` against a fresh app on `backend` (skipped loudly, outside CI, when
/// PostgreSQL is unreachable).
pub async fn run<F, Fut>(test: F, backend: Backend)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = TestApp::spawn(backend).await {
        test(app).await;
    }
}

/// A running Vigil on a fresh database.
pub struct TestApp {
    pub addr: SocketAddr,
    /// HTTP client that keeps cookies and does not follow redirects.
    pub client: reqwest::Client,
    /// The same pool the server uses.
    pub db: DatabaseConnection,
    pub backend: Backend,
    /// Owns the database; dropping the app drops it.
    _database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        init_tracing();
        let database = TestDatabase::create(backend).await?;
        let db = open_database(&database.url)
            .await
            .expect("migrations apply to a fresh database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Config {
            database_url: database.url.clone(),
            listen: addr,
            site_root: std::env::temp_dir(),
        };
        let state = AppState {
            leptos_options: leptos_options(&config),
            db: db.clone(),
        };
        let app = router(state);
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("test server runs");
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Some(Self {
            addr,
            client,
            db,
            backend,
            _database: database,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET is answered")
    }

    /// Calls a server function the way the hydrated client does (URL-encoded body, JSON back).
    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("server function is answered")
    }
}

fn init_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
                .with_test_writer()
                .try_init();
        }
    });
}
