//! Orders and payments on both backends: a confirmation credits the order once however
//! often and however simultaneously it arrives; a failure after a success changes
//! nothing; the ledger records each change once and refuses to be edited; a refund asked
//! twice under one number is made once, more than was paid is refused, and a finished
//! refund stays finished.

use gradphoto_db::Db;
use gradphoto_db::payments::OrderMoney;

/// The order's rule as the app gives it (the domain's `order_status`, restated).
fn settle(status: &str, m: OrderMoney) -> String {
    match status {
        "canceled" => "canceled".into(),
        _ if m.confirmed_fen - m.refunded_fen >= m.total_fen => "paid".into(),
        _ => "pending".into(),
    }
}

/// The payment's rule for these tests: confirm unless confirmed; fail only if not confirmed.
fn to(
    event: &'static str,
) -> impl FnOnce(&gradphoto_db::payments::PaymentRow) -> Result<Option<String>, ()> {
    move |p| {
        Ok(match (p.state.as_str(), event) {
            ("confirmed", _) => None,
            (_, "confirmed") => Some("confirmed".into()),
            (_, "failed") => Some("failed".into()),
            _ => None,
        })
    }
}

async fn raw(db: &Db, sql: &'static str) -> Result<u64, sqlx::Error> {
    match db {
        Db::Sqlite(s) => sqlx::query(sql)
            .execute(&s.pool)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
    }
}

#[tokio::test]
async fn confirmed_once_failure_never_overwrites_ledger_append_only() {
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let o = gradphoto_db::testing::order_fixture(&db, "1", "sandbox", "GP1-1").await;
        let duplicate = db.create_payment(o, "sandbox", "GP1-1", 2000).await;
        assert!(
            matches!(duplicate, Err(gradphoto_db::DbError::Conflict(_))),
            "one payment per out_trade_no"
        );

        let a = db
            .apply_payment_event(
                "GP1-1",
                Some("T1"),
                "payment.confirmed",
                "",
                to("confirmed"),
                settle,
            )
            .await
            .expect("db")
            .expect("rule");
        assert!(a.changed);
        assert_eq!(a.payment.state, "confirmed");
        assert_eq!(a.payment.provider_txn.as_deref(), Some("T1"));
        assert_eq!(a.order.status, "paid");
        assert!(a.order.paid_at.is_some());
        for event in ["confirmed", "failed"] {
            let again = db
                .apply_payment_event("GP1-1", None, "payment.x", "", to(event), settle)
                .await
                .expect("db")
                .expect("rule");
            assert!(!again.changed, "{event} after success changes nothing");
            assert_eq!(again.payment.state, "confirmed");
        }
        let events = gradphoto_db::testing::ledger_events(&db, o).await;
        assert_eq!(
            events,
            [
                "order.created",
                "payment.created",
                "payment.confirmed",
                "order.paid"
            ]
        );
        let missing = db
            .apply_payment_event("nope", None, "payment.x", "", to("confirmed"), settle)
            .await;
        assert!(matches!(missing, Err(gradphoto_db::DbError::NotFound)));

        // The ledger cannot be edited or pruned, on either backend.
        let upd = raw(&db, "UPDATE order_ledger SET amount_fen = 0").await;
        let del = raw(&db, "DELETE FROM order_ledger").await;
        assert!(upd.is_err() && del.is_err(), "append-only: {upd:?} {del:?}");
        assert_eq!(db.order_ledger(o).await.expect("ledger").len(), 4);
    }
}

#[tokio::test]
async fn two_simultaneous_confirmations_credit_once() {
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let o = gradphoto_db::testing::order_fixture(&db, "2", "sandbox", "GP2-1").await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.apply_payment_event(
                        "GP2-1",
                        Some(&format!("T{i}")),
                        "payment.confirmed",
                        "",
                        // Between reading the payment and writing it: the window a
                        // missing lock would leave open for the others.
                        |p| {
                            std::thread::sleep(std::time::Duration::from_millis(30));
                            to("confirmed")(p)
                        },
                        settle,
                    )
                    .await
                    .expect("db")
                    .expect("rule")
                    .changed
                })
            })
            .collect();
        let mut changed = 0;
        for t in tasks {
            if t.await.expect("task") {
                changed += 1;
            }
        }
        assert_eq!(changed, 1, "exactly one confirmation changed anything");
        let ledger = db.order_ledger(o).await.expect("ledger");
        assert_eq!(
            ledger
                .iter()
                .filter(|l| l.event == "payment.confirmed")
                .count(),
            1
        );
        assert_eq!(ledger.iter().filter(|l| l.event == "order.paid").count(), 1);
        assert_eq!(db.get_order(o).await.expect("order").status, "paid");
    }
}

/// The domain's bound, restated: no more than paid and not yet refunded or asked.
fn bound(amount: i64) -> impl FnOnce(gradphoto_db::refunds::RefundRoom) -> Result<(), String> {
    move |room| {
        if amount > 0 && amount <= room.confirmed_fen - room.refunded_or_pending_fen {
            Ok(())
        } else {
            Err(format!("refund of {amount} refused: {room:?}"))
        }
    }
}

#[tokio::test]
async fn refunds_are_idempotent_on_their_number_bounded_and_finished_once() {
    for (db, _dir) in gradphoto_db::testing::fresh_databases().await {
        let o = gradphoto_db::testing::order_fixture(&db, "3", "sandbox", "GP3-1").await;
        let pay = db
            .apply_payment_event(
                "GP3-1",
                Some("T"),
                "payment.confirmed",
                "",
                to("confirmed"),
                settle,
            )
            .await
            .expect("db")
            .expect("rule");
        assert_eq!(pay.order.status, "paid");
        let p = pay.payment.id;

        let (r, new) = db
            .request_refund(o, p, "RF3-1", 2000, "学生取消", bound(2000))
            .await
            .expect("db")
            .expect("within the bound");
        assert!(new);
        // The same request again (a retry): the same refund, nothing new.
        let (again, new) = db
            .request_refund(o, p, "RF3-1", 2000, "学生取消", bound(2000))
            .await
            .expect("db")
            .expect("same");
        assert!(!new);
        assert_eq!(again.id, r.id);
        // Another number for more money than is left: refused.
        let over = db
            .request_refund(o, p, "RF3-2", 1, "x", bound(1))
            .await
            .expect("db");
        assert!(over.is_err(), "all 2000 are asked for already");

        let (done, changed) = db
            .finish_refund("RF3-1", true, settle)
            .await
            .expect("finish");
        assert!(changed);
        assert_eq!(done.state, "done");
        let (_, changed) = db
            .finish_refund("RF3-1", false, settle)
            .await
            .expect("again");
        assert!(!changed, "a finished refund stays finished");
        assert_eq!(db.get_order(o).await.expect("order").status, "pending");
        let events = gradphoto_db::testing::ledger_events(&db, o).await;
        assert_eq!(
            events,
            [
                "order.created",
                "payment.created",
                "payment.confirmed",
                "order.paid",
                "refund.created",
                "refund.done",
                "order.pending"
            ]
        );
    }
}
