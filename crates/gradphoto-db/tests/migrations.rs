//! A migration over data written before it, on both backends: migration 0023 (fees paid at
//! the desk) rebuilds SQLite's orders table, which payments, refunds and the ledger point
//! at. An online order written by the schema before it keeps its id, its payment and its
//! ledger, can still be paid, and foreign keys are enforced again afterwards.

use gradphoto_db::payments::OrderMoney;
use gradphoto_db::{Db, DbOptions};

async fn exec(db: &Db, sql: &str, binds: &[i64]) -> Result<u64, sqlx::Error> {
    macro_rules! run {
        ($pool:expr) => {{
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in binds {
                q = q.bind(*b);
            }
            q.execute($pool).await.map(|r| r.rows_affected())
        }};
    }
    match db {
        Db::Sqlite(s) => run!(&s.pool),
        Db::Postgres(p) => run!(p),
    }
}

#[tokio::test]
async fn orders_written_before_the_desk_fee_migration_survive_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut urls = vec![format!("sqlite://{}", dir.path().join("m.db").display())];
    match gradphoto_db::testing::fresh_postgres_url().await {
        Some(u) => urls.push(u),
        None => eprintln!("PostgreSQL variant skipped: GRADPHOTO_TEST_DATABASE_URL not set"),
    }
    for url in urls {
        let before = DbOptions {
            migrate_up_to: Some(22),
            ..DbOptions::default()
        };
        let db = Db::connect(&url, &before).await.expect("connect at 0022");
        let (_, c) = gradphoto_db::testing::campaign_fixture(&db, "1").await;
        let account = db
            .student_login("13800001111", &[], "10.0.0.1", "t", 60_000)
            .await
            .expect("account");
        let entry = db
            .choose_online_campaign(account.id, c.id)
            .await
            .expect("entry");
        // Written as 0011's schema knows it (no checkin_id yet).
        exec(
            &db,
            "INSERT INTO orders (id, code, account_id, entry_id, total_fen, status, contact_phone, \
             created_at, updated_at) VALUES (41, 'GPOLD', $1, $2, 2000, 'pending', '13800001111', 1, 1)",
            &[account.id, entry.id],
        )
        .await
        .expect("an old order");
        exec(
            &db,
            "INSERT INTO order_payments (order_id, provider, out_trade_no, amount_fen, state, \
             created_at, updated_at) VALUES (41, 'sandbox-wechat', 'GPOLD_1', 2000, 'pending', 1, 1)",
            &[],
        )
        .await
        .expect("its payment");
        exec(
            &db,
            "INSERT INTO order_ledger (order_id, at, event, amount_fen, detail) \
             VALUES (41, 1, 'order.created', 2000, '')",
            &[],
        )
        .await
        .expect("its ledger");

        let applied = db.migrate().await.expect("the rest of the migrations");
        assert!(applied.iter().any(|m| m == "0023_desk_fees"), "{applied:?}");
        let order = db.get_order(41).await.expect("the old order");
        assert_eq!(
            (
                order.code.as_str(),
                order.account_id,
                order.entry_id,
                order.checkin_id
            ),
            ("GPOLD", Some(account.id), Some(entry.id), None)
        );
        let payments = db.order_payments(41).await.expect("payments");
        assert_eq!(payments.len(), 1);
        // Still payable: the payment's order is found and settled.
        let paid = db
            .apply_payment_event(
                "GPOLD_1",
                Some("T1"),
                "payment.confirmed",
                "",
                |_| Ok::<_, ()>(Some("confirmed".to_string())),
                |_, m: OrderMoney| {
                    if m.confirmed_fen >= m.total_fen {
                        "paid".into()
                    } else {
                        "pending".into()
                    }
                },
            )
            .await
            .expect("db")
            .expect("applied");
        assert_eq!(paid.order.status, "paid");
        let ledger = gradphoto_db::testing::ledger_events(&db, 41).await;
        assert_eq!(
            ledger,
            ["order.created", "payment.confirmed", "order.paid"],
            "{ledger:?}"
        );

        // Foreign keys are enforced again on every connection of the pool (all of them
        // held at once, so none is the migration's), and an order is exactly one kind.
        if let Db::Sqlite(s) = &db {
            // Migration 0024's trigger, which the desk's one-statement numbering relies on
            // (a later rebuild of onsite_checkins must create it again).
            let trigger: Option<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' \
                 AND name = 'onsite_checkins_advance_counters'",
            )
            .fetch_optional(&s.pool)
            .await
            .expect("schema");
            assert!(trigger.is_some(), "the counters' trigger is in place");
            let mut held = Vec::new();
            for _ in 0..DbOptions::default().max_connections {
                let mut conn = s.pool.acquire().await.expect("a connection");
                let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                    .fetch_one(&mut *conn)
                    .await
                    .expect("pragma");
                assert_eq!(on, 1, "a pooled connection with foreign keys off");
                held.push(conn);
            }
        }
        assert!(
            exec(
                &db,
                "INSERT INTO order_payments (order_id, provider, out_trade_no, amount_fen, \
                 state, created_at, updated_at) VALUES (999999, 'x', 'NOWHERE', 1, 'created', 1, 1)",
                &[],
            )
            .await
            .is_err(),
            "a payment of no order"
        );
        assert!(
            exec(
                &db,
                "INSERT INTO orders (code, total_fen, status, contact_phone, created_at, updated_at) \
                 VALUES ('GPNONE', 1, 'pending', '', 1, 1)",
                &[],
            )
            .await
            .is_err(),
            "an order of neither kind"
        );
        assert!(
            db.create_desk_order("GDNOWHERE", 999_999, 2000)
                .await
                .is_err(),
            "a desk fee of no number"
        );
        db.close().await;
    }
}
