//! The binary as an operator uses it: configuration layering, migrations, imports and
//! exports from the command line.

use std::path::Path;
use std::process::{Command, Output};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn gradphoto(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["--data-dir", dir.to_str().expect("utf-8 path")])
        .args(args)
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .env_remove("GRADPHOTO_DATABASE__URL")
        .output()
        .expect("run gradphoto")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn config_default_prints_every_key_and_matches_the_example_file() {
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["config", "default"])
        .output()
        .expect("run");
    assert!(o.status.success());
    let printed = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        printed,
        include_str!("../../../config/gradphoto.example.toml")
    );
}

#[test]
fn layers_environment_over_file_and_flags_over_environment_and_hide_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("g.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:7000\"\n[log]\nlevel = \"warn\"\n[database]\nmax_connections = 2\n",
    )
    .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args([
            "--config",
            file.to_str().expect("path"),
            "--log-format",
            "json",
            "config",
            "show",
        ])
        .env("GRADPHOTO_LOG__LEVEL", "debug")
        .env("GRADPHOTO_DATABASE__MAX_CONNECTIONS", "5")
        .env("GRADPHOTO_LOG__FORMAT", "text")
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["listen"], "127.0.0.1:7000", "file over default");
    assert_eq!(v["log"]["level"], "debug", "environment over file");
    assert_eq!(
        v["database"]["max_connections"], 5,
        "environment nests with __"
    );
    assert_eq!(v["log"]["format"], "json", "flag over environment");
    assert!(!text(&o).contains(KEY), "the key is never printed");
    assert_eq!(v["security"]["pii_key"], "***");
}

#[test]
fn refuses_to_start_without_a_key_or_with_an_unknown_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["--data-dir", dir.path().to_str().expect("path"), "migrate"])
        .env_remove("GRADPHOTO_SECURITY__PII_KEY")
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(text(&o).contains("pii_key"), "{}", text(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args(["--data-dir", dir.path().to_str().expect("path"), "migrate"])
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .env("GRADPHOTO_SECURITY__PII_KYE", "typo")
        .output()
        .expect("run");
    assert!(
        !o.status.success(),
        "a misspelt key is an error, not silently ignored"
    );
}

#[test]
fn roster_import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(gradphoto(dir.path(), &["migrate"]).status.success());
    assert!(
        gradphoto(dir.path(), &["migrate"]).status.success(),
        "migrating twice is fine"
    );
    // A university to import into, created through the same use case as the web form.
    let o = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args([
            "--data-dir",
            dir.path().to_str().expect("path"),
            "staff",
            "add",
            "boss",
            "--role",
            "agency_admin",
        ])
        .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
        .env("GRADPHOTO_NEW_PASSWORD", "long enough password")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    let o = gradphoto(
        dir.path(),
        &["import", "roster", "--school", "10001", "/nonexistent.csv"],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("10001"),
        "unknown school is named: {}",
        text(&o)
    );
}

