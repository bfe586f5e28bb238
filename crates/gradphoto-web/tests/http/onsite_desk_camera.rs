//! The check-in desk with a camera instead of a wedge scanner, on both backends: a
//! picture of the code is read on the server and numbered exactly as a typed code is
//! (a second picture of the same code keeps its number); a picture without a code and an
//! empty form are refused with a message in the desk's language; staff of another
//! university are refused before the picture is read.

use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::today_queue;
use crate::support::{self, PW};

#[tokio::test]
async fn a_picture_of_the_code_is_checked_in_like_a_scan() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let q = today_queue(&t, &d).await;
        let (student, id) = support::must_student(&t, d.c1, 0).await;
        let code = support::registry_code(&t, &school, &student, &id).await;
        let png = gradphoto_registry::qr::png(&code, 6).expect("png");
        let url = format!("/onsite/queues/{q}/checkin-image");

        // Refused before the picture is read: a picture without a code would otherwise be
        // answered "no code found".
        let other = t.login("uni2-admin", PW).await;
        let r = other
            .post_file(&url, "image", "blank.jpg", image_without_code())
            .await;
        assert_eq!(r.status(), 403);

        let ph = t.login("photographer", PW).await;
        let (_, desk) = ph.get_text(&format!("/onsite/queues/{q}/desk")).await;
        assert!(
            desk.contains("id=\"code-image\"") && desk.contains("/static/scan.js"),
            "{desk}"
        );
        let r = ph.post_file(&url, "image", "code.png", png.clone()).await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.expect("body");
        assert!(body.contains("id=\"shooting-number\">1<"), "{body}");
        let again = ph.post_file(&url, "image", "code.png", png).await;
        let body = again.text().await.expect("body");
        assert!(
            body.contains("id=\"shooting-number\">1<") && body.contains("此前已取号"),
            "{body}"
        );
        let numbers = t.app.db.onsite_queue_checkins(q).await.expect("q");
        assert_eq!(numbers.len(), 1);
        assert_eq!(numbers[0].student_id, student.id);

        // A picture with no code in it, and no picture at all: said, nothing numbered.
        let r = ph
            .post_file(&url, "image", "blank.jpg", image_without_code())
            .await;
        assert_eq!(r.status(), 422);
        let body = r.text().await.expect("body");
        assert!(
            body.contains("id=\"checkin-error\"") && body.contains("没有找到可识别的采集码"),
            "{body}"
        );
        let r = ph.post_file(&url, "other", "x.txt", b"x".to_vec()).await;
        assert_eq!(r.status(), 422);
        assert_eq!(t.app.db.onsite_queue_checkins(q).await.expect("q").len(), 1);
    }
}

/// A plain grey JPEG: an image the desk can decode, with no code in it.
fn image_without_code() -> Vec<u8> {
    let rgb = gradphoto_photo::decode::Rgb {
        width: 200,
        height: 200,
        data: vec![128; 200 * 200 * 3],
    };
    gradphoto_photo::encode::encode(&rgb, 90, 72).expect("jpeg")
}
