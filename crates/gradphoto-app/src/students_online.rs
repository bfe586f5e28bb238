//! The online student's login (seed 003 step 1): phone + SMS code, after ticking the user
//! agreement and the separate consent to process the face image. Both consents are stored
//! with their version, time and address; the session is the student's own cookie.

use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;

use crate::auth::{new_token, token_hash};
use crate::{App, AppError};

/// The user agreement in force; a new version is a new row of consent at the next login.
pub const TERMS_VERSION: &str = "2026-12";
/// The consent to process the face image (separate, as PIPL requires for sensitive data).
pub const FACE_CONSENT_VERSION: &str = "2026-12";
/// Student sessions last a week: long enough to upload, pay and come back to track.
pub const SESSION_TTL_MS: i64 = 7 * 24 * 3_600_000;

impl App {
    /// Logs the student in and returns the session token for the cookie.
    pub async fn student_login(
        &self,
        phone: &str,
        code: &str,
        agree_terms: bool,
        agree_face: bool,
        ip: &str,
    ) -> Result<(String, StudentAccount), AppError> {
        if !agree_terms || !agree_face {
            return Err(AppError::Invalid(Msg::new(
                "consent.required",
                "请阅读并勾选同意《用户协议》和《人脸图像处理授权》",
                "Please read and accept the user agreement and the consent to process your face image",
            )));
        }
        let phone = self.check_login_code(phone, code).await?;
        let token = new_token()?;
        let account = self
            .db
            .student_login(
                &phone,
                &[("terms", TERMS_VERSION), ("face", FACE_CONSENT_VERSION)],
                ip,
                &token_hash(&token),
                SESSION_TTL_MS,
            )
            .await?;
        Ok((token, account))
    }

    /// The student of a session cookie, if it is live.
    pub async fn student_of(&self, token: &str) -> Result<Option<StudentAccount>, AppError> {
        if token.is_empty() {
            return Ok(None);
        }
        Ok(self.db.student_session(&token_hash(token)).await?)
    }

    pub async fn student_logout(&self, token: &str) -> Result<(), AppError> {
        Ok(self.db.student_logout(&token_hash(token)).await?)
    }
}
