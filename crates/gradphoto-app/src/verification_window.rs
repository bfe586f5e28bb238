//! A campaign's verification window (信息确认) at the registry: the registry keeps one
//! window per school and graduation year, and a campaign's window is sent there before
//! the campaign is stored, so the two never disagree.

use gradphoto_domain::campaign::{Modes, Rules, VerificationWindow};

use crate::campaigns::Campaign;
use crate::registry_link::unreachable_registry;
use crate::{App, AppError};

impl App {
    /// Sends a new or changed verification window to the registry before the campaign is
    /// stored, so the campaign never shows a window the registry does not have. The
    /// registry keeps one window per school and graduation year: one request per year
    /// among the campaign's graduation months.
    pub(crate) async fn push_campaign_window(
        &self,
        university_id: i64,
        rules: &Rules,
        modes: &Modes,
        before: Option<&Campaign>,
    ) -> Result<(), AppError> {
        let Some(window) = modes.verification else {
            return Ok(());
        };
        let unchanged = before.is_some_and(|b| {
            b.modes.verification == Some(window) && b.rules.target_terms == rules.target_terms
        });
        if unchanged {
            return Ok(());
        }
        let mut years: Vec<i32> = rules.target_terms.iter().map(|t| t.year).collect();
        years.sort_unstable();
        years.dedup();
        for year in years {
            match self
                .push_verification_window(university_id, year, &window)
                .await
            {
                Ok(()) => {}
                Err(e @ AppError::Invalid(_)) => return Err(e),
                // Not the admin's mistake, but the form must survive it: say what happened
                // and how to go on, and keep the details in the log.
                Err(e) => {
                    tracing::warn!(error = %e, university_id, year, "verification window not sent");
                    return Err(AppError::invalid(
                        "window.registry_unavailable",
                        "暂时无法把信息确认时间同步到学信网，本次修改未保存；请稍后再试，或先不填写信息确认时间",
                        "The verification window could not be sent to the registry, so nothing was saved; try again later, or leave the window empty for now",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Puts a campaign's verification window for one graduation year at the registry,
    /// which keeps one window per school and year. The caller has authorised the change.
    pub(crate) async fn push_verification_window(
        &self,
        university_id: i64,
        year: i32,
        w: &VerificationWindow,
    ) -> Result<(), AppError> {
        let uni = self.db.get_university(university_id).await?;
        let token = self.registry_token(&format!("school:{}", uni.code)).await?;
        let base = self.registry_base()?;
        let r = self
            .http
            .put(format!("{base}/v1/windows"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "graduation_year": year, "opens_on": w.opens_on.to_string(),
                "closes_on": w.closes_on.to_string(), "resolve_by": w.resolve_by.to_string(),
            }))
            .send()
            .await
            .map_err(unreachable_registry)?;
        if !r.status().is_success() {
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            return Err(AppError::invalid(
                "window.refused",
                format!(
                    "学信网未接受该时间设置：{}",
                    v["error"]["zh"].as_str().unwrap_or("")
                ),
                format!(
                    "The registry did not take these dates: {}",
                    v["error"]["en"].as_str().unwrap_or("")
                ),
            ));
        }
        Ok(())
    }
}
