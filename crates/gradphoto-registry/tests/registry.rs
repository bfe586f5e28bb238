//! The registry's side end to end on both backends: schools report, codes are issued and
//! re-issued, and the intake refuses every way a photo could land on the wrong student.
//! Photos come from the labelled DEV set, read in place (skipped when absent).

use std::path::PathBuf;
use std::sync::Arc;

use gradphoto_blob::Blobs;
use gradphoto_db::Db;
use gradphoto_photo::Engine;
use gradphoto_registry::{
    Client, ClientKind, Registry, RegistryError, ReportedStudent, Submission,
};
use gradphoto_registry_crypto::{CodeId, KeyRing, seal};

const MASTER: [u8; 32] = [42; 32];
const SCHOOL: &str = "10384";
const ZHANG_ID: &str = "35020319990101123X";
const LI_ID: &str = "350203199902021234";

fn dev_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("GRADPHOTO_PHOTOS_DEV") {
        return Some(PathBuf::from(dir));
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/photos/dev"))
        .find(|d| d.join("labels.json").is_file())
}

fn engine() -> Arc<Engine> {
    static E: std::sync::OnceLock<Arc<Engine>> = std::sync::OnceLock::new();
    E.get_or_init(|| Arc::new(Engine::new().expect("models")))
        .clone()
}

fn student(no: &str, name: &str, id: &str) -> ReportedStudent {
    ReportedStudent {
        enrolment_id: no.into(),
        level: "本科".into(),
        expected_graduation: "2027-06".into(),
        department: "数学科学学院".into(),
        name: name.into(),
        id_number: id.into(),
    }
}

struct Setup {
    reg: Registry,
    blobs: Blobs,
    school: Client,
    agency: Client,
}

async fn setup(db: Db) -> Setup {
    let blobs = Blobs::memory();
    let reg = Registry::open(db, blobs.clone(), engine(), &MASTER)
        .await
        .expect("open");
    let (school, _) = reg
        .register_client("厦门大学", ClientKind::School, Some(SCHOOL))
        .await
        .expect("school");
    let (agency, _) = reg
        .register_client("中国图片社", ClientKind::Agency, None)
        .await
        .expect("agency");
    reg.report_students(
        &school,
        &[
            student("S001", "张三丰", ZHANG_ID),
            student("S002", "李四", LI_ID),
        ],
    )
    .await
    .expect("report");
    Setup {
        reg,
        blobs,
        school,
        agency,
    }
}

fn sub<'a>(key: &'a str, code: &'a str, sealed: &'a [u8]) -> Submission<'a> {
    Submission {
        idempotency_key: key,
        code,
        sealed,
        background: None,
    }
}

fn sealed_for(
    keys: &gradphoto_registry_crypto::PublicKeySet,
    code_text: &str,
    photo: &[u8],
) -> Vec<u8> {
    // What the agency does: verify the code offline, seal to the registry for its id.
    let id: CodeId = gradphoto_registry_crypto::code::verify(code_text, keys)
        .expect("a valid code")
        .id;
    seal::seal(keys, &id, photo).expect("seal").to_bytes()
}

#[tokio::test]
async fn status_codes_and_sign_in() {
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let s = setup(db).await;
        let zhang = s.reg.enrolment(SCHOOL, "S001").await.expect("S001");
        assert_eq!(zhang.name_masked, "张*丰");
        assert_eq!(zhang.id_masked, "3502**********123X");
        assert_eq!(zhang.level, "bachelor");

        // Sign-in: ID number (any case, spaces) and name must both match.
        let found = s
            .reg
            .find_enrolments(SCHOOL, "35020319990101123x", "张三丰")
            .await
            .expect("q");
        assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), [zhang.id]);
        assert!(
            s.reg
                .find_enrolments(SCHOOL, ZHANG_ID, "张三")
                .await
                .expect("q")
                .is_empty()
        );
        assert!(
            s.reg
                .find_enrolments("10001", ZHANG_ID, "张三丰")
                .await
                .expect("q")
                .is_empty()
        );

        // One code per enrolment, stable until re-issued; the old one is then revoked.
        let c1 = s.reg.code_for(zhang.id).await.expect("code");
        assert_eq!(s.reg.code_for(zhang.id).await.expect("code").id, c1.id);
        let c2 = s.reg.reissue_code(zhang.id).await.expect("reissue");
        assert_ne!(c1.id, c2.id);
        let keys = s.reg.public_keys().await.expect("keys");
        let old: CodeId = c1.id.parse().expect("id");
        assert!(keys.is_revoked(&old));
        let v = gradphoto_registry_crypto::code::verify(&c2.code, &keys).expect("verifies");
        assert_eq!(v.claims.name_masked, "张*丰");
        assert_eq!(v.claims.graduation_year, 2027);
        assert!(gradphoto_registry_crypto::code::verify(&c1.code, &keys).is_err());

        // Reports are all-or-nothing and only from schools.
        let bad = s
            .reg
            .report_students(
                &s.school,
                &[student("S003", "王五", "1"), student("S004", "", "2")],
            )
            .await;
        assert!(
            matches!(bad, Err(RegistryError::Invalid { ref field, .. }) if field == "students[1].name"),
            "{bad:?}"
        );
        assert!(matches!(
            s.reg.enrolment(SCHOOL, "S003").await,
            Err(RegistryError::NotFound)
        ));
        assert!(matches!(
            s.reg
                .report_students(&s.agency, &[student("S005", "赵六", "3")])
                .await,
            Err(RegistryError::Forbidden(_))
        ));

        // A rotation: new keys published, codes already issued still verify.
        s.reg.rotate(true, true).await.expect("rotate");
        let keys = s.reg.public_keys().await.expect("keys");
        assert_eq!(keys.keys.len(), 4);
        assert!(gradphoto_registry_crypto::code::verify(&c2.code, &keys).is_ok());
        assert!(s.blobs.list("registry/").await.expect("list").is_empty());
    }
}

