//! Check-in at an offline station: the server's desk rules, on the station's store. The
//! code is verified with the pack's keys and revocation list, matched to the one pack
//! student it names, admitted by the campaign's rules, and given the queue's next number
//! in one transaction (one connection, `BEGIN IMMEDIATE`): numbers are 1, 2, 3, … after
//! the queue's last number on the server, with no gap and no duplicate; scanning again
//! answers with the same number.

use gradphoto_domain::online::{CodeFacts, code_mismatch};
use gradphoto_domain::onsite::{
    CheckinFacts, code_of_other_school, may_check_in, no_code, registered_elsewhere,
};
use gradphoto_domain::onsite_offline::PackStudent;
use gradphoto_domain::people::Level;
use gradphoto_registry_crypto::code;

use crate::error::refused;
use crate::{CHECKIN_COLS, CheckinRow, Station, StationError, now_ms};

/// A numbered student, as the desk shows them.
#[derive(Debug, Clone)]
pub struct Checkin {
    pub row: CheckinRow,
    /// `false` for a rescan.
    pub new: bool,
    pub student: PackStudent,
    /// Numbered without registering (the campaign admits walk-ins).
    pub walk_in: bool,
}

fn facts_of(school_code: &str, s: &PackStudent) -> Option<CodeFacts> {
    Some(CodeFacts {
        school_code: school_code.to_string(),
        level: Level::parse(&s.level)?,
        graduation_year: s.graduation_year,
        name_masked: s.name_masked.clone(),
        id_masked: s.id_masked.clone(),
    })
}

