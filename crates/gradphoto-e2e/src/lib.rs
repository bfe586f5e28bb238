//! Browser-test harness: one headless Chromium, driven through chromedriver by fantoccini.
//!
//! Test support only (`publish = false`). It must not depend on any other gradphoto crate, so
//! scenario tests can start the real `gradphoto serve` as a separate process and drive it here.
//!
//! Every [`Browser`] owns its chromedriver (on a free loopback port) and a fresh Chromium
//! profile in a temporary directory. When Chromium or chromedriver is missing,
//! [`Browser::start`] prints `browser test skipped: <why>` and returns `Ok(None)`, unless
//! `GRADPHOTO_TEST_REQUIRE_BROWSER=1` is set, when it fails instead (for CI).
//!
//! Waiting: pages are server-rendered, so [`Browser::click`] and [`Browser::click_text`] wait
//! for any navigation they start to finish loading; [`Browser::wait_for_text`] polls the page
//! text. A failing action saves a screenshot under `target/e2e-failures/`.

mod driver;
mod navigation;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use fantoccini::wd::{Locator, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, elements::Element};
use serde_json::json;

use crate::driver::{Binaries, Driver};
pub use crate::driver::{CHROMEDRIVER_ENV, CHROMIUM_ENV, REQUIRE_ENV};

/// How long element look-ups wait for the element to appear, unless set otherwise.
const FIND_TIMEOUT: Duration = Duration::from_secs(5);
/// Page-load limit for `goto` and for navigations started by a click.
const PAGE_LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// The phone viewport used by [`Browser::phone`] (an iPhone 12–15 in CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);
/// Below this width Chromium clamps the window; narrower viewports are emulated as phones.
const MIN_WINDOW_WIDTH: u32 = 500;

/// A headless Chromium session with its own chromedriver and profile.
pub struct Browser {
    client: Client,
    driver: Driver,
    find_timeout: Duration,
    // Dropped after `driver` is killed (fields drop after `Drop::drop`), so Chromium never
    // writes into a deleted profile.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and opens a headless Chromium session whose page is exactly
    /// `viewport` = (width, height) CSS pixels (a mobile, touch device below 500 px wide).
    ///
    /// Binaries come from `GRADPHOTO_TEST_CHROMEDRIVER` (default `/usr/bin/chromedriver`)
    /// and `GRADPHOTO_TEST_CHROMIUM` (default `/usr/bin/chromium`). Returns `Ok(None)` when
    /// either is missing, after printing `browser test skipped: <why>` to stderr.
    pub async fn start(viewport: (u32, u32)) -> anyhow::Result<Option<Browser>> {
        Self::start_with(viewport, &[]).await
    }