#[tokio::test]
async fn intake_refuses_wrong_student_forgery_revocation_and_reuse() {
    let Some(dev) = dev_dir() else {
        eprintln!("SKIPPED: the labelled DEV photos (../shared/photos/dev) are absent");
        return;
    };
    let photo = |name: &str| std::fs::read(dev.join(name)).expect("DEV photo");
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let s = setup(db).await;
        let zhang = s.reg.enrolment(SCHOOL, "S001").await.expect("S001");
        let li = s.reg.enrolment(SCHOOL, "S002").await.expect("S002");
        let code_a = s.reg.code_for(zhang.id).await.expect("code A").code;
        let code_b = s.reg.code_for(li.id).await.expect("code B").code;
        let keys = s.reg.public_keys().await.expect("keys");
        let good = photo("A000369_accept.jpg");
        let sealed_a = sealed_for(&keys, &code_a, &good);

        // Sealed for A, submitted as B's: refused, nothing stored.
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0001", &code_b, &sealed_a))
            .await;
        assert!(
            matches!(r, Err(ref e) if e.code() == "seal.wrong_code"),
            "{r:?}"
        );
        // Only agencies submit.
        let r = s
            .reg
            .submit_photo(&s.school, &sub("outbox-0002", &code_a, &sealed_a))
            .await;
        assert!(matches!(r, Err(RegistryError::Forbidden(_))), "{r:?}");

        // Accepted; the replay answers the same and stores nothing twice.
        let first = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0003", &code_a, &sealed_a))
            .await
            .expect("accepted");
        assert_eq!(first.verdict, "accepted", "{:?}", first.reasons);
        assert!(!first.replayed);
        let again = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0003", &code_a, &sealed_a))
            .await
            .expect("replay");
        assert!(again.replayed);
        assert_eq!(again.photo_id, first.photo_id);
        assert_eq!(s.reg.photos_of(zhang.id).await.expect("photos").len(), 1);
        assert_eq!(
            s.blobs.list("registry/photos/").await.expect("list").len(),
            1
        );
        // The same key for another request is an error, not a silent replay.
        let other = sealed_for(&keys, &code_a, &photo("A000369_blurry.jpg"));
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0003", &code_a, &other))
            .await;
        assert!(
            matches!(r, Err(RegistryError::IdempotencyMismatch)),
            "{r:?}"
        );

        // Stored encrypted at rest: the object is the sealed bytes, it opens to the photo.
        let rows = s.reg.photos_of(zhang.id).await.expect("photos");
        let stored = s
            .blobs
            .get(rows[0].blob_key.as_deref().expect("blob"))
            .await
            .expect("get");
        assert_eq!(&stored[..], sealed_a);
        assert!(!stored.windows(4).any(|w| w == b"JFIF"));
        assert_eq!(s.reg.open_photo(&rows[0]).await.expect("open"), good);

        // A photo failing the checks: rejected with its reasons, kept without pixels.
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0004", &code_a, &other))
            .await
            .expect("answer");
        assert_eq!(r.verdict, "rejected");
        assert!(
            r.reasons.to_string().contains("sharpness.blurry"),
            "{}",
            r.reasons
        );
        assert_eq!(
            s.blobs.list("registry/photos/").await.expect("list").len(),
            1
        );

        // Forged: a code signed with another ring.
        let forged_ring = KeyRing::generate(0).expect("ring");
        let claims = gradphoto_registry_crypto::code::verify(&code_a, &keys)
            .expect("v")
            .claims;
        let (_, forged) =
            gradphoto_registry_crypto::code::issue(&forged_ring, &claims).expect("forge");
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0005", &forged, &sealed_a))
            .await;
        assert!(
            matches!(r, Err(ref e) if e.code() == "code.unknown_key"),
            "{r:?}"
        );

        // Revoked: after a re-issue the old code is refused, the new one works.
        let code_a2 = s.reg.reissue_code(zhang.id).await.expect("reissue").code;
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0006", &code_a, &sealed_a))
            .await;
        assert!(
            matches!(r, Err(ref e) if e.code() == "code.revoked"),
            "{r:?}"
        );
        let keys = s.reg.public_keys().await.expect("keys");
        let sealed_a2 = sealed_for(&keys, &code_a2, &good);
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0007", &code_a2, &sealed_a2))
            .await
            .expect("new code");
        assert_eq!(r.verdict, "accepted");

        // Reuse: Li's admission photo is the one now submitted for his graduation.
        s.reg
            .record_earlier_photo(LI_ID, "admission", &photo("B000574_accept.jpg"))
            .await
            .expect("seed");
        let reused = sealed_for(&keys, &code_b, &photo("B000574_accept.jpg"));
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0008", &code_b, &reused))
            .await
            .expect("answer");
        assert_eq!(r.verdict, "rejected");
        assert!(
            r.reasons.to_string().contains("photo.reused"),
            "{}",
            r.reasons
        );
        // Re-framed and re-encoded, it is still the same photo.
        let reframed = sealed_for(&keys, &code_b, &photo("B000574_accept_alt.jpg"));
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0009", &code_b, &reframed))
            .await
            .expect("answer");
        assert!(
            r.reasons.to_string().contains("photo.reused"),
            "{}",
            r.reasons
        );
        // Another face is no reuse. (The DEV set has one sitting per person, so a new
        // sitting of the same person cannot be shown here; the photo crate's tests/phash.rs
        // measures the gap between people.)
        let fresh = sealed_for(&keys, &code_b, &photo("C001132_accept.jpg"));
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("outbox-0010", &code_b, &fresh))
            .await
            .expect("answer");
        assert_eq!(r.verdict, "accepted", "{}", r.reasons);
    }
}

