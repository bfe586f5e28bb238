//! The check-in desk over HTTP, on both backends: the desk numbers scanned codes 1, 2, …
//! (a rescan keeps its number; forged, empty, unregistered and already photographed codes
//! are refused; walk-ins only where the campaign takes them), on the desk page and
//! through the JSON API with a bearer token.

use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::{change_modes, fresh_codes, post, sessions, today_queue, today_queues};
use crate::support::{self, PW};

#[tokio::test]
async fn the_desk_numbers_scanned_codes_in_order() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let school = t.app.db.get_university(d.u1).await.expect("u").code;
        let today = gradphoto_app::online_entry::china_today().to_string();
        let session = sessions(&t, &d)
            .await
            .into_iter()
            .find(|s| s.day == today)
            .expect("the demo's session today");
        let queues = t.app.db.campaign_queues(d.c1).await.expect("queues");
        let queue = queues
            .iter()
            .find(|q| q.session_id == session.id)
            .expect("a queue");
        let desk = t.login("photographer", PW).await;
        let page = format!("/onsite/queues/{}/desk", queue.id);
        let checkin = format!("/onsite/queues/{}/checkin", queue.id);
        let (status, body) = desk.get_text(&page).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"code\"") && body.contains("autofocus"));

        // Students registered (the demo registered the first department) and not.
        let mut registered = Vec::new();
        let mut unregistered = Vec::new();
        for skip in 0..60 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if t.app.db.is_collected(d.c1, s.id).await.expect("q") {
                continue;
            }
            let reg = t.app.db.registration_of(d.c1, s.id).await.expect("q");
            let code = support::registry_code(&t, &school, &s, &id).await;
            match reg {
                Some(_) if registered.len() < 2 => registered.push((s, code, id)),
                None if unregistered.is_empty() => unregistered.push((s, code, id)),
                _ => {}
            }
            if registered.len() == 2 && !unregistered.is_empty() {
                break;
            }
        }
        assert!(
            registered.len() == 2 && unregistered.len() == 1,
            "demo students"
        );

        // The wedge scanner types the code and presses Enter: number 1, then 2.
        let (status, body) = post(&desk, &checkin, &[("code", &registered[0].1)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"shooting-number\">1<"), "{body}");
        assert!(body.contains(&registered[0].0.student_no));
        assert!(!body.contains(&registered[0].0.name), "the name is masked");
        let (_, body) = post(&desk, &checkin, &[("code", &registered[1].1)]).await;
        assert!(body.contains("id=\"shooting-number\">2<"), "{body}");
        // A rescan keeps the number, even at the other queue's desk.
        let other = queues
            .iter()
            .find(|q| q.session_id == session.id && q.id != queue.id)
            .expect("two queues");
        let (status, body) = post(
            &desk,
            &format!("/onsite/queues/{}/checkin", other.id),
            &[("code", &format!("  {}\n", registered[0].1))],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("id=\"shooting-number\">1<") && body.contains("id=\"other-queue\""),
            "{body}"
        );

        // A queue of another day's session numbers nobody today.
        let later = queues
            .iter()
            .find(|q| q.session_id != session.id)
            .expect("the later session's queue");
        let (status, body) = post(
            &desk,
            &format!("/onsite/queues/{}/checkin", later.id),
            &[("code", &registered[1].1)],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("id=\"checkin-error\""), "{body}");

        // No code, a forged code: refused, no number spent.
        let (status, body) = post(&desk, &checkin, &[("code", " ")]).await;
        assert_eq!(status, 422);
        assert!(
            body.contains("不出示采集码") || body.contains("No collection code"),
            "{body}"
        );
        let forged = registered[1].1.replacen("GPC1.", "GPC1.B", 1);
        assert_eq!(post(&desk, &checkin, &[("code", &forged)]).await.0, 422);

        // A walk-in: numbered while the campaign takes walk-ins, refused once it does not.
        change_modes(&t, d.c1, |f| f.walk_ins = false).await;
        let (status, body) = post(&desk, &checkin, &[("code", &unregistered[0].1)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"checkin-error\""), "{body}");
        change_modes(&t, d.c1, |f| f.walk_ins = true).await;
        let (status, body) = post(&desk, &checkin, &[("code", &unregistered[0].1)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("id=\"shooting-number\">3<"),
            "no number was spent on refusals: {body}"
        );

        // Numbered on its day: the session's day can no longer change (its times can).
        let admin = crate::onsite_support::staff(&t, "uni1-admin").await;
        let form = |day: &'static str| gradphoto_domain::onsite_plan::SessionForm {
            campus: "泉州校区",
            place: "新太阳学生活动中心",
            day,
            starts: "08:00",
            ends: "18:00",
            capacity: "500",
            queues: "",
            in_service_open: false,
        };
        let tomorrow: &'static str = Box::leak(
            (gradphoto_app::online_entry::china_today() + chrono::Days::new(1))
                .to_string()
                .into_boxed_str(),
        );
        let same_day: &'static str = Box::leak(today.clone().into_boxed_str());
        match t
            .app
            .update_onsite_session(&admin, session.id, &form(tomorrow))
            .await
        {
            Err(gradphoto_app::AppError::Conflict(m)) => assert_eq!(m.code, "session.day_numbered"),
            other => panic!("the day of a numbered session changed: {other:?}"),
        }
        let kept = t
            .app
            .update_onsite_session(&admin, session.id, &form(same_day))
            .await
            .expect("the times change");
        assert_eq!(
            (kept.day.as_str(), kept.starts.as_str()),
            (same_day, "08:00")
        );

        // Numbers 1..3, one per code.
        let rows = t.app.db.onsite_queue_checkins(queue.id).await.expect("q");
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );

        // The registry re-issues number 2's code: the old code is refused as revoked, the
        // new one finds number 2 and the number's photo will go under it (audited).
        let reg = t.app.registry().expect("hosted");
        let (s2, old_code, id2) = &registered[1];
        let me = reg
            .find_enrolments(&school, id2, &s2.name)
            .await
            .expect("query")
            .into_iter()
            .find(|e| e.enrolment_id == s2.student_no)
            .expect("enrolled");
        let new_code = reg.reissue_code(me.id).await.expect("reissued").code;
        t.app
            .registry_keys(true)
            .await
            .expect("the revocation list again");
        let (status, body) = post(&desk, &checkin, &[("code", old_code)]).await;
        assert_eq!(status, 422, "the revoked code: {body}");
        let (status, body) = post(&desk, &checkin, &[("code", &new_code)]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("id=\"shooting-number\">2<"), "{body}");
        let two = t
            .app
            .db
            .onsite_checkin_of(d.c1, "-", s2.id)
            .await
            .expect("q")
            .expect("row");
        assert_eq!((two.number, two.code_text.as_str()), (2, new_code.as_str()));
        let audit = t.app.db.list_audit(Some(d.u1), 20).await.expect("audit");
        assert!(audit.iter().any(|a| a.action == "onsite.code_reissued"));

        // Photographed already in this campaign (recorded as collected): refused.
        let mut late = None;
        for skip in 0..200 {
            let (s, id) = support::must_student(&t, d.c1, skip).await;
            if t.app
                .db
                .onsite_checkin_of(d.c1, "-", s.id)
                .await
                .expect("q")
                .is_none()
                && !t.app.db.is_collected(d.c1, s.id).await.expect("q")
            {
                late = Some((s, id));
                break;
            }
        }
        let (s, id) = late.expect("a student not yet numbered");
        t.app
            .db
            .record_collection(d.c1, s.id, "online")
            .await
            .expect("recorded");
        let code = support::registry_code(&t, &school, &s, &id).await;
        let (status, body) = post(&desk, &checkin, &[("code", &code)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("已拍摄并确认"), "{body}");

        // A student the campaign's rules do not call for (another graduation term, a
        // single-certificate student…): refused with the rule's reason, no number spent.
        use gradphoto_domain::eligibility::{Verdict, evaluate};
        let c: gradphoto_app::campaigns::Campaign = t
            .app
            .db
            .get_campaign(d.c1)
            .await
            .expect("campaign")
            .try_into()
            .expect("valid");
        let not_called = t
            .app
            .db
            .all_students(d.u1)
            .await
            .expect("students")
            .into_iter()
            .find(|s| {
                let facts = gradphoto_app::campaigns::facts_of(s).expect("facts");
                evaluate(&c.rules, &facts).verdict != Verdict::Must
            })
            .expect("the demo roster has students the campaign does not call for");
        let reason = evaluate(
            &c.rules,
            &gradphoto_app::campaigns::facts_of(&not_called).expect("facts"),
        )
        .reason;
        let id = t.app.pii.decrypt(&not_called.id_enc).expect("id");
        let code = support::registry_code(&t, &school, &not_called, &id).await;
        let before = t
            .app
            .db
            .onsite_queue_checkins(queue.id)
            .await
            .expect("q")
            .len();
        let (status, body) = post(&desk, &checkin, &[("code", &code)]).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"checkin-error\""), "{body}");
        assert!(
            body.contains(&askama_escape(&reason.zh)),
            "the rule's reason ({}): {body}",
            reason.zh
        );
        assert_eq!(
            t.app
                .db
                .onsite_queue_checkins(queue.id)
                .await
                .expect("q")
                .len(),
            before
        );

        // Nobody but desk staff checks students in.
        let sec = t.login("uni1-sec1", PW).await;
        assert_eq!(sec.get_text(&page).await.0, 403);
        assert_eq!(
            post(&sec, &checkin, &[("code", &registered[0].1)]).await.0,
            403
        );
    }
}

