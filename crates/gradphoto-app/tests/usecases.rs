//! Use cases end to end on a real database, without HTTP: the demo data set, storage
//! wiring (local, and S3 when a test server is configured), and the job queue.

use gradphoto_app::App;
use gradphoto_app::config::Config;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::roster::validate_grid;
use gradphoto_domain::sample::sample_universities;

fn config(dir: &std::path::Path) -> Config {
    let mut c = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    c.security.allow_generated_key = true;
    c.worker.enabled = false;
    c
}

async fn fresh_pg_url() -> Option<String> {
    gradphoto_db::testing::fresh_postgres_url().await
}

/// The demo seeds through the real use cases and every verdict the engine gives matches
/// an independent evaluation of the sample rosters.
async fn demo_matches_the_engine(app: &App) {
    let logins = app.seed_demo().await.expect("seed");
    assert_eq!(logins.len(), 9, "one login per role and tenant");
    assert_eq!(
        app.db.job_counts().await.expect("counts").queued,
        0,
        "no job left behind"
    );
    let again = app.seed_demo().await.expect("seeding twice is a no-op");
    assert_eq!(again.len(), logins.len());
    for (i, s) in sample_universities().iter().enumerate() {
        let u = app
            .db
            .find_university_by_code(&s.code)
            .await
            .expect("query")
            .expect("seeded");
        let students = validate_grid(&s.roster, &s.department_refs()).expect("valid sample");
        let must = students
            .iter()
            .filter(|st| evaluate(&s.campaign.rules, &st.facts()).verdict == Verdict::Must)
            .count() as i64;
        let campaign = app.db.list_campaigns(Some(u.id)).await.expect("campaigns")[0].id;
        let p = app
            .db
            .campaign_progress(campaign, u.id, None)
            .await
            .expect("progress");
        let eligible: i64 = p.iter().map(|d| d.eligible).sum();
        let collected: i64 = p.iter().map(|d| d.collected).sum();
        let total: i64 = p.iter().map(|d| d.students).sum();
        assert_eq!(total as usize, students.len(), "university {i}");
        assert_eq!(eligible, must, "university {i}");
        assert_eq!(collected as usize, s.collected.len(), "university {i}");
        // Every imported roster file is kept, content-addressed.
        assert_eq!(
            app.blobs
                .list(&format!("rosters/{}", u.id))
                .await
                .expect("list")
                .len(),
            1
        );
        // ID numbers are stored encrypted and findable by blind index only.
        let one = &students[0];
        let hits = app
            .db
            .find_students_by_blind(&app.pii.blind_index(one.id.number()))
            .await
            .expect("blind");
        assert_eq!(hits.len(), 1);
        assert_eq!(
            app.pii.decrypt(&hits[0].id_enc).expect("decrypt"),
            one.id.number()
        );
        assert!(!String::from_utf8_lossy(&hits[0].id_enc).contains(one.id.number()));
    }
}

#[tokio::test]
async fn demo_on_sqlite_with_local_storage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::start(config(dir.path())).await.expect("start");
    app.ready().await.expect("ready");
    demo_matches_the_engine(&app).await;
    assert!(
        dir.path().join("blobs").join("rosters").is_dir(),
        "local storage under the data dir"
    );
}

#[tokio::test]
async fn demo_on_postgres() {
    let Some(url) = fresh_pg_url().await else {
        eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path());
    c.database.url = url;
    c.storage.kind = "memory".into();
    let app = App::start(c).await.expect("start");
    demo_matches_the_engine(&app).await;
}

#[tokio::test]
async fn storage_on_s3_when_a_test_server_is_configured() {
    let Ok(endpoint) = std::env::var("GRADPHOTO_TEST_S3_ENDPOINT") else {
        eprintln!("S3 variant skipped: GRADPHOTO_TEST_S3_ENDPOINT not set");
        return;
    };
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path());
    c.storage.kind = "s3".into();
    c.storage.endpoint = endpoint;
    c.storage.bucket = env("GRADPHOTO_TEST_S3_BUCKET");
    c.storage.access_key_id = env("GRADPHOTO_TEST_S3_ACCESS_KEY");
    c.storage.secret_access_key = env("GRADPHOTO_TEST_S3_SECRET_KEY").into();
    c.storage.allow_http = true;
    let app = App::start(c).await.expect("start");
    app.ready().await.expect("S3 ready");
    demo_matches_the_engine(&app).await;
    assert!(
        !dir.path().join("blobs").exists(),
        "nothing written locally"
    );
}

#[tokio::test]
async fn bad_storage_configuration_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path());
    c.storage.kind = "floppy".into();
    assert!(App::start(c).await.is_err());
    let mut c = config(dir.path());
    c.storage.kind = "s3".into();
    assert!(App::start(c).await.is_err(), "s3 without a bucket");
    let mut c = config(dir.path());
    c.security.allow_generated_key = false;
    assert!(
        App::start(c).await.is_err(),
        "no PII key in production mode"
    );
}

