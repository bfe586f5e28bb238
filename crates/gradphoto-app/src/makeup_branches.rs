//! The agency's branches for make-up shoots (issue 8): branches, their services (price,
//! place, hours, slots, cutoff, how the fee is paid) and China's public calendar, kept by
//! an agency admin. Every change is audited.

use chrono::NaiveDate;
use gradphoto_db::branches::{BranchRow, BranchWrite, PublicDayRow, ServiceRow, ServiceWrite};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::makeup::calendar::{Calendar, DayKind, PublicDay, format_days, parse_days};
use gradphoto_domain::makeup::slots::{Hours, OpenDays, format_windows, parse_windows};
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::{App, AppError};

fn branches() -> Resource {
    Resource::platform(ResourceKind::Branch)
}

/// A branch as typed on its form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BranchInput {
    pub name: String,
    pub city: String,
    pub address: String,
    pub phone: String,
    pub active: bool,
}

impl BranchInput {
    pub fn of(b: &BranchRow) -> BranchInput {
        BranchInput {
            name: b.name.clone(),
            city: b.city.clone(),
            address: b.address.clone(),
            phone: b.phone.clone(),
            active: b.active != 0,
        }
    }

    fn validate(&self) -> Result<BranchWrite, AppError> {
        let (name, city, address) = (self.name.trim(), self.city.trim(), self.address.trim());
        if name.is_empty() || city.is_empty() || address.is_empty() {
            return Err(AppError::invalid(
                "branch.required",
                "请填写网点名称、城市和地址",
                "Give the branch's name, city and address",
            ));
        }
        Ok(BranchWrite {
            name: name.to_string(),
            city: city.to_string(),
            address: address.to_string(),
            phone: self.phone.trim().to_string(),
            active: self.active,
        })
    }
}

/// A service as typed on its form.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ServiceInput {
    pub name_zh: String,
    pub name_en: String,
    pub place: String,
    /// Yuan, e.g. "50" or "50.00".
    pub price_yuan: String,
    pub open_days: String,
    /// `09:00-11:30, 13:30-16:30`
    pub windows: String,
    pub slot_minutes: String,
    pub slot_capacity: String,
    pub cutoff_minutes: String,
    pub days_ahead: String,
    /// `online` or `at_branch`
    pub payment: String,
    pub choose_shots: bool,
    pub active: bool,
}

impl Default for ServiceInput {
    fn default() -> ServiceInput {
        ServiceInput {
            name_zh: String::new(),
            name_en: String::new(),
            place: String::new(),
            price_yuan: String::new(),
            open_days: OpenDays::WorkingDays.as_str().into(),
            windows: "09:00-11:30, 13:30-16:30".into(),
            slot_minutes: "30".into(),
            slot_capacity: "6".into(),
            cutoff_minutes: "120".into(),
            days_ahead: "14".into(),
            payment: "at_branch".into(),
            choose_shots: false,
            active: true,
        }
    }
}

fn number(field_zh: &str, field_en: &str, s: &str, min: i64, max: i64) -> Result<i64, AppError> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            AppError::invalid(
                "service.number",
                format!("{field_zh}应为 {min}–{max} 的整数"),
                format!("{field_en} must be a whole number from {min} to {max}"),
            )
        })
}

impl ServiceInput {
    pub fn of(s: &ServiceRow) -> ServiceInput {
        ServiceInput {
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            place: s.place.clone(),
            price_yuan: format!("{}.{:02}", s.price_fen / 100, s.price_fen % 100),
            open_days: s.open_days.clone(),
            windows: s.windows.clone(),
            slot_minutes: s.slot_minutes.to_string(),
            slot_capacity: s.slot_capacity.to_string(),
            cutoff_minutes: s.cutoff_minutes.to_string(),
            days_ahead: s.days_ahead.to_string(),
            payment: s.payment.clone(),
            choose_shots: s.choose_shots != 0,
            active: s.active != 0,
        }
    }

    fn validate(&self) -> Result<ServiceWrite, AppError> {
        let (name_zh, place) = (self.name_zh.trim(), self.place.trim());
        if name_zh.is_empty() || place.is_empty() {
            return Err(AppError::invalid(
                "service.required",
                "请填写服务名称和拍摄地点",
                "Give the service's name and where it is taken",
            ));
        }
        let open_days = OpenDays::parse(self.open_days.trim()).ok_or_else(|| {
            AppError::invalid(
                "service.open_days",
                "请选择营业日",
                "Choose the opening days",
            )
        })?;
        let slot_minutes = number(
            "每个时段的分钟数",
            "Minutes per slot",
            &self.slot_minutes,
            5,
            240,
        )?;
        let windows = parse_windows(&self.windows, u32::try_from(slot_minutes).unwrap_or(30))
            .map_err(AppError::Invalid)?;
        let payment = match self.payment.trim() {
            "" | "at_branch" => "at_branch".to_string(),
            "online" => "online".to_string(),
            _ => {
                return Err(AppError::invalid(
                    "service.payment",
                    "请选择付款方式：预约时网上支付或到店支付",
                    "Choose how the fee is paid: online when booking, or at the branch",
                ));
            }
        };
        Ok(ServiceWrite {
            name_zh: name_zh.to_string(),
            name_en: match self.name_en.trim() {
                "" => name_zh.to_string(),
                en => en.to_string(),
            },
            place: place.to_string(),
            price_fen: crate::campaign_input::parse_fee(&self.price_yuan)?,
            open_days: open_days.as_str().into(),
            windows: format_windows(&windows),
            slot_minutes,
            slot_capacity: number(
                "每个时段的名额",
                "Places per slot",
                &self.slot_capacity,
                1,
                500,
            )?,
            cutoff_minutes: number(
                "取消或改期的截止（开始前分钟数）",
                "Cancel or move until (minutes before)",
                &self.cutoff_minutes,
                0,
                7 * 24 * 60,
            )?,
            days_ahead: number(
                "可预约天数",
                "Days bookable ahead",
                &self.days_ahead,
                1,
                180,
            )?,
            payment,
            choose_shots: self.choose_shots,
            active: self.active,
        })
    }
}

