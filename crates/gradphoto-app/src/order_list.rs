//! The agency's list of online orders (issue 5, agency side): who ordered, for which
//! school and campaign, what was paid, how and when, what was refunded, and where the
//! student's photo stands on its way to the registry; filtered, paged, and exported to
//! XLSX for reconciliation. The agency sees every school's orders, a university's admin
//! only its own (the policy's `Order` resource decides).
//!
//! The page masks names and phones; the export carries full names and student numbers,
//! which reconciling against the schools' rosters needs, and stays masked on phones.

use chrono::Days;
use gradphoto_db::order_list::{OrderListFilter, OrderListRow, OrderTotals};
use gradphoto_domain::calendar::china_date_start_ms;
use gradphoto_domain::online_photo::PhotoStatus;
use gradphoto_domain::payments::OrderStatus;
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use crate::auth::Staff;
use crate::online_handover::Progress;
use crate::order_filter::{OrderFilter, bad};
use crate::payments::Method;
use crate::{App, AppError};

/// Orders on one page of the list.
pub const PER_PAGE: i64 = 50;
/// The most orders one export carries; past it, narrow the filter.
const EXPORT_MAX: i64 = 50_000;

/// A provider name as people know it: the way of paying, and whether it was the demo's
/// sandbox.
pub fn provider_label(provider: &str) -> (String, String) {
    let (method, sandbox) = match provider.strip_prefix("sandbox-") {
        Some(m) => (m, true),
        None => (provider, false),
    };
    let (zh, en) = match Method::parse(method) {
        Some(Method::Wechat) => ("微信支付", "WeChat Pay"),
        Some(Method::Alipay) => ("支付宝", "Alipay"),
        None => (method, method),
    };
    if sandbox {
        (format!("{zh}（沙箱）"), format!("{en} (sandbox)"))
    } else {
        (zh.to_string(), en.to_string())
    }
}

/// One order as shown: only what the reader may see.
#[derive(Debug, Clone)]
pub struct OrderItem {
    pub id: i64,
    pub code: String,
    pub status: OrderStatus,
    pub total_fen: i64,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub university_zh: String,
    pub university_en: String,
    pub campaign_name: String,
    /// Masked on the page, whole in the export.
    pub student_name: String,
    pub student_no: String,
    /// Always masked.
    pub phone_masked: String,
    pub provider: Option<String>,
    pub photo_status: Option<PhotoStatus>,
    pub progress: Progress,
    /// Whether the photo went to the registry (an outbox row exists).
    pub sent: bool,
    /// The shooting number, for a fee paid at the on-site desk.
    pub desk_number: Option<i64>,
}

impl OrderItem {
    fn of(r: OrderListRow, whole_name: bool) -> Result<OrderItem, AppError> {
        let status = OrderStatus::parse(&r.status)
            .ok_or_else(|| AppError::Internal(format!("order {} status {}", r.id, r.status)))?;
        let progress = Progress::from_parts(
            r.photo_status.as_deref(),
            status == OrderStatus::Paid,
            r.outbox_status
                .as_deref()
                .map(|s| (s, r.outbox_verdict.as_deref())),
        );
        let name = r.student_name.unwrap_or_default();
        Ok(OrderItem {
            id: r.id,
            code: r.code,
            status,
            total_fen: r.total_fen,
            paid_fen: r.paid_fen,
            refunded_fen: r.refunded_fen,
            created_at: r.created_at,
            paid_at: r.paid_at,
            university_zh: r.university_zh,
            university_en: r.university_en,
            campaign_name: r.campaign_name,
            student_name: if whole_name { name } else { mask_name(&name) },
            student_no: r.student_no.unwrap_or_default(),
            phone_masked: gradphoto_domain::otp::mask_phone(&r.contact_phone),
            provider: r.provider,
            photo_status: r.photo_status.as_deref().and_then(PhotoStatus::parse),
            progress,
            sent: r.outbox_id.is_some_and(|id| id > 0),
            desk_number: r.desk_number,
        })
    }
}

/// A choice in the filter form: (id, label in Chinese, label in English).
pub type Choice = (i64, String, String);

/// The schools and campaigns a reader may filter by.
#[derive(Debug, Clone, Default)]
pub struct OrderChoices {
    pub universities: Vec<Choice>,
    pub campaigns: Vec<Choice>,
}

/// One page of the list, with the totals of everything the filter matches.
#[derive(Debug, Clone)]
pub struct OrderPage {
    pub items: Vec<OrderItem>,
    pub totals: OrderTotals,
    pub page: i64,
    pub pages: i64,
    pub choices: OrderChoices,
}

