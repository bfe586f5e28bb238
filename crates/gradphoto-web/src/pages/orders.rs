//! The agency's list of online orders: a filter form in the query string (school,
//! campaign, status, way of paying, date range, order code or phone), one page of orders
//! with the totals of all that match, and the same filter as an XLSX download. A filter
//! that cannot be read is said plainly on the page (422), never a server error.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gradphoto_app::AppError;
use gradphoto_app::online_handover::Progress;
use gradphoto_app::order_filter::{OrderFilter, OrderQuery};
use gradphoto_app::order_list::{
    OrderChoices, OrderItem, OrderPage, may_list_orders, provider_label,
};
use gradphoto_db::order_list::OrderTotals;
use gradphoto_domain::calendar::china_minute;
use gradphoto_domain::payments::{Fen, OrderStatus};

use super::universities::xlsx;
use super::{Page, PageCtx, render};
use crate::AppState;
use crate::error::WebError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list))
        .route("/orders.xlsx", get(export))
        .route("/orders/{code}/refund", post(refund))
        .route("/orders/{code}/ship", post(ship))
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    ctx: PageCtx,
    /// The filter as typed, to show it again.
    query: OrderQuery,
    choices: OrderChoices,
    items: Vec<OrderItem>,
    totals: OrderTotals,
    page: i64,
    pages: i64,
    error: Option<String>,
    /// The agency's administrator may refund paid orders from the list.
    may_refund: bool,
    /// The parcels of the listed orders that have an address, by order id.
    shipments: std::collections::HashMap<i64, gradphoto_db::shipments::ShipmentRow>,
}

impl OrdersPage {
    fn shipment(&self, id: &i64) -> Option<&gradphoto_db::shipments::ShipmentRow> {
        self.shipments.get(id)
    }

    fn field<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
    fn chosen(&self, v: &Option<String>, id: &i64) -> bool {
        v.as_deref().map(str::trim) == Some(id.to_string().as_str())
    }
    fn is(&self, v: &Option<String>, value: &str) -> bool {
        v.as_deref().map(str::trim) == Some(value)
    }
    fn statuses(&self) -> &'static [OrderStatus] {
        OrderStatus::ALL
    }
    fn status_label(&self, s: &OrderStatus) -> &'static str {
        self.ctx.tr(s.zh(), s.en())
    }
    fn progress_label(&self, p: &Progress) -> &'static str {
        self.ctx.tr(p.zh(), p.en())
    }
    fn provider(&self, p: &Option<String>) -> String {
        match p.as_deref().map(provider_label) {
            Some((zh, en)) => self.ctx.tr(&zh, &en).to_string(),
            None => String::new(),
        }
    }
    fn university(&self, o: &OrderItem) -> String {
        self.ctx.tr(&o.university_zh, &o.university_en).to_string()
    }
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).yuan()
    }
    fn time(&self, ms: &i64) -> String {
        china_minute(*ms)
    }
    /// The list's address with this filter and `page` (0: the XLSX, which has none).
    fn href(&self, path: &str, page: i64) -> String {
        let q = &self.query;
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("university", &q.university),
            ("campaign", &q.campaign),
            ("status", &q.status),
            ("provider", &q.provider),
            ("from", &q.from),
            ("to", &q.to),
            ("q", &q.q),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        let s = s.finish();
        if s.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{s}")
        }
    }
    fn page_href(&self, page: i64) -> String {
        self.href("/orders", page)
    }
    fn export_href(&self) -> String {
        self.href("/orders.xlsx", 0)
    }
}

fn query_of(raw: Option<String>) -> OrderQuery {
    OrderQuery::from_pairs(form_urlencoded::parse(raw.unwrap_or_default().as_bytes()))
}

async fn list(
    State(s): State<AppState>,
    p: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let query = query_of(raw);
    let (page, error) = match query.parse() {
        Ok(filter) => match s.app.online_orders(&p.staff, &filter).await {
            Ok(page) => (page, None),
            Err(e) => return Err(p.err(e)),
        },
        // The form comes back with the message and no orders; access is still checked.
        Err(e @ AppError::Invalid(_)) => {
            let choices = s.app.order_choices(&p.staff).await.map_err(|e| p.err(e))?;
            let empty = OrderPage {
                items: Vec::new(),
                totals: OrderTotals::default(),
                page: 1,
                pages: 1,
                choices,
            };
            (empty, Some(e))
        }
        Err(e) => return Err(p.err(e)),
    };
    let status = error
        .as_ref()
        .map(crate::error::status_of)
        .unwrap_or(StatusCode::OK);
    let error = error.map(|e| p.ctx.msg(&e.message()).to_string());
    let may_refund = p.staff.actor.role == gradphoto_domain::policy::Role::AgencyAdmin;
    // Addresses are the agency's to ship to; nobody else sees them on the list.
    let mut shipments = std::collections::HashMap::new();
    for o in page.items.iter().filter(|_| may_refund) {
        if let Some(x) = s.app.db.shipment(o.id).await.map_err(|e| p.err(e.into()))? {
            shipments.insert(o.id, x);
        }
    }
    let mut r = render(&OrdersPage {
        may_refund,
        shipments,
        ctx: p.ctx,
        query,
        choices: page.choices,
        items: page.items,
        totals: page.totals,
        page: page.page,
        pages: page.pages,
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn export(
    State(s): State<AppState>,
    p: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    may_list_orders(&p.staff).map_err(|e| p.err(e))?;
    let filter: OrderFilter = query_of(raw).parse().map_err(|e| p.err(e))?;
    let bytes = s
        .app
        .online_orders_xlsx(&p.staff, &filter)
        .await
        .map_err(|e| p.err(e))?;
    let day = gradphoto_domain::calendar::china_date(gradphoto_db::now_ms());
    Ok(xlsx(&format!("orders-{day}.xlsx"), bytes))
}

#[derive(serde::Deserialize)]
struct RefundForm {
    #[serde(default)]
    reason: String,
}

/// Refunds a paid order at its provider (the agency's administrator), then shows it.
async fn refund(
    State(s): State<AppState>,
    p: Page,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<RefundForm>,
) -> Result<Response, WebError> {
    s.app
        .refund_order(&p.staff, &code, &f.reason)
        .await
        .map_err(|e| p.err(e))?;
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &code)
        .finish();
    Ok(Redirect::to(&format!("/orders?{q}")).into_response())
}

#[derive(serde::Deserialize)]
struct ShipForm {
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_no: String,
}

/// The agency records the parcel of an order's prints.
async fn ship(
    State(s): State<AppState>,
    p: Page,
    Path(code): Path<String>,
    axum::Form(f): axum::Form<ShipForm>,
) -> Result<Response, WebError> {
    s.app
        .ship_order(&p.staff, &code, &f.carrier, &f.tracking_no)
        .await
        .map_err(|e| p.err(e))?;
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &code)
        .finish();
    Ok(Redirect::to(&format!("/orders?{q}")).into_response())
}