/// The demo's earlier photo (NASA's public-domain portrait fetched by
/// scripts/fetch-demo-data): it is recorded once however often it is recorded, a photo
/// without a face is refused, and submitting the same portrait for graduation is refused
/// as reused — even though it also fails the standard, the reuse is named.
#[tokio::test]
async fn the_demo_portrait_as_an_earlier_photo() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo-data/astronaut.png");
    let Ok(portrait) = std::fs::read(&path) else {
        eprintln!(
            "SKIPPED: {} is absent (run scripts/fetch-demo-data)",
            path.display()
        );
        return;
    };
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let s = setup(db).await;
        let first = s
            .reg
            .record_earlier_photo(ZHANG_ID, "admission", &portrait)
            .await
            .expect("a face");
        let again = s
            .reg
            .record_earlier_photo(ZHANG_ID, "admission", &portrait)
            .await
            .expect("again");
        assert_eq!(first, again, "recorded once");
        let r = s
            .reg
            .record_earlier_photo(ZHANG_ID, "school-photo", &portrait)
            .await;
        assert!(matches!(r, Err(RegistryError::Invalid { .. })), "{r:?}");
        let blank = {
            let img = image::RgbImage::from_pixel(480, 640, image::Rgb([100, 197, 255]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png)
                .expect("png");
            out.into_inner()
        };
        let r = s
            .reg
            .record_earlier_photo(ZHANG_ID, "admission", &blank)
            .await;
        assert!(
            matches!(r, Err(RegistryError::Invalid { ref en, .. }) if en.contains("no single face")),
            "{r:?}"
        );

        let zhang = s.reg.enrolment(SCHOOL, "S001").await.expect("S001");
        let code = s.reg.code_for(zhang.id).await.expect("code").code;
        let keys = s.reg.public_keys().await.expect("keys");
        let sealed = sealed_for(&keys, &code, &portrait);
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("demo-portrait-1", &code, &sealed))
            .await
            .expect("answer");
        assert_eq!(r.verdict, "rejected");
        assert!(
            r.reasons.to_string().contains("photo.reused"),
            "{}",
            r.reasons
        );
        // Li's record has no earlier photo: the same portrait is no reuse for him.
        let li = s.reg.enrolment(SCHOOL, "S002").await.expect("S002");
        let code = s.reg.code_for(li.id).await.expect("code").code;
        let sealed = sealed_for(&keys, &code, &portrait);
        let r = s
            .reg
            .submit_photo(&s.agency, &sub("demo-portrait-2", &code, &sealed))
            .await
            .expect("answer");
        assert!(
            !r.reasons.to_string().contains("photo.reused"),
            "{}",
            r.reasons
        );
    }
}