/// A service's hours as the domain reads them.
pub fn hours_of(s: &ServiceRow) -> Result<Hours, AppError> {
    let slot_minutes = u32::try_from(s.slot_minutes)
        .map_err(|_| AppError::Internal(format!("service {} slot minutes", s.id)))?;
    Ok(Hours {
        open_days: OpenDays::parse(&s.open_days)
            .ok_or_else(|| AppError::Internal(format!("service {} open days", s.id)))?,
        windows: parse_windows(&s.windows, slot_minutes).map_err(|m| AppError::Internal(m.en))?,
        slot_minutes,
        slot_capacity: u32::try_from(s.slot_capacity).unwrap_or(0),
    })
}

/// A branch with its services, for the agency's page.
#[derive(Debug, Clone)]
pub struct BranchView {
    pub branch: BranchRow,
    pub services: Vec<ServiceRow>,
}

fn name_taken() -> AppError {
    AppError::Conflict(Msg::new(
        "branch.name_taken",
        "已有同名网点或服务",
        "A branch or service of that name exists already",
    ))
}

fn or_taken(e: gradphoto_db::DbError) -> AppError {
    match e {
        gradphoto_db::DbError::Conflict(_) => name_taken(),
        other => other.into(),
    }
}

impl App {
    /// China's public calendar as stored (the official days, as corrected by the agency).
    pub async fn public_calendar(&self) -> Result<(Calendar, Vec<PublicDay>), AppError> {
        let days = self
            .db
            .public_days()
            .await?
            .into_iter()
            .map(public_day)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((Calendar::new(&days), days))
    }

    /// The years the active services take bookings in (from today to the furthest
    /// horizon) that the public calendar does not list: their holidays would be taken as
    /// working days, so the agency is told to enter them.
    pub async fn calendar_gaps(&self) -> Result<Vec<i32>, AppError> {
        use chrono::Datelike;
        let (calendar, _) = self.public_calendar().await?;
        let today = gradphoto_domain::calendar::china_date(gradphoto_db::now_ms());
        let furthest = self
            .db
            .open_services()
            .await?
            .iter()
            .map(|(_, s)| s.days_ahead)
            .max()
            .unwrap_or(0);
        let last = today + chrono::Days::new(u64::try_from(furthest).unwrap_or(0));
        Ok((today.year()..=last.year())
            .filter(|y| !calendar.knows_year(*y))
            .collect())
    }

    pub async fn branch_views(&self, by: &Staff) -> Result<Vec<BranchView>, AppError> {
        by.may(Action::Read, branches())?;
        let mut out = Vec::new();
        for branch in self.db.branches().await? {
            let services = self.db.branch_services(branch.id).await?;
            out.push(BranchView { branch, services });
        }
        Ok(out)
    }

    pub async fn branch_view(&self, by: &Staff, id: i64) -> Result<BranchView, AppError> {
        by.may(Action::Read, branches())?;
        let branch = self.db.branch(id).await?;
        let services = self.db.branch_services(id).await?;
        Ok(BranchView { branch, services })
    }

