//! Prints mailed to an online student (issue 8; seed 004: 线上散拍……邮寄纸质照片收件人为学生
//! 本人): the student gives the address on the order, and may change it until the prints
//! are made (a mail batch, `prints.rs`); the agency posts the printed sheet and enters the
//! carrier and tracking number, which the student then sees.

use gradphoto_db::prints::PrintItemRow;
use gradphoto_db::shipments::{Posting, ShipmentRow};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::otp::normalize_phone;
use gradphoto_domain::policy::Role;

use crate::auth::Staff;
use crate::student_centre::MyOrder;
use crate::{App, AppError};

/// What the student types for the parcel.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ShippingInput {
    pub recipient: String,
    pub phone: String,
    pub address: String,
}

fn handed_over() -> AppError {
    AppError::Conflict(Msg::new(
        "shipping.handed",
        "你的洗印版照片已随院系批次洗印，将经研究生院、院系转交，不再邮寄",
        "Your prints were made with your department's batch and reach you through the graduate school and the department; they are not posted",
    ))
}

fn printed_already() -> AppError {
    AppError::Conflict(Msg::new(
        "shipping.printed",
        "照片已洗印，收件地址不能再修改",
        "Your prints are made; the address can no longer be changed",
    ))
}

/// The address as it may be stored: a recipient, a mainland mobile number and an address
/// long enough to deliver to.
fn checked(input: &ShippingInput) -> Result<(String, String, String), AppError> {
    let recipient = input.recipient.trim();
    if recipient.is_empty() || recipient.chars().count() > 40 {
        return Err(AppError::invalid(
            "shipping.recipient",
            "请填写收件人（最多 40 字）",
            "Give the recipient (at most 40 characters)",
        ));
    }
    let phone = normalize_phone(&input.phone).map_err(AppError::Invalid)?;
    let address = input.address.trim();
    let n = address.chars().count();
    if !(6..=200).contains(&n) {
        return Err(AppError::invalid(
            "shipping.address",
            "请填写完整的收件地址（省市区、街道门牌，6–200 字）",
            "Give the full address (province, city, district, street and number; 6–200 characters)",
        ));
    }
    Ok((recipient.to_string(), phone, address.to_string()))
}

/// A tracking number as carriers print them: 6–40 letters, digits or dashes.
fn checked_tracking(carrier: &str, tracking_no: &str) -> Result<(String, String), AppError> {
    let carrier = carrier.trim();
    let tracking_no = tracking_no.trim();
    if carrier.is_empty() || carrier.chars().count() > 20 {
        return Err(AppError::invalid(
            "shipping.carrier",
            "请填写快递公司（最多 20 字）",
            "Give the carrier (at most 20 characters)",
        ));
    }
    let ok = (6..=40).contains(&tracking_no.len())
        && tracking_no
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        return Err(AppError::invalid(
            "shipping.tracking",
            "快递单号应为 6–40 位字母、数字或连字符",
            "The tracking number is 6–40 letters, digits or dashes",
        ));
    }
    Ok((carrier.to_string(), tracking_no.to_string()))
}

/// The parcel of a student's order as their page shows it.
#[derive(Debug, Clone)]
pub struct MyParcel {
    /// Once an address was given.
    pub shipment: Option<ShipmentRow>,
    /// Whether the address may still be given or changed.
    pub editable: bool,
    /// Whether the sheet is in the post or delivered: the parcel shown is current (after a
    /// loss it is not, until the reprint is posted).
    pub posted: bool,
}

impl App {
    /// The parcel of one of the student's orders.
    pub async fn my_shipment(
        &self,
        account: &StudentAccount,
        code: &str,
    ) -> Result<MyParcel, AppError> {
        let mine = self.my_order_by_code(account, code).await?;
        let shipment = self.db.shipment(mine.order.id).await?;
        let sheets: Vec<PrintItemRow> = match self.order_student(&mine).await? {
            Some(student) => self
                .db
                .student_print_items(student)
                .await?
                .into_iter()
                .filter(|i| i.order_id == Some(mine.order.id))
                .collect(),
            None => Vec::new(),
        };
        let posted = if sheets.is_empty() {
            // A parcel posted before sheets were recorded.
            shipment.as_ref().is_some_and(|x| x.shipped_at.is_some())
        } else {
            sheets.iter().any(|i| i.live() && i.shipped_at.is_some())
        };
        Ok(MyParcel {
            editable: self.address_fixed(&mine).await?.is_none(),
            shipment,
            posted,
        })
    }

    /// The roster student of an online order, once identified.
    async fn order_student(&self, mine: &MyOrder) -> Result<Option<i64>, AppError> {
        Ok(match mine.order.entry_id {
            Some(entry) => self.db.online_entry(entry).await?.student_id,
            None => None,
        })
    }

