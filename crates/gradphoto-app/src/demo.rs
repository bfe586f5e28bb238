//! The demo data set: the registry, one agency, two universities with about 500 students
//! covering every eligibility case, an open campaign each, and one account per role. It
//! goes through the same use cases as real data (import, campaign, policy, audit).

use gradphoto_domain::campaign::CampaignStatus;
use gradphoto_domain::policy::Role;
use gradphoto_domain::sample::{SampleUniversity, sample_universities};
use gradphoto_sheets::{Sheet, write_xlsx};

use crate::auth::{Staff, StaffInput};
use crate::campaigns::CampaignInput;
use crate::tenants::UniversityInput;
use crate::{App, AppError};

/// The password of every demo account (printed by `gradphoto demo`).
pub const DEMO_PASSWORD: &str = "gradphoto-demo";

/// A demo student, in clear: the demo prints it so a visitor can play the student.
#[derive(Debug, Clone)]
pub struct DemoStudent {
    pub school_code: String,
    pub school: String,
    pub id_number: String,
    pub name: String,
    /// As stored (`master`, `doctor`…).
    pub level: String,
}

/// One demo login.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub note: String,
}

/// The sample's campaign, with its online uploads open from a month before the demo was
/// first seeded to eleven months after: the samples' own dates are the seeds' (past years),
/// and the online path must be open for a visitor to walk through it.
/// The demo's second on-site session is this many days after the day it was seeded.
const DEMO_LATER_SESSION_DAYS: u64 = 7;

fn campaign_input(s: &SampleUniversity) -> CampaignInput {
    let c = &s.campaign;
    let today = crate::online_entry::china_today();
    let mut modes = c.modes.clone();
    modes.online = Some(gradphoto_domain::campaign::Window {
        from: today - chrono::Days::new(30),
        to: today + chrono::Days::new(335),
    });
    // The on-site days too: one today (with students registered, so the desk has someone
    // to number) and one in a week.
    modes.onsite = Some(gradphoto_domain::campaign::Window {
        from: today,
        to: today + chrono::Days::new(DEMO_LATER_SESSION_DAYS),
    });
    // Registration closes the day before the later session (and a session never takes
    // registrations after its own day).
    modes.registration_deadline = Some(today + chrono::Days::new(DEMO_LATER_SESSION_DAYS - 1));
    modes.walk_ins = true;
    // Make-up shoots at the branches by appointment for three months from today (the
    // sample's own deadline lies in its season, long past).
    modes.makeup_deadline = Some(today + chrono::Days::new(90));
    CampaignInput::from_parts(&c.name, &c.cohort, &c.rules, &modes, c.fee_fen, &c.contacts)
}

async fn account(
    app: &App,
    by: Option<&Staff>,
    username: &str,
    name: &str,
    role: Role,
    u: Option<i64>,
    d: Option<i64>,
) -> Result<Staff, AppError> {
    let input = StaffInput {
        username: username.into(),
        display_name: name.into(),
        password: DEMO_PASSWORD.into(),
        role,
        university_id: u,
        department_id: d,
    };
    let row = match by {
        Some(by) => app.create_staff(by, &input).await?,
        None => app.create_staff_unchecked(None, &input).await?,
    };
    Staff::from_row(row, Some("demo".into()))
}

