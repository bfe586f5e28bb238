//! SMS login codes on both backends: the counts the send limits read, only the newest code
//! checked, attempts counted, and two simultaneous right answers using the code once.

use gradphoto_db::Db;
use gradphoto_db::otp::{OtpCodeRow, OtpCounts, OtpMark};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// Midnight of some day; the tests run "today" from here.
const DAY0: i64 = 1_800_000_000_000;

async fn issue(db: &Db, phone: &str, ip: &str, hash: &str, now: i64) -> OtpCounts {
    let mut seen = None;
    let r = db
        .otp_issue(phone, "login", ip, hash, now, DAY0, |c| {
            seen = Some(*c);
            Ok::<(), ()>(())
        })
        .await
        .expect("db");
    assert!(r.is_ok());
    seen.expect("decided")
}

/// The judgement a login makes, reduced to what the store needs: right digits → used.
fn judge(entered: &str) -> impl FnOnce(Option<&OtpCodeRow>) -> (Option<bool>, OtpMark) + '_ {
    move |row| match row {
        None => (None, OtpMark::Nothing),
        Some(r) if r.used_at.is_some() => (None, OtpMark::Nothing),
        Some(r) if r.code_hash == entered => (Some(true), OtpMark::Used),
        Some(_) => (Some(false), OtpMark::Wrong),
    }
}

#[tokio::test]
async fn counts_newest_code_attempts_and_one_use() {
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let t = DAY0 + 10 * HOUR;
        // Counts as the limits see them: before the first code, nothing.
        let c = issue(&db, "13800000001", "10.0.0.1", "h1", t).await;
        assert_eq!(c, OtpCounts::default());
        let c = issue(&db, "13800000001", "10.0.0.1", "h2", t + 2 * MIN).await;
        assert_eq!(c.last_to_phone_at, Some(t));
        assert_eq!((c.phone_last_hour, c.phone_today), (1, 1));
        assert_eq!((c.ip_last_hour, c.ip_today, c.platform_today), (1, 1, 1));
        // Another phone from the same address; an hour later the hourly counts drop.
        let c = issue(&db, "13800000002", "10.0.0.1", "h3", t + 3 * MIN).await;
        assert_eq!(
            (c.phone_last_hour, c.ip_last_hour, c.platform_today),
            (0, 2, 2)
        );
        let c = issue(&db, "13800000001", "10.0.0.2", "h4", t + 2 * HOUR).await;
        assert_eq!((c.phone_last_hour, c.phone_today), (0, 2));
        assert_eq!((c.ip_last_hour, c.ip_today, c.platform_today), (0, 0, 3));
        // Yesterday's codes are not today's.
        let c = issue(&db, "13800000003", "10.0.0.3", "h5", DAY0 - HOUR).await;
        assert_eq!(c.platform_today, 4, "counted at its own time");
        // A refusal stores nothing.
        let r = db
            .otp_issue(
                "13800000001",
                "login",
                "10.0.0.2",
                "hx",
                t + 3 * HOUR,
                DAY0,
                |_| Err("no"),
            )
            .await
            .expect("db");
        assert_eq!(r, Err("no"));
        let c = issue(&db, "13800000009", "10.9.9.9", "h6", t + 3 * HOUR).await;
        assert_eq!(c.platform_today, 4, "the refused code was not stored");

        // Only the newest code counts: h1 and h2 are void now that h4 exists.
        let phone = "13800000001";
        let now = t + 2 * HOUR + MIN;
        assert_eq!(
            db.otp_check(phone, "login", now, judge("h2"))
                .await
                .expect("db"),
            Some(false)
        );
        let row = db
            .otp_check(phone, "login", now, |r| (r.cloned(), OtpMark::Nothing))
            .await
            .expect("db")
            .expect("a code");
        assert_eq!((row.code_hash.as_str(), row.attempts), ("h4", 1));
        // Another purpose has no code.
        assert_eq!(
            db.otp_check(phone, "change-phone", now, judge("h4"))
                .await
                .expect("db"),
            None
        );

        // Two right answers at once: one logs in, the other finds the code used.
        let (a, b) = tokio::join!(
            db.otp_check(phone, "login", now, judge("h4")),
            db.otp_check(phone, "login", now, judge("h4"))
        );
        let mut got = [a.expect("db"), b.expect("db")];
        got.sort();
        assert_eq!(got, [None, Some(true)]);

        // Simultaneous wrong answers each count.
        issue(&db, "13800000002", "10.0.0.1", "h7", now).await;
        let (a, b, c) = tokio::join!(
            db.otp_check("13800000002", "login", now, judge("x")),
            db.otp_check("13800000002", "login", now, judge("y")),
            db.otp_check("13800000002", "login", now, judge("z"))
        );
        for r in [a, b, c] {
            assert_eq!(r.expect("db"), Some(false));
        }
        let row = db
            .otp_check("13800000002", "login", now, |r| {
                (r.cloned(), OtpMark::Nothing)
            })
            .await
            .expect("db")
            .expect("a code");
        assert_eq!(row.attempts, 3);

        // A code the provider refused is spent but still counted.
        let id = db
            .otp_issue("13800000004", "login", "10.0.0.4", "h8", now, DAY0, |_| {
                Ok::<(), ()>(())
            })
            .await
            .expect("db")
            .expect("issued");
        db.otp_mark_failed(id).await.expect("db");
        assert_eq!(
            db.otp_check("13800000004", "login", now, judge("h8"))
                .await
                .expect("db"),
            None
        );
        let c = issue(&db, "13800000004", "10.0.0.4", "h9", now + 2 * MIN).await;
        assert_eq!(c.phone_today, 1);
    }
}