    pub async fn create_branch(
        &self,
        by: &Staff,
        input: &BranchInput,
    ) -> Result<BranchRow, AppError> {
        by.may(Action::Create, branches())?;
        let w = input.validate()?;
        let row = self.db.create_branch(&w).await.map_err(or_taken)?;
        let mut audit = by.audit("branch.create", "branch", Some(row.id.to_string()), None);
        audit.after =
            Some(serde_json::json!({ "name": row.name, "city": row.city, "address": row.address }));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    pub async fn update_branch(
        &self,
        by: &Staff,
        id: i64,
        input: &BranchInput,
    ) -> Result<BranchRow, AppError> {
        by.may(Action::Update, branches())?;
        let before = self.db.branch(id).await?;
        let row = self
            .db
            .update_branch(id, &input.validate()?)
            .await
            .map_err(or_taken)?;
        let mut audit = by.audit("branch.update", "branch", Some(id.to_string()), None);
        audit.before = Some(
            serde_json::json!({ "name": before.name, "city": before.city, "address": before.address, "active": before.active }),
        );
        audit.after = Some(
            serde_json::json!({ "name": row.name, "city": row.city, "address": row.address, "active": row.active }),
        );
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// A service's form checked, including that paying online when booking is something
    /// this deployment can take.
    fn service_write(&self, input: &ServiceInput) -> Result<ServiceWrite, AppError> {
        let write = input.validate()?;
        if write.payment == "online" && (write.price_fen == 0 || self.payments.methods().is_empty())
        {
            return Err(AppError::invalid(
                "service.payment_online",
                "网上支付需要本系统已开通微信支付或支付宝，且价格大于零；否则请选择到店支付",
                "Paying online needs WeChat Pay or Alipay set up here and a price above zero; otherwise choose paying at the branch",
            ));
        }
        Ok(write)
    }

    pub async fn create_service(
        &self,
        by: &Staff,
        branch_id: i64,
        input: &ServiceInput,
    ) -> Result<ServiceRow, AppError> {
        by.may(Action::Create, branches())?;
        self.db.branch(branch_id).await?;
        let write = self.service_write(input)?;
        let row = self
            .db
            .create_service(branch_id, &write)
            .await
            .map_err(or_taken)?;
        let mut audit = by.audit(
            "branch.service_create",
            "branch_service",
            Some(row.id.to_string()),
            None,
        );
        audit.after = Some(service_json(&row));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    pub async fn update_service(
        &self,
        by: &Staff,
        service_id: i64,
        input: &ServiceInput,
    ) -> Result<ServiceRow, AppError> {
        by.may(Action::Update, branches())?;
        let before = self.db.service(service_id).await?;
        let write = self.service_write(input)?;
        let row = self
            .db
            .update_service(service_id, &write)
            .await
            .map_err(or_taken)?;
        let mut audit = by.audit(
            "branch.service_update",
            "branch_service",
            Some(service_id.to_string()),
            None,
        );
        audit.before = Some(service_json(&before));
        audit.after = Some(service_json(&row));
        self.db.append_audit(&audit).await?;
        Ok(row)
    }

    /// The listed days of one year as text, for the agency's editor.
    pub async fn public_year_text(&self, by: &Staff, year: i32) -> Result<String, AppError> {
        by.may(Action::Read, branches())?;
        let (_, days) = self.public_calendar().await?;
        let of_year: Vec<PublicDay> = days
            .into_iter()
            .filter(|d| d.day.format("%Y").to_string() == year.to_string())
            .collect();
        Ok(format_days(&of_year))
    }

    /// Replaces the listed days of `year` with the text an agency admin typed or pasted
    /// (e.g. the State Council's notice for the coming year), all or nothing; audited.
    pub async fn replace_public_year(
        &self,
        by: &Staff,
        year: i32,
        text: &str,
    ) -> Result<usize, AppError> {
        by.may(Action::Update, branches())?;
        let days = parse_days(text).map_err(AppError::Invalid)?;
        if let Some(stray) = days
            .iter()
            .find(|d| d.day.format("%Y").to_string() != year.to_string())
        {
            return Err(AppError::invalid(
                "calendar.other_year",
                format!("{} 不属于 {year} 年", stray.day),
                format!("{} is not in {year}", stray.day),
            ));
        }
        let before = self.public_year_text(by, year).await?;
        let rows: Vec<(String, String, String)> = days
            .iter()
            .map(|d| {
                (
                    d.day.to_string(),
                    d.kind.as_str().to_string(),
                    d.name.clone(),
                )
            })
            .collect();
        self.db
            .replace_public_year(year, &rows, &by.row.username)
            .await?;
        let mut audit = by.audit(
            "calendar.replace_year",
            "public_days",
            Some(year.to_string()),
            None,
        );
        audit.before = Some(serde_json::json!({ "days": before }));
        audit.after = Some(serde_json::json!({ "days": format_days(&days) }));
        self.db.append_audit(&audit).await?;
        Ok(days.len())
    }
}

fn public_day(r: PublicDayRow) -> Result<PublicDay, AppError> {
    Ok(PublicDay {
        day: NaiveDate::parse_from_str(&r.day, "%Y-%m-%d")
            .map_err(|_| AppError::Internal(format!("public day {}", r.day)))?,
        kind: DayKind::parse(&r.kind)
            .ok_or_else(|| AppError::Internal(format!("public day kind {}", r.kind)))?,
        name: r.name,
    })
}

fn service_json(s: &ServiceRow) -> serde_json::Value {
    serde_json::json!({
        "name_zh": s.name_zh, "place": s.place, "price_fen": s.price_fen, "open_days": s.open_days,
        "windows": s.windows, "slot_minutes": s.slot_minutes, "slot_capacity": s.slot_capacity,
        "cutoff_minutes": s.cutoff_minutes, "days_ahead": s.days_ahead, "payment": s.payment,
        "choose_shots": s.choose_shots, "active": s.active,
    })
}
