//! The trade methods' business rules: `alipay.trade.precreate`, `.query` and `.refund`,
//! with the field checks Alipay documents for each.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{AlipayRefund, BUYER_ID, Book, Entry, Inner, Refusal, Trade, china_now};
use crate::fakes::random_alnum;

const BUYER_LOGON_ID: &str = "159****5620";

fn failed(sub_code: &'static str, sub_msg: impl Into<String>) -> Refusal {
    ("40004", "Business Failed", sub_code, sub_msg.into())
}

/// Yuan with at most two decimals, within [0.01, 100000000], in fen.
fn fen(yuan: &str) -> Option<i64> {
    let (whole, cents) = yuan.split_once('.').unwrap_or((yuan, "00"));
    let digits =
        |s: &str, n: usize| !s.is_empty() && s.len() <= n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole, 9) || !digits(cents, 2) {
        return None;
    }
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    let fen = whole.parse::<i64>().ok()? * 100 + cents;
    (1..=10_000_000_000).contains(&fen).then_some(fen)
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// A business field given as a JSON string (or, for amounts, a number).
fn field(biz: &Value, k: &str) -> String {
    match biz.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl Book {
    /// The trade a business request names by `out_trade_no` or `trade_no`.
    fn named(&self, biz: &Value) -> Result<usize, Refusal> {
        let (out_trade_no, trade_no) = (field(biz, "out_trade_no"), field(biz, "trade_no"));
        if out_trade_no.is_empty() && trade_no.is_empty() {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：out_trade_no和trade_no不能同时为空",
            ));
        }
        self.trades
            .iter()
            .position(|t| {
                (out_trade_no.is_empty() || t.public.out_trade_no == out_trade_no)
                    && (trade_no.is_empty() || t.public.trade_no == trade_no)
            })
            .ok_or_else(|| failed("ACQ.TRADE_NOT_EXIST", "交易不存在"))
    }
}

impl Inner {
    /// Runs the method [`Inner::check`] let through; its answer fields, without `code`.
    pub(super) fn call(
        &self,
        p: &BTreeMap<String, String>,
        biz: &Value,
    ) -> Result<Map<String, Value>, Refusal> {
        let answer = match p.get("method").map(String::as_str) {
            Some("alipay.trade.precreate") => {
                self.precreate(biz, p.get("notify_url").map(String::as_str).unwrap_or(""))?
            }
            Some("alipay.trade.query") => self.query(biz)?,
            _ => self.refund(biz)?,
        };
        Ok(answer.as_object().cloned().unwrap_or_default())
    }

    fn precreate(&self, biz: &Value, notify_url: &str) -> Result<Value, Refusal> {
        let out_trade_no = field(biz, "out_trade_no");
        if out_trade_no.is_empty()
            || out_trade_no.len() > 64
            || !out_trade_no
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：out_trade_no须为64个字符以内的字母、数字、下划线",
            ));
        }
        let Some(total) = fen(&field(biz, "total_amount")) else {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：total_amount须在[0.01,100000000]内，最多两位小数",
            ));
        };
        let subject = field(biz, "subject");
        if subject.is_empty() || subject.chars().count() > 256 {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：subject须为1-256个字符",
            ));
        }
        let mut book = self.book();
        if let Some(t) = book
            .trades
            .iter()
            .find(|t| t.public.out_trade_no == out_trade_no)
        {
            return match t.public.trade_status.as_str() {
                "TRADE_SUCCESS" => Err(failed("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")),
                "TRADE_CLOSED" => Err(failed("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")),
                _ if t.fen != total => Err(failed("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")),
                _ => Ok(json!({ "out_trade_no": out_trade_no, "qr_code": t.public.qr_code })),
            };
        }
        let qr_code = format!(
            "https://qr.alipay.com/bax{}",
            random_alnum(22).to_lowercase()
        );
        let now = china_now();
        let trade_no = format!(
            "{}220014{:014}",
            &now[..10].replace('-', ""),
            book.trades.len() + 1
        );
        book.trades.push(Entry {
            public: Trade {
                out_trade_no: out_trade_no.clone(),
                subject,
                total_amount: yuan(total),
                notify_url: notify_url.into(),
                qr_code: qr_code.clone(),
                trade_no,
                trade_status: "WAIT_BUYER_PAY".into(),
            },
            fen: total,
            gmt_create: now,
            gmt_payment: None,
        });
        Ok(json!({ "out_trade_no": out_trade_no, "qr_code": qr_code }))
    }

    fn query(&self, biz: &Value) -> Result<Value, Refusal> {
        let book = self.book();
        let t = &book.trades[book.named(biz)?];
        let mut answer = json!({
            "trade_no": t.public.trade_no,
            "out_trade_no": t.public.out_trade_no,
            "buyer_logon_id": BUYER_LOGON_ID,
            "trade_status": t.public.trade_status,
            "total_amount": t.public.total_amount,
        });
        if let Some(paid) = &t.gmt_payment {
            answer["buyer_user_id"] = json!(BUYER_ID);
            answer["send_pay_date"] = json!(paid);
            answer["buyer_pay_amount"] = json!(t.public.total_amount);
            answer["receipt_amount"] = json!(t.public.total_amount);
        }
        Ok(answer)
    }

    fn refund(&self, biz: &Value) -> Result<Value, Refusal> {
        let Some(amount) = fen(&field(biz, "refund_amount")) else {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：refund_amount须在[0.01,100000000]内，最多两位小数",
            ));
        };
        if field(biz, "refund_reason").chars().count() > 256 {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：refund_reason过长",
            ));
        }
        let mut book = self.book();
        let i = book.named(biz)?;
        let out_trade_no = book.trades[i].public.out_trade_no.clone();
        // Without a request number, the refund is the trade's one full refund.
        let request = Some(field(biz, "out_request_no"))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| out_trade_no.clone());
        if request.len() > 64 {
            return Err(failed(
                "ACQ.INVALID_PARAMETER",
                "参数无效：out_request_no过长",
            ));
        }
        if let Some((_, fen, answer)) = book
            .refunds
            .iter()
            .find(|(r, _, _)| r.out_trade_no == out_trade_no && r.out_request_no == request)
        {
            if *fen != amount {
                return Err(failed(
                    "ACQ.CONTEXT_INCONSISTENT",
                    "交易信息被篡改：退款请求号已用于另一金额",
                ));
            }
            let mut again = answer.clone();
            again.insert("fund_change".into(), json!("N"));
            return Ok(Value::Object(again));
        }
        let t = &book.trades[i];
        if t.public.trade_status != "TRADE_SUCCESS" {
            return Err(failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"));
        }
        let refunded: i64 = book
            .refunds
            .iter()
            .filter(|(r, _, _)| r.out_trade_no == out_trade_no)
            .map(|(_, fen, _)| fen)
            .sum();
        if refunded + amount > t.fen {
            return Err(failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"));
        }
        let answer = json!({
            "trade_no": t.public.trade_no,
            "out_trade_no": out_trade_no,
            "buyer_logon_id": BUYER_LOGON_ID,
            "buyer_user_id": BUYER_ID,
            "fund_change": "Y",
            "refund_fee": yuan(refunded + amount),
            "gmt_refund_pay": china_now(),
        });
        if refunded + amount == t.fen {
            book.trades[i].public.trade_status = "TRADE_CLOSED".into();
        }
        let refund = AlipayRefund {
            out_trade_no,
            out_request_no: request,
            refund_amount: yuan(amount),
        };
        book.refunds.push((
            refund,
            amount,
            answer.as_object().cloned().unwrap_or_default(),
        ));
        Ok(answer)
    }
}
