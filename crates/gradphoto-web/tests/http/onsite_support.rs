//! What the on-site tests share: the demo's accounts and sessions, its queue of today,
//! the campaign's modes changed as an admin would, and form posts that keep the status.

use gradphoto_app::auth::Staff;
use gradphoto_app::campaigns::{Campaign, CampaignInput};
use gradphoto_db::onsite_sessions::SessionRow;
use gradphoto_testkit::{Client, TestApp};

use crate::support::Demo;

pub async fn staff(t: &TestApp, username: &str) -> Staff {
    let row = t
        .app
        .db
        .find_staff_by_username(username)
        .await
        .expect("db")
        .expect("demo account");
    Staff::from_row(row, None).expect("role")
}

/// The campaign with its modes changed by `f`, saved as the university admin would.
pub async fn change_modes(t: &TestApp, campaign: i64, f: impl FnOnce(&mut CampaignInput)) {
    let c: Campaign = t
        .app
        .db
        .get_campaign(campaign)
        .await
        .expect("campaign")
        .try_into()
        .expect("valid");
    let mut input = CampaignInput::from_campaign(&c);
    f(&mut input);
    t.app
        .update_campaign(&staff(t, "uni1-admin").await, campaign, &input)
        .await
        .expect("campaign saved");
}

pub async fn sessions(t: &TestApp, d: &Demo) -> Vec<SessionRow> {
    t.app.db.campaign_sessions(d.c1).await.expect("sessions")
}

pub async fn status_and_body(r: reqwest::Response) -> (u16, String) {
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

pub async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    status_and_body(c.post_form(path, fields).await).await
}

/// The student confirms `photo` for `number` on queue `q`'s confirmation screen: the
/// screen is sent on to its own address with the thanks (so a reload never posts again);
/// the page it lands on.
pub async fn confirm_on_screen(c: &Client, q: i64, number: i64, photo: i64) -> String {
    let screen = format!("/onsite/queues/{q}/confirm");
    let r = c
        .post_form(
            &screen,
            &[
                ("number", &number.to_string()),
                ("photo", &photo.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "confirmed");
    let to = crate::support::location(&r);
    assert_eq!(to, format!("{screen}?done={number}"));
    let (status, body) = c.get_text(&to).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The demo's students of a department whom the campaign's rules say must be
/// photographed and who are not registered, by id.
pub async fn candidates(t: &TestApp, d: &Demo, dept: i64) -> Vec<i64> {
    use gradphoto_domain::eligibility::{Verdict, evaluate};
    let c: Campaign = t
        .app
        .db
        .get_campaign(d.c1)
        .await
        .expect("c")
        .try_into()
        .expect("v");
    let mut out = Vec::new();
    for s in t.app.db.all_students(d.u1).await.expect("students") {
        let facts = gradphoto_app::campaigns::facts_of(&s).expect("facts");
        if s.department_id == dept
            && evaluate(&c.rules, &facts).verdict == Verdict::Must
            && t.app
                .db
                .registration_of(d.c1, s.id)
                .await
                .expect("q")
                .is_none()
        {
            out.push(s.id);
        }
    }
    out
}

/// The queues of the demo's session today (campaign `c1`), 105 and 106.
pub async fn today_queues(t: &TestApp, d: &Demo) -> Vec<gradphoto_db::onsite::QueueRow> {
    let today = gradphoto_app::online_entry::china_today().to_string();
    let session = sessions(t, d)
        .await
        .into_iter()
        .find(|s| s.day == today)
        .expect("the demo's session today");
    t.app
        .db
        .campaign_queues(d.c1)
        .await
        .expect("queues")
        .into_iter()
        .filter(|q| q.session_id == session.id)
        .collect()
}

/// The first queue of the demo's session today.
pub async fn today_queue(t: &TestApp, d: &Demo) -> i64 {
    today_queues(t, d).await.first().expect("a queue").id
}

/// The next `n` students of the demo's campaign `c1` who must be photographed and are not
/// yet, from the `*skip`-th such student on (advanced past them), each with a live
/// collection code from the registry.
pub async fn fresh_codes(
    t: &TestApp,
    d: &Demo,
    skip: &mut usize,
    n: usize,
) -> Vec<(gradphoto_db::students::StudentRow, String)> {
    let school = t.app.db.get_university(d.u1).await.expect("u").code;
    let mut out = Vec::new();
    while out.len() < n {
        let (s, id) = crate::support::must_student(t, d.c1, *skip).await;
        *skip += 1;
        if !t.app.db.is_collected(d.c1, s.id).await.expect("q") {
            let code = crate::support::registry_code(t, &school, &s, &id).await;
            out.push((s, code));
        }
    }
    out
}
