//! Taking a queue for the day with its pack, and giving it back.

use gradphoto_db::onsite_offline::HoldRefusal;
use gradphoto_db::students::StudentFilter;
use gradphoto_domain::eligibility::{Verdict, evaluate};
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::onsite::session_label;
use gradphoto_domain::onsite_offline::{Numbered, Pack, PackQueue, PackSession, PackStudent};
use gradphoto_domain::people::mask_name;
use gradphoto_domain::policy::{Action, Resource, ResourceKind};

use super::{held_msg, station_name, store_id};
use crate::auth::Staff;
use crate::campaigns::facts_of;
use crate::onsite_checkin::DeskQueue;
use crate::{App, AppError};

impl App {
    /// Hands a queue to an offline station for the day and answers with its pack. Asking
    /// again (the same station, before the day ends) refreshes the pack.
    pub async fn station_pack(
        &self,
        by: &Staff,
        queue_id: i64,
        station: &str,
        store: &str,
    ) -> Result<Pack, AppError> {
        let station = station_name(station)?;
        let store = store_id(store)?;
        let DeskQueue {
            session, campaign, ..
        } = self.desk_queue(by, queue_id).await?;
        let today = crate::online_entry::china_today().to_string();
        if session.day < today {
            return Err(AppError::Conflict(Msg::new(
                "station.session_over",
                format!("该队列属于 {} 的场次，已经结束", session.day),
                format!(
                    "This queue belongs to the session of {}, which is over",
                    session.day
                ),
            )));
        }
        let (keys, keys_fetched_at) = self.registry_keys(false).await?;
        let queue = match self.db.hold_queue(queue_id, &station, &store).await? {
            Ok(q) => q,
            Err(HoldRefusal::HeldBy(other)) => return Err(AppError::Conflict(held_msg(&other))),
            Err(HoldRefusal::Unfinished(n)) => {
                return Err(AppError::Conflict(Msg::new(
                    "station.queue_unfinished",
                    format!("该队列还有 {n} 个号未确认，须先在此拍完或处理，才能交给离线采集站"),
                    format!(
                        "{n} numbers of this queue are not confirmed: finish them here before handing the queue to an offline station"
                    ),
                )));
            }
        };
        let university = self.db.get_university(campaign.university_id).await?;
        let departments = self.db.list_departments(university.id).await?;
        let facts = self.db.pack_facts(campaign.id, university.id).await?;
        let roster = self
            .db
            .list_students(&StudentFilter {
                university_id: university.id,
                department_id: None,
                search: None,
                limit: i64::MAX,
                offset: 0,
            })
            .await?;
        let facts: std::collections::HashMap<i64, _> =
            facts.into_iter().map(|f| (f.student_id, f)).collect();
        // Students registered for another session are numbered here only where the
        // campaign lets them come to another window, or takes walk-ins.
        let elsewhere_ok = campaign.modes.any_window || campaign.modes.walk_ins;
        let sessions: std::collections::HashMap<i64, String> = self
            .db
            .campaign_sessions(campaign.id)
            .await?
            .into_iter()
            .map(|x| {
                let label = session_label(&x.day, &x.starts, &x.ends, &x.campus, &x.place);
                (x.id, label)
            })
            .collect();
        let mut students = Vec::new();
        for s in &roster {
            let Some(f) = facts.get(&s.id) else { continue };
            let eligible = evaluate(&campaign.rules, &facts_of(s)?).verdict == Verdict::Must;
            // Only students the desk could number, or must tell why not in their own terms.
            if !eligible && !f.registered && f.number.is_none() {
                continue;
            }
            let Some(year) = s.expected_graduation.get(..4).and_then(|y| y.parse().ok()) else {
                continue;
            };
            students.push(PackStudent {
                student_id: s.id,
                student_no: s.student_no.clone(),
                department: departments
                    .iter()
                    .find(|d| d.id == s.department_id)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                level: s.level.clone(),
                graduation_year: year,
                name_masked: mask_name(&s.name),
                id_masked: s.id_masked.clone(),
                eligible,
                registered: f.registered,
                registered_elsewhere: match f.session_id {
                    Some(other) if other != session.id && !elsewhere_ok => {
                        sessions.get(&other).cloned()
                    }
                    _ => None,
                },
                photographed: f.collected,
                numbered_elsewhere: match (&f.queue, f.number) {
                    (Some(q), Some(n)) => Some(Numbered {
                        queue: q.clone(),
                        number: n,
                    }),
                    _ => None,
                },
            });
        }
        let mut audit = by.audit(
            "onsite.station_hold",
            "onsite_queue",
            Some(queue_id.to_string()),
            Some(campaign.university_id),
        );
        audit.after = Some(serde_json::json!({
            "station": station, "last_number": queue.last_number, "students": students.len(),
        }));
        self.db.append_audit(&audit).await?;
        Ok(Pack {
            station,
            made_at: gradphoto_db::now_ms(),
            campaign_id: campaign.id,
            campaign_name: campaign.name.clone(),
            walk_ins: campaign.modes.walk_ins,
            // A branch's make-up numbers pay their booked service, not the campaign's fee.
            fee_at_desk_fen: self
                .price_at_desk(&campaign, None)
                .filter(|_| session.branch_id.is_none()),
            school_code: university.code.clone(),
            session: PackSession {
                id: session.id,
                campus: session.campus.clone(),
                place: session.place.clone(),
                day: session.day.clone(),
                starts: session.starts.clone(),
                ends: session.ends.clone(),
            },
            queue: PackQueue {
                id: queue.id,
                name: queue.name.clone(),
                last_number: queue.last_number,
                last_turn: queue.last_turn,
            },
            keys_json: keys.to_json(),
            keys_fetched_at,
            students,
        })
    }

    /// Gives a held queue back to the server's desks: by the store holding it (after its
    /// last push), or by an admin whoever holds it (a lost laptop). Audited.
    pub async fn release_station_queue(
        &self,
        by: &Staff,
        queue_id: i64,
        store: Option<&str>,
    ) -> Result<bool, AppError> {
        let desk = self.desk_queue(by, queue_id).await?;
        let store = store.map(store_id).transpose()?;
        if store.is_none() {
            by.may(
                Action::Update,
                Resource::of_university(ResourceKind::Onsite, desk.campaign.university_id),
            )?;
        }
        let released = self.db.release_queue(queue_id, store.as_deref()).await?;
        if released {
            let mut audit = by.audit(
                "onsite.station_release",
                "onsite_queue",
                Some(queue_id.to_string()),
                Some(desk.campaign.university_id),
            );
            audit.before = Some(serde_json::json!({ "station": desk.queue.held_by }));
            self.db.append_audit(&audit).await?;
        }
        Ok(released)
    }
}