impl App {
    /// Seeds the demo data unless it is already there; returns the logins.
    pub async fn seed_demo(&self) -> Result<Vec<DemoLogin>, AppError> {
        let samples = sample_universities();
        let mut logins = vec![
            DemoLogin {
                username: "registry".into(),
                role: Role::RegistryOperator,
                note: "学信网 / registry".into(),
            },
            DemoLogin {
                username: "agency".into(),
                role: Role::AgencyAdmin,
                note: "中国图片社 / photo agency".into(),
            },
            DemoLogin {
                username: "photographer".into(),
                role: Role::AgencyPhotographer,
                note: "摄影师 / photographer".into(),
            },
        ];
        for (i, s) in samples.iter().enumerate() {
            logins.push(DemoLogin {
                username: format!("uni{}-admin", i + 1),
                role: Role::UniversityAdmin,
                note: s.name_zh.clone(),
            });
            for (j, (dept, _)) in s.departments.iter().take(2).enumerate() {
                logins.push(DemoLogin {
                    username: format!("uni{}-sec{}", i + 1, j + 1),
                    role: Role::DepartmentSecretary,
                    note: format!("{} {}", s.name_zh, dept),
                });
            }
        }
        if self.db.find_staff_by_username("agency").await?.is_some() {
            tracing::info!("demo data already present");
            return Ok(logins);
        }
        account(
            self,
            None,
            "registry",
            "学信网管理员",
            Role::RegistryOperator,
            None,
            None,
        )
        .await?;
        let agency = account(
            self,
            None,
            "agency",
            "图片社管理员",
            Role::AgencyAdmin,
            None,
            None,
        )
        .await?;
        account(
            self,
            Some(&agency),
            "photographer",
            "摄影师王师傅",
            Role::AgencyPhotographer,
            None,
            None,
        )
        .await?;
        for (i, s) in samples.iter().enumerate() {
            let u = self
                .create_university(
                    &agency,
                    &UniversityInput {
                        code: s.code.clone(),
                        name_zh: s.name_zh.clone(),
                        name_en: s.name_en.clone(),
                        departments: s.departments.clone(),
                        campuses: s.campuses.clone(),
                    },
                )
                .await?;
            let admin = account(
                self,
                Some(&agency),
                &format!("uni{}-admin", i + 1),
                "学校管理员",
                Role::UniversityAdmin,
                Some(u.id),
                None,
            )
            .await?;
            let depts = self.db.list_departments(u.id).await?;
            for (j, d) in depts.iter().take(2).enumerate() {
                account(
                    self,
                    Some(&admin),
                    &format!("uni{}-sec{}", i + 1, j + 1),
                    &format!("{}研秘", d.name),
                    Role::DepartmentSecretary,
                    Some(u.id),
                    Some(d.id),
                )
                .await?;
            }
            let file = write_xlsx(&[Sheet {
                name: "名单".into(),
                headers: s.roster.first().cloned().unwrap_or_default(),
                rows: s.roster.iter().skip(1).cloned().collect(),
            }])
            .map_err(|e| AppError::Internal(e.to_string()))?;
            self.import_roster(&admin, u.id, "demo-roster.xlsx", &file)
                .await?;
            let c = self
                .create_campaign(&admin, u.id, &campaign_input(s))
                .await?;
            self.set_campaign_status(&admin, c.id, CampaignStatus::Open)
                .await?;
            let students = self.db.all_students(u.id).await?;
            for no in &s.collected {
                if let Some(st) = students.iter().find(|x| &x.student_no == no) {
                    self.db.record_collection(c.id, st.id, "onsite").await?;
                }
            }
            self.seed_demo_sessions(&agency, c.id, s).await?;
        }
        self.seed_demo_branches(&agency).await?;
        self.run_ready_jobs().await?;
        self.seed_demo_registry().await?;
        Ok(logins)
    }

    /// The demo's branches for make-up shoots: the ordinary (50 yuan, 497-3,
    /// weekdays 9:00–11:30 and 13:30–16:30) and fine (100 yuan, 497-2, weekdays 9:00–17:00,
    /// several shots to choose from) services at a branch outside Beijing, and an ordinary
    /// service in Beijing — the only city seed 001's campaign accepts.
    async fn seed_demo_branches(&self, agency: &crate::auth::Staff) -> Result<(), AppError> {
        use crate::makeup_branches::{BranchInput, ServiceInput};
        let service =
            |name_zh: &str, name_en: &str, place: &str, yuan: &str, windows: &str| ServiceInput {
                name_zh: name_zh.into(),
                name_en: name_en.into(),
                place: place.into(),
                price_yuan: yuan.into(),
                windows: windows.into(),
                slot_minutes: "30".into(),
                slot_capacity: "6".into(),
                choose_shots: name_zh == "精修",
                ..ServiceInput::default()
            };
        for (name, city, address, services) in [
            (
                "中国图片社体育场路门市部",
                "杭州",
                "体育场路497号",
                vec![
                    service(
                        "普通",
                        "Ordinary",
                        "497-3",
                        "50",
                        "09:00-11:30, 13:30-16:30",
                    ),
                    service("精修", "Fine", "497-2", "100", "09:00-17:00"),
                ],
            ),
            (
                "中国图片社北京前门门市部",
                "北京",
                "前门大街1号",
                vec![service(
                    "普通",
                    "Ordinary",
                    "一层",
                    "50",
                    "09:00-11:30, 13:30-16:30",
                )],
            ),
        ] {
            let branch = self
                .create_branch(
                    agency,
                    &BranchInput {
                        name: name.into(),
                        city: city.into(),
                        address: address.into(),
                        phone: "010-6500 0000".into(),
                        active: true,
                    },
                )
                .await?;
            for s in &services {
                let mut s = s.clone();
                // In Beijing the fee is paid online when booking, where payments are taken.
                if city == "北京" && !self.payments.methods().is_empty() {
                    s.payment = "online".into();
                }
                self.create_service(agency, branch.id, &s).await?;
            }
        }
        Ok(())
    }

