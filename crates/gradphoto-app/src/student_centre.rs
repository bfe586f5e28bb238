//! The student's own pages beyond the steps (seed 003 §我的订单, §个人中心): their orders —
//! paid and unpaid, each viewable read-only, modifiable until its photo went to the
//! registry, payable while pending — and the personal centre, where the phone number is
//! changed by proving the new one with a code sent to it.

use gradphoto_db::online_photos::OnlinePhotoRow;
use gradphoto_db::outbox::OutboxRow;
use gradphoto_db::payments::{OrderRow, PaymentRow};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::otp::normalize_phone;

use crate::online_handover::Progress;
use crate::{App, AppError};

/// The purpose of a phone-change code, bound to the account that asked for it.
fn change_purpose(account: &StudentAccount) -> String {
    format!("phone_change:{}", account.id)
}

/// One of the student's orders, with where its collection stands.
#[derive(Debug, Clone)]
pub struct MyOrder {
    pub order: OrderRow,
    pub campaign: String,
    pub school_zh: String,
    pub school_en: String,
    pub progress: Progress,
    pub photo: Option<OnlinePhotoRow>,
    pub outbox: Option<OutboxRow>,
    pub payments: Vec<PaymentRow>,
}

impl MyOrder {
    /// Contact phone and photo may change until the photo went to the registry.
    pub fn modifiable(&self) -> bool {
        self.order.status != "canceled"
            && !matches!(
                self.progress,
                Progress::Sending | Progress::Sent | Progress::AcceptedByRegistry
            )
    }
}

impl App {
    async fn my_order(&self, order: OrderRow) -> Result<MyOrder, AppError> {
        // Orders of a student account are online orders: they have an entry.
        let entry_id = order
            .entry_id
            .ok_or_else(|| AppError::Internal(format!("order {} has no entry", order.id)))?;
        let entry = self.db.online_entry(entry_id).await?;
        let campaign = self.db.get_campaign(entry.campaign_id).await?;
        let school = self.db.get_university(campaign.university_id).await?;
        let photo = self.db.current_online_photo(entry.id).await?;
        let outbox = self.online_outbox(photo.as_ref()).await?;
        let payments = self.db.order_payments(order.id).await?;
        Ok(MyOrder {
            progress: Progress::of(photo.as_ref(), Some(&order), outbox.as_ref()),
            order,
            campaign: campaign.name,
            school_zh: school.name_zh,
            school_en: school.name_en,
            photo,
            outbox,
            payments,
        })
    }

    /// The student's online orders, newest first (a make-up booking's fee is shown with
    /// the booking).
    pub async fn my_orders(&self, account: &StudentAccount) -> Result<Vec<MyOrder>, AppError> {
        let mut out = Vec::new();
        for o in self.db.orders_of_account(account.id).await? {
            if o.entry_id.is_some() {
                out.push(self.my_order(o).await?);
            }
        }
        Ok(out)
    }

    /// One of the student's orders; another's is not found.
    pub async fn my_order_by_code(
        &self,
        account: &StudentAccount,
        code: &str,
    ) -> Result<MyOrder, AppError> {
        match self.db.order_by_code(code.trim()).await? {
            Some(o) if o.account_id == Some(account.id) && o.entry_id.is_some() => {
                self.my_order(o).await
            }
            _ => Err(AppError::NotFound(Msg::new(
                "order.not_found",
                "未找到该订单",
                "No such order",
            ))),
        }
    }

    /// Changes the contact phone of one of the student's orders, until its photo went to
    /// the registry (seed 003 §个人中心: "修改…即可修改订单信息").
    pub async fn update_order_contact(
        &self,
        account: &StudentAccount,
        code: &str,
        contact_phone: &str,
    ) -> Result<MyOrder, AppError> {
        let phone = normalize_phone(contact_phone).map_err(AppError::Invalid)?;
        let mine = self.my_order_by_code(account, code).await?;
        if !mine.modifiable() {
            return Err(AppError::invalid(
                "order.not_modifiable",
                "照片已报送学信网，订单不能再修改",
                "Your photo went to the registry; the order can no longer be changed",
            ));
        }
        self.db.set_order_contact(mine.order.id, &phone).await?;
        self.my_order_by_code(account, code).await
    }

    /// Sends a code to the new number. The old number must be typed as the account's.
    pub async fn send_phone_change_code(
        &self,
        account: &StudentAccount,
        old_phone: &str,
        new_phone: &str,
        ip: &str,
    ) -> Result<String, AppError> {
        let new_phone = self.check_phone_change(account, old_phone, new_phone)?;
        self.send_code_at(
            &new_phone,
            &change_purpose(account),
            ip,
            gradphoto_db::now_ms(),
        )
        .await?;
        Ok(new_phone)
    }

    /// Moves the account to the new number once the code sent to it is given back.
    pub async fn change_phone(
        &self,
        account: &StudentAccount,
        old_phone: &str,
        new_phone: &str,
        code: &str,
    ) -> Result<String, AppError> {
        let new_phone = self.check_phone_change(account, old_phone, new_phone)?;
        let phone = self
            .check_code_at(
                &new_phone,
                &change_purpose(account),
                code,
                gradphoto_db::now_ms(),
            )
            .await?;
        self.db
            .change_student_phone(account.id, &phone)
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "phone.taken",
                    "该手机号已绑定其他账号",
                    "That number belongs to another account",
                )),
                other => other.into(),
            })?;
        tracing::info!(account = account.id, "student changed phone number");
        Ok(phone)
    }

    fn check_phone_change(
        &self,
        account: &StudentAccount,
        old_phone: &str,
        new_phone: &str,
    ) -> Result<String, AppError> {
        let old = normalize_phone(old_phone).map_err(AppError::Invalid)?;
        if old != account.phone {
            return Err(AppError::invalid(
                "phone.old_mismatch",
                "原手机号不正确",
                "The current number is not this account's",
            ));
        }
        let new = normalize_phone(new_phone).map_err(AppError::Invalid)?;
        if new == old {
            return Err(AppError::invalid(
                "phone.same",
                "新手机号与原手机号相同",
                "The new number is the same as the current one",
            ));
        }
        Ok(new)
    }
}
