//! Login codes through the Alibaba Cloud SMS adapter, against a local server that checks
//! requests as the service does (testkit's fake, with its own signature code): the code
//! the student receives logs them in; the service's rate limit and a wrong key reach the
//! student as clear messages, and a refused send still counts against the limits;
//! an altered or replayed request is refused by the service.

use gradphoto_app::config::Config;
use gradphoto_app::sms::{AliyunSms, SmsMessage, percent_encode};
use gradphoto_testkit::fakes::aliyun_sms::{Account, FakeAliyunSms};
use gradphoto_testkit::{Backend, TestApp};
use secrecy::SecretString;

fn account() -> Account {
    Account {
        access_key_id: "LTAI-test".into(),
        access_key_secret: "test-secret-7f3a".into(),
        sign_name: "毕业生图像采集".into(),
        templates: vec!["SMS_480001".into()],
    }
}

fn configure(c: &mut Config, endpoint: &str, secret: &str) {
    c.sms.provider = "aliyun".into();
    c.sms.aliyun.endpoint = endpoint.into();
    c.sms.aliyun.access_key_id = "LTAI-test".into();
    c.sms.aliyun.access_key_secret = SecretString::from(secret.to_string());
    c.sms.aliyun.sign_name = "毕业生图像采集".into();
    c.sms.aliyun.code_template = "SMS_480001".into();
}

#[tokio::test]
async fn a_code_sent_through_aliyun_logs_the_student_in() {
    let fake = FakeAliyunSms::start(account()).await;
    let url = fake.url.clone();
    let t = TestApp::spawn_on(Backend::Sqlite, |c| {
        configure(c, &url, "test-secret-7f3a");
        c.sms.demo_inbox = true;
    })
    .await;
    let c = t.client();
    let r = c
        .post_form(
            "/student/login",
            &[("action", "send"), ("phone", "13700002222")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let delivered = fake.delivered();
    assert_eq!(delivered.len(), 1, "refused: {:?}", fake.refused());
    assert_eq!(delivered[0].phone, "13700002222");
    assert_eq!(delivered[0].template, "SMS_480001");
    assert_eq!(delivered[0].sign_name, "毕业生图像采集");
    let code = delivered[0].params["code"]
        .as_str()
        .expect("the template's code parameter")
        .to_string();
    assert_eq!(code.len(), 6);
    // A real provider's messages are on no page, even with the demo switch on.
    assert_eq!(c.get_text("/demo/sms-inbox").await.0, 404);

    let r = c
        .post_form(
            "/student/login",
            &[
                ("action", "login"),
                ("phone", "13700002222"),
                ("code", &code),
                ("agree_terms", "1"),
                ("agree_face", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (status, home) = c.get_text("/student").await;
    assert_eq!(status, 200);
    assert!(home.contains("137****2222"));

    // The service's own limit for a number reaches the student in words.
    fake.limit("13700003333");
    let r = c
        .post_form(
            "/student/login",
            &[("action", "send"), ("phone", "13700003333")],
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.expect("body").contains("接收短信过于频繁"));
}

#[tokio::test]
async fn a_wrong_key_is_refused_by_the_service_and_the_student_is_told() {
    let fake = FakeAliyunSms::start(account()).await;
    let url = fake.url.clone();
    let t = TestApp::spawn_on(Backend::Sqlite, |c| configure(c, &url, "not-the-secret")).await;
    let c = t.client();
    let r = c
        .post_form(
            "/student/login",
            &[("action", "send"), ("phone", "13700004444")],
        )
        .await;
    assert_eq!(r.status(), 503);
    let body = r.text().await.expect("body");
    assert!(body.contains("短信发送失败"), "{body}");
    assert_eq!(fake.refused(), vec!["SignatureDoesNotMatch".to_string()]);
    assert!(fake.delivered().is_empty());
    // A failed send still counts against the limits (a failing number must not become a
    // way round them): the next try within the minute is held here, not sent.
    let r = c
        .post_form(
            "/student/login",
            &[("action", "send"), ("phone", "13700004444")],
        )
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(fake.refused().len(), 1);
}

#[tokio::test]
async fn the_service_refuses_altered_and_replayed_requests() {
    let fake = FakeAliyunSms::start(account()).await;
    let mut c = Config::default();
    configure(&mut c, &fake.url, "test-secret-7f3a");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sms = AliyunSms::from_config(&c.sms.aliyun, reqwest::Client::new()).expect("config");
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let message = SmsMessage::Code {
        code: "123456".into(),
    };
    let get = |p: &std::collections::BTreeMap<String, String>| {
        let q: Vec<String> = p
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        let url = format!("{}?{}", fake.url, q.join("&"));
        async move {
            let r = reqwest::get(url).await.expect("reach the fake");
            let v: serde_json::Value = r.json().await.expect("json");
            v["Code"].as_str().unwrap_or_default().to_string()
        }
    };
    let signed = sms.signed_params("13700005555", &message, &now, "nonce-1");
    assert_eq!(get(&signed).await, "OK");
    assert_eq!(get(&signed).await, "SignatureNonceUsed", "a replay");
    let mut altered = sms.signed_params("13700005555", &message, &now, "nonce-2");
    altered.insert("PhoneNumbers".into(), "13700006666".into());
    assert_eq!(get(&altered).await, "SignatureDoesNotMatch");
    let stale = sms.signed_params("13700005555", &message, "2026-01-01T00:00:00Z", "nonce-3");
    assert_eq!(get(&stale).await, "InvalidTimeStamp.Expired");
    assert_eq!(fake.delivered().len(), 1);
}
