//! Issue 5 on a phone-sized screen, on `gradphoto demo`, in Chinese and then in English:
//! the student logs in by SMS (the code read from the demo inbox; refused without the
//! face-image consent), is told an unknown school and an unknown ID number in the seed's
//! words, verifies school and identity, binds the collection code from the registry
//! (pasted in Chinese, a photo of the QR code in English), is given the reasons for a
//! photo with no face, sees the standard image made from a portrait, confirms the order
//! (the fee shown, the contact phone kept), pays in the demo's sandbox (WeChat Pay in
//! Chinese, Alipay in English), and follows the photo to "accepted by the registry"; the
//! order is then paid in "my orders", and "not me" is refused. Each run is another
//! student of the demo.

use std::time::Instant;

use anyhow::{Context as _, ensure};
use gradphoto_e2e::Browser;
use serde_json::json;

use super::{
    PAGE_TIMEOUT, Server, demo_student, demo_student_after, dev_dir, js, wait_for_registry,
};

/// The engine's answer (standardize + check) in a debug build on 2 cores, with margin.
const PHOTO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// From payment to the registry's verdict: the worker's poll, sealing, the registry's
/// own check of the photo (debug build).
const REGISTRY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The student's code as the registry's page shows it, after signing in there.
pub(super) async fn code_from_registry(
    b: &Browser,
    server: &Server,
    school: &str,
    id: &str,
    name: &str,
) -> anyhow::Result<String> {
    b.goto(&server.url("/lang/zh?next=/registry/sign-in"))
        .await?;
    b.select("#school", school).await?;
    b.fill("#id_number", id).await?;
    b.fill("#name", name).await?;
    b.click("#sign-in-submit").await?;
    b.click("a[id^='photo-check-']").await?;
    b.click("#view-code").await?;
    b.wait_for_text("请提前保存采集码", PAGE_TIMEOUT).await?;
    let text = js(
        b,
        "return document.querySelector('#code-text').textContent;",
        vec![],
    )
    .await?
    .as_str()
    .unwrap_or_default()
    .trim()
    .to_string();
    ensure!(text.starts_with("GPC1."), "code text {text:?}");
    b.click("#registry-sign-out").await?;
    Ok(text)
}

struct Words<'a> {
    lang: &'static str,
    phone: &'static str,
    sent: &'static str,
    refused: &'static str,
    home: &'static str,
    no_school: &'static str,
    not_found: &'static str,
    accepted: &'static str,
    /// The way to pay in the sandbox.
    pay: &'static str,
    registry_done: &'static str,
    paid: &'static str,
    me: &'a super::DemoStudent,
}