#[tokio::test]
async fn the_desk_api_numbers_codes_with_a_bearer_token() {
    use reqwest::{Method, StatusCode};
    use serde_json::json;
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let queues = today_queues(&t, &d).await;
        assert_eq!(queues.len(), 2, "the demo's queues 105 and 106");
        let path = |q: i64| format!("/onsite/queues/{q}/checkins");

        // Two students who may be numbered (registered, or walk-ins: the demo takes them).
        let codes = fresh_codes(&t, &d, &mut 0, 2).await;
        let tok = support::token(&t, "photographer").await;
        let scan = |q: i64, code: &str| {
            let (t, tok, path, body) = (&t, &tok, path(q), json!({ "code": code }));
            async move { support::api(t, tok, Method::POST, &path, Some(body)).await }
        };

        // Number 1, then 2, answered 201 with who was numbered.
        let (s, b) = scan(queues[0].id, &codes[0].1).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let v = support::json(&b);
        assert_eq!(v["number"], 1, "{b}");
        assert_eq!(v["new"], true);
        assert_eq!(v["queue_id"], queues[0].id);
        assert_eq!(v["queue"], queues[0].name.as_str());
        assert_eq!(v["student_no"], codes[0].0.student_no.as_str());
        assert_eq!(
            v["name_masked"],
            gradphoto_domain::people::mask_name(&codes[0].0.name).as_str()
        );
        assert!(!b.contains(&codes[0].0.name), "the name is masked: {b}");
        assert!(v["department"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(v["walk_in"].is_boolean());
        let (s, b) = scan(queues[0].id, &codes[1].1).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(support::json(&b)["number"], 2, "{b}");

        // A rescan, at the other queue's desk: the number it has, in its queue, 200.
        let (s, b) = scan(queues[1].id, &format!(" {}\n", codes[0].1)).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let v = support::json(&b);
        assert_eq!(
            (v["number"].clone(), v["new"].clone()),
            (json!(1), json!(false))
        );
        assert_eq!(v["queue_id"], queues[0].id);

        // Refusals in the API's error format; no number spent on them.
        let forged = codes[1].1.replacen("GPC1.", "GPC1.B", 1);
        let (s, b) = scan(queues[0].id, &forged).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let v = support::json(&b);
        assert!(support::code(&b).starts_with("code."), "{b}");
        assert!(v["error"]["zh"].is_string() && v["error"]["en"].is_string());
        let (s, b) = scan(queues[0].id, " ").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, b) = support::api(
            &t,
            &tok,
            Method::POST,
            &path(queues[0].id),
            Some(json!({ "text": codes[0].1 })),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(support::code(&b), "request.bad_json");
        let rows = t
            .app
            .db
            .onsite_queue_checkins(queues[0].id)
            .await
            .expect("q");
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 2]
        );

        // A token that is no session: 401 in JSON. No credentials at all: refused like
        // every state-changing request without a bearer token (the CSRF check, 403).
        // A secretary's token: 403.
        let (s, b) = support::api(
            &t,
            "not-a-session",
            Method::POST,
            &path(queues[0].id),
            Some(json!({ "code": codes[0].1 })),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
        assert!(!support::code(&b).is_empty(), "{b}");
        let r = support::raw()
            .post(format!("{}/api{}", t.url, path(queues[0].id)))
            .json(&json!({ "code": codes[0].1 }))
            .send()
            .await
            .expect("call");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let b = r.text().await.unwrap_or_default();
        assert_eq!(support::code(&b), "csrf.invalid", "{b}");
        let sec = support::token(&t, "uni1-sec1").await;
        let (s, b) = support::api(
            &t,
            &sec,
            Method::POST,
            &path(queues[0].id),
            Some(json!({ "code": codes[0].1 })),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    }
}

/// What another server process changes is refused at once, though this process's desk
/// remembers the queue, session and campaign for a moment: a queue an offline station
/// took, then a campaign closed (both written straight to the database, as the other
/// process would), each refused with its own reason and no number spent.
#[tokio::test]
async fn changes_made_elsewhere_are_refused_at_once() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let q = today_queue(&t, &d).await;
        let codes: Vec<String> = fresh_codes(&t, &d, &mut 0, 2)
            .await
            .into_iter()
            .map(|(_, code)| code)
            .collect();
        let desk = t.login("photographer", PW).await;
        let checkin = format!("/onsite/queues/{q}/checkin");
        // A scan warms the desk's memory of the queue (a code that is not one: a number
        // given here would keep a station from taking the queue).
        let (status, body) = post(&desk, &checkin, &[("code", "GPC1.not-a-code")]).await;
        assert_eq!(status, 422, "{body}");
        let before = t.app.db.onsite_queue(q).await.expect("q").last_number;

        t.app
            .db
            .hold_queue(q, "操场笔记本", "store-1")
            .await
            .expect("db")
            .expect("held");
        let (status, body) = post(&desk, &checkin, &[("code", &codes[0])]).await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("操场笔记本"), "{body}");
        assert!(
            t.app
                .db
                .release_queue(q, Some("store-1"))
                .await
                .expect("db"),
            "released"
        );

        let audit = gradphoto_db::audit::NewAudit {
            actor_name: "another process".into(),
            action: "campaign.closed".into(),
            target_kind: "campaign".into(),
            ..Default::default()
        };
        t.app
            .db
            .set_campaign_status(d.c1, "open", "closed", &audit)
            .await
            .expect("closed");
        let (status, body) = post(&desk, &checkin, &[("code", &codes[1])]).await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body.contains("未处于开放状态") || body.contains("not open"),
            "{body}"
        );
        assert_eq!(
            t.app.db.onsite_queue(q).await.expect("q").last_number,
            before,
            "no number spent"
        );
    }
}

/// Text as the page escapes it.
fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
