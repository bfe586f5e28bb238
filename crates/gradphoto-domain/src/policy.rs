//! The one place that decides who may do what. Every handler, CLI command and job asks
//! [`authorize`] before it reads or writes; nothing else grants access.
//!
//! Scope is by tenant: a university admin sees only their university, a department
//! secretary only their department. Agency staff work across universities; the registry
//! operator reads everything, including unmasked ID numbers.

use serde::{Deserialize, Serialize};

use crate::i18n::Msg;

/// Staff roles (students come with the online-collection issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    RegistryOperator,
    AgencyAdmin,
    AgencyPhotographer,
    UniversityAdmin,
    DepartmentSecretary,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::RegistryOperator,
        Role::AgencyAdmin,
        Role::AgencyPhotographer,
        Role::UniversityAdmin,
        Role::DepartmentSecretary,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::RegistryOperator => "registry_operator",
            Role::AgencyAdmin => "agency_admin",
            Role::AgencyPhotographer => "agency_photographer",
            Role::UniversityAdmin => "university_admin",
            Role::DepartmentSecretary => "department_secretary",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            Role::RegistryOperator => "学信网管理员",
            Role::AgencyAdmin => "图片社管理员",
            Role::AgencyPhotographer => "图片社摄影师",
            Role::UniversityAdmin => "学校管理员",
            Role::DepartmentSecretary => "院系秘书",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            Role::RegistryOperator => "Registry operator",
            Role::AgencyAdmin => "Agency admin",
            Role::AgencyPhotographer => "Agency photographer",
            Role::UniversityAdmin => "University admin",
            Role::DepartmentSecretary => "Department secretary",
        }
    }
    /// Roles that must be tied to a university (and, for secretaries, a department).
    pub fn needs_university(self) -> bool {
        matches!(self, Role::UniversityAdmin | Role::DepartmentSecretary)
    }
}

/// Who is asking: a signed-in staff member and their tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub account_id: i64,
    pub role: Role,
    pub university_id: Option<i64>,
    pub department_id: Option<i64>,
}

/// What is being touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A university's own record, its departments and campuses.
    University,
    /// Students of the roster (masked ID numbers).
    Student,
    /// The unmasked ID number of a student.
    StudentIdNumber,
    Campaign,
    /// The progress dashboard and its exports.
    Progress,
    StaffAccount,
    AuditLog,
    /// A student's error report from the registry's verification window (信息确认),
    /// routed to the student's department.
    StatusReport,
    /// Students' online orders and their money (the agency's list and its export).
    Order,
    /// The on-site days: sessions and their queues (the university's), registrations
    /// (报名, a department's students) and the desk's check-ins.
    Onsite,
    /// The agency's branches for make-up shoots (散拍/补拍): their services and the public
    /// calendar. Platform-wide: branches serve every university.
    Branch,
    /// Students' make-up bookings as a branch works them: the day's list, absences.
    Booking,
    /// The print batches (洗印版照片) and their chain of custody: the agency prints and
    /// hands them to the graduate school, which hands them on to the departments, which
    /// give them to the students.
    Prints,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 13] = [
        ResourceKind::University,
        ResourceKind::Student,
        ResourceKind::StudentIdNumber,
        ResourceKind::Campaign,
        ResourceKind::Progress,
        ResourceKind::StaffAccount,
        ResourceKind::AuditLog,
        ResourceKind::StatusReport,
        ResourceKind::Order,
        ResourceKind::Onsite,
        ResourceKind::Branch,
        ResourceKind::Booking,
        ResourceKind::Prints,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    /// Bulk import (rosters).
    Import,
    /// Bulk export (XLSX).
    Export,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Import,
        Action::Export,
    ];
    pub fn is_write(self) -> bool {
        !matches!(self, Action::Read | Action::Export)
    }
}

/// A concrete resource: its kind and the tenant it belongs to. `university_id` is `None`
/// only for platform-wide things (the list of universities, agency staff, the whole audit
/// log); `department_id` is `None` for things that belong to the whole university.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: ResourceKind,
    pub university_id: Option<i64>,
    pub department_id: Option<i64>,
}

