//! The agency's outbox against the hosted registry through a proxy that can be switched
//! off: while the registry is unreachable the desk still verifies codes from its cached
//! keys and queues photos; delivery fails and is retried; when the registry returns the
//! photo is delivered once, and the registry's answer is recorded.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gradphoto_registry::{ClientKind, ReportedStudent};
use gradphoto_testkit::{TestApp, backends};

/// A TCP proxy to the app. Switched off, it cuts the open connections (a client's
/// keep-alive pool must not sneak past the outage) and drops new ones.
struct Proxy {
    url: String,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
    target: Arc<Mutex<Option<SocketAddr>>>,
}

impl Proxy {
    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}

async fn proxy() -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/registry", listener.local_addr().expect("addr"));
    let up = Arc::new(AtomicBool::new(true));
    let target: Arc<Mutex<Option<SocketAddr>>> = Arc::new(Mutex::new(None));
    let (cut, _) = tokio::sync::watch::channel(0u64);
    let (u, t, c) = (up.clone(), target.clone(), cut.clone());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let to = *t.lock().expect("lock");
            if !u.load(Ordering::SeqCst) {
                drop(inbound);
                continue;
            }
            let Some(to) = to else { continue };
            let mut cut = c.subscribe();
            tokio::spawn(async move {
                if let Ok(mut out) = tokio::net::TcpStream::connect(to).await {
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                        _ = cut.changed() => {}
                    }
                }
            });
        }
    });
    Proxy {
        url,
        up,
        cut,
        target,
    }
}

#[tokio::test]
async fn outbox_delivers_after_the_registry_comes_back() {
    for backend in backends() {
        let p = proxy().await;
        let (url, target) = (p.url.clone(), p.target.clone());
        let t = TestApp::spawn_on(backend, move |c| {
            *target.lock().expect("lock") = c.listen.parse().ok();
            c.registry.url = url;
        })
        .await;
        let reg = t.app.registry().expect("hosted");
        let (school, _) = reg
            .register_client("清华大学", ClientKind::School, Some("10003"))
            .await
            .expect("school");
        let (_, token) = reg
            .register_client("中国图片社", ClientKind::Agency, None)
            .await
            .expect("agency");
        t.app
            .set_registry_token("agency", &token)
            .await
            .expect("token");
        let s = |no: &str, id: &str| ReportedStudent {
            enrolment_id: no.into(),
            level: "doctor".into(),
            expected_graduation: "2027-07".into(),
            department: "化学系".into(),
            name: "周某某".into(),
            id_number: id.into(),
        };
        reg.report_students(
            &school,
            &[
                s("D01", "110105199001011230"),
                s("D02", "110105199001011249"),
            ],
        )
        .await
        .expect("report");
        let d01 = reg.enrolment("10003", "D01").await.expect("D01");
        let d02 = reg.enrolment("10003", "D02").await.expect("D02");
        let code = reg.code_for(d01.id).await.expect("code").code;
        let code2 = reg.code_for(d02.id).await.expect("code").code;

        // Online: the desk fetches and caches the keys.
        assert!(t.app.verify_code(&code).await.is_ok());

        // The registry goes away. Codes still verify from the cache; photos are queued.
        p.set_up(false);
        let row = t
            .app
            .send_photo_to_registry("desk-1", &code, b"not a photo".to_vec(), "blue")
            .await
            .expect("queued while offline");
        let row2 = t
            .app
            .send_photo_to_registry("desk-1", &code2, b"also not".to_vec(), "white")
            .await
            .expect("queued while offline");
        let d = t.app.run_ready_jobs().await.expect("worker pass");
        assert_eq!((d.done, d.failed), (0, 2));
        let pending = t.app.db.outbox(row.id).await.expect("row");
        assert_eq!(pending.status, "pending");
        assert_eq!(pending.attempts, 1);
        assert!(
            pending
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("unreachable")),
            "{pending:?}"
        );
        assert!(reg.photos_of(d01.id).await.expect("photos").is_empty());

        // Meanwhile D02's code is re-issued: its queued photo will be refused, not retried.
        reg.reissue_code(d02.id).await.expect("reissue");

        // Back: after the backoff (4 s after a first failure) the retry delivers, once.
        p.set_up(true);
        tokio::time::sleep(std::time::Duration::from_millis(4_200)).await;
        let d = t.app.run_ready_jobs().await.expect("worker pass");
        assert_eq!((d.done, d.failed), (2, 0));
        let answered = t.app.db.outbox(row.id).await.expect("row");
        assert_eq!(answered.status, "answered");
        assert_eq!(answered.verdict.as_deref(), Some("rejected"), "not a photo");
        assert_eq!(reg.photos_of(d01.id).await.expect("photos").len(), 1);
        let refused = t.app.db.outbox(row2.id).await.expect("row");
        assert_eq!(refused.status, "refused");
        assert!(
            refused
                .result_json
                .as_deref()
                .is_some_and(|j| j.contains("code.revoked")),
            "{refused:?}"
        );

        // Delivering again (a duplicate job, a sweep) changes nothing.
        t.app.deliver_outbox(row.id).await.expect("no-op");
        assert_eq!(t.app.sweep_outbox().await.expect("sweep"), 0);
        assert_eq!(reg.photos_of(d01.id).await.expect("photos").len(), 1);

        // Killed between committing the row and queueing its job: the sweep finds the
        // pending row and delivers it.
        let code3 = reg.reissue_code(d01.id).await.expect("new code").code;
        let keys = t.app.registry_keys(true).await.expect("keys").0;
        let id3 = gradphoto_registry_crypto::code::verify(&code3, &keys)
            .expect("valid")
            .id;
        t.app
            .blobs
            .put(
                "outbox/orphan/photo.jpg",
                bytes::Bytes::from_static(b"third"),
            )
            .await
            .expect("stored");
        let orphan = t
            .app
            .db
            .insert_outbox(
                &code3,
                &id3.to_string(),
                "outbox/orphan/photo.jpg",
                "blue",
                "desk-1",
            )
            .await
            .expect("row without a job");
        assert_eq!(
            t.app.run_ready_jobs().await.expect("pass").done,
            0,
            "no job for it"
        );
        assert_eq!(t.app.sweep_outbox().await.expect("sweep"), 1);
        t.app.run_ready_jobs().await.expect("pass");
        assert_eq!(
            t.app.db.outbox(orphan.id).await.expect("row").status,
            "answered"
        );
        assert_eq!(reg.photos_of(d01.id).await.expect("photos").len(), 2);

        // A forged code is refused at the desk, before anything is stored.
        let forged = code.replacen("GPC1.", "GPC1.A", 1);
        assert!(
            t.app
                .send_photo_to_registry("desk-1", &forged, vec![1], "blue")
                .await
                .is_err()
        );
    }
}
