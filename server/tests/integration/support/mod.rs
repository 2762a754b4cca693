//! The harness every integration test uses: `TestApp` serves the real router on port 0
//! against a database of its own, dropped afterwards.

pub mod chat;
pub mod database;
pub mod idp;
pub mod receiver;
pub mod served;
pub mod smtp;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use app::accounts::service::users::{self, NewUser};
use app::accounts::{CurrentUser, Role};
use app::audit::service::Actor;
use app::catalog::service::create_service;
use app::incidents::IncidentRef;
use app::incidents::service::declare::Declaration;
use app::incidents::service::query::severities;
use app::workflow::declare_incident;
use sea_orm::DatabaseConnection;
use vigil_server::{Config, app_state, open_database, router};

/// The status page's own host name in every test server (`--status-host`): requests
/// naming it reach only the public status routes.
pub const STATUS_HOST: &str = "status.vigil.test";

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
    /// The chat tools' user APIs the server asks who typed a slash command.
    pub chat: chat::ChatDirectory,
    /// The OpenID provider the server offers single sign-on with.
    pub idp: idp::TestIdp,
    /// The configuration the server was started with.
    pub config: Config,
    /// The statements the server runs, recorded on demand (`statements_during`).
    queries: Arc<QueryLog>,
    /// Owns the database; dropping the app drops it.
    _database: TestDatabase,
}

impl TestApp {
    /// A new person with `role`, as the services take them.
    pub async fn with_user(&self, role: Role) -> CurrentUser {
        let user = self.create_user(role).await;
        let model = users::find_by_email(&self.db, &user.email)
            .await
            .unwrap()
            .unwrap();
        users::to_current(&model)
    }

    /// An incident declared by `actor` at SEV2, on a new service.
    pub async fn declared(&self, actor: &CurrentUser, title: &str) -> IncidentRef {
        self.declared_at(actor, title, 1).await
    }

    /// Declares at the severity in `position` (0 = SEV1); SEV1 and SEV2 require a
    /// postmortem.
    pub async fn declared_at(
        &self,
        actor: &CurrentUser,
        title: &str,
        position: usize,
    ) -> IncidentRef {
        let service = create_service(
            &self.db,
            &format!("svc {}", uuid::Uuid::new_v4().simple()),
            Some("SRE"),
        )
        .await
        .unwrap();
        let severity_id = severities(&self.db).await.unwrap()[position].id;
        declare_incident(
            &self.db,
            actor,
            Declaration {
                title: title.into(),
                severity_id: Some(severity_id),
                service_ids: vec![service.id],
                ..Default::default()
            },
        )
        .await
        .unwrap()
    }

    pub async fn spawn(backend: Backend) -> Option<Self> {
        init_tracing();
        let database = TestDatabase::create(backend).await?;
        let db = open_database(&database.url)
            .await
            .expect("migrations apply to a fresh database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config::new(database.url.clone(), addr);
        config.status_host = Some(STATUS_HOST.into());
        // The subscribe form offers email; tests send through a sink of their own.
        config.smtp_url = Some("smtp://127.0.0.1:9".into());
        let directory = chat::ChatDirectory::start().await;
        config.chat = vigil_server::chat_hooks::ChatConfig {
            slack_signing_secret: Some(chat::SLACK_SECRET.into()),
            slack_bot_token: Some(chat::SLACK_BOT_TOKEN.into()),
            slack_api_url: format!("{}/api", directory.url),
            mattermost_url: Some(directory.url.clone()),
            mattermost_command_token: Some(chat::MATTERMOST_TOKEN.into()),
            mattermost_bot_token: Some(chat::MATTERMOST_BOT_TOKEN.into()),
        };
        let provider = idp::TestIdp::start().await;
        config.sso = app::accounts::sso::SsoConfig {
            providers: vec![sso_provider(&provider)],
            passwords: Default::default(),
        };
        let queries = Arc::new(QueryLog::default());
        // The server's handle records; the test's own `db` does not.
        let mut served = db.clone();
        let log = queries.clone();
        served.set_metric_callback(move |info| log.record(&info.statement.sql));
        serve(listener, router(app_state(&config, served), &config));
        let client = new_client();
        Some(Self {
            addr,
            client,
            db,
            backend,
            chat: directory,
            idp: provider,
            config,
            queries,
            _database: database,
        })
    }

    /// A second server on the same database, with its configuration changed: its base
    /// URL.
    pub async fn another_server(&self, change: impl FnOnce(&mut Config)) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = self.config.clone();
        config.listen = addr;
        config.public_url = format!("http://{addr}");
        change(&mut config);
        serve(
            listener,
            router(app_state(&config, self.db.clone()), &config),
        );
        format!("http://{addr}")
    }

