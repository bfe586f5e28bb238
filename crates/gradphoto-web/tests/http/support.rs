//! Shared by the HTTP tests: the demo world and its ids, bearer-token API calls, raw
//! requests with chosen headers, and roster files in the encodings universities send.

use gradphoto_testkit::{Client, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

pub const PW: &str = gradphoto_app::demo::DEMO_PASSWORD;

/// Ids of the demo objects the tests point at.
#[derive(Debug, Clone)]
pub struct Demo {
    /// University 1 and 2 (in seeding order).
    pub u1: i64,
    pub u2: i64,
    /// Departments of university 1: the two with secretaries, then the rest.
    pub u1_depts: Vec<i64>,
    pub u2_depts: Vec<i64>,
    /// The open demo campaign of each university.
    pub c1: i64,
    pub c2: i64,
}

/// Seeds the demo data and looks up the ids of what it created.
pub async fn seed(t: &TestApp) -> Demo {
    t.app.seed_demo().await.expect("demo seeds");
    let db = &t.app.db;
    let uid = |name: &str| {
        let name = name.to_string();
        async move {
            db.find_staff_by_username(&name)
                .await
                .expect("db")
                .and_then(|s| s.university_id)
                .expect("university admin has a university")
        }
    };
    let u1 = uid("uni1-admin").await;
    let u2 = uid("uni2-admin").await;
    let depts = |u: i64| async move {
        db.list_departments(u)
            .await
            .expect("departments")
            .into_iter()
            .map(|d| d.id)
            .collect::<Vec<_>>()
    };
    let campaign =
        |u: i64| async move { db.list_campaigns(Some(u)).await.expect("campaigns")[0].id };
    let d = Demo {
        u1,
        u2,
        u1_depts: depts(u1).await,
        u2_depts: depts(u2).await,
        c1: campaign(u1).await,
        c2: campaign(u2).await,
    };
    // The secretaries are of the first two departments (the seeder's order).
    let sec = db
        .find_staff_by_username("uni1-sec1")
        .await
        .expect("db")
        .expect("uni1-sec1");
    assert_eq!(sec.department_id, Some(d.u1_depts[0]));
    d
}

/// A bearer token from `POST /api/session`.
pub async fn token(t: &TestApp, user: &str) -> String {
    let (s, v) = api_login(t, user, PW).await;
    assert_eq!(s, StatusCode::OK, "API login of {user}: {v}");
    v["token"].as_str().expect("token").to_string()
}

pub async fn api_login(t: &TestApp, user: &str, pw: &str) -> (StatusCode, Value) {
    let r = raw()
        .post(format!("{}/api/session", t.url))
        .json(&serde_json::json!({"username": user, "password": pw}))
        .send()
        .await
        .expect("POST /api/session");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A plain client without cookies, for bearer calls and hand-made headers.
pub fn raw() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// An API call with a bearer token; returns the status and the body as text.
pub async fn api(
    t: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    json: Option<Value>,
) -> (StatusCode, String) {
    let mut rb = raw()
        .request(method, format!("{}/api{path}", t.url))
        .bearer_auth(token);
    if let Some(j) = json {
        rb = rb.json(&j);
    }
    let r = rb.send().await.expect("API call");
    let s = r.status();
    (s, r.text().await.unwrap_or_default())
}

pub async fn api_get(t: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    api(t, token, reqwest::Method::GET, path, None).await
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The error code of an API error body.
pub fn code(body: &str) -> String {
    json(body)["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Posts the multipart roster form without the CSRF field.
pub async fn post_file_without_csrf(
    c: &Client,
    path: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(filename.to_string()),
    );
    c.http
        .post(format!("{}{path}", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST multipart")
}

/// A grid as CSV (every cell quoted), encoded in GBK as Excel on a Chinese Windows saves it.
pub fn gbk_csv(grid: &[Vec<String>]) -> Vec<u8> {
    let mut s = String::new();
    for row in grid {
        let cells: Vec<String> = row
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        s.push_str(&cells.join(","));
        s.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&s);
    assert!(!unmappable, "the sample roster is GBK-encodable");
    bytes.into_owned()
}

/// Whether `body` contains any of `needles`; returns the first found.
pub fn leaked<'a>(body: &str, needles: &'a [String]) -> Option<&'a String> {
    needles.iter().find(|n| body.contains(n.as_str()))
}

/// The location a redirect points to.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Every Set-Cookie header value of a response.
pub fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(String::from))
        .collect()
}

/// The value of one cookie among Set-Cookie headers.
pub fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter().find_map(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.trim().split_once('='))
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

/// A student logged in online with `phone` (the demo inbox must be on): code sent, read
/// from the inbox, both consents given.
pub async fn student(t: &TestApp, phone: &str) -> Client {
    student_with(t, phone, t.client()).await
}

/// [`student`] in the browser `c` (e.g. one on another loopback address, so that many
/// students' code requests are not one address's).
pub async fn student_with(t: &TestApp, phone: &str, c: Client) -> Client {
    let r = c
        .post_form("/student/login", &[("action", "send"), ("phone", phone)])
        .await;
    assert_eq!(r.status(), 200, "code sent to {phone}");
    let inbox = t.app.sms.demo_inbox().expect("log provider");
    let text = &inbox
        .iter()
        .find(|m| m.phone == phone)
        .expect("a message to the phone")
        .text;
    let at = text.find("code is ").expect("a code") + "code is ".len();
    let code = text[at..at + 6].to_string();
    let r = c
        .post_form(
            "/student/login",
            &[
                ("action", "login"),
                ("phone", phone),
                ("code", &code),
                ("agree_terms", "1"),
                ("agree_face", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "logged in");
    c
}

/// A roster student who must be photographed in `campaign_id`, with the clear ID
/// number (tests only: the app never shows it).
pub async fn must_student(
    t: &TestApp,
    campaign_id: i64,
    skip: usize,
) -> (gradphoto_db::students::StudentRow, String) {
    use gradphoto_domain::eligibility::{Verdict, evaluate};
    let c: gradphoto_app::campaigns::Campaign = t
        .app
        .db
        .get_campaign(campaign_id)
        .await
        .expect("campaign")
        .try_into()
        .expect("valid");
    let s = t
        .app
        .db
        .all_students(c.university_id)
        .await
        .expect("students")
        .into_iter()
        .filter(|s| {
            let facts = gradphoto_app::campaigns::facts_of(s).expect("facts");
            evaluate(&c.rules, &facts).verdict == Verdict::Must
        })
        .nth(skip)
        .expect("a student who must be photographed");
    let id = t.app.pii.decrypt(&s.id_enc).expect("id");
    (s, id)
}

/// The registry's live code for a roster student of the school `school_code`.
pub async fn registry_code(
    t: &TestApp,
    school_code: &str,
    s: &gradphoto_db::students::StudentRow,
    id: &str,
) -> String {
    let reg = t.app.registry().expect("hosted");
    let me = reg
        .find_enrolments(school_code, id, &s.name)
        .await
        .expect("query")
        .into_iter()
        .find(|e| e.enrolment_id == s.student_no)
        .expect("reported to the registry");
    reg.code_for(me.id).await.expect("code").code
}

/// A student logged in with `phone`, through school and identity with the `skip`-th
/// roster student who must be photographed in the demo's first campaign, code bound.
pub async fn verified_student(
    t: &TestApp,
    d: &Demo,
    phone: &str,
    skip: usize,
) -> (Client, gradphoto_db::students::StudentRow) {
    verified_student_at(t, d.u1, d.c1, phone, skip).await
}

/// [`verified_student`] at the university `university` and its open campaign `campaign`.
pub async fn verified_student_at(
    t: &TestApp,
    university: i64,
    campaign: i64,
    phone: &str,
    skip: usize,
) -> (Client, gradphoto_db::students::StudentRow) {
    verified_student_in(t, university, campaign, phone, skip, t.client()).await
}

/// [`verified_student_at`] in the browser `c`.
pub async fn verified_student_in(
    t: &TestApp,
    university: i64,
    campaign: i64,
    phone: &str,
    skip: usize,
    c: Client,
) -> (Client, gradphoto_db::students::StudentRow) {
    let u = t
        .app
        .db
        .get_university(university)
        .await
        .expect("university");
    let c = student_with(t, phone, c).await;
    let r = c
        .post_form("/student/school", &[("school", &u.name_zh)])
        .await;
    assert_eq!(r.status(), 303, "school");
    let (me, id) = must_student(t, campaign, skip).await;
    let r = c
        .post_form(
            "/student/identity",
            &[("id_number", &id), ("level", &me.level)],
        )
        .await;
    assert_eq!(r.status(), 303, "identity");
    let code = registry_code(t, &u.code, &me, &id).await;
    let form = reqwest::multipart::Form::new()
        .text("code", code)
        .text("csrf", c.csrf().await);
    let r = c
        .http
        .post(format!("{}/student/code", c.base))
        .multipart(form)
        .send()
        .await
        .expect("POST /student/code");
    assert_eq!(r.status(), 303, "code bound");
    (c, me)
}

/// A verified student (see [`verified_student_at`]) whose photo was kept (written
/// directly: the photo engine is not what these tests are about) and whose order is
/// confirmed with `phone` as the contact.
pub async fn ordering_student(
    t: &TestApp,
    university: i64,
    campaign: i64,
    phone: &str,
    skip: usize,
) -> (Client, gradphoto_db::students::StudentRow) {
    let (c, me) = verified_student_at(t, university, campaign, phone, skip).await;
    let account = t
        .app
        .db
        .student_account_by_phone(phone)
        .await
        .expect("db")
        .expect("account");
    let entry = t
        .app
        .db
        .current_online_entry(account.id)
        .await
        .expect("db")
        .expect("entry");
    t.app
        .db
        .insert_online_photo(&gradphoto_db::online_photos::NewOnlinePhoto {
            entry_id: entry.id,
            status: "checked",
            reasons_json: "[]",
            original_key: "fixture/upload",
            standard_key: "fixture/standard.jpg",
            background: "blue",
        })
        .await
        .expect("photo");
    let r = c
        .post_form("/student/order", &[("contact_phone", phone)])
        .await;
    assert_eq!(r.status(), 303, "order confirmed");
    (c, me)
}

/// The code of the newest text message to `phone` in the demo inbox.
pub fn last_code(t: &TestApp, phone: &str) -> String {
    let inbox = t.app.sms.demo_inbox().expect("log provider");
    let text = &inbox
        .iter()
        .find(|m| m.phone == phone)
        .expect("a message to the phone")
        .text;
    let at = text.find("code is ").expect("a code") + "code is ".len();
    text[at..at + 6].to_string()
}

/// Starts a payment with `method`: the page it leads to.
pub async fn pay_with(c: &Client, method: &str) -> (String, String) {
    let r = c.post_form("/student/pay", &[("method", method)]).await;
    assert_eq!(r.status(), 303, "{method}");
    let to = location(&r);
    let (status, page) = c.get_text(&to).await;
    assert_eq!(status, 200, "{page}");
    (to, page)
}

/// The value of `attr` on the element with `id`.
pub fn attr(page: &str, id: &str, attr: &str) -> String {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id} in {page}"));
    let tag = &page[page[..at].rfind('<').unwrap_or(0)..];
    let a = tag.find(&format!("{attr}=\"")).expect("attribute") + attr.len() + 2;
    tag[a..].split('"').next().unwrap_or_default().to_string()
}

/// Runs one statement with one id bound on either backend (the tests' way to put a row
/// where the product never would, e.g. an acceptance dated yesterday); the rows changed.
pub async fn exec_with_id(db: &gradphoto_db::Db, sql: &str, id: i64) -> u64 {
    use gradphoto_db::Db;
    match db {
        Db::Sqlite(s) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(&s.pool)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
    }
    .expect("statement")
}

/// A standard image (480×640, light blue) as the registry would have accepted it.
pub fn standard_jpeg() -> Vec<u8> {
    let (w, h) = (480u32, 640u32);
    let data = [100u8, 197, 255].repeat((w * h) as usize);
    gradphoto_photo::encode::encode(
        &gradphoto_photo::decode::Rgb {
            width: w,
            height: h,
            data,
        },
        90,
        300,
    )
    .expect("encodes")
}

/// The registry accepts `jpeg`, sent for the code of the online entry of the account with
/// this phone (written here: the sending is tested with the registry). Returns the
/// outbox row's id.
pub async fn registry_accepts(t: &TestApp, phone: &str, jpeg: Vec<u8>) -> i64 {
    let account = t
        .app
        .db
        .student_account_by_phone(phone)
        .await
        .expect("q")
        .expect("account");
    let entry = t
        .app
        .db
        .current_online_entry(account.id)
        .await
        .expect("q")
        .expect("entry");
    let key = format!("outbox/test/{phone}.jpg");
    t.app.blobs.put(&key, jpeg.into()).await.expect("stored");
    let row = t
        .app
        .db
        .insert_outbox(
            "CODE",
            entry.code_id.as_deref().expect("bound"),
            &key,
            "blue",
            "test",
        )
        .await
        .expect("outbox");
    assert!(
        t.app
            .db
            .outbox_finish(row.id, "answered", Some("accepted"), "{}")
            .await
            .expect("answered")
    );
    row.id
}
