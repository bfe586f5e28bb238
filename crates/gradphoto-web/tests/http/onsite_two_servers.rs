//! Shooting numbers over HTTP with two servers on one database (issue 7): eight desks,
//! half talking to each server, scan the codes of 150 students 400 times over both queues
//! of the demo's session — duplicates and rescans included. Every code gets exactly one
//! number, a rescan answers that number, and each queue's numbers are exactly 1…N.

use std::collections::{BTreeMap, BTreeSet};

use gradphoto_testkit::{TestApp, backends};

use crate::onsite_support::{fresh_codes, post, today_queues};
use crate::support::{self, PW};

const STUDENTS: usize = 150;
const SCANS: usize = 400;
const DESKS: usize = 8;

#[tokio::test]
async fn two_servers_number_every_code_once_and_without_gaps() {
    for backend in backends() {
        let t = TestApp::spawn_on(backend, |_| {}).await;
        let d = support::seed(&t).await;
        t.drain_jobs().await;
        let beside = t.spawn_beside().await;
        let queues = today_queues(&t, &d).await;
        assert_eq!(queues.len(), 2);
        let codes = fresh_codes(&t, &d, &mut 0, STUDENTS).await;
        // Each desk signs in on its server; its scans are a fixed stride through the codes.
        let mut desks = Vec::new();
        for i in 0..DESKS {
            let on = if i % 2 == 0 { &t } else { &beside };
            desks.push(on.login("photographer", PW).await);
        }
        let tasks: Vec<_> = desks
            .into_iter()
            .enumerate()
            .map(|(desk, client)| {
                let mine: Vec<(usize, String)> = (0..SCANS)
                    .filter(|i| i % DESKS == desk)
                    .map(|i| {
                        let k = (i * 7919) % STUDENTS;
                        (k, codes[k].1.clone())
                    })
                    .collect();
                let queue = queues[desk % 2].id;
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    for (k, code) in mine {
                        let (status, body) = post(
                            &client,
                            &format!("/onsite/queues/{queue}/checkin"),
                            &[("code", &code)],
                        )
                        .await;
                        assert_eq!(status, 200, "{body}");
                        let at = body.find("id=\"shooting-number\">").expect("a number")
                            + "id=\"shooting-number\">".len();
                        let n: i64 = body[at..]
                            .split('<')
                            .next()
                            .unwrap_or("")
                            .parse()
                            .expect("n");
                        seen.push((k, n));
                    }
                    seen
                })
            })
            .collect();
        let mut answered: BTreeMap<usize, BTreeSet<i64>> = BTreeMap::new();
        for task in tasks {
            for (k, n) in task.await.expect("desk") {
                answered.entry(k).or_default().insert(n);
            }
        }
        // Every scanned code was always answered with one number, its own.
        for (k, numbers) in &answered {
            assert_eq!(numbers.len(), 1, "student {k} got {numbers:?}");
        }
        let mut students = BTreeSet::new();
        for q in &queues {
            let rows = t.app.db.onsite_queue_checkins(q.id).await.expect("rows");
            let numbers: Vec<i64> = rows.iter().map(|r| r.number).collect();
            assert_eq!(
                numbers,
                (1..=rows.len() as i64).collect::<Vec<_>>(),
                "queue {}",
                q.name
            );
            for r in rows {
                assert!(students.insert(r.student_id), "a student numbered twice");
            }
        }
        assert_eq!(
            students.len(),
            answered.len(),
            "one number per scanned student"
        );
    }
}
