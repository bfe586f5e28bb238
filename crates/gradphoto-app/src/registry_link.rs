//! The agency's side of the registry link, only ever over the registry's HTTP API: the
//! cached key set that desks verify codes with (offline when the registry cannot be
//! reached), and the outbox that delivers photos. A photo is stored before its outbox row
//! commits; delivery is a job retried with backoff until the registry answers, and a sweep
//! re-queues whatever is still pending, so a photo the desk acknowledged is never lost.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use gradphoto_db::outbox::OutboxRow;
use gradphoto_domain::i18n::Msg;
use gradphoto_registry_crypto::{CodeError, PublicKeySet, VerifiedCode, code, seal};
use secrecy::ExposeSecret;

use crate::jobs::Job;
use crate::{App, AppError};

/// Scope of the agency's own token in `registry_credentials`.
pub const AGENCY_SCOPE: &str = "agency";

/// The HTTP client for the registry: rustls, bounded waits.
pub fn http_client() -> Result<reqwest::Client, AppError> {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("gradphoto/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("HTTP client: {e}")))
}

pub(crate) fn unreachable_registry(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("registry unreachable: {e}"))
}

fn code_refused(e: &CodeError) -> AppError {
    AppError::Invalid(Msg::new(e.reason(), e.zh(), e.en()))
}

/// What the desk may say about a background choice.
fn check_background(b: &str) -> Result<(), AppError> {
    if matches!(b, "blue" | "white" | "grey") {
        Ok(())
    } else {
        Err(AppError::invalid(
            "photo.background",
            "底色应为 blue、white 或 grey",
            "The background must be blue, white or grey",
        ))
    }
}

impl App {
    pub(crate) fn registry_base(&self) -> Result<String, AppError> {
        self.config.registry_url().ok_or_else(|| {
            AppError::Config(
                "registry.url is not configured (and this process does not host the registry)"
                    .into(),
            )
        })
    }

    /// Stores a token the agency (scope `agency`) or a school (`school:<code>`) uses at
    /// the registry, encrypted at rest.
    pub async fn set_registry_token(&self, scope: &str, token: &str) -> Result<(), AppError> {
        let enc = self.pii.encrypt_secret(token)?;
        self.db.put_registry_credential(scope, &enc).await?;
        Ok(())
    }

    pub(crate) async fn registry_token(&self, scope: &str) -> Result<String, AppError> {
        if scope == AGENCY_SCOPE {
            let configured = self.config.registry.agency_token.expose_secret();
            if !configured.is_empty() {
                return Ok(configured.to_string());
            }
        }
        match self.db.registry_credential(scope).await? {
            Some(enc) => self.pii.decrypt_secret(&enc),
            None => Err(AppError::Config(format!(
                "no registry token for {scope} (registry.agency_token, or stored by an administrator)"
            ))),
        }
    }

