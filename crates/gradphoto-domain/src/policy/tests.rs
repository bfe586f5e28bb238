//! The whole access matrix, Role × ResourceKind × Action × scope, checked against a grant
//! table written here by hand from DESIGN ("who uses it") rather than derived from
//! [`authorize`]: anything the table does not grant must be refused.

use super::*;

const UNI: i64 = 1;
const OTHER_UNI: i64 = 2;
const DEPT: i64 = 10;
const OTHER_DEPT: i64 = 11;

/// Where the resource sits relative to the actor's tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    OwnDepartment,
    OtherDepartmentSameUniversity,
    /// The university as a whole (no department).
    OwnUniversity,
    OtherUniversity,
    /// Another university's department that happens to carry the actor's department id.
    OtherUniversitySameDepartmentId,
    PlatformWide,
}

const SCOPES: [Scope; 6] = [
    Scope::OwnDepartment,
    Scope::OtherDepartmentSameUniversity,
    Scope::OwnUniversity,
    Scope::OtherUniversity,
    Scope::OtherUniversitySameDepartmentId,
    Scope::PlatformWide,
];

impl Scope {
    fn resource(self, kind: ResourceKind) -> Resource {
        match self {
            Scope::OwnDepartment => Resource::of_department(kind, UNI, DEPT),
            Scope::OtherDepartmentSameUniversity => Resource::of_department(kind, UNI, OTHER_DEPT),
            Scope::OwnUniversity => Resource::of_university(kind, UNI),
            Scope::OtherUniversity => Resource::of_university(kind, OTHER_UNI),
            Scope::OtherUniversitySameDepartmentId => {
                Resource::of_department(kind, OTHER_UNI, DEPT)
            }
            Scope::PlatformWide => Resource::platform(kind),
        }
    }
}

/// Every scope: agency and registry staff are not tied to a tenant.
const ANY: &[Scope] = &SCOPES;
/// Inside the actor's own university, whichever department.
const OWN_UNI: &[Scope] = &[
    Scope::OwnDepartment,
    Scope::OtherDepartmentSameUniversity,
    Scope::OwnUniversity,
];

/// One grant: `actions` spelled with R(ead) C(reate) U(pdate) D(elete) I(mport) E(xport).
struct Grant {
    role: Role,
    kind: ResourceKind,
    actions: &'static str,
    scopes: &'static [Scope],
}

const fn g(
    role: Role,
    kind: ResourceKind,
    actions: &'static str,
    scopes: &'static [Scope],
) -> Grant {
    Grant {
        role,
        kind,
        actions,
        scopes,
    }
}

use ResourceKind as K;
use Role as R;

/// The expected policy. Not listed = refused.
const GRANTS: &[Grant] = &[
    // The registry reads and exports everything (and alone sees unmasked ID numbers) but
    // writes nothing here and manages no staff.
    g(R::RegistryOperator, K::University, "RE", ANY),
    g(R::RegistryOperator, K::Student, "RE", ANY),
    g(R::RegistryOperator, K::StudentIdNumber, "RE", ANY),
    g(R::RegistryOperator, K::Campaign, "RE", ANY),
    g(R::RegistryOperator, K::Progress, "RE", ANY),
    g(R::RegistryOperator, K::AuditLog, "RE", ANY),
    g(R::RegistryOperator, K::StatusReport, "RE", ANY),
    // The agency runs the platform: universities, campaigns, staff; students but no deletes.
    g(R::AgencyAdmin, K::University, "RCUDIE", ANY),
    g(R::AgencyAdmin, K::Student, "RCUIE", ANY),
    g(R::AgencyAdmin, K::Campaign, "RCUDIE", ANY),
    g(R::AgencyAdmin, K::Progress, "RCUDIE", ANY),
    g(R::AgencyAdmin, K::StaffAccount, "RCUDIE", ANY),
    g(R::AgencyAdmin, K::AuditLog, "RE", ANY),
    // It sees which students need a re-shoot; the school resolves the reports.
    g(R::AgencyAdmin, K::StatusReport, "R", ANY),
    // It lists and exports the online orders to reconcile them; it never edits money here.
    g(R::AgencyAdmin, K::Order, "RE", ANY),
    // It runs the on-site days with the schools.
    g(R::AgencyAdmin, K::Onsite, "RCUDIE", ANY),
    // Its branches for make-up shoots, their services and the public calendar.
    g(R::AgencyAdmin, K::Branch, "RCUDIE", ANY),
    g(R::AgencyAdmin, K::Booking, "RCUDIE", ANY),
    // It prints the batches, hands them over and orders reprints.
    g(R::AgencyAdmin, K::Prints, "RCUDIE", ANY),
    // A photographer only needs to find the student in front of the camera.
    g(R::AgencyPhotographer, K::University, "R", ANY),
    g(R::AgencyPhotographer, K::Campaign, "R", ANY),
    g(R::AgencyPhotographer, K::Student, "R", ANY),
    // At the desk it reads the plan and checks students in.
    g(R::AgencyPhotographer, K::Onsite, "RC", ANY),
    // At a branch it reads where it is and the day's bookings, and marks who did not come.
    g(R::AgencyPhotographer, K::Branch, "R", ANY),
    g(R::AgencyPhotographer, K::Booking, "RU", ANY),
    // A university office: its own university only.
    g(R::UniversityAdmin, K::University, "RU", OWN_UNI),
    g(R::UniversityAdmin, K::Student, "RCUDIE", OWN_UNI),
    g(R::UniversityAdmin, K::Campaign, "RCUDIE", OWN_UNI),
    g(R::UniversityAdmin, K::Progress, "RCUDIE", OWN_UNI),
    g(R::UniversityAdmin, K::StaffAccount, "RCUDIE", OWN_UNI),
    g(R::UniversityAdmin, K::AuditLog, "RE", OWN_UNI),
    g(R::UniversityAdmin, K::StatusReport, "RU", OWN_UNI),
    g(R::UniversityAdmin, K::Order, "RE", OWN_UNI),
    g(R::UniversityAdmin, K::Onsite, "RCUDIE", OWN_UNI),
    // The graduate school receives and hands on its prints.
    g(R::UniversityAdmin, K::Prints, "RUE", OWN_UNI),
    // A secretary: reads the university record and campaigns, reads its own department.
    g(
        R::DepartmentSecretary,
        K::University,
        "R",
        &[Scope::OwnUniversity],
    ),
    g(
        R::DepartmentSecretary,
        K::Campaign,
        "R",
        &[Scope::OwnUniversity],
    ),
    g(
        R::DepartmentSecretary,
        K::Student,
        "RE",
        &[Scope::OwnDepartment],
    ),
    g(
        R::DepartmentSecretary,
        K::Progress,
        "RE",
        &[Scope::OwnDepartment],
    ),
    // Registration (报名): the sessions are read, the department's students registered.
    g(
        R::DepartmentSecretary,
        K::Onsite,
        "R",
        &[Scope::OwnUniversity],
    ),
    g(
        R::DepartmentSecretary,
        K::Onsite,
        "RCDIE",
        &[Scope::OwnDepartment],
    ),
    // The secretary's queue of error reports: its own department's, to resolve.
    g(
        R::DepartmentSecretary,
        K::StatusReport,
        "RU",
        &[Scope::OwnDepartment],
    ),
    // Its department's prints: received from the school, given to the students.
    g(
        R::DepartmentSecretary,
        K::Prints,
        "RU",
        &[Scope::OwnDepartment],
    ),
];

