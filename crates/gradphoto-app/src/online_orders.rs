//! The online student's order (seed 003 §确认订单): once a photo is kept, the student sees
//! their details (masked) and the campaign's fee, may change the contact phone, and
//! confirms; the order is then waiting for payment. An entry has one open order: confirming
//! again returns it (with the new contact phone while it is unpaid).

use gradphoto_db::payments::OrderRow;
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::online_photo::PhotoStatus;
use gradphoto_domain::otp::normalize_phone;

use crate::online_entry::{OnlineState, Step, china_today};
use crate::{App, AppError};

impl App {
    /// The order of the student's current entry, if one was confirmed.
    pub async fn online_order(&self, state: &OnlineState) -> Result<Option<OrderRow>, AppError> {
        match &state.entry {
            Some(e) => Ok(self.db.order_for_entry(e.id).await?),
            None => Ok(None),
        }
    }

    /// Confirms the order with `contact_phone` (11 digits).
    pub async fn online_confirm_order(
        &self,
        account: &StudentAccount,
        contact_phone: &str,
    ) -> Result<OrderRow, AppError> {
        let phone = normalize_phone(contact_phone).map_err(AppError::Invalid)?;
        let state = self.online_state(account).await?;
        let (Step::Photo, Some(entry), Some(campaign)) =
            (state.step, &state.entry, &state.campaign)
        else {
            return Err(AppError::invalid(
                "online.verify_first",
                "请先完成学校、学生信息验证并绑定采集码",
                "Verify your school and identity and bind your code first",
            ));
        };
        let photo_kept = self
            .online_current_photo(&state)
            .await?
            .and_then(|p| PhotoStatus::parse(&p.status))
            .is_some_and(|s| s.is_good() || s == PhotoStatus::InReview);
        if !photo_kept {
            return Err(AppError::invalid(
                "order.photo_first",
                "请先提交合格的照片",
                "Submit a photo that passes the checks first",
            ));
        }
        if let Some(o) = self.db.order_for_entry(entry.id).await? {
            if o.status == "pending" && o.contact_phone != phone {
                self.db.set_order_contact(o.id, &phone).await?;
                return Ok(self.db.get_order(o.id).await?);
            }
            return Ok(o);
        }
        let suffix = crate::pii::random_hex::<3>()?.to_ascii_uppercase();
        let code = format!(
            "GP{}{:06}{suffix}",
            china_today().format("%Y%m%d"),
            entry.id
        );
        Ok(self
            .db
            .create_order(&code, account.id, entry.id, campaign.fee_fen, &phone)
            .await?)
    }
}
