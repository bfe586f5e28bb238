//! What the make-up tests share: a campaign opened for make-up shoots, a branch with a
//! service, the free slots a student is offered, students still to be photographed, and
//! booking a slot as the page's buttons do.

use chrono::{Days, NaiveDate};
use gradphoto_db::student_accounts::StudentAccount;
use gradphoto_testkit::{Client, TestApp};

use crate::onsite_support::{change_modes, post};
use crate::support;

pub(crate) fn today() -> NaiveDate {
    gradphoto_app::online_entry::china_today()
}

/// Opens make-up shoots in the demo's first campaign: until 60 days from now (best done
/// within 30, seed 002), Beijing branches only (seed 001).
pub(crate) async fn open_makeup(t: &TestApp, campaign: i64) {
    change_modes(t, campaign, |f| {
        f.makeup_deadline = (today() + Days::new(60)).to_string();
        f.makeup_recommended_by = (today() + Days::new(30)).to_string();
        f.makeup_cities = "北京".into();
    })
    .await;
}

/// A branch in `city` with one service of `capacity` places per 30-minute slot, open
/// every day but public holidays; its id and the service's.
pub(crate) async fn branch(
    t: &TestApp,
    admin: &Client,
    name: &str,
    city: &str,
    capacity: &str,
) -> (i64, i64) {
    branch_paying(t, admin, name, city, capacity, "at_branch").await
}

/// [`branch`] whose service is paid as `payment` says (`online` or `at_branch`).
pub(crate) async fn branch_paying(
    t: &TestApp,
    admin: &Client,
    name: &str,
    city: &str,
    capacity: &str,
    payment: &str,
) -> (i64, i64) {
    let r = admin
        .post_form(
            "/branches",
            &[
                ("name", name),
                ("city", city),
                ("address", "体育场路497号"),
                ("phone", "010-0000"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "branch added");
    let id: i64 = support::location(&r)
        .trim_start_matches("/branches/")
        .parse()
        .expect("branch id");
    let r = admin
        .post_form(
            &format!("/branches/{id}/services"),
            &[
                ("name_zh", "普通"),
                ("name_en", "Ordinary"),
                ("place", "497-3"),
                ("price_yuan", "50"),
                ("open_days", "all_but_holidays"),
                ("windows", "09:00-11:30, 13:30-16:30"),
                ("slot_minutes", "30"),
                ("slot_capacity", capacity),
                ("cutoff_minutes", "120"),
                ("days_ahead", "30"),
                ("payment", payment),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "service added");
    let service = t.app.db.branch_services(id).await.expect("services")[0].id;
    (id, service)
}

/// The student account that signs in with `phone`.
pub(crate) async fn account_of(t: &TestApp, phone: &str) -> StudentAccount {
    t.app
        .db
        .student_account_by_phone(phone)
        .await
        .expect("q")
        .expect("account")
}

/// The free slots of `service` offered to the student with `phone`, from the day after
/// tomorrow (clear of the cutoff), as the page's buttons send them.
pub(crate) async fn free_slots(t: &TestApp, phone: &str, service: i64) -> Vec<String> {
    let account = account_of(t, phone).await;
    let offer = t.app.makeup_offer(&account).await.expect("offer");
    let after = today() + Days::new(2);
    offer
        .services
        .iter()
        .find(|s| s.service.id == service)
        .expect("the service is offered")
        .days
        .iter()
        .filter(|(d, _)| *d >= after)
        .flat_map(|(d, slots)| {
            slots
                .iter()
                .filter(|x| x.free > 0)
                .map(move |x| format!("{d} {}", x.slot.starts.format("%H:%M")))
        })
        .collect()
}

/// The next `skip` (from `*from`) of a student who must be photographed and is not yet.
pub(crate) async fn uncollected(t: &TestApp, d: &support::Demo, from: &mut usize) -> usize {
    loop {
        let skip = *from;
        *from += 1;
        let (s, _) = support::must_student(t, d.c1, skip).await;
        if !t.app.db.is_collected(d.c1, s.id).await.expect("q") {
            return skip;
        }
    }
}

pub(crate) async fn book(c: &Client, service: i64, slot: &str) -> (u16, String) {
    post(
        c,
        "/student/makeup/book",
        &[("service_id", &service.to_string()), ("slot", slot)],
    )
    .await
}