    /// [`Browser::start`] with more Chromium switches, e.g. a fake camera fed from a file
    /// (`--use-fake-device-for-media-stream`, `--use-file-for-fake-video-capture=…`).
    pub async fn start_with(
        viewport: (u32, u32),
        switches: &[String],
    ) -> anyhow::Result<Option<Browser>> {
        let binaries = match driver::find_binaries() {
            Ok(binaries) => binaries,
            Err(why) if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") => {
                bail!("{why} ({REQUIRE_ENV}=1)")
            }
            Err(why) => {
                eprintln!("browser test skipped: {why}");
                return Ok(None);
            }
        };
        Self::launch(&binaries, viewport, switches).await.map(Some)
    }

    /// [`Browser::start`] with a 390×844 phone viewport.
    pub async fn phone() -> anyhow::Result<Option<Browser>> {
        Self::start(PHONE).await
    }

    async fn launch(
        binaries: &Binaries,
        (width, height): (u32, u32),
        switches: &[String],
    ) -> anyhow::Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("gradphoto-e2e-")
            .tempdir()
            .context("creating the browser profile directory")?;
        let user_data = profile.path().join("profile");
        let log = profile.path().join("chromedriver.log");
        let driver = Driver::start(&binaries.chromedriver, &log).await?;

        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            format!("--user-data-dir={}", user_data.display()),
            format!("--window-size={width},{height}"),
        ];
        args.extend(switches.iter().cloned());
        let mut chrome_options = json!({
            "binary": binaries.chromium.to_string_lossy(),
            "args": args,
        });
        // `--window-size` sizes the window, not the page: new headless keeps ~140 px of
        // invisible browser UI, and will not make a window narrower than 500 px. Device
        // emulation gives the page exactly `viewport`; below 500 px it is also a touch,
        // mobile device that honours `<meta name=viewport>`.
        let mobile = width < MIN_WINDOW_WIDTH;
        chrome_options["mobileEmulation"] = json!({
            "deviceMetrics": {
                "width": width, "height": height, "pixelRatio": 1.0,
                "mobile": mobile, "touch": mobile,
            },
        });
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": chrome_options,
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("json! of an object literal is an object")
        };
        // chromedriver speaks plain HTTP on loopback: no TLS stack is linked at all.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .map_err(|e| {
                anyhow!(
                    "opening a Chromium session through chromedriver: {e}; chromedriver log:\n{}",
                    driver::log_tail(&log)
                )
            })?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(10)),
                Some(PAGE_LOAD_TIMEOUT),
                Some(Duration::ZERO),
            ))
            .await
            .context("setting WebDriver timeouts")?;
        Ok(Browser {
            client,
            driver,
            find_timeout: FIND_TIMEOUT,
            _profile: profile,
        })
    }

    /// Sets how long `fill`, `click`, `click_text`, `select`, `upload` and `text` wait for
    /// their element to appear (default 5 s). Shorten it to assert that something is absent.
    pub fn set_find_timeout(&mut self, timeout: Duration) {
        self.find_timeout = timeout;
    }

    /// The underlying fantoccini client, for anything this harness does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        let result = self.client.goto(url).await.map_err(anyhow::Error::from);
        self.checked(result, format_args!("goto {url}")).await
    }

    /// Clears the field matching `css`, then types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let result = async {
            let element = self.find(css).await?;
            element.clear().await?;
            element.send_keys(text).await?;
            Ok(())
        }
        .await;
        self.checked(result, format_args!("fill {css:?}")).await
    }

    /// Clicks the element matching `css`, then waits for any navigation it starts. A page
    /// that re-renders itself (the station's queue refreshes) can replace the element
    /// between finding and clicking it: then it is found again and clicked, a few times.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let result = async {
            let mut attempt = 0;
            loop {
                let element = self.find(css).await?;
                match self.click_and_settle(&element).await {
                    Err(e) if attempt < STALE_RETRIES && is_stale(&e) => {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    other => return other,
                }
            }
        }
        .await;
        self.checked(result, format_args!("click {css:?}")).await
    }

    /// Clicks a visible button or link whose visible text contains `text` (for
    /// `<input type=submit|button>`, its value), then waits for any navigation it starts.
    pub async fn click_text(&self, text: &str) -> anyhow::Result<()> {
        let result = async {
            let element = self.find_by_text(text).await?;
            self.click_and_settle(&element).await
        }
        .await;
        self.checked(result, format_args!("click_text {text:?}"))
            .await
    }

    /// Chooses the `<option>` with `value` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let result = async {
            self.find(css).await?.select_by_value(value).await?;
            Ok(())
        }
        .await;
        self.checked(result, format_args!("select {value:?} in {css:?}"))
            .await
    }

    /// Puts the file at `path` into the `<input type=file>` matching `css`.
    pub async fn upload(&self, css: &str, path: &Path) -> anyhow::Result<()> {
        let result = async {
            // chromedriver reads the file itself and wants an absolute path.
            let path = std::fs::canonicalize(path)
                .with_context(|| format!("file to upload {}", path.display()))?;
            let path = path
                .to_str()
                .ok_or_else(|| anyhow!("upload path is not UTF-8: {}", path.display()))?;
            self.find(css).await?.send_keys(path).await?;
            Ok(())
        }
        .await;
        self.checked(result, format_args!("upload {} to {css:?}", path.display()))
            .await
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let result = async { Ok(self.find(css).await?.text().await?) }.await;
        self.checked(result, format_args!("text of {css:?}")).await
    }

    /// The page's visible text (`document.body.innerText`).
    pub async fn page_text(&self) -> anyhow::Result<String> {
        let value = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .context("reading the page text")?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Polls the page text until it contains `text`. The error names the current URL and the
    /// first 2000 characters of the page text.
    pub async fn wait_for_text(&self, text: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            // Reading can fail while a navigation replaces the document: just try again.
            if let Ok(page) = self.page_text().await {
                if page.contains(text) {
                    return Ok(());
                }
                last = page;
            }
            if Instant::now() >= deadline {
                let url = self
                    .current_url()
                    .await
                    .unwrap_or_else(|e| format!("<{e}>"));
                let shown: String = last.chars().take(2000).collect();
                let err = anyhow!(
                    "text {text:?} did not appear within {timeout:?}\nURL: {url}\npage text:\n{shown}"
                );
                self.fail_screenshot(&failure_name("wait_for_text")).await;
                return Err(err);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> anyhow::Result<String> {
        Ok(self
            .client
            .current_url()
            .await
            .context("reading the current URL")?
            .to_string())
    }

    /// Saves a PNG screenshot of the viewport to `path`, creating its directory.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Best effort: saves a screenshot to `target/e2e-failures/<name>.png` (the workspace's
    /// target directory, or `$CARGO_TARGET_DIR`) and prints where.
    pub async fn fail_screenshot(&self, name: &str) {
        let path = failures_dir().join(format!("{}.png", sanitize(name)));
        match self.screenshot(&path).await {
            Ok(()) => eprintln!("e2e failure screenshot: {}", path.display()),
            Err(e) => eprintln!("e2e failure screenshot not saved: {e:#}"),
        }
    }

    /// Ends the browser session, then stops chromedriver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let result = self.client.clone().close().await;
        self.driver.kill();
        result.context("closing the browser session")
    }

    async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.client
            .wait()
            .at_most(self.find_timeout)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css:?} within {:?}", self.find_timeout))
    }

    async fn find_by_text(&self, text: &str) -> anyhow::Result<Element> {
        let xpath = navigation::clickable_with_text(text);
        let deadline = Instant::now() + self.find_timeout;
        loop {
            for element in self.client.find_all(Locator::XPath(&xpath)).await? {
                if element.is_displayed().await.unwrap_or(false) {
                    return Ok(element);
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "no visible button or link with text {text:?} within {:?}",
                    self.find_timeout
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click_and_settle(&self, element: &Element) -> anyhow::Result<()> {
        let token = navigation::arm(&self.client).await?;
        element.click().await?;
        navigation::settle(&self.client, &token, PAGE_LOAD_TIMEOUT).await
    }

    /// Adds the action and URL to an error, and saves a failure screenshot.
    async fn checked<T>(
        &self,
        result: anyhow::Result<T>,
        action: std::fmt::Arguments<'_>,
    ) -> anyhow::Result<T> {
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                let action = action.to_string();
                let url = self
                    .current_url()
                    .await
                    .unwrap_or_else(|e| format!("<{e}>"));
                self.fail_screenshot(&failure_name(&action)).await;
                Err(e.context(format!("{action} (at {url})")))
            }
        }
    }
}

impl Drop for Browser {
    /// Stops chromedriver when [`Browser::close`] was not called (a failed or panicking test).
    fn drop(&mut self) {
        self.driver.kill();
    }
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("chromedriver_port", &self.driver.port)
            .finish_non_exhaustive()
    }
}