    /// The registry's published keys and revocation list: the cached copy while it is
    /// fresh (`registry.keys_max_age_seconds`), else asked again (revalidated by ETag).
    /// When the registry cannot be reached the cached copy is used however old: desks must
    /// keep working offline, and the copy's age is shown to them.
    ///
    /// The copy is kept in the database (so it survives restarts and serves every process)
    /// and, parsed, in memory: a desk verifies a code per scan, and reading and parsing the
    /// stored copy each time cost more than the rest of the verification. The memory copy
    /// follows the same rule — used while fresh, counted from when it was fetched.
    pub async fn registry_keys(&self, refresh: bool) -> Result<(Arc<PublicKeySet>, i64), AppError> {
        let base = self.registry_base()?;
        let max_age = self.config.registry.keys_max_age_seconds.max(0) * 1000;
        if !refresh && let Some((keys, fetched_at)) = self.keys_memo.fresh(&base, max_age) {
            return Ok((keys, fetched_at));
        }
        let cached = self.db.cached_registry_keys(&base).await?;
        if let Some(c) = &cached
            && !refresh
            && gradphoto_db::now_ms() - c.fetched_at < max_age
        {
            let keys = Arc::new(parse_keys(&c.keys_json)?);
            self.keys_memo.put(&base, &keys, c.fetched_at);
            return Ok((keys, c.fetched_at));
        }
        let mut req = self.http.get(format!("{base}/v1/keys"));
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.as_deref()) {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let fetched = match req.send().await {
            Ok(r) if r.status() == reqwest::StatusCode::NOT_MODIFIED && cached.is_some() => {
                self.db.touch_registry_keys(&base).await?;
                None
            }
            Ok(r) if r.status().is_success() => {
                let etag = r
                    .headers()
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                match r.text().await {
                    Ok(text) => {
                        let keys = Arc::new(parse_keys(&text)?);
                        self.db
                            .cache_registry_keys(&base, &text, etag.as_deref())
                            .await?;
                        Some(keys)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "registry keys: body unreadable");
                        None
                    }
                }
            }
            Ok(r) => {
                tracing::warn!(status = %r.status(), "registry keys: unexpected answer");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "registry keys: registry unreachable, using the cached copy");
                None
            }
        };
        if let Some(keys) = fetched {
            let now = gradphoto_db::now_ms();
            self.keys_memo.put(&base, &keys, now);
            return Ok((keys, now));
        }
        let c = self
            .db
            .cached_registry_keys(&base)
            .await?
            .ok_or_else(|| unreachable_registry("no cached keys yet"))?;
        let keys = Arc::new(parse_keys(&c.keys_json)?);
        // Revalidated (304) counts as fetched now; a copy used because the registry is
        // unreachable is stale and is not kept as fresh.
        self.keys_memo.put(&base, &keys, c.fetched_at);
        Ok((keys, c.fetched_at))
    }

    /// Verifies a scanned collection code with the cached keys. A key the cache does not
    /// know yet (the registry rotated) triggers one refresh before the code is refused.
    pub async fn verify_code(&self, text: &str) -> Result<VerifiedCode, AppError> {
        let (keys, _) = self.registry_keys(false).await?;
        match code::verify(text.trim(), &keys) {
            Ok(v) => Ok(v),
            Err(CodeError::UnknownKey(_)) => {
                let (keys, _) = self.registry_keys(true).await?;
                code::verify(text.trim(), &keys).map_err(|e| code_refused(&e))
            }
            Err(e) => Err(code_refused(&e)),
        }
    }

    /// Puts a finished (standardized) photo for a code into the outbox: the code is
    /// verified, the photo stored, then the row committed and delivery queued. Once this
    /// returns, the photo will reach the registry.
    pub async fn send_photo_to_registry(
        &self,
        actor: &str,
        code_text: &str,
        photo: Vec<u8>,
        background: &str,
    ) -> Result<OutboxRow, AppError> {
        check_background(background)?;
        if photo.is_empty() || photo.len() > gradphoto_registry_crypto::seal::MAX_PHOTO_BYTES {
            return Err(AppError::invalid(
                "photo.size",
                "照片为空或过大",
                "The photo is empty or too large",
            ));
        }
        let verified = self.verify_code(code_text).await?;
        let key = format!(
            "outbox/{}/{}.jpg",
            verified.id,
            crate::pii::random_hex::<8>()?
        );
        self.blobs
            .put(&key, Bytes::from(photo))
            .await
            .map_err(|e| AppError::Internal(format!("storing the photo: {e}")))?;
        let row = self
            .db
            .insert_outbox(
                code_text.trim(),
                &verified.id.to_string(),
                &key,
                background,
                actor,
            )
            .await?;
        self.enqueue(Job::DeliverPhoto { outbox_id: row.id })
            .await?;
        tracing::info!(outbox = row.id, code = %verified.id, "photo queued for the registry");
        Ok(row)
    }

    /// Delivers one outbox row (the `deliver_photo` job). Idempotent: the registry sees
    /// the same idempotency key on every attempt, and an answered row is left alone. An
    /// error means "try again later" (registry down, or answering 5xx).
    pub async fn deliver_outbox(&self, id: i64) -> Result<(), AppError> {
        let row = self.db.outbox(id).await?;
        if row.status != "pending" {
            return Ok(());
        }
        let result = self.try_deliver(&row).await;
        if let Err(e) = &result {
            self.db.outbox_attempt_failed(id, &e.to_string()).await?;
        }
        result
    }

    async fn try_deliver(&self, row: &OutboxRow) -> Result<(), AppError> {
        let base = self.registry_base()?;
        let token = self.registry_token(AGENCY_SCOPE).await?;
        let photo = self
            .blobs
            .get(&row.photo_key)
            .await
            .map_err(|e| AppError::Internal(format!("reading the queued photo: {e}")))?;
        let (keys, _) = self.registry_keys(false).await?;
        let code_id = row
            .code_id
            .parse()
            .map_err(|_| AppError::Internal(format!("outbox {} has a bad code id", row.id)))?;
        let sealed = seal::seal(&keys, &code_id, &photo)
            .map_err(|e| AppError::Internal(format!("sealing: {e}")))?;
        let body = serde_json::json!({
            "code": row.code,
            "sealed": base64::engine::general_purpose::STANDARD.encode(sealed.to_bytes()),
            "background": row.background,
        });
        let r = self
            .http
            .post(format!("{base}/v1/photos"))
            .bearer_auth(token)
            .header("Idempotency-Key", format!("gradphoto-outbox-{}", row.id))
            .json(&body)
            .send()
            .await
            .map_err(unreachable_registry)?;
        let status = r.status();
        let text = r.text().await.map_err(unreachable_registry)?;
        if status.is_success() {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| AppError::Internal(format!("registry answer: {e}")))?;
            let verdict = v["verdict"].as_str().unwrap_or("rejected");
            self.db
                .outbox_finish(row.id, "answered", Some(verdict), &text)
                .await?;
            tracing::info!(outbox = row.id, verdict, "registry answered");
            Ok(())
        } else if status.is_client_error()
            && status != reqwest::StatusCode::UNAUTHORIZED
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            // Refused as a submission (revoked code, …): retrying cannot help.
            self.db
                .outbox_finish(row.id, "refused", None, &text)
                .await?;
            tracing::warn!(outbox = row.id, %status, "registry refused the submission");
            Ok(())
        } else {
            Err(unreachable_registry(format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            )))
        }
    }

    /// Queues delivery for every row still pending (run by the worker now and then, so a
    /// row whose job ran out of attempts is picked up again).
    pub async fn sweep_outbox(&self) -> Result<usize, AppError> {
        let rows = self.db.pending_outbox(10_000).await?;
        for r in &rows {
            self.enqueue(Job::DeliverPhoto { outbox_id: r.id }).await?;
        }
        Ok(rows.len())
    }
}