/// The policy's resource for the orders of one school, or of every school.
fn orders_of(university_id: Option<i64>) -> Resource {
    match university_id {
        Some(u) => Resource::of_university(ResourceKind::Order, u),
        None => Resource::platform(ResourceKind::Order),
    }
}

/// Whether `by` may see orders at all (their own school's, or every school's).
pub fn may_list_orders(by: &Staff) -> Result<(), AppError> {
    by.may(Action::Read, orders_of(by.actor.university_id))
}

/// What the filter asks of the store, limited to the school the reader may see: a
/// university's staff always their own, the agency all or the one asked for. The policy
/// refuses anyone else, and a school's staff asking for another school.
fn scoped(by: &Staff, filter: &OrderFilter, action: Action) -> Result<OrderListFilter, AppError> {
    let university_id = filter.university_id.or(by.actor.university_id);
    by.may(action, orders_of(university_id))?;
    Ok(OrderListFilter {
        university_id,
        campaign_id: filter.campaign_id,
        status: filter.status.map(|s| s.as_str().to_string()),
        method: filter.method.map(|m| m.as_str().to_string()),
        created_from: filter.from.map(china_date_start_ms),
        created_before: filter
            .to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(china_date_start_ms),
        search: filter.q.clone(),
        limit: PER_PAGE,
        offset: (filter.page - 1).saturating_mul(PER_PAGE),
    })
}

impl App {
    /// The schools and campaigns `by` may filter the orders by.
    pub async fn order_choices(&self, by: &Staff) -> Result<OrderChoices, AppError> {
        may_list_orders(by)?;
        let own = by.actor.university_id;
        let universities = match own {
            Some(u) => vec![self.db.get_university(u).await?],
            None => self.db.list_universities().await?,
        };
        let campaigns = self.db.list_campaigns(own).await?;
        let school = |id: i64| universities.iter().find(|u| u.id == id);
        Ok(OrderChoices {
            campaigns: campaigns
                .into_iter()
                .map(|c| match school(c.university_id) {
                    Some(u) if own.is_none() => (
                        c.id,
                        format!("{} · {}", c.name, u.name_zh),
                        format!("{} · {}", c.name, u.name_en),
                    ),
                    _ => (c.id, c.name.clone(), c.name),
                })
                .collect(),
            universities: universities
                .into_iter()
                .map(|u| (u.id, u.name_zh, u.name_en))
                .collect(),
        })
    }

    /// One page of the orders the filter matches, newest first, names and phones masked.
    pub async fn online_orders(
        &self,
        by: &Staff,
        filter: &OrderFilter,
    ) -> Result<OrderPage, AppError> {
        let f = scoped(by, filter, Action::Read)?;
        let totals = self.db.order_totals(&f).await?;
        let items = self
            .db
            .list_orders(&f)
            .await?
            .into_iter()
            .map(|r| OrderItem::of(r, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OrderPage {
            items,
            totals,
            page: filter.page,
            pages: ((totals.orders + PER_PAGE - 1) / PER_PAGE).max(1),
            choices: self.order_choices(by).await?,
        })
    }

    /// Every order the filter matches (not only one page) as XLSX, for reconciliation:
    /// full names and student numbers, masked phones, amounts in yuan, China's local
    /// time. Audited.
    pub async fn online_orders_xlsx(
        &self,
        by: &Staff,
        filter: &OrderFilter,
    ) -> Result<Vec<u8>, AppError> {
        let mut f = scoped(by, filter, Action::Export)?;
        let totals = self.db.order_totals(&f).await?;
        if totals.orders > EXPORT_MAX {
            return Err(bad(
                "orders.export_too_large",
                format!("一次最多导出 {EXPORT_MAX} 个订单，请缩小筛选范围"),
                format!("At most {EXPORT_MAX} orders are exported at once; narrow the filter"),
            ));
        }
        (f.limit, f.offset) = (EXPORT_MAX, 0);
        let items = self
            .db
            .list_orders(&f)
            .await?
            .into_iter()
            .map(|r| OrderItem::of(r, true))
            .collect::<Result<Vec<_>, _>>()?;
        let bytes = crate::order_sheet::orders_xlsx(&items)?;
        // What was exported; the free text may be a phone number, so only its use is kept.
        let mut audit = by.audit("orders.export", "orders", None, f.university_id);
        audit.after = Some(serde_json::json!({
            "university": f.university_id, "campaign": f.campaign_id, "status": f.status,
            "provider": f.method, "from": filter.from.map(|d| d.to_string()),
            "to": filter.to.map(|d| d.to_string()), "text_search": f.search.is_some(),
            "rows": items.len(),
        }));
        self.db.append_audit(&audit).await?;
        Ok(bytes)
    }
}