#[tokio::test]
async fn student_logs_in_verifies_binds_and_uploads_on_a_phone() -> anyhow::Result<()> {
    let Some(dev) = dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return Ok(());
    };
    let Some(b) = Browser::phone().await? else {
        return Ok(());
    };
    let data = tempfile::tempdir()?;
    let pii_key = gradphoto_app::pii::generate_key()?;
    let server = Server::run(data.path(), &pii_key, "demo")?;
    let first = demo_student(&server)?;
    let second = demo_student_after(&server, "another student, for a second phone:")?;
    wait_for_registry(&server)?;

    for w in [
        Words {
            lang: "zh",
            phone: "13700001234",
            sent: "验证码已发送",
            refused: "人脸图像处理授权",
            home: "网上采集",
            no_school: "未找到该学校",
            not_found: "提前毕业",
            accepted: "照片合格",
            pay: "wechat",
            registry_done: "学信网已接收",
            paid: "已支付",
            me: &first,
        },
        Words {
            lang: "en",
            phone: "13700005678",
            sent: "A code has been sent",
            refused: "consent to process your face image",
            home: "Online collection",
            no_school: "No school by that name",
            not_found: "early-graduation",
            accepted: "Photo accepted",
            pay: "alipay",
            registry_done: "Accepted by the registry",
            paid: "Paid",
            me: &second,
        },
    ] {
        let me = w.me;
        let code = code_from_registry(&b, &server, &me.code, &me.id, &me.name).await?;
        let qr = data.path().join(format!("code-{}.png", w.lang));
        std::fs::write(&qr, gradphoto_registry::qr::png(&code, 6)?)?;

        // 1. Log in by SMS.
        b.goto(&server.url(&format!("/lang/{}?next=/login", w.lang)))
            .await?;
        b.click("#student-entrance").await?;
        b.fill("#phone", w.phone).await?;
        b.click("#send-code").await?;
        b.wait_for_text(w.sent, PAGE_TIMEOUT).await?;
        b.click("#demo-inbox-link a").await?;
        let inbox = b.text("#sms-inbox").await?;
        let at = inbox.find("code is ").context("a code in the demo inbox")? + "code is ".len();
        let sms = inbox[at..at + 6].to_string();
        ensure!(
            inbox.contains(w.phone),
            "the inbox shows {}: {inbox}",
            w.phone
        );
        b.goto(&server.url("/student/login")).await?;
        b.fill("#phone", w.phone).await?;
        b.fill("#code", &sms).await?;
        b.click("#agree_terms").await?;
        b.click("#student-login").await?;
        b.wait_for_text(w.refused, PAGE_TIMEOUT).await?;
        // The form kept the number and the ticked box; the code must be typed again.
        b.fill("#code", &sms).await?;
        b.click("#agree_face").await?;
        b.click("#student-login").await?;
        b.wait_for_text(w.home, PAGE_TIMEOUT).await?;
        let shown = b.text("#student-phone").await?;
        ensure!(
            shown == format!("{}****{}", &w.phone[..3], &w.phone[7..]),
            "masked phone: {shown}"
        );

        // 2. The school: an unknown one is said so; the code of the demo's school works.
        b.fill("#school", "不存在的大学").await?;
        b.click("#school-submit").await?;
        b.wait_for_text(w.no_school, PAGE_TIMEOUT).await?;
        b.fill("#school", &me.code).await?;
        b.click("#school-submit").await?;

        // 3. Identity: a number the roster lacks gets both causes; the right one finds me.
        b.fill("#id_number", "110101199001010000").await?;
        b.select("#level", &me.level).await?;
        b.click("#identity-submit").await?;
        b.wait_for_text(w.not_found, PAGE_TIMEOUT).await?;
        b.fill("#id_number", &me.id).await?;
        b.select("#level", &me.level).await?;
        b.click("#identity-submit").await?;
        let verified = b.text("#verified-student").await?;
        let masked = gradphoto_domain::people::mask_name(&me.name);
        ensure!(verified.contains(&masked), "verified as {verified}");
        ensure!(!verified.contains(&me.id), "the clear ID is not shown");

        // 4. The code: pasted, or a photo of its QR code.
        if w.lang == "zh" {
            b.fill("#code", &code).await?;
        } else {
            b.upload("#code-image", &qr).await?;
        }
        b.click("#code-submit").await?;
        b.text("#photo-submit").await?;

        // 5. A photo with no face: the reasons; a portrait: the standard image.
        b.upload("#photo", &dev.join("H001042_no_face.jpg")).await?;
        b.click("#photo-submit").await?;
        b.wait_for_text("face.none", PHOTO_TIMEOUT).await?;
        b.upload("#photo", &dev.join("raw/A000369_raw.jpg")).await?;
        let started = Instant::now();
        b.click("#photo-submit").await?;
        b.wait_for_text(w.accepted, PHOTO_TIMEOUT).await?;
        eprintln!(
            "{}: upload to accepted page in {:?} (debug build)",
            w.lang,
            started.elapsed()
        );
        let width = js(
            &b,
            "const i = document.querySelector('#standard-photo'); return !!i && i.complete && i.naturalWidth;",
            vec![],
        )
        .await?;
        ensure!(width == json!(480), "the standard image is shown: {width}");

        // 6. The order: the fee shown, confirmed with the contact phone.
        let fee = b.text("#order-fee").await?;
        ensure!(fee.starts_with('¥'), "the fee: {fee}");
        b.click("#order-confirm").await?;
        let order = b.text("#order-code").await?;
        ensure!(order.starts_with("GP"), "order code {order}");

        // 7. Pay in the sandbox: the QR code's link opens the clearly marked payer.
        b.click(&format!("#pay-{}", w.pay)).await?;
        b.text("#sandbox-notice").await?;
        ensure!(b.text("#pay-qr").await.is_ok(), "the QR code is shown");
        b.click("#sandbox-open").await?;
        b.click("#sandbox-pay").await?;
        b.text("#sandbox-paid").await?;
        b.click("#sandbox-back").await?;
        let status = js(
            &b,
            "return document.querySelector('#order-summary').dataset.status;",
            vec![],
        )
        .await?;
        ensure!(status == json!("paid"), "the order is paid: {status}");

        // 8. The worker sends the photo; the registry accepts it.
        let started = Instant::now();
        loop {
            let progress = js(
                &b,
                "return document.querySelector('#progress').dataset.progress;",
                vec![],
            )
            .await?;
            if progress == json!("accepted") {
                break;
            }
            ensure!(
                started.elapsed() < REGISTRY_TIMEOUT,
                "the photo reached the registry: {progress}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            b.goto(&server.url("/student")).await?;
        }
        b.wait_for_text(w.registry_done, PAGE_TIMEOUT).await?;
        eprintln!(
            "{}: paid to accepted by the registry in {:?}",
            w.lang,
            started.elapsed()
        );

        // 9. My orders: paid, viewable; "not me" is refused once paid.
        b.click("#nav-my-orders").await?;
        b.wait_for_text(w.paid, PAGE_TIMEOUT).await?;
        b.click("a[id^='view-']").await?;
        let detail = b.text("#order-progress").await?;
        ensure!(detail.contains(w.registry_done), "order page: {detail}");
        b.click("#nav-student-home").await?;
        b.click("#identity-restart").await?;
        b.text("#step-error").await?;
        b.click("#student-logout").await?;
        b.text("#send-code").await?;
    }
    b.close().await?;
    drop(server);
    Ok(())
}