    /// The demo's on-site days: a session today with two queues, where half the first
    /// department's students who must be photographed are registered, and a session in a
    /// week that secretaries can register students for until the day before.
    async fn seed_demo_sessions(
        &self,
        agency: &Staff,
        campaign_id: i64,
        s: &SampleUniversity,
    ) -> Result<(), AppError> {
        use gradphoto_domain::onsite_plan::SessionForm;
        let today = crate::online_entry::china_today();
        let campus = s.campuses.first().map_or("主校区", String::as_str);
        let day = today.to_string();
        let later = (today + chrono::Days::new(DEMO_LATER_SESSION_DAYS)).to_string();
        // Today's session is open to every department; the later one is for the first two.
        let campaign: crate::campaigns::Campaign =
            self.db.get_campaign(campaign_id).await?.try_into()?;
        let first_two: Vec<i64> = self
            .db
            .list_departments(campaign.university_id)
            .await?
            .iter()
            .take(2)
            .map(|d| d.id)
            .collect();
        let now = self
            .create_onsite_session(
                agency,
                campaign_id,
                &SessionForm {
                    campus,
                    place: "新太阳学生活动中心",
                    day: &day,
                    starts: "09:30",
                    ends: "17:30",
                    capacity: "300",
                    queues: "105、106",
                    in_service_open: false,
                },
                &[],
            )
            .await?;
        self.create_onsite_session(
            agency,
            campaign_id,
            &SessionForm {
                campus,
                place: "新太阳学生活动中心",
                day: &later,
                starts: "13:00",
                ends: "17:30",
                capacity: "200",
                queues: "105",
                // As seed 001's weekend days: two departments, and in-service students
                // of any other.
                in_service_open: true,
            },
            &first_two,
        )
        .await?;
        // Written straight to the store, as the secretaries would have done before.
        let students = self.db.all_students(campaign.university_id).await?;
        let first_dept = students.first().map(|x| x.department_id);
        let mut ids = Vec::new();
        for st in students
            .iter()
            .filter(|x| Some(x.department_id) == first_dept)
        {
            let facts = crate::campaigns::facts_of(st)?;
            if gradphoto_domain::eligibility::evaluate(&campaign.rules, &facts).verdict
                == gradphoto_domain::eligibility::Verdict::Must
            {
                ids.push(st.id);
            }
        }
        // Half of them: the rest are left for a visitor to register as the secretary.
        ids.truncate(ids.len() / 2);
        if !ids.is_empty() {
            self.db
                .register_for_session(campaign_id, now.id, &ids, "demo")
                .await?
                .map_err(|r| AppError::Internal(format!("demo registration: {r:?}")))?;
        }
        Ok(())
    }

    /// Links the demo to its hosted registry as real parties would be: each university
    /// and the agency get an API token at the registry (kept encrypted on the agency's
    /// side), and each university's roster is reported through the registry's API once
    /// the server is listening (a queued job, retried until then).
    async fn seed_demo_registry(&self) -> Result<(), AppError> {
        let Some(reg) = self.registry.clone() else {
            return Ok(());
        };
        let (_, token) = reg
            .register_client(
                "中国图片社（演示）",
                gradphoto_registry::ClientKind::Agency,
                None,
            )
            .await?;
        self.set_registry_token(crate::registry_link::AGENCY_SCOPE, &token)
            .await?;
        for u in self.db.list_universities().await? {
            let (_, token) = reg
                .register_client(
                    &u.name_zh,
                    gradphoto_registry::ClientKind::School,
                    Some(&u.code),
                )
                .await?;
            self.set_registry_token(&format!("school:{}", u.code), &token)
                .await?;
            self.enqueue(crate::jobs::Job::ReportToRegistry {
                university_id: u.id,
            })
            .await?;
        }
        Ok(())
    }

    /// One demo student to try the registry's sign-in and online collection with: the
    /// first of the first university who must be photographed in its campaign.
    pub async fn demo_registry_student(&self) -> Result<Option<DemoStudent>, AppError> {
        Ok(self.demo_registry_students(1).await?.into_iter().next())
    }

    /// Up to `n` students of the first demo university who must be photographed, for
    /// the demo's printed sign-ins and the browser tests.
    pub async fn demo_registry_students(&self, n: usize) -> Result<Vec<DemoStudent>, AppError> {
        let mut out = Vec::new();
        let Some(u) = self.db.list_universities().await?.into_iter().next() else {
            return Ok(out);
        };
        let Some(c) = self.db.list_campaigns(Some(u.id)).await?.into_iter().next() else {
            return Ok(out);
        };
        let c = crate::campaigns::Campaign::try_from(c)?;
        for s in self.db.all_students(u.id).await? {
            if out.len() >= n {
                break;
            }
            let facts = crate::campaigns::facts_of(&s)?;
            if gradphoto_domain::eligibility::evaluate(&c.rules, &facts).verdict
                == gradphoto_domain::eligibility::Verdict::Must
            {
                out.push(DemoStudent {
                    school_code: u.code.clone(),
                    school: u.name_zh.clone(),
                    id_number: self.pii.decrypt(&s.id_enc)?,
                    name: s.name,
                    level: s.level,
                });
            }
        }
        Ok(out)
    }
}