    /// Why the address of the order can no longer change, if it cannot: the student's
    /// sheet is printed for this parcel, or printed to be handed over through the
    /// department. A sheet reported lost frees the address until its reprint.
    async fn address_fixed(&self, mine: &MyOrder) -> Result<Option<AppError>, AppError> {
        let order = mine.order.id;
        if let Some(student) = self.order_student(mine).await? {
            let items = self.db.student_print_items(student).await?;
            if let Some(live) = items.iter().find(|i| i.live()) {
                return Ok(Some(if live.order_id == Some(order) {
                    printed_already()
                } else {
                    handed_over()
                }));
            }
            if items.iter().any(|i| i.order_id == Some(order)) {
                return Ok(None);
            }
        }
        // A parcel posted before sheets were recorded.
        let posted = self
            .db
            .shipment(order)
            .await?
            .is_some_and(|x| x.shipped_at.is_some());
        Ok(posted.then(printed_already))
    }

    /// Gives or changes the address of the student's order, until the prints are made
    /// (and again after they were reported lost, before the reprint). A student whose
    /// prints were made to be handed over through the department gets no parcel.
    pub async fn set_order_shipping(
        &self,
        account: &StudentAccount,
        code: &str,
        input: &ShippingInput,
    ) -> Result<ShipmentRow, AppError> {
        let mine = self.my_order_by_code(account, code).await?;
        if mine.order.status == "canceled" {
            return Err(AppError::invalid(
                "order.canceled",
                "订单已取消",
                "The order is canceled",
            ));
        }
        let (recipient, phone, address) = checked(input)?;
        if let Some(e) = self.address_fixed(&mine).await? {
            return Err(e);
        }
        // Checked again as it is written: a batch made meanwhile fixes it.
        let student = self.order_student(&mine).await?;
        if !self
            .db
            .set_shipping_address(mine.order.id, student, &recipient, &phone, &address)
            .await?
        {
            return Err(self
                .address_fixed(&mine)
                .await?
                .unwrap_or_else(printed_already));
        }
        self.db
            .shipment(mine.order.id)
            .await?
            .ok_or_else(|| AppError::Internal("shipment just written".into()))
    }

    /// The agency posts an order's printed sheet: carrier and tracking number (a
    /// correction keeps the posting time; a reprint is posted anew). Audited.
    pub async fn ship_order(
        &self,
        by: &Staff,
        code: &str,
        carrier: &str,
        tracking_no: &str,
    ) -> Result<ShipmentRow, AppError> {
        if by.actor.role != Role::AgencyAdmin {
            return Err(AppError::Forbidden(Msg::new(
                "shipping.forbidden",
                "只有图片社管理员可以登记寄件",
                "Only the photo agency's administrators record shipments",
            )));
        }
        let (carrier, tracking_no) = checked_tracking(carrier, tracking_no)?;
        let order = self.db.order_by_code(code.trim()).await?.ok_or_else(|| {
            AppError::NotFound(Msg::new("order.not_found", "未找到该订单", "No such order"))
        })?;
        if order.status != "paid" {
            return Err(AppError::invalid(
                "shipping.not_paid",
                "订单未支付，不能寄出",
                "The order is not paid; nothing is shipped",
            ));
        }
        match self
            .db
            .ship_print_item(order.id, &carrier, &tracking_no, &by.row.username)
            .await?
        {
            Posting::Posted => {}
            Posting::NotPrinted => {
                return Err(AppError::invalid(
                    "shipping.not_printed",
                    "该订单的照片尚未洗印（或已登记遗失待补印），请先在洗印页面生成批次",
                    "This order's prints are not made yet (or were reported lost and wait for the reprint); make the batch on the prints page first",
                ));
            }
            Posting::NoAddress => {
                return Err(AppError::invalid(
                    "shipping.no_address",
                    "学生尚未填写收件地址",
                    "The student has not given an address yet",
                ));
            }
        }
        let mut audit = by.audit("order.ship", "order", Some(order.code.clone()), None);
        audit.after = Some(serde_json::json!({ "carrier": carrier, "tracking_no": tracking_no }));
        self.db.append_audit(&audit).await?;
        self.db
            .shipment(order.id)
            .await?
            .ok_or_else(|| AppError::Internal("shipment just written".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_tracking_numbers_are_checked() {
        let ok = ShippingInput {
            recipient: " 张三 ".into(),
            phone: "138 0013 8000".into(),
            address: "北京市海淀区颐和园路5号".into(),
        };
        assert_eq!(
            checked(&ok).expect("ok"),
            (
                "张三".into(),
                "13800138000".into(),
                "北京市海淀区颐和园路5号".into()
            )
        );
        assert!(
            checked(&ShippingInput {
                address: "北京".into(),
                ..ok.clone()
            })
            .is_err()
        );
        assert!(
            checked(&ShippingInput {
                phone: "12345".into(),
                ..ok.clone()
            })
            .is_err()
        );
        assert!(
            checked(&ShippingInput {
                recipient: " ".into(),
                ..ok
            })
            .is_err()
        );
        assert!(checked_tracking("顺丰", "SF1234567890").is_ok());
        assert!(checked_tracking("顺丰", "SF 123").is_err());
        assert!(checked_tracking("", "SF1234567890").is_err());
    }
}