/// The hosted registry's administration: without the host switch it says so; with it,
/// clients get a token once, keys rotate and the published set grows; the agency stores a
/// token from the environment.
#[test]
fn registry_server_and_link_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = gradphoto(dir.path(), &["registry-server", "keys"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("registry"), "{}", text(&o));
    let hosted = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gradphoto"))
            .args(["--data-dir", dir.path().to_str().expect("utf-8")])
            .args(args)
            .env("GRADPHOTO_SECURITY__PII_KEY", KEY)
            .env("GRADPHOTO_REGISTRY__HOST", "true")
            .env("GRADPHOTO_REGISTRY__MASTER_KEY", KEY)
            .env("GRADPHOTO_NEW_TOKEN", "gpr_example_token")
            .env_remove("GRADPHOTO_DATABASE__URL")
            .output()
            .expect("run gradphoto")
    };
    let o = hosted(&[
        "registry-server",
        "client",
        "--name",
        "厦门大学",
        "--school",
        "10384",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .starts_with("gpr_")
    );
    let keys = |o: &Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).expect("key set JSON")
    };
    let o = hosted(&["registry-server", "keys"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(keys(&o)["keys"].as_array().map(Vec::len), Some(2));
    let o = hosted(&["registry-server", "rotate", "--signing"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("sig-"));
    let o = hosted(&["registry-server", "keys"]);
    assert_eq!(keys(&o)["keys"].as_array().map(Vec::len), Some(3));
    let o = hosted(&["registry-link", "set-token", "agency"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = hosted(&["registry-link", "set-token", "bogus"]);
    assert!(!o.status.success());
}

/// `gradphoto station watch` against a running server: a photo in the camera's folder is taken
/// only once complete, sent bound to the number at the camera when it appeared, and moved
/// to done/; a photo the engine refuses goes to refused/; one that appears while nobody
/// is at the camera goes to unbound/ and is bound to nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_station_sends_hot_folder_photos_bound_to_the_number_at_the_camera() {
    use gradphoto_app::auth::Staff;
    let Some(dev) = gradphoto_testkit::photos_dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let portrait = std::fs::read(dev.join("raw/A000369_raw.jpg")).expect("DEV portrait");
    let backend = gradphoto_testkit::backends().remove(0);
    let t = gradphoto_testkit::TestApp::spawn_on(backend, |_| {}).await;
    t.app.seed_demo().await.expect("demo");
    t.drain_jobs().await;
    let db = &t.app.db;
    let staff = Staff::from_row(
        db.find_staff_by_username("photographer")
            .await
            .expect("db")
            .expect("photographer"),
        None,
    )
    .expect("role");
    // A queue of today's demo session, with one student checked in and called.
    let students = t.app.demo_registry_students(40).await.expect("db");
    let school = db
        .find_university_by_code(&students[0].school_code)
        .await
        .expect("db")
        .expect("the demo student's university");
    let campaign = db.list_campaigns(Some(school.id)).await.expect("campaigns")[0].clone();
    let today = gradphoto_app::online_entry::china_today().to_string();
    let session = db
        .campaign_sessions(campaign.id)
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.day == today)
        .expect("today's session");
    let queue = db
        .campaign_queues(campaign.id)
        .await
        .expect("queues")
        .into_iter()
        .find(|q| q.session_id == session.id)
        .expect("queue");
    let reg = t.app.registry().expect("hosted");
    let mut numbered = false;
    for s in students {
        let Some(e) = reg
            .find_enrolments(&s.school_code, &s.id_number, &s.name)
            .await
            .expect("q")
            .into_iter()
            .next()
        else {
            continue;
        };
        let code = reg.code_for(e.id).await.expect("code").code;
        match t.app.check_in(&staff, queue.id, &code).await {
            Ok(_) => {
                numbered = true;
                break;
            }
            Err(e) => eprintln!("not numbered: {e}"),
        }
    }
    assert!(numbered, "a demo student checked in");
    t.app
        .station_call_next(&staff, queue.id)
        .await
        .expect("number 1 called");

    let folder = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradphoto"))
        .args([
            "station",
            "watch",
            "--server",
            &t.url,
            "--queue",
            &queue.id.to_string(),
            "--folder",
            folder.path().to_str().expect("path"),
            "--user",
            "photographer",
            "--poll-ms",
            "100",
            "--max-files",
            "3",
        ])
        .env(
            "GRADPHOTO_STATION_PASSWORD",
            gradphoto_app::demo::DEMO_PASSWORD,
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the station");
    let wait_for = |what: &'static str, cond: Box<dyn Fn() -> bool>| async move {
        for _ in 0..300 {
            if cond() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("timed out waiting: {what}");
    };
    let dir = folder.path().to_path_buf();
    wait_for("the station's folders", {
        let dir = dir.clone();
        Box::new(move || dir.join("done").is_dir())
    })
    .await;

    // Half a file, as a camera writes it: left alone while it is incomplete.
    let a = dir.join("IMG_0001.jpg");
    std::fs::write(&a, &portrait[..portrait.len() / 2]).expect("write");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(a.exists(), "an incomplete photo is not taken");
    let one = db.station_current(queue.id).await.expect("q").expect("1");
    assert_eq!(one.photo_id, None);
    std::fs::write(&a, &portrait).expect("finish writing");
    wait_for("IMG_0001 sent", {
        let dir = dir.clone();
        Box::new(move || dir.join("done/1-IMG_0001.jpg").exists())
    })
    .await;
    let one = db.station_current(queue.id).await.expect("q").expect("1");
    let photo = db
        .onsite_photo(one.photo_id.expect("bound to number 1"))
        .await
        .expect("photo");
    assert_eq!(
        (photo.source.as_str(), photo.checkin_id),
        ("hot_folder", one.id)
    );

    // Not a photo at all: refused by the engine, kept aside.
    std::fs::write(dir.join("IMG_0002.jpg"), b"this is not a photo").expect("write");
    wait_for("IMG_0002 refused", {
        let dir = dir.clone();
        Box::new(move || dir.join("refused/1-IMG_0002.jpg").exists())
    })
    .await;

    // Confirmed: nobody is at the camera, so the next file is bound to nobody.
    t.app
        .station_confirm(&staff, queue.id, one.number, photo.id)
        .await
        .expect("confirmed");
    std::fs::write(dir.join("IMG_0003.jpg"), &portrait).expect("write");
    wait_for("IMG_0003 unbound", {
        let dir = dir.clone();
        Box::new(move || dir.join("unbound/IMG_0003.jpg").exists())
    })
    .await;
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the station did not stop after three files");
    });
    assert!(status.success());
    let one = db.onsite_checkin(one.id).await.expect("row");
    assert_eq!(
        one.photo_id,
        Some(photo.id),
        "nothing replaced the confirmed photo"
    );
}