/// The registry's key set as last parsed, in this process. Keyed by the registry's URL like
/// the stored copy, with the time the copy was fetched, which is what freshness counts from.
#[derive(Debug, Default)]
pub struct KeysMemo(std::sync::RwLock<Option<(String, Arc<PublicKeySet>, i64)>>);

impl KeysMemo {
    /// The parsed set for `base` if it was fetched less than `max_age_ms` ago.
    fn fresh(&self, base: &str, max_age_ms: i64) -> Option<(Arc<PublicKeySet>, i64)> {
        let memo = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*memo {
            Some((b, keys, at)) if b == base && gradphoto_db::now_ms() - at < max_age_ms => {
                Some((keys.clone(), *at))
            }
            _ => None,
        }
    }

    fn put(&self, base: &str, keys: &Arc<PublicKeySet>, fetched_at: i64) {
        let mut memo = self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *memo = Some((base.to_owned(), keys.clone(), fetched_at));
    }
}

fn parse_keys(text: &str) -> Result<PublicKeySet, AppError> {
    PublicKeySet::from_json(text)
        .map_err(|e| AppError::Internal(format!("the registry's key set is invalid: {e}")))
}

/// Students per request when a school reports: well under the registry's body limit.
const REPORT_CHUNK: usize = 2_000;

/// What a report to the registry did, summed over its requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportSummary {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl App {
    /// Reports a university's roster to the registry (上报学籍) through its API, with the
    /// school's own token: enrolment id, level, expected graduation, department, and the
    /// name and ID number — which the registry reduces to masked forms and keyed hashes on
    /// arrival. Sent in chunks; each chunk is all-or-nothing at the registry and matching
    /// is by enrolment id, so repeating a report after a failure is safe.
    pub async fn report_to_registry(
        &self,
        by: &crate::auth::Staff,
        university_id: i64,
    ) -> Result<ReportSummary, AppError> {
        use gradphoto_domain::policy::{Action, Resource, ResourceKind};
        by.may(
            Action::Export,
            Resource::of_university(ResourceKind::Student, university_id),
        )?;
        self.send_report(
            university_id,
            by.audit("registry.report", "roster", None, Some(university_id)),
        )
        .await
    }

    /// The report itself, for a checked caller or the `report_to_registry` job.
    pub(crate) async fn send_report(
        &self,
        university_id: i64,
        mut audit: gradphoto_db::audit::NewAudit,
    ) -> Result<ReportSummary, AppError> {
        let uni = self.db.get_university(university_id).await?;
        let token = self.registry_token(&format!("school:{}", uni.code)).await?;
        let base = self.registry_base()?;
        let departments: std::collections::HashMap<i64, String> = self
            .db
            .list_departments(university_id)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let students = self.db.all_students(university_id).await?;
        let mut rows = Vec::with_capacity(students.len());
        for s in &students {
            rows.push(serde_json::json!({
                "enrolment_id": s.student_no,
                "level": s.level,
                "expected_graduation": s.expected_graduation,
                "department": departments.get(&s.department_id).cloned().unwrap_or_default(),
                "name": s.name,
                "id_number": self.pii.decrypt(&s.id_enc)?,
            }));
        }
        let mut sum = ReportSummary::default();
        for chunk in rows.chunks(REPORT_CHUNK) {
            let r = self
                .http
                .put(format!("{base}/v1/students"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "students": chunk }))
                .send()
                .await
                .map_err(unreachable_registry)?;
            let status = r.status();
            let text = r.text().await.map_err(unreachable_registry)?;
            if !status.is_success() {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                let (zh, en) = (
                    v["error"]["zh"].as_str().unwrap_or("学信网拒绝了报送"),
                    v["error"]["en"]
                        .as_str()
                        .unwrap_or("The registry refused the report"),
                );
                return Err(AppError::invalid(
                    "registry.report_refused",
                    format!("学信网拒绝了学籍报送（HTTP {status}）：{zh}"),
                    format!("The registry refused the report (HTTP {status}): {en}"),
                ));
            }
            let c: ReportSummary = serde_json::from_str(&text)
                .map_err(|e| AppError::Internal(format!("registry answer: {e}")))?;
            sum.inserted += c.inserted;
            sum.updated += c.updated;
            sum.unchanged += c.unchanged;
        }
        audit.after = Some(serde_json::to_value(sum).unwrap_or_default());
        self.db.append_audit(&audit).await?;
        tracing::info!(university = %uni.code, students = students.len(), "reported to the registry");
        Ok(sum)
    }
}
