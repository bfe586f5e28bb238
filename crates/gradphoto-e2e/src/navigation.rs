//! Waiting for the navigation a click may start, and finding clickables by their text.
//!
//! Before a click, a probe object carrying a fresh token is put on `window` and a
//! `beforeunload` listener marks it as leaving. After the click:
//! - token gone: a new document is loading; wait for `readyState == "complete"`;
//! - token there, leaving: the request is in flight; keep waiting (a download or a
//!   `204 No Content` never replaces the page, so that wait is capped by `LEAVING_LIMIT`);
//! - token there, not leaving: after `GRACE` with no sign of navigation, the click only
//!   changed the current page.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use fantoccini::Client;
use serde_json::json;

/// How long a click that shows no sign of navigation may take to start one.
const GRACE: Duration = Duration::from_millis(250);
/// How long the old page may stay once it announced it is unloading.
const LEAVING_LIMIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

const ARM: &str = r#"
window.__gradphotoE2e = { token: arguments[0], leaving: false };
window.addEventListener('beforeunload', () => {
  if (window.__gradphotoE2e) { window.__gradphotoE2e.leaving = true; }
});
"#;

const PROBE: &str = r#"
const probe = window.__gradphotoE2e;
if (!probe || probe.token !== arguments[0]) {
  return document.readyState === 'complete' ? 'loaded' : 'loading';
}
return probe.leaving ? 'leaving' : 'stayed';
"#;

/// Marks the current document so a later [`settle`] can tell whether it was replaced.
pub(crate) async fn arm(client: &Client) -> anyhow::Result<String> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let token = format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    client.execute(ARM, vec![json!(token)]).await?;
    Ok(token)
}

/// Waits until the navigation started since [`arm`] (if any) has finished loading.
pub(crate) async fn settle(client: &Client, token: &str, timeout: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        // A script can fail while the old document is being torn down: treat it as loading.
        let state = client
            .execute(PROBE, vec![json!(token)])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        let elapsed = start.elapsed();
        match state.as_deref() {
            Some("loaded") => return Ok(()),
            Some("stayed") if elapsed >= GRACE => return Ok(()),
            Some("leaving") if elapsed >= LEAVING_LIMIT => return Ok(()),
            _ if elapsed >= timeout => {
                bail!("the page did not finish loading within {timeout:?} after the click")
            }
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

/// An XPath for buttons and links whose visible text contains `text`
/// (`<input type=submit|button>` by their value).
pub(crate) fn clickable_with_text(text: &str) -> String {
    let t = xpath_literal(text);
    format!(
        "//button[contains(normalize-space(.), {t})] \
         | //a[contains(normalize-space(.), {t})] \
         | //*[@role='button'][contains(normalize-space(.), {t})] \
         | //input[(@type='submit' or @type='button' or @type='reset') and contains(@value, {t})]"
    )
}

/// `text` as an XPath 1.0 string literal (which has no escapes: quotes need `concat`).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

#[cfg(test)]
mod tests {
    use super::xpath_literal;

    #[test]
    fn xpath_literals_quote_any_text() {
        assert_eq!(xpath_literal("提交"), "'提交'");
        assert_eq!(xpath_literal("it's"), "\"it's\"");
        assert_eq!(xpath_literal(r#"a'b"c"#), r#"concat('a', "'", 'b"c')"#);
    }
}