    /// The database's URL, for a connection of the test's own.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// Runs `work` and returns its output with the SQL the server ran meanwhile.
    pub async fn statements_during<F: Future>(&self, work: F) -> (F::Output, Vec<String>) {
        self.queries.statements.lock().unwrap().clear();
        self.queries.recording.store(true, Ordering::SeqCst);
        let out = work.await;
        self.queries.recording.store(false, Ordering::SeqCst);
        let statements = std::mem::take(&mut *self.queries.statements.lock().unwrap());
        (out, statements)
    }

    /// Creates a user with `role` directly through the service layer.
    pub async fn create_user(&self, role: Role) -> TestUser {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let user = TestUser {
            email: format!("{}-{}@example.com", role.as_str(), &n[..8]),
            password: format!("pw-{n}"),
            name: format!("{} {}", role.label(), &n[..4]),
        };
        let new =
            NewUser::parse(&user.email, &user.name, &user.password, role).expect("valid user");
        users::create(&self.db, new, &Actor::default())
            .await
            .expect("user is created");
        user
    }

    /// A fresh client (its own cookie jar) signed in as a new user with `role`.
    pub async fn signed_in(&self, role: Role) -> (reqwest::Client, TestUser) {
        let user = self.create_user(role).await;
        let client = new_client();
        let res = self
            .sign_in_with(&client, &user.email, &user.password)
            .await;
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        (client, user)
    }

    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/rpc/sign_in"))
            .header("accept", "application/json")
            .form(&[("email", email), ("password", password), ("next", "")])
            .send()
            .await
            .expect("sign_in is answered")
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("GET is answered")
    }

    pub async fn call_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("server function is answered")
    }

    /// Posts `form` as a browser without JavaScript does, from the page at `from`, and
    /// reads the page the answer's redirect leads back to (a refusal rides in its URL).
    pub async fn post_without_js(
        &self,
        client: &reqwest::Client,
        path: &str,
        from: &str,
        form: &[(&str, &str)],
    ) -> String {
        let res = client
            .post(self.url(path))
            .header("accept", "text/html")
            .header("referer", self.url(from))
            .form(form)
            .send()
            .await
            .expect("form post is answered");
        assert!(
            res.status().is_redirection(),
            "a form post is answered with a redirect"
        );
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        // A refusal goes back to the referrer, as sent (absolute); a success to a path.
        let url = match location.starts_with("http") {
            true => location.clone(),
            false => self.url(&location),
        };
        let page = client.get(url).send().await.expect("GET is answered");
        assert_eq!(page.status(), 200, "{location}");
        page.text().await.unwrap()
    }

    /// The part of `html` from the first `start` to the next `end` after it.
    pub fn part<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
        let from = html
            .find(start)
            .unwrap_or_else(|| panic!("{start} in the page"));
        let rest = &html[from..];
        let to = rest[start.len()..]
            .find(end)
            .map_or(rest.len(), |i| i + start.len());
        &rest[..to]
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

/// Serves `app` on `listener` for the rest of the test.
fn serve(listener: tokio::net::TcpListener, app: axum::Router) {
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("test server runs");
    });
}

/// The test provider as the server is configured with it: groups map to roles.
pub fn sso_provider(idp: &idp::TestIdp) -> app::accounts::sso::ProviderConfig {
    let mut provider = app::accounts::sso::ProviderConfig::new(
        idp::PROVIDER,
        "Test ID",
        &idp.issuer,
        idp::CLIENT_ID,
    );
    provider.client_secret = Some(idp::CLIENT_SECRET.into());
    provider.roles =
        app::accounts::sso::parse_roles("vigil-admins=admin,vigil-responders=responder").unwrap();
    provider
}

/// SQL statements the server ran while recording was on.
#[derive(Default)]
struct QueryLog {
    recording: AtomicBool,
    statements: Mutex<Vec<String>>,
}

impl QueryLog {
    fn record(&self, sql: &str) {
        if self.recording.load(Ordering::SeqCst) {
            self.statements.lock().unwrap().push(sql.to_owned());
        }
    }
}

/// Credentials of a user made by [`TestApp::create_user`].
#[derive(Debug, Clone)]
pub struct TestUser {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// A client that keeps cookies and does not follow redirects.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A stuck request fails its test instead of stalling the whole run.
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
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
