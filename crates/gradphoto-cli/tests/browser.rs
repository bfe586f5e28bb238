//! The browser scenarios, end to end against the real server, one module per flow:
//! `university_setup` (an agency admin sets up a university and its accounts, the
//! university admin imports a roster and opens a campaign, secretaries see only their own
//! department, both languages) on `gradphoto serve`; `registry_verification` (issue 4's
//! chain: the registry's code, the desk, delivery, the verification window, confirmation),
//! `student_online` (issue 5), `onsite_day` (issue 7) and `makeup` (issue 8) on
//! `gradphoto demo`. This file holds what they share: the server, the demo's students, and
//! the page helpers.
//!
//! The server is the built binary started as a child process on a free loopback port with
//! its own data directory. Skips (passes with a message) when Chromium or chromedriver is
//! missing, unless `GRADPHOTO_TEST_REQUIRE_BROWSER=1`.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use gradphoto_e2e::Browser;
use serde_json::{Value, json};

#[path = "browser/makeup.rs"]
mod makeup;
#[path = "browser/onsite_day.rs"]
mod onsite_day;
#[path = "browser/registry_verification.rs"]
mod registry_verification;
#[path = "browser/student_online.rs"]
mod student_online;
#[path = "browser/university_setup.rs"]
mod university_setup;

/// Everything the server needs to start listening (migrations on a fresh SQLite file).
const SERVER_START_TIMEOUT: Duration = Duration::from_secs(30);
const PAGE_TIMEOUT: Duration = Duration::from_secs(5);

/// A `gradphoto` command on the test's data directory and key, with no `GRADPHOTO_*`
/// settings leaking in from the developer's environment.
fn gradphoto(data_dir: &Path, pii_key: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gradphoto"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GRADPHOTO_") {
            cmd.env_remove(name);
        }
    }
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("GRADPHOTO_SECURITY__PII_KEY", pii_key)
        .env("GRADPHOTO_SECURITY__COOKIE_SECURE", "false")
        .stdin(Stdio::null());
    cmd
}

/// `gradphoto serve` as a child process; killed when dropped, also when the test panics.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(data_dir: &Path, pii_key: &str) -> anyhow::Result<Server> {
        Server::run(data_dir, pii_key, "serve")
    }

    /// `gradphoto <command> --listen 127.0.0.1:<free port>` (`serve` or `demo`).
    fn run(data_dir: &Path, pii_key: &str, command: &str) -> anyhow::Result<Server> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let log = data_dir.join("server.log");
        let out = std::fs::File::create(&log)?;
        let child = gradphoto(data_dir, pii_key)
            .args([command, "--listen", &format!("127.0.0.1:{port}")])
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("spawning gradphoto serve")?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_healthy(port)?;
        Ok(server)
    }

    fn wait_healthy(&mut self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + SERVER_START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("gradphoto serve exited with {status}:\n{}", self.log_text());
            }
            if healthz(port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "gradphoto serve not healthy within {SERVER_START_TIMEOUT:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("gradphoto serve log:\n{}", self.log_text());
        }
    }
}

/// `GET /healthz` answers 200.
fn healthz(port: u16) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut answer = String::new();
    s.write_all(request.as_bytes()).is_ok()
        && s.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

/// Runs a script in the page and returns its value.
async fn js(b: &Browser, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
    Ok(b.client().execute(script, args).await?)
}

async fn login_with(
    b: &Browser,
    server: &Server,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    b.goto(&server.url("/login")).await?;
    b.fill("#username", username).await?;
    b.fill("#password", password).await?;
    b.click("#login-submit").await?;
    let url = b.current_url().await?;
    ensure!(
        !url.contains("/login"),
        "{username} could not sign in: {}",
        b.page_text().await?
    );
    Ok(())
}

async fn logout(b: &Browser) -> anyhow::Result<()> {
    b.click("form[action='/logout'] button").await?;
    ensure!(b.current_url().await?.contains("/login"), "not signed out");
    Ok(())
}

/// The id at the end of the current URL's path (`/universities/3` → 3).
async fn id_in_url(b: &Browser) -> anyhow::Result<i64> {
    let url = b.current_url().await?;
    let path = url.split(['?', '#']).next().unwrap_or_default();
    path.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no id at the end of {url}"))
}

/// Sets an `<input type=date>` to an ISO date ("" clears it): typing into one depends on
/// the browser's locale.
async fn set_date(b: &Browser, css: &str, date: Option<impl ToString>) -> anyhow::Result<()> {
    let value = date.map(|d| d.to_string()).unwrap_or_default();
    js(
        b,
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await?;
    Ok(())
}

/// The student the demo prints: "…: 学校 (code), ID …, level …, name …".
struct DemoStudent {
    code: String,
    id: String,
    level: String,
    name: String,
}

fn demo_student(server: &Server) -> anyhow::Result<DemoStudent> {
    demo_student_after(server, "a student to sign in as:")
}

/// The student the demo's start-up text names after `marker`.
fn demo_student_after(server: &Server, marker: &str) -> anyhow::Result<DemoStudent> {
    let log = server.log_text();
    let line = log
        .lines()
        .find(|l| l.contains(marker))
        .with_context(|| format!("the demo names {marker}"))?;
    let rest = line.split(marker).nth(1).unwrap_or_default();
    let field = |key: &str| -> anyhow::Result<String> {
        Ok(rest
            .split(key)
            .nth(1)
            .and_then(|s| s.split(',').next())
            .with_context(|| format!("{key} in {line}"))?
            .trim()
            .to_string())
    };
    Ok(DemoStudent {
        code: rest
            .split(['(', ')'])
            .nth(1)
            .context("school code")?
            .to_string(),
        id: field("ID ")?,
        level: field("level ")?,
        name: field("name ")?,
    })
}

/// The rosters reach the registry through a job once the server listens: wait for both
/// in the log (sign-ins before that would fail and be throttled).
fn wait_for_registry(server: &Server) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server
        .log_text()
        .matches("reported to the registry")
        .count()
        < 2
    {
        ensure!(
            Instant::now() < deadline,
            "the demo's rosters never reached the registry:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

fn dev_dir() -> Option<PathBuf> {
    gradphoto_e2e::photos_dev_dir()
}