fn letter(a: Action) -> char {
    match a {
        Action::Read => 'R',
        Action::Create => 'C',
        Action::Update => 'U',
        Action::Delete => 'D',
        Action::Import => 'I',
        Action::Export => 'E',
    }
}

fn expected(role: Role, kind: ResourceKind, action: Action, scope: Scope) -> bool {
    GRANTS.iter().any(|gr| {
        gr.role == role
            && gr.kind == kind
            && gr.actions.contains(letter(action))
            && gr.scopes.contains(&scope)
    })
}

/// The actor of each role: tenant roles belong to university 1 (secretaries to its
/// department 10); agency and registry staff belong to no tenant.
fn actor(role: Role) -> Actor {
    let (university_id, department_id) = match role {
        Role::UniversityAdmin => (Some(UNI), None),
        Role::DepartmentSecretary => (Some(UNI), Some(DEPT)),
        _ => (None, None),
    };
    Actor {
        account_id: 7,
        role,
        university_id,
        department_id,
    }
}

#[test]
fn full_matrix_matches_the_grant_table() {
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for role in Role::ALL {
        for kind in ResourceKind::ALL {
            for action in Action::ALL {
                for scope in SCOPES {
                    let got = authorize(&actor(role), action, &scope.resource(kind));
                    if let Err(Denied(msg)) = &got {
                        assert_eq!(msg.code, "auth.forbidden");
                        assert!(!msg.zh.is_empty() && !msg.en.is_empty());
                    }
                    if got.is_ok() != expected(role, kind, action, scope) {
                        mismatches.push(format!(
                            "{role:?} {action:?} {kind:?} {scope:?}: got {}",
                            if got.is_ok() { "allow" } else { "deny" }
                        ));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 5 * ResourceKind::ALL.len() * 6 * 6);
    assert!(
        mismatches.is_empty(),
        "policy differs from the table:\n{}",
        mismatches.join("\n")
    );
}

/// Tenant roles never reach outside their tenant, for any kind or action.
#[test]
fn tenant_roles_refused_everything_out_of_scope() {
    for kind in ResourceKind::ALL {
        for action in Action::ALL {
            for scope in [
                Scope::OtherUniversity,
                Scope::OtherUniversitySameDepartmentId,
                Scope::PlatformWide,
            ] {
                let res = scope.resource(kind);
                assert!(authorize(&actor(Role::UniversityAdmin), action, &res).is_err());
                assert!(authorize(&actor(Role::DepartmentSecretary), action, &res).is_err());
            }
            let other_dept = Scope::OtherDepartmentSameUniversity.resource(kind);
            assert!(
                authorize(&actor(Role::DepartmentSecretary), action, &other_dept).is_err(),
                "secretary {action:?} {kind:?} in another department"
            );
        }
    }
}

/// A tenant role whose account lost its university must not match platform resources
/// (`None == None`).
#[test]
fn tenant_role_without_university_gets_nothing() {
    for role in [Role::UniversityAdmin, Role::DepartmentSecretary] {
        let orphan = Actor {
            account_id: 8,
            role,
            university_id: None,
            department_id: None,
        };
        for kind in ResourceKind::ALL {
            for action in Action::ALL {
                for scope in SCOPES {
                    assert!(authorize(&orphan, action, &scope.resource(kind)).is_err());
                }
            }
        }
    }
}

#[test]
fn only_the_registry_reads_unmasked_id_numbers() {
    for role in Role::ALL {
        for scope in SCOPES {
            let res = scope.resource(ResourceKind::StudentIdNumber);
            let read = authorize(&actor(role), Action::Read, &res).is_ok();
            assert_eq!(read, role == Role::RegistryOperator, "{role:?} {scope:?}");
            for action in Action::ALL.into_iter().filter(|a| a.is_write()) {
                assert!(
                    authorize(&actor(role), action, &res).is_err(),
                    "{role:?} {action:?}"
                );
            }
        }
    }
}