/// A campaign's verification window goes to the registry before the campaign is stored:
/// when the registry cannot be reached the admin is told so, in both languages, and
/// neither the new campaign nor the changed window is saved.
#[tokio::test]
async fn a_window_the_registry_did_not_get_is_not_saved() {
    use gradphoto_app::auth::Staff;
    use gradphoto_app::campaigns::CampaignInput;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path());
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    c.registry.url = "http://127.0.0.1:1/registry".into();
    let app = App::start(c).await.expect("start");
    app.seed_demo().await.expect("seed");
    let row = app
        .db
        .find_staff_by_username("uni1-admin")
        .await
        .expect("db")
        .expect("demo admin");
    let admin = Staff::from_row(row, None).expect("role");
    let uni = admin.row.university_id.expect("university");
    let before = app.list_campaigns(&admin, uni).await.expect("list");
    let existing = before.first().expect("the demo campaign");

    let mut f = CampaignInput::from_campaign(existing);
    f.name = "2027届补充采集".into();
    f.verify_from = "2027-05-25".into();
    f.verify_to = "2027-06-05".into();
    f.verify_resolve_by = "2027-06-10".into();
    let e = app
        .create_campaign(&admin, uni, &f)
        .await
        .expect_err("the registry is down");
    let m = e.message();
    assert_eq!(m.code, "window.registry_unavailable");
    assert!(
        m.zh.contains("未保存") && m.en.contains("nothing was saved"),
        "{m:?}"
    );
    assert_eq!(
        app.list_campaigns(&admin, uni).await.expect("list").len(),
        before.len()
    );
    let e = app
        .update_campaign(&admin, existing.id, &f)
        .await
        .expect_err("the registry is down");
    assert_eq!(e.message().code, "window.registry_unavailable");
    let after = app.campaign(&admin, existing.id).await.expect("campaign");
    assert_eq!(after.modes.verification, None);
    assert_eq!(after.name, existing.name);

    // Without a window the registry is not needed.
    f.verify_from.clear();
    f.verify_to.clear();
    f.verify_resolve_by.clear();
    app.update_campaign(&admin, existing.id, &f)
        .await
        .expect("saved without the registry");
}

/// The SMS login code end to end through the log provider: the code arrives in the demo
/// inbox, a wrong one counts, the right one logs in once, a second send within 60 s is
/// refused, a new code voids the old, and the sixth wrong try is refused even with the
/// right digits. On SQLite, and on PostgreSQL when configured.
#[tokio::test]
async fn login_codes_through_the_log_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut configs = vec![config(dir.path())];
    if let Some(url) = fresh_pg_url().await {
        let mut c = config(dir.path());
        c.database.url = url;
        configs.push(c);
    }
    for c in configs {
        let app = App::start(c).await.expect("start");
        let code_in_inbox = |app: &App| {
            let inbox = app.sms.demo_inbox().expect("log provider");
            let text = &inbox.first().expect("a message").text;
            let code: String = text
                .split("code is ")
                .nth(1)
                .expect("the English half")
                .chars()
                .take(6)
                .collect();
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{text}");
            assert!(text.contains(&format!("验证码 {code}")), "{text}");
            code
        };
        let e = app
            .send_login_code("12345", "10.0.0.1")
            .await
            .expect_err("bad phone");
        assert_eq!(e.message().code, "phone.invalid");
        app.send_login_code("138 0013 8000", "10.0.0.1")
            .await
            .expect("sent");
        let inbox = app.sms.demo_inbox().expect("log provider");
        assert_eq!(inbox[0].phone, "13800138000");
        let code = code_in_inbox(&app);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let e = app
            .check_login_code("13800138000", wrong)
            .await
            .expect_err("wrong");
        assert_eq!(e.message().code, "otp.wrong");
        assert!(
            e.message().zh.contains("还可尝试 4 次"),
            "{:?}",
            e.message()
        );
        assert_eq!(
            app.check_login_code("+86 138 0013 8000", &code)
                .await
                .expect("right"),
            "13800138000"
        );
        let e = app
            .check_login_code("13800138000", &code)
            .await
            .expect_err("used");
        assert_eq!(e.message().code, "otp.none");
        // Within the minute: refused, and nothing sent.
        let e = app
            .send_login_code("13800138000", "10.0.0.1")
            .await
            .expect_err("too soon");
        assert_eq!(e.message().code, "otp.too_soon");
        assert_eq!(app.sms.demo_inbox().expect("log").len(), 1);

        // A newer code voids the older one; five wrong tries use up the newest.
        let phone = "13900139000";
        app.send_login_code(phone, "10.0.0.2").await.expect("sent");
        let first = code_in_inbox(&app);
        assert_eq!(app.sms.demo_inbox().expect("log").len(), 2);
        let wrong = if first == "000000" {
            "111111"
        } else {
            "000000"
        };
        for left in (0..5).rev() {
            let e = app.check_login_code(phone, wrong).await.expect_err("wrong");
            assert!(e.message().en.contains(&format!("{left} attempts left")));
        }
        let e = app
            .check_login_code(phone, &first)
            .await
            .expect_err("out of tries");
        assert_eq!(e.message().code, "otp.attempts");
    }
}
