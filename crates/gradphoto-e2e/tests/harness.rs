//! Drives a tiny local form server (axum on 127.0.0.1:0) through the harness. Skips, without
//! failing, when Chromium or chromedriver is not installed.

use std::time::Duration;

use axum::Router;
use axum::extract::Multipart;
use axum::response::Html;
use axum::routing::{get, post};
use gradphoto_e2e::Browser;

const WAIT: Duration = Duration::from_secs(10);

const FORM: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>上传照片</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>上传毕业照</h1>
<form method="post" action="/submit" enctype="multipart/form-data">
  <label>姓名 <input type="text" name="name" id="name" value="placeholder"></label>
  <label>学院 <select name="college" id="college">
    <option value="">请选择</option>
    <option value="cs">计算机学院</option>
    <option value="law">法学院</option>
  </select></label>
  <label>照片 <input type="file" name="photo" id="photo"></label>
  <button type="submit">提交</button>
</form>
<a href="/">返回首页</a>
</body></html>"#;

async fn form() -> Html<&'static str> {
    Html(FORM)
}

/// Echoes every text field and the uploaded file's size. Sleeps a little so the harness has a
/// real navigation to wait for.
async fn submit(mut multipart: Multipart) -> Html<String> {
    let mut rows = String::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.unwrap_or_default();
        if is_file {
            rows.push_str(&format!("<p id=\"{name}\">{name} size={}</p>", bytes.len()));
        } else {
            let value = String::from_utf8_lossy(&bytes);
            rows.push_str(&format!("<p id=\"{name}\">{name}={value}</p>"));
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"></head>\
         <body><h1 id=\"result\">提交成功</h1>{rows}</body></html>"
    ))
}

/// Serves the form on a free loopback port; returns its base URL.
async fn spawn_form_server() -> String {
    let app = Router::new()
        .route("/", get(form))
        .route("/submit", post(submit));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("form server") });
    format!("http://{addr}")
}

/// The page's (innerWidth, innerHeight).
async fn viewport(browser: &Browser) -> (u64, u64) {
    let size = browser
        .client()
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("reading the viewport size");
    let px = |i: usize| size[i].as_u64().expect("a whole number of pixels");
    (px(0), px(1))
}

#[tokio::test]
async fn form_round_trip_on_a_phone() {
    let Some(browser) = Browser::phone().await.unwrap() else {
        return;
    };
    let base = spawn_form_server().await;
    let photo = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(photo.path(), vec![7u8; 12_345]).unwrap();

    browser.goto(&base).await.unwrap();
    assert_eq!(viewport(&browser).await, (390, 844));

    browser.fill("#name", "张三 Zhang").await.unwrap();
    browser.select("#college", "law").await.unwrap();
    browser.upload("#photo", photo.path()).await.unwrap();
    browser.click_text("提交").await.unwrap();

    // click_text waited for the POST's response page (the handler sleeps 300 ms).
    assert_eq!(
        browser.current_url().await.unwrap(),
        format!("{base}/submit")
    );
    browser.wait_for_text("提交成功", WAIT).await.unwrap();
    browser
        .wait_for_text("name=张三 Zhang", WAIT)
        .await
        .unwrap();
    assert_eq!(browser.text("#college").await.unwrap(), "college=law");
    assert_eq!(browser.text("#photo").await.unwrap(), "photo size=12345");
    assert!(browser.page_text().await.unwrap().contains("提交成功"));

    browser.goto(&base).await.unwrap();
    browser.click("button[type=submit]").await.unwrap();
    assert!(browser.page_text().await.unwrap().contains("photo size=0"));

    browser.close().await.unwrap();
}

#[tokio::test]
async fn failures_name_the_url_and_save_a_screenshot() {
    let Some(mut browser) = Browser::start((1280, 800)).await.unwrap() else {
        return;
    };
    browser.set_find_timeout(Duration::from_millis(500));
    let base = spawn_form_server().await;
    browser.goto(&base).await.unwrap();
    assert_eq!(viewport(&browser).await, (1280, 800));

    let err = browser
        .wait_for_text("不存在的文字", Duration::from_millis(300))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&base), "{err}");
    assert!(err.contains("上传毕业照"), "{err}");

    let err = format!("{:#}", browser.click("#missing").await.unwrap_err());
    assert!(err.contains("#missing") && err.contains(&base), "{err}");

    // A link back to the same page is still a navigation to wait for.
    browser.click_text("返回首页").await.unwrap();
    browser.wait_for_text("上传毕业照", WAIT).await.unwrap();
    assert!(browser.click_text("no such button").await.is_err());

    let shot = gradphoto_e2e::failures_dir()
        .join("failures_name_the_url_and_save_a_screenshot-wait_for_text.png");
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{}", shot.display());
    // Dropped without close(): Drop must stop chromedriver.
}
