//! The endpoints' business rules: Native orders, the order query and refunds, with
//! the field checks WeChat Pay documents for each.

use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use serde_json::{Value, json};

use super::{Inner, NativeOrder, Order, Refund, Refusal, rfc3339};
use crate::fakes::random_alnum;

const PAYER_OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn param_error(message: impl Into<String>) -> Refusal {
    (StatusCode::BAD_REQUEST, "PARAM_ERROR", message.into())
}

fn invalid(message: impl Into<String>) -> Refusal {
    (StatusCode::BAD_REQUEST, "INVALID_REQUEST", message.into())
}

/// A merchant's order or refund number: `min..=max` characters of `[A-Za-z0-9_-|*]`
/// (and `@` for refunds).
fn number_ok(s: &str, min: usize, max: usize, extra: &str) -> bool {
    (min..=max).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-|*".contains(c) || extra.contains(c))
}

fn text<'a>(v: &'a Value, k: &str) -> Result<&'a str, Refusal> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| param_error(format!("{k}: 缺少参数或类型错误")))
}

fn fen(v: &Value, k: &str) -> Result<i64, Refusal> {
    v.get(k)
        .and_then(Value::as_i64)
        .filter(|n| *n > 0)
        .ok_or_else(|| param_error(format!("amount.{k}: 须为正整数（分）")))
}

fn currency_ok(amount: &Value, required: bool) -> Result<(), Refusal> {
    match amount.get("currency") {
        None if !required => Ok(()),
        Some(Value::String(c)) if c == "CNY" => Ok(()),
        _ => Err(param_error("amount.currency: 仅支持CNY")),
    }
}

fn url_ok(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && !url.contains('?')
}

fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(param_error("Content-Type须为application/json"));
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| param_error("请求体不是合法的JSON对象"))
}

impl Inner {
    pub(super) fn route(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Value, Refusal> {
        const QUERY: &str = "/v3/pay/transactions/out-trade-no/";
        match (method.as_str(), uri.path()) {
            ("POST", "/v3/pay/transactions/native") => self.native(&json_body(headers, body)?),
            ("POST", "/v3/refund/domestic/refunds") => self.refund(&json_body(headers, body)?),
            ("GET", path) if path.starts_with(QUERY) => {
                let no = percent_encoding::percent_decode_str(&path[QUERY.len()..])
                    .decode_utf8_lossy()
                    .into_owned();
                self.query(&no, uri.query().unwrap_or(""))
            }
            _ => Err((StatusCode::NOT_FOUND, "NOT_FOUND", "接口不存在".into())),
        }
    }

    fn native(&self, req: &Value) -> Result<Value, Refusal> {
        let (appid, mchid) = (text(req, "appid")?, text(req, "mchid")?);
        if mchid != self.merchant.mchid {
            return Err(param_error("mchid与请求头中的商户号不一致"));
        }
        if appid != self.merchant.appid {
            return Err((
                StatusCode::BAD_REQUEST,
                "APPID_MCHID_NOT_MATCH",
                "appid和mch_id不匹配".into(),
            ));
        }
        let out_trade_no = text(req, "out_trade_no")?;
        if !number_ok(out_trade_no, 6, 32, "") {
            return Err(param_error(
                "out_trade_no: 6-32个字符，只能是数字、大小写字母_-|*",
            ));
        }
        let description = text(req, "description")?;
        if description.is_empty() || description.len() > 127 {
            return Err(param_error("description: 须为1-127字节"));
        }
        let notify_url = text(req, "notify_url")?;
        if !url_ok(notify_url) {
            return Err(param_error("notify_url: 须为http(s)地址，不能携带参数"));
        }
        let amount = req.get("amount").unwrap_or(&Value::Null);
        let total = fen(amount, "total")?;
        currency_ok(amount, false)?;
        if let Some(t) = req.get("time_expire")
            && t.as_str()
                .is_none_or(|t| chrono::DateTime::parse_from_rfc3339(t).is_err())
        {
            return Err(param_error("time_expire: 须为RFC 3339时间"));
        }
        if req
            .get("attach")
            .is_some_and(|a| a.as_str().is_none_or(|a| a.len() > 128))
        {
            return Err(param_error("attach: 须为不超过128字节的字符串"));
        }
        let mut book = self.book();
        if let Some(o) = book
            .orders
            .iter()
            .find(|o| o.public.out_trade_no == out_trade_no)
        {
            return match o.public.trade_state.as_str() {
                "SUCCESS" => Err((StatusCode::BAD_REQUEST, "ORDERPAID", "该订单已支付".into())),
                "CLOSED" => Err((StatusCode::BAD_REQUEST, "ORDER_CLOSED", "订单已关闭".into())),
                _ if o.public.total != total || o.public.description != description => {
                    Err(invalid("201 商户订单号重复，且参数与原订单不一致"))
                }
                _ => Ok(json!({ "code_url": o.public.code_url })),
            };
        }
        let code_url = format!("weixin://wxpay/bizpayurl?pr={}", random_alnum(9));
        let txn = format!("4200{:024}", book.orders.len() + 1);
        book.orders.push(Order {
            public: NativeOrder {
                out_trade_no: out_trade_no.into(),
                description: description.into(),
                total,
                notify_url: notify_url.into(),
                code_url: code_url.clone(),
                trade_state: "NOTPAY".into(),
                transaction_id: String::new(),
            },
            txn,
            success_time: None,
        });
        Ok(json!({ "code_url": code_url }))
    }

    /// The transaction JSON, as the order query answers and a notification carries it.
    pub(super) fn transaction(
        &self,
        o: &Order,
        state: &str,
        total: i64,
        success_time: &str,
    ) -> Value {
        let mut t = json!({
            "appid": self.merchant.appid,
            "mchid": self.merchant.mchid,
            "out_trade_no": o.public.out_trade_no,
            "trade_type": "NATIVE",
            "trade_state": state,
            "trade_state_desc": match state {
                "SUCCESS" => "支付成功",
                "CLOSED" => "订单已关闭",
                "NOTPAY" => "订单未支付",
                _ => state,
            },
            "attach": "",
            "amount": { "total": total, "currency": "CNY", "payer_currency": "CNY" },
        });
        if state == "SUCCESS" {
            t["transaction_id"] = json!(o.txn);
            t["bank_type"] = json!("OTHERS");
            t["success_time"] = json!(success_time);
            t["payer"] = json!({ "openid": PAYER_OPENID });
            t["amount"]["payer_total"] = json!(total);
        }
        t
    }

    fn query(&self, out_trade_no: &str, query: &str) -> Result<Value, Refusal> {
        let mchid = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "mchid")
            .map(|(_, v)| v.into_owned());
        if mchid.as_deref() != Some(self.merchant.mchid.as_str()) {
            return Err(param_error("mchid: 缺少或与请求头中的商户号不一致"));
        }
        let book = self.book();
        let Some(o) = book
            .orders
            .iter()
            .find(|o| o.public.out_trade_no == out_trade_no)
        else {
            return Err((
                StatusCode::NOT_FOUND,
                "ORDER_NOT_EXIST",
                "订单不存在".into(),
            ));
        };
        let at = o.success_time.clone().unwrap_or_default();
        Ok(self.transaction(o, &o.public.trade_state, o.public.total, &at))
    }

