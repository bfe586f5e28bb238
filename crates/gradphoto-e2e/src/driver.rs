//! Finding the browser binaries and running chromedriver on a free loopback port.
//!
//! Knows nothing about pages: it only starts and stops the chromedriver process.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Environment variable naming the chromedriver binary.
pub const CHROMEDRIVER_ENV: &str = "GRADPHOTO_TEST_CHROMEDRIVER";
/// Environment variable naming the Chromium binary.
pub const CHROMIUM_ENV: &str = "GRADPHOTO_TEST_CHROMIUM";
/// When set to `1`, a missing browser fails the test instead of skipping it (for CI).
pub const REQUIRE_ENV: &str = "GRADPHOTO_TEST_REQUIRE_BROWSER";

const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// chromedriver usually answers within 100 ms; a loaded 2-core machine can take seconds.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);

/// The two binaries a session needs.
pub(crate) struct Binaries {
    pub(crate) chromedriver: PathBuf,
    pub(crate) chromium: PathBuf,
}

/// Finds chromedriver and Chromium, or says why not (the caller prints the skip message).
pub(crate) fn find_binaries() -> Result<Binaries, String> {
    let chromedriver = binary_from_env(CHROMEDRIVER_ENV, DEFAULT_CHROMEDRIVER);
    let chromium = binary_from_env(CHROMIUM_ENV, DEFAULT_CHROMIUM);
    for (what, path, env) in [
        ("chromium", &chromium, CHROMIUM_ENV),
        ("chromedriver", &chromedriver, CHROMEDRIVER_ENV),
    ] {
        if !path.is_file() {
            return Err(format!(
                "{what} not found at {} (install with `apt-get install -y chromium chromium-driver` or set {env})",
                path.display()
            ));
        }
    }
    Ok(Binaries {
        chromedriver,
        chromium,
    })
}

fn binary_from_env(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => PathBuf::from(default),
    }
}

/// A running chromedriver; killed (and reaped) on drop.
pub(crate) struct Driver {
    child: Child,
    pub(crate) port: u16,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it accepts connections.
    pub(crate) async fn start(binary: &Path, log: &Path) -> anyhow::Result<Driver> {
        let port = free_port()?;
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        let mut driver = Driver { child, port };
        driver.wait_until_listening(log).await?;
        Ok(driver)
    }

    /// The WebDriver URL fantoccini connects to.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_until_listening(&mut self, log: &Path) -> anyhow::Result<()> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "chromedriver exited with {status} before listening on port {}; log:\n{}",
                    self.port,
                    log_tail(log)
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "chromedriver did not listen on port {} within {DRIVER_START_TIMEOUT:?}; log:\n{}",
                    self.port,
                    log_tail(log)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills chromedriver and every process under it (Chromium and its helpers); safe to
    /// call twice.
    ///
    /// Killing chromedriver alone leaves Chromium running: its processes are re-parented to
    /// init and keep a CPU busy. So the process tree is read from `/proc` first and the whole
    /// tree gets SIGKILL at once.
    pub(crate) fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let mut pids = descendants(self.child.id());
            pids.push(self.child.id());
            let killed = Command::new("kill")
                .arg("-KILL")
                .args(pids.iter().map(u32::to_string))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if !killed.is_ok_and(|status| status.success()) {
                // Some process was already gone (kill then still kills the rest), or `kill`
                // is missing: make sure chromedriver at least is stopped.
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// All processes below `root`, read from `/proc/<pid>/stat` (empty where there is no /proc).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|&&(_, ppid)| ppid == parent)
                .map(|&(pid, _)| pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Asks the kernel for a free port. Another process could take it before chromedriver binds
/// it; on a test machine that race is rare and shows up as a clear start error.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The last 4000 bytes of a log file, for error messages.
pub(crate) fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut start = text.len().saturating_sub(4000);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_owned()
}
