//! Test support. [`TestApp::spawn`] starts the real router on `127.0.0.1:0` with a fresh
//! database (a temporary SQLite file, or a new PostgreSQL database when
//! `GRADPHOTO_TEST_DATABASE_URL` is set and the test asks for it), the worker off so
//! tests drain jobs explicitly. [`Client`] keeps cookies and adds the CSRF token to forms
//! like a browser page would.

pub mod fakes;

use std::net::SocketAddr;
use std::sync::Arc;

use gradphoto_app::App;
use gradphoto_app::config::Config;
use reqwest::cookie::{CookieStore, Jar};

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends to run a test on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if pg_admin_url().is_some() {
        v.push(Backend::Postgres);
    } else {
        eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set");
    }
    v
}

fn pg_admin_url() -> Option<String> {
    std::env::var("GRADPHOTO_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Creates a new, empty PostgreSQL database and returns its URL.
pub async fn fresh_postgres_url() -> Option<String> {
    use sqlx::Connection;
    let admin = pg_admin_url()?;
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "gp_t_{}_{}_{}",
        std::process::id(),
        gradphoto_db::now_ms(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to GRADPHOTO_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create test database");
    let _ = c.close().await;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    Some(format!("{base}/{name}"))
}

/// A configuration for tests: data in a temp dir, throwaway key, plain-http cookies, the
/// in-process worker off.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut c = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    c.security.allow_generated_key = true;
    c.security.cookie_secure = false;
    c.worker.enabled = false;
    c.storage.kind = "memory".into();
    c.registry.host = true;
    // Fresh keys, written into the configuration so a second server beside this one
    // ([`TestApp::spawn_beside`]) opens the same data.
    let key = || gradphoto_app::pii::generate_key().expect("random key");
    c.security.pii_key = secrecy::SecretString::from(key());
    c.registry.master_key = secrecy::SecretString::from(key());
    c
}

/// The app serving on a random loopback port.
pub struct TestApp {
    pub app: App,
    pub addr: SocketAddr,
    pub url: String,
    pub backend: Backend,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_on(Backend::Sqlite, |_| {}).await
    }

    /// Starts the app on a backend, after `tweak` adjusts the configuration.
    pub async fn spawn_on(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        if backend == Backend::Postgres {
            config.database.url = fresh_postgres_url()
                .await
                .expect("GRADPHOTO_TEST_DATABASE_URL");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The agency side reaches the hosted registry over HTTP, on this port.
        config.listen = addr.to_string();
        tweak(&mut config);
        let app = App::start(config).await.expect("app starts");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        tokio::spawn(async move {
            let _ = gradphoto_web::serve(served, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            app,
            addr,
            url: format!("http://{addr}"),
            backend,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// A second server beside this one, as a second process behind a load balancer: the
    /// same database, data directory (so the same keys) and configuration, but its own
    /// connection pools, memos and port.
    pub async fn spawn_beside(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = (*self.app.config).clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.listen = addr.to_string();
        let app = App::start(config).await.expect("second app starts");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        tokio::spawn(async move {
            let _ = gradphoto_web::serve(served, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            app,
            addr,
            url: format!("http://{addr}"),
            backend: self.backend,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// Stops serving HTTP, as a server that went down: the app and its database stay.
    pub fn stop_serving(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Serves again on the same address after [`TestApp::stop_serving`].
    pub async fn serve_again(&mut self) {
        let mut listener = None;
        for _ in 0..100 {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                // The old listener may take a moment to close.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
        let listener = listener.expect("bind the same address again");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = self.app.clone();
        tokio::spawn(async move {
            let _ = gradphoto_web::serve(served, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        self.shutdown = Some(tx);
    }

    /// A fresh browser-like client (own cookie jar).
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// A client signed in as `username` (password `gradphoto-demo` for demo accounts).
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let c = self.client();
        let r = c
            .post_form(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        assert!(
            r.status().is_redirection() || r.status().is_success(),
            "login of {username} failed: {}",
            r.status()
        );
        assert!(
            c.cookie("gp_session").is_some(),
            "login of {username} set no session cookie"
        );
        c
    }

    /// Runs every ready job; fails the test if a job failed.
    pub async fn drain_jobs(&self) {
        let d = self.app.run_ready_jobs().await.expect("jobs run");
        assert_eq!(d.failed, 0, "a job failed");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An HTTP client that keeps cookies and sends the CSRF token with forms, as a page of
/// the app would. Redirects are not followed, so tests can see them.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    jar: Arc<Jar>,
}

impl Client {
    /// The same browser (cookies and all) talking to another server, as a load balancer
    /// would send it there.
    pub fn at(&self, base: &str) -> Client {
        Client {
            base: base.to_string(),
            ..self.clone()
        }
    }

    pub fn new(base: &str) -> Client {
        Client::built(base, None)
    }

    /// A browser connecting from another loopback address (127.0.0.`n`), as another
    /// person on another network would: limits per address apply to it alone.
    pub fn from_loopback(base: &str, n: u8) -> Client {
        Client::built(base, Some(std::net::Ipv4Addr::new(127, 0, 0, n).into()))
    }

    fn built(base: &str, local: Option<std::net::IpAddr>) -> Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local)
            .build()
            .expect("client");
        Client {
            http,
            base: base.to_string(),
            jar,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().ok()?;
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// The CSRF token, fetching a page first if the jar has none yet.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.cookie("gp_csrf") {
            return t;
        }
        let _ = self.get("/login").await;
        self.cookie("gp_csrf").expect("the server sets gp_csrf")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (reqwest::StatusCode, String) {
        let r = self.get(path).await;
        let s = r.status();
        (s, r.text().await.unwrap_or_default())
    }

    /// Posts a URL-encoded form with the CSRF field added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &token));
        self.http
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form without the CSRF field, as a forged cross-site form would.
    pub async fn post_form_without_csrf(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a multipart form with one file and the CSRF field.
    pub async fn post_file(
        &self,
        path: &str,
        field: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let token = self.csrf().await;
        let form = reqwest::multipart::Form::new().text("csrf", token).part(
            field.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()),
        );
        self.http
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("POST multipart")
    }
}

/// The labelled DEV photos of `../shared/photos/dev` (or `GRADPHOTO_PHOTOS_DEV`), read in
/// place: they are never copied into the repo, and tests that need them skip without them.
pub fn photos_dev_dir() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("GRADPHOTO_PHOTOS_DEV") {
        return Some(std::path::PathBuf::from(dir));
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/photos/dev"))
        .find(|d| d.join("labels.json").is_file())
}