    fn refund(&self, req: &Value) -> Result<Value, Refusal> {
        let out_refund_no = text(req, "out_refund_no")?;
        if !number_ok(out_refund_no, 1, 64, "@") {
            return Err(param_error(
                "out_refund_no: 1-64个字符，只能是数字、大小写字母_-|*@",
            ));
        }
        let out_trade_no = text(req, "out_trade_no")?;
        if req
            .get("reason")
            .is_some_and(|r| r.as_str().is_none_or(|r| r.chars().count() > 80))
        {
            return Err(param_error("reason: 须为不超过80个字符的字符串"));
        }
        if req
            .get("notify_url")
            .is_some_and(|u| u.as_str().is_none_or(|u| !url_ok(u)))
        {
            return Err(param_error("notify_url: 须为http(s)地址，不能携带参数"));
        }
        let amount = req.get("amount").unwrap_or(&Value::Null);
        let (refund, total) = (fen(amount, "refund")?, fen(amount, "total")?);
        currency_ok(amount, true)?;
        let mut book = self.book();
        if let Some((r, answer)) = book
            .refunds
            .iter()
            .find(|(r, _)| r.out_refund_no == out_refund_no)
        {
            return if r.out_trade_no == out_trade_no && r.refund == refund {
                Ok(answer.clone())
            } else {
                Err(invalid("退款单号已存在，且参数与原退款不一致"))
            };
        }
        let Some(o) = book
            .orders
            .iter()
            .find(|o| o.public.out_trade_no == out_trade_no)
        else {
            return Err((
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_EXISTS",
                "订单不存在".into(),
            ));
        };
        if o.public.trade_state != "SUCCESS" {
            return Err(invalid("订单未支付，不能退款"));
        }
        if total != o.public.total {
            return Err(param_error("amount.total与原订单金额不一致"));
        }
        let refunded: i64 = book
            .refunds
            .iter()
            .filter(|(r, _)| r.out_trade_no == out_trade_no)
            .map(|(r, _)| r.refund)
            .sum();
        if refunded + refund > total {
            return Err(invalid("申请退款金额超过订单可退金额"));
        }
        let now = rfc3339(chrono::Utc::now().timestamp());
        let r = Refund {
            out_refund_no: out_refund_no.into(),
            out_trade_no: out_trade_no.into(),
            refund,
            refund_id: format!("50300{:024}", book.refunds.len() + 1),
            status: "SUCCESS".into(),
        };
        let answer = json!({
            "refund_id": r.refund_id,
            "out_refund_no": r.out_refund_no,
            "transaction_id": o.txn,
            "out_trade_no": r.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "success_time": now,
            "create_time": now,
            "status": r.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": total, "refund": refund,
                "payer_total": total, "payer_refund": refund,
                "settlement_total": total, "settlement_refund": refund,
                "discount_refund": 0, "currency": "CNY",
            },
        });
        book.refunds.push((r, answer.clone()));
        Ok(answer)
    }
}
