//! The filter of the agency's order list, as typed into the form or the query string,
//! checked once: ids, an order status, a way of paying, a date range in China's days, a
//! code or phone fragment, a page. A field that cannot be read is a bilingual
//! [`AppError::Invalid`] naming it, so the page can say so (422) instead of failing.

use chrono::NaiveDate;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::payments::OrderStatus;

use crate::AppError;
use crate::payments::Method;

/// The filter as it arrives from a form or a query string: every field optional text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    pub university: Option<String>,
    pub campaign: Option<String>,
    pub status: Option<String>,
    pub provider: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
}

/// A checked filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFilter {
    pub university_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub method: Option<Method>,
    /// Created on or after this day in China.
    pub from: Option<NaiveDate>,
    /// Created on or before this day in China.
    pub to: Option<NaiveDate>,
    /// Part of the order code or of the contact phone.
    pub q: Option<String>,
    /// 1-based.
    pub page: i64,
}

impl Default for OrderFilter {
    fn default() -> OrderFilter {
        OrderFilter {
            university_id: None,
            campaign_id: None,
            status: None,
            method: None,
            from: None,
            to: None,
            q: None,
            page: 1,
        }
    }
}

pub(crate) fn bad(code: &str, zh: String, en: String) -> AppError {
    AppError::Invalid(Msg::new(code, zh, en))
}

/// The trimmed value of a field, `None` when absent or blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn id_of(v: &Option<String>, zh: &str, en: &str) -> Result<Option<i64>, AppError> {
    given(v)
        .map(|s| {
            s.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                bad(
                    "orders.bad_filter",
                    format!("{zh}无效：{s}"),
                    format!("Not a valid {en}: {s}"),
                )
            })
        })
        .transpose()
}

fn date_of(v: &Option<String>) -> Result<Option<NaiveDate>, AppError> {
    given(v)
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                bad(
                    "orders.bad_date",
                    format!("日期格式应为 YYYY-MM-DD（如 2025-06-01）：{s}"),
                    format!("Dates are written YYYY-MM-DD (e.g. 2025-06-01): {s}"),
                )
            })
        })
        .transpose()
}

impl OrderQuery {
    /// The fields from a query string's pairs: the last of a repeated key wins, other
    /// keys are ignored, so nothing in the query string fails before [`Self::parse`].
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> OrderQuery {
        let mut q = OrderQuery::default();
        for (k, v) in pairs {
            let field = match k.as_ref() {
                "university" => &mut q.university,
                "campaign" => &mut q.campaign,
                "status" => &mut q.status,
                "provider" => &mut q.provider,
                "from" => &mut q.from,
                "to" => &mut q.to,
                "q" => &mut q.q,
                "page" => &mut q.page,
                _ => continue,
            };
            *field = Some(v.into());
        }
        q
    }

    /// Checks every field; the first bad one is the error, in both languages.
    pub fn parse(&self) -> Result<OrderFilter, AppError> {
        let status = given(&self.status)
            .map(|s| {
                OrderStatus::parse(s).ok_or_else(|| {
                    bad(
                        "orders.bad_status",
                        format!("未知的订单状态：{s}（可选 pending、paid、canceled）"),
                        format!("Unknown order status: {s} (pending, paid or canceled)"),
                    )
                })
            })
            .transpose()?;
        let method = given(&self.provider)
            .map(|s| {
                Method::parse(s).ok_or_else(|| {
                    bad(
                        "orders.bad_provider",
                        format!("未知的支付方式：{s}（可选 wechat、alipay）"),
                        format!("Unknown way of paying: {s} (wechat or alipay)"),
                    )
                })
            })
            .transpose()?;
        let (from, to) = (date_of(&self.from)?, date_of(&self.to)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(bad(
                "orders.bad_range",
                format!("开始日期 {f} 晚于结束日期 {t}"),
                format!("The start date {f} is after the end date {t}"),
            ));
        }
        let page = match given(&self.page) {
            None => 1,
            Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                bad(
                    "orders.bad_page",
                    format!("页码无效：{s}"),
                    format!("Not a valid page number: {s}"),
                )
            })?,
        };
        Ok(OrderFilter {
            university_id: id_of(&self.university, "学校", "university")?,
            campaign_id: id_of(&self.campaign, "采集任务", "campaign")?,
            status,
            method,
            from,
            to,
            q: given(&self.q).map(|s| s.chars().take(64).collect()),
            page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> OrderQuery {
        OrderQuery::from_pairs(pairs.iter().copied())
    }

    fn code(pairs: &[(&str, &str)]) -> String {
        match q(pairs).parse() {
            Err(AppError::Invalid(m)) => m.code,
            other => panic!("{pairs:?}: {other:?}"),
        }
    }

    #[test]
    fn the_last_of_a_repeated_key_wins_and_others_are_ignored() {
        let got = q(&[("status", "paid"), ("status", "pending"), ("other", "x")]);
        assert_eq!(got.status.as_deref(), Some("pending"));
        assert_eq!(got, q(&[("status", "pending")]));
    }

    #[test]
    fn blank_fields_mean_any_and_good_ones_parse() {
        assert_eq!(q(&[]).parse().expect("empty"), OrderFilter::default());
        let blank = q(&[
            ("university", " "),
            ("status", ""),
            ("from", ""),
            ("page", ""),
        ]);
        assert_eq!(blank.parse().expect("blank"), OrderFilter::default());
        let f = q(&[
            ("university", "2"),
            ("campaign", "7"),
            ("status", "paid"),
            ("provider", "alipay"),
            ("from", "2025-06-01"),
            ("to", "2025-06-01"),
            ("q", " 1350000 "),
            ("page", "3"),
        ])
        .parse()
        .expect("good");
        assert_eq!(f.university_id, Some(2));
        assert_eq!(f.campaign_id, Some(7));
        assert_eq!(f.status, Some(OrderStatus::Paid));
        assert_eq!(f.method, Some(Method::Alipay));
        assert_eq!(f.from, f.to);
        assert_eq!(f.q.as_deref(), Some("1350000"));
        assert_eq!(f.page, 3);
    }

    #[test]
    fn what_cannot_be_read_is_named() {
        assert_eq!(code(&[("from", "2025-13-45")]), "orders.bad_date");
        assert_eq!(code(&[("to", "yesterday")]), "orders.bad_date");
        assert_eq!(code(&[("status", "refunded")]), "orders.bad_status");
        assert_eq!(code(&[("provider", "cash")]), "orders.bad_provider");
        assert_eq!(code(&[("university", "abc")]), "orders.bad_filter");
        assert_eq!(code(&[("campaign", "-1")]), "orders.bad_filter");
        assert_eq!(code(&[("page", "0")]), "orders.bad_page");
        assert_eq!(
            code(&[("from", "2025-06-02"), ("to", "2025-06-01")]),
            "orders.bad_range"
        );
        let Err(AppError::Invalid(m)) = q(&[("from", "2025-13-45")]).parse() else {
            panic!("invalid");
        };
        assert!(m.zh.contains("YYYY-MM-DD") && m.en.contains("YYYY-MM-DD"));
    }
}