impl Station {
    /// Checks a scanned code in, with no network.
    pub async fn check_in(&self, code_text: &str, desk: &str) -> Result<Checkin, StationError> {
        let loaded = self.loaded().await?;
        let pack = &loaded.pack;
        let text = code_text.trim();
        if text.is_empty() {
            return Err(StationError::Refused(no_code()));
        }
        let today = gradphoto_domain::calendar::china_date(now_ms()).to_string();
        if pack.session.day != today {
            return Err(refused(
                "checkin.not_today",
                format!(
                    "本采集站的场次在 {}，今天（{today}）不能签到",
                    pack.session.day
                ),
                format!(
                    "This station's session is on {}; nobody can be checked in today ({today})",
                    pack.session.day
                ),
            ));
        }
        let verified =
            code::verify(text, &loaded.keys).map_err(|e| refused(e.reason(), e.zh(), e.en()))?;
        let claims = &verified.claims;
        if claims.school_code != pack.school_code {
            return Err(StationError::Refused(code_of_other_school(
                &claims.school_code,
            )));
        }
        let from_code = CodeFacts {
            school_code: claims.school_code.clone(),
            level: claims.level,
            graduation_year: claims.graduation_year,
            name_masked: claims.name_masked.clone(),
            id_masked: claims.id_masked.clone(),
        };
        let candidates: Vec<(String,)> =
            sqlx::query_as("SELECT json FROM students WHERE id_masked = $1")
                .bind(&claims.id_masked)
                .fetch_all(&self.pool)
                .await?;
        let mut found = Vec::new();
        for (json,) in candidates {
            let s: PackStudent = serde_json::from_str(&json)
                .map_err(|e| StationError::Pack(format!("stored student: {e}")))?;
            if facts_of(&pack.school_code, &s)
                .is_some_and(|f| code_mismatch(&from_code, &f).is_none())
            {
                found.push(s);
            }
        }
        let student = match found.len() {
            1 => found.remove(0),
            0 => {
                return Err(refused(
                    "checkin.not_on_list",
                    "该采集码对应的学生不在本采集站的名单中（本次无需拍摄，或不在本校名单）；请学生联系院系核对",
                    "The student this code names is not on this station's list (not to be photographed in this campaign, or not on the roster); the student should ask their department",
                ));
            }
            _ => {
                return Err(refused(
                    "checkin.ambiguous",
                    "名单中有多名学生与该采集码相符，请核对学生证件后由管理员处理",
                    "Several students on the list match this code; check the student's ID card and ask an admin",
                ));
            }
        };
        let code_id = verified.id.to_string();
        if let Some(row) = self.checkin_of(&code_id, student.student_id).await? {
            return Ok(Checkin {
                row,
                new: false,
                student,
                walk_in: false,
            });
        }
        if let Some(n) = &student.numbered_elsewhere {
            return Err(refused(
                "checkin.numbered_elsewhere",
                format!(
                    "该学生已在 {} 队列领取 {} 号，请到该队列拍摄",
                    n.queue, n.number
                ),
                format!(
                    "This student already has number {} at queue {}: they are photographed there",
                    n.number, n.queue
                ),
            ));
        }
        if let Some(session) = &student.registered_elsewhere {
            return Err(StationError::Refused(registered_elsewhere(session)));
        }
        may_check_in(CheckinFacts {
            eligible: student.eligible,
            photographed: student.photographed,
            registered: student.registered,
            walk_ins: pack.walk_ins,
        })
        .map_err(StationError::Refused)?;
        let insert_sql = format!(
            "INSERT INTO checkins (number, turn, code_id, code_text, student_id, stage, desk, \
             checked_in_at) VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7) RETURNING {CHECKIN_COLS}"
        );
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Two desks scanning the same code at once: the second answers with the first's number.
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM checkins WHERE code_id = $1 OR student_id = $2 LIMIT 1"
        );
        let raced: Option<CheckinRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&code_id)
            .bind(student.student_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = raced {
            return Ok(Checkin {
                row,
                new: false,
                student,
                walk_in: false,
            });
        }
        let (number, turn): (i64, i64) = sqlx::query_as(
            "UPDATE queue SET last_number = last_number + 1, last_turn = last_turn + 1 \
             WHERE id = 1 RETURNING last_number, last_turn",
        )
        .fetch_one(&mut *tx)
        .await?;
        let row: CheckinRow = sqlx::query_as(sqlx::AssertSqlSafe(insert_sql))
            .bind(number)
            .bind(turn)
            .bind(&code_id)
            .bind(text)
            .bind(student.student_id)
            .bind(desk)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Checkin {
            row,
            new: true,
            walk_in: !student.registered,
            student,
        })
    }

    async fn checkin_of(
        &self,
        code_id: &str,
        student_id: i64,
    ) -> Result<Option<CheckinRow>, StationError> {
        let sql = format!(
            "SELECT {CHECKIN_COLS} FROM checkins WHERE code_id = $1 OR student_id = $2 LIMIT 1"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(code_id)
            .bind(student_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The pack's student of a number, for the screens.
    pub async fn student(&self, student_id: i64) -> Result<PackStudent, StationError> {
        let (json,): (String,) = sqlx::query_as("SELECT json FROM students WHERE student_id = $1")
            .bind(student_id)
            .fetch_one(&self.pool)
            .await?;
        serde_json::from_str(&json).map_err(|e| StationError::Pack(format!("stored student: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use gradphoto_domain::onsite_offline::{Pack, PackQueue, PackSession, PackStudent};
    use gradphoto_domain::people::Level;
    use gradphoto_photo::Engine;
    use gradphoto_registry_crypto::code::{CodeClaims, issue};
    use gradphoto_registry_crypto::{CodeId, KeyRing};

    use crate::{Station, StationError};

    fn engine() -> Arc<Engine> {
        static E: OnceLock<Arc<Engine>> = OnceLock::new();
        E.get_or_init(|| Arc::new(Engine::new().expect("embedded models")))
            .clone()
    }

    fn student(id: i64, id_masked: &str, eligible: bool, registered: bool) -> PackStudent {
        PackStudent {
            student_id: id,
            student_no: format!("S{id}"),
            department: "数学科学学院".into(),
            level: "master".into(),
            graduation_year: 2026,
            name_masked: "张*".into(),
            id_masked: id_masked.into(),
            eligible,
            registered,
            photographed: false,
            registered_elsewhere: None,
            numbered_elsewhere: None,
        }
    }

    fn claims(id_masked: &str) -> CodeClaims {
        CodeClaims {
            school_code: "10384".into(),
            level: Level::Master,
            graduation_year: 2026,
            name_masked: "张*".into(),
            id_masked: id_masked.into(),
        }
    }

    fn pack(ring: &KeyRing, revoked: &[CodeId], queue: i64, walk_ins: bool) -> Pack {
        let now = crate::now_ms();
        Pack {
            station: "laptop-1".into(),
            made_at: now,
            campaign_id: 1,
            campaign_name: "2026届".into(),
            walk_ins,
            fee_at_desk_fen: None,
            school_code: "10384".into(),
            session: PackSession {
                id: 1,
                campus: "思明校区".into(),
                place: "105".into(),
                day: gradphoto_domain::calendar::china_date(now).to_string(),
                starts: "09:30".into(),
                ends: "17:30".into(),
            },
            queue: PackQueue {
                id: queue,
                name: "105".into(),
                last_number: 7,
                last_turn: 7,
            },
            keys_json: ring.public(revoked, now).to_json(),
            keys_fetched_at: now,
            students: vec![
                student(1, "3502**********0011", true, true),
                student(2, "3502**********0022", true, false),
                student(3, "3502**********0033", false, true),
                student(4, "3502**********0044", true, true),
                PackStudent {
                    registered_elsewhere: Some("2026-12-06 09:30–12:00 思明校区 106".into()),
                    ..student(5, "3502**********0055", true, true)
                },
            ],
        }
    }

    fn refusal(e: StationError) -> String {
        match e {
            StationError::Refused(m) => m.code,
            other => panic!("not a refusal: {other}"),
        }
    }

    #[tokio::test]
    async fn numbers_go_on_from_the_queue_and_the_servers_rules_hold_offline() {
        let ring = KeyRing::generate(crate::now_ms()).expect("ring");
        let (_, one) = issue(&ring, &claims("3502**********0011")).expect("code");
        let (_, walk_in) = issue(&ring, &claims("3502**********0022")).expect("code");
        let (_, ineligible) = issue(&ring, &claims("3502**********0033")).expect("code");
        let (revoked_id, revoked) = issue(&ring, &claims("3502**********0044")).expect("code");
        let (_, stranger) = issue(&ring, &claims("3502**********0099")).expect("code");
        let (_, other_window) = issue(&ring, &claims("3502**********0055")).expect("code");
        let dir = tempfile::tempdir().expect("dir");
        let station = Station::open(&dir.path().join("s.sqlite"), engine())
            .await
            .expect("open");
        assert!(matches!(
            station.check_in(&one, "d").await,
            Err(StationError::NoPack)
        ));
        station
            .store_pack("http://server", &pack(&ring, &[revoked_id], 5, false))
            .await
            .expect("pack");

        // The queue's last number on the server was 7: the station goes on from 8.
        let first = station.check_in(&one, "d").await.expect("check in");
        assert_eq!((first.row.number, first.new), (8, true));
        let again = station.check_in(&one, "d").await.expect("rescan");
        assert_eq!((again.row.number, again.new), (8, false));
        for (code, why) in [
            (&walk_in, "checkin.not_registered"),
            (&ineligible, "checkin.not_eligible"),
            (&revoked, "code.revoked"),
            (&stranger, "checkin.not_on_list"),
            (&other_window, "checkin.other_session"),
        ] {
            assert_eq!(refusal(station.check_in(code, "d").await.unwrap_err()), why);
        }
        assert_eq!(
            refusal(station.check_in(" ", "d").await.unwrap_err()),
            "checkin.no_code"
        );

        // A refreshed pack (walk-ins now admitted) keeps the counters; a pack for another
        // queue is refused, nothing changed.
        station
            .store_pack("http://server", &pack(&ring, &[revoked_id], 5, true))
            .await
            .expect("refresh");
        let next = station.check_in(&walk_in, "d").await.expect("walk-in");
        assert_eq!((next.row.number, next.walk_in), (9, true));
        assert!(matches!(
            station
                .store_pack("http://server", &pack(&ring, &[], 6, true))
                .await,
            Err(StationError::Pack(_))
        ));
        assert_eq!(station.pending_count().await.expect("pending"), 2);
        assert_eq!(station.checkins().await.expect("rows").len(), 2);
    }
}