impl Resource {
    pub fn platform(kind: ResourceKind) -> Resource {
        Resource {
            kind,
            university_id: None,
            department_id: None,
        }
    }
    pub fn of_university(kind: ResourceKind, university_id: i64) -> Resource {
        Resource {
            kind,
            university_id: Some(university_id),
            department_id: None,
        }
    }
    pub fn of_department(kind: ResourceKind, university_id: i64, department_id: i64) -> Resource {
        Resource {
            kind,
            university_id: Some(university_id),
            department_id: Some(department_id),
        }
    }
}

/// Access refused; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("forbidden: {0}")]
pub struct Denied(pub Msg);

fn denied() -> Denied {
    Denied(Msg::new(
        "auth.forbidden",
        "您无权执行此操作或查看此内容",
        "You are not allowed to do this or see this",
    ))
}

/// The single access decision. See the module docs for the scoping rules.
pub fn authorize(actor: &Actor, action: Action, res: &Resource) -> Result<(), Denied> {
    use Action::*;
    use ResourceKind::*;
    use Role::*;
    let allowed = match actor.role {
        RegistryOperator => match res.kind {
            // The registry reads everything and writes nothing here: its own data arrives
            // through the registry API.
            University | Student | StudentIdNumber | Campaign | Progress | AuditLog
            | StatusReport => matches!(action, Read | Export),
            // The agency's money is between the agency, the schools and the students;
            // the on-site days are the school's and the agency's to run.
            StaffAccount | Order | Onsite | Branch | Booking | Prints => false,
        },
        AgencyAdmin => match res.kind {
            University | Campaign | Progress => true,
            Student => !matches!(action, Delete),
            StudentIdNumber => false,
            StaffAccount => true,
            AuditLog => matches!(action, Read | Export),
            // The agency sees which students need a re-shoot; the school resolves.
            StatusReport => action == Read,
            // Orders are read and reconciled; money moves only through the providers.
            Order => matches!(action, Read | Export),
            // It runs the days with the school: sessions, registrations, the desk.
            Onsite => true,
            // Its branches, their services and calendar, and who is booked.
            Branch | Booking => true,
            // It prints the batches, hands them to the schools and orders reprints.
            Prints => true,
        },
        AgencyPhotographer => match res.kind {
            University | Campaign | Student => action == Read,
            // The desk: it reads the plan and checks students in.
            Onsite => matches!(action, Read | Create),
            // At a branch: where it is, the day's bookings, marking who did not come.
            Branch => action == Read,
            Booking => matches!(action, Read | Update),
            _ => false,
        },
        UniversityAdmin => {
            let own = res.university_id.is_some() && res.university_id == actor.university_id;
            own && match res.kind {
                University => matches!(action, Read | Update),
                Student | Campaign | Progress => true,
                StudentIdNumber => false,
                // Secretaries of their own university.
                StaffAccount => true,
                AuditLog => matches!(action, Read | Export),
                StatusReport => matches!(action, Read | Update),
                // What its students paid for their photos.
                Order => matches!(action, Read | Export),
                // Its days: sessions, registrations of any department, the plan.
                Onsite => true,
                // The agency's branches are the agency's.
                Branch | Booking => false,
                // The graduate school receives its prints, hands them on to the
                // departments and reports what is missing; the agency prints.
                Prints => matches!(action, Read | Update | Export),
            }
        }
        DepartmentSecretary => {
            let own_uni = res.university_id.is_some() && res.university_id == actor.university_id;
            let own_dept =
                own_uni && res.department_id.is_some() && res.department_id == actor.department_id;
            match res.kind {
                // The university record and its campaigns are readable to say where one is.
                University | Campaign => own_uni && res.department_id.is_none() && action == Read,
                Student | Progress => own_dept && matches!(action, Read | Export),
                // The secretary's queue: reports of the department's students.
                StatusReport => own_dept && matches!(action, Read | Update),
                // The sessions are read to choose one; the department's students are
                // registered (picked or imported), listed and taken off again.
                Onsite => {
                    (own_uni && res.department_id.is_none() && action == Read)
                        || (own_dept && matches!(action, Read | Create | Delete | Import | Export))
                }
                // Its own department's prints: received from the school, given to students.
                Prints => own_dept && matches!(action, Read | Update),
                StudentIdNumber | StaffAccount | AuditLog | Order | Branch | Booking => false,
            }
        }
    };
    if allowed { Ok(()) } else { Err(denied()) }
}

#[cfg(test)]
mod tests;