/// Where [`Browser::fail_screenshot`] saves: `e2e-failures` in `$CARGO_TARGET_DIR`, else in
/// the workspace's `target` (for CI to keep as artifacts).
pub fn failures_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("e2e-failures")
}

/// `<test name>-<action>`: libtest names each test's thread after the test, and
/// `#[tokio::test]` (current-thread) runs the test body on that thread.
fn failure_name(action: &str) -> String {
    let thread = std::thread::current();
    match thread.name() {
        Some(test) if test != "main" && !test.starts_with("tokio-") => format!("{test}-{action}"),
        _ => action.to_owned(),
    }
}

fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cleaned.chars().take(120).collect()
}

/// The labelled DEV photos of `../shared/photos/dev` (or `GRADPHOTO_PHOTOS_DEV`), read in
/// place: never copied into the repo; scenarios that need them skip without them.
pub fn photos_dev_dir() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("GRADPHOTO_PHOTOS_DEV") {
        return Some(std::path::PathBuf::from(dir));
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/photos/dev"))
        .find(|d| d.join("labels.json").is_file())
}

/// How often [`Browser::click`] finds an element again that the page replaced.
const STALE_RETRIES: usize = 3;

/// Whether a WebDriver error says the element left the document (the page re-rendered).
fn is_stale(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    text.contains("stale element") || text.contains("does not belong to the document")
}

#[cfg(test)]
mod stale_tests {
    use super::*;

    #[test]
    fn only_a_replaced_element_is_retried() {
        let replaced = anyhow!(
            "webdriver returned error: unknown error: unhandled inspector error: \
             {{\"code\":-32000,\"message\":\"Node with given id does not belong to the document\"}}"
        );
        assert!(is_stale(&replaced.context("click")));
        assert!(is_stale(&anyhow!(
            "stale element reference: element is not attached"
        )));
        assert!(!is_stale(&anyhow!("no such element: #link-confirm")));
    }
}
