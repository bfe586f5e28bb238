//! Staff sign-in: argon2id password hashes, server-side sessions behind random tokens,
//! and login throttling per account and per client address, shared by all processes
//! through the database.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use gradphoto_db::accounts::{NewStaff, StaffRow};
use gradphoto_db::audit::NewAudit;
use gradphoto_domain::i18n::Msg;
use gradphoto_domain::policy::{Action, Actor, Resource, ResourceKind, Role, authorize};
use sha2::{Digest, Sha256};

use crate::pii::random_bytes;
use crate::{App, AppError};

/// A signed-in staff member, with the request's client address for the audit log.
#[derive(Debug, Clone)]
pub struct Staff {
    pub row: StaffRow,
    pub actor: Actor,
    pub ip: Option<String>,
}

impl Staff {
    pub fn from_row(row: StaffRow, ip: Option<String>) -> Result<Staff, AppError> {
        let role = Role::parse(&row.role).ok_or_else(|| {
            AppError::Internal(format!("account {} has unknown role {}", row.id, row.role))
        })?;
        let actor = Actor {
            account_id: row.id,
            role,
            university_id: row.university_id,
            department_id: row.department_id,
        };
        Ok(Staff { row, actor, ip })
    }

    /// Asks the policy; every use case calls this before touching data.
    pub fn may(&self, action: Action, res: Resource) -> Result<(), AppError> {
        Ok(authorize(&self.actor, action, &res)?)
    }

    /// An audit entry by this person.
    pub fn audit(
        &self,
        action: &str,
        target_kind: &str,
        target_id: Option<String>,
        university_id: Option<i64>,
    ) -> NewAudit {
        NewAudit {
            actor_id: Some(self.row.id),
            actor_name: self.row.username.clone(),
            action: action.into(),
            target_kind: target_kind.into(),
            target_id,
            university_id,
            before: None,
            after: None,
            ip: self.ip.clone(),
        }
    }
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Session tokens are 32 random bytes; only their hash is stored.
pub fn token_hash(token: &str) -> String {
    crate::pii::hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn new_token() -> Result<String, AppError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

fn bad_login() -> AppError {
    AppError::Invalid(Msg::new(
        "auth.bad_credentials",
        "用户名或密码错误",
        "Wrong username or password",
    ))
}

/// Password rules for staff accounts.
pub fn check_password_strength(p: &str) -> Result<(), AppError> {
    if p.chars().count() < 10 {
        return Err(AppError::invalid(
            "auth.weak_password",
            "密码至少 10 个字符",
            "The password must have at least 10 characters",
        ));
    }
    Ok(())
}

/// What an admin fills in to create an account.
#[derive(Debug, Clone)]
pub struct StaffInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub university_id: Option<i64>,
    pub department_id: Option<i64>,
}

impl App {
    /// Checks the throttle, then the password. Every failure looks the same to the caller,
    /// and an unknown user costs as much time as a wrong password.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        ip: &str,
    ) -> Result<(String, Staff), AppError> {
        let sec = &self.config.security;
        let since = gradphoto_db::now_ms() - sec.login_window_minutes * 60_000;
        let (user_fails, ip_fails) = self.db.failed_logins_since(username, ip, since).await?;
        if user_fails >= sec.login_max_failures || ip_fails >= sec.login_max_failures_per_ip {
            return Err(AppError::Throttled(Msg::new(
                "auth.throttled",
                format!(
                    "登录失败次数过多，请 {} 分钟后再试",
                    sec.login_window_minutes
                ),
                format!(
                    "Too many failed sign-ins; try again in {} minutes",
                    sec.login_window_minutes
                ),
            )));
        }
        let row = self.db.find_staff_by_username(username).await?;
        let ok = match &row {
            Some(r) => verify_password(password, &r.password_hash) && !r.disabled,
            None => {
                // Spend the same work as a real check so timing does not reveal accounts.
                let _ = verify_password(password, DUMMY_HASH);
                false
            }
        };
        self.db.record_login_attempt(username, ip, ok).await?;
        let Some(row) = row.filter(|_| ok) else {
            return Err(bad_login());
        };
        let token = new_token()?;
        let ttl = (sec.session_ttl_hours as i64) * 3_600_000;
        self.db
            .create_session(&token_hash(&token), row.id, ttl, Some(ip))
            .await?;
        let staff = Staff::from_row(row, Some(ip.to_string()))?;
        self.db
            .append_audit(&staff.audit("auth.login", "session", None, staff.row.university_id))
            .await?;
        Ok((token, staff))
    }

    /// The staff member behind a session token, if the session is live.
    pub async fn session(
        &self,
        token: &str,
        ip: Option<String>,
    ) -> Result<Option<Staff>, AppError> {
        match self.remembered_session(&token_hash(token)).await? {
            Some(row) => Ok(Some(Staff::from_row(row, ip)?)),
            None => Ok(None),
        }
    }

    pub async fn logout(&self, token: &str, staff: &Staff) -> Result<(), AppError> {
        self.db.delete_session(&token_hash(token)).await?;
        self.forget_sessions();
        self.db
            .append_audit(&staff.audit("auth.logout", "session", None, staff.row.university_id))
            .await?;
        Ok(())
    }

    /// Changes the signed-in person's own password after checking the current one, and
    /// signs out their other sessions.
    pub async fn change_own_password(
        &self,
        by: &Staff,
        token: &str,
        current: &str,
        new: &str,
    ) -> Result<(), AppError> {
        let row = self.db.get_staff(by.row.id).await?;
        if !verify_password(current, &row.password_hash) {
            return Err(AppError::invalid(
                "auth.bad_current_password",
                "当前密码不正确",
                "The current password is wrong",
            ));
        }
        check_password_strength(new)?;
        if new == current {
            return Err(AppError::invalid(
                "auth.same_password",
                "新密码不能与当前密码相同",
                "The new password must differ from the current one",
            ));
        }
        let hash = hash_password(new)?;
        let audit = by.audit(
            "staff.password",
            "staff_account",
            Some(row.id.to_string()),
            row.university_id,
        );
        self.db.set_staff_password(row.id, &hash, &audit).await?;
        self.db
            .end_other_sessions(row.id, &token_hash(token))
            .await?;
        self.forget_sessions();
        Ok(())
    }

    /// Disables (or re-enables) an account; a disabled account cannot sign in and its
    /// sessions end at once. Nobody disables themselves.
    pub async fn set_staff_disabled(
        &self,
        by: &Staff,
        account_id: i64,
        disabled: bool,
    ) -> Result<(), AppError> {
        let target = self.db.get_staff(account_id).await?;
        let role =
            Role::parse(&target.role).ok_or_else(|| AppError::Internal("unknown role".into()))?;
        let res = match (role.needs_university(), target.university_id) {
            (true, Some(u)) => Resource::of_university(ResourceKind::StaffAccount, u),
            _ => Resource::platform(ResourceKind::StaffAccount),
        };
        by.may(Action::Update, res)?;
        if target.id == by.row.id {
            return Err(AppError::invalid(
                "auth.self_disable",
                "不能停用自己的账号",
                "You cannot disable your own account",
            ));
        }
        let mut audit = by.audit(
            if disabled {
                "staff.disable"
            } else {
                "staff.enable"
            },
            "staff_account",
            Some(target.id.to_string()),
            target.university_id,
        );
        audit.before = Some(serde_json::json!({ "disabled": target.disabled }));
        audit.after = Some(serde_json::json!({ "disabled": disabled }));
        self.db
            .set_staff_disabled(target.id, disabled, &audit)
            .await?;
        self.forget_sessions();
        Ok(())
    }

    /// Creates a staff account. Agency admins create any account; university admins
    /// create secretaries and admins of their own university only.
    pub async fn create_staff(&self, by: &Staff, input: &StaffInput) -> Result<StaffRow, AppError> {
        // Only roles tied to a university are that university's accounts; any other role
        // is platform-wide whatever scope the form sent, or a university admin could
        // create agency or registry accounts.
        let res = match input
            .university_id
            .filter(|_| input.role.needs_university())
        {
            Some(u) => Resource::of_university(ResourceKind::StaffAccount, u),
            None => Resource::platform(ResourceKind::StaffAccount),
        };
        by.may(Action::Create, res)?;
        self.create_staff_unchecked(Some(by), input).await
    }

    /// Creates an account without a policy check: for `gradphoto demo` and the first
    /// admin created from the command line.
    pub async fn create_staff_unchecked(
        &self,
        by: Option<&Staff>,
        input: &StaffInput,
    ) -> Result<StaffRow, AppError> {
        let name = input.username.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(AppError::invalid(
                "auth.bad_username",
                "用户名须为 1–64 位字母、数字或 . _ - @",
                "A username is 1–64 letters, digits or . _ - @",
            ));
        }
        check_password_strength(&input.password)?;
        if input.role.needs_university() && input.university_id.is_none() {
            return Err(AppError::invalid(
                "auth.needs_university",
                "该角色须指定学校",
                "This role needs a university",
            ));
        }
        if input.role == Role::DepartmentSecretary {
            let Some(d) = input.department_id else {
                return Err(AppError::invalid(
                    "auth.needs_department",
                    "院系秘书须指定院系",
                    "A department secretary needs a department",
                ));
            };
            let dept = self.db.get_department(d).await?;
            if Some(dept.university_id) != input.university_id {
                return Err(AppError::invalid(
                    "auth.department_mismatch",
                    "院系不属于该学校",
                    "The department is not part of that university",
                ));
            }
        }
        let hash = hash_password(&input.password)?;
        let mut audit = match by {
            Some(s) => s.audit("staff.create", "staff_account", None, input.university_id),
            None => NewAudit {
                actor_name: "system".into(),
                action: "staff.create".into(),
                target_kind: "staff_account".into(),
                university_id: input.university_id,
                ..Default::default()
            },
        };
        audit.after = Some(serde_json::json!({
            "username": name, "role": input.role.as_str(),
            "university_id": input.university_id, "department_id": input.department_id,
        }));
        let row = self
            .db
            .create_staff(
                &NewStaff {
                    username: name,
                    display_name: input.display_name.trim(),
                    password_hash: &hash,
                    role: input.role.as_str(),
                    university_id: if input.role.needs_university() {
                        input.university_id
                    } else {
                        None
                    },
                    department_id: if input.role == Role::DepartmentSecretary {
                        input.department_id
                    } else {
                        None
                    },
                },
                &audit,
            )
            .await
            .map_err(|e| match e {
                gradphoto_db::DbError::Conflict(_) => AppError::Conflict(Msg::new(
                    "auth.username_taken",
                    format!("用户名 {name} 已被使用"),
                    format!("The username {name} is taken"),
                )),
                other => other.into(),
            })?;
        Ok(row)
    }
}

/// A valid argon2id hash of a random string, verified against for unknown usernames.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2kA0yq6J4C6fQ7pgb0lgYqX5d4VqY8jA3O1c2Q3y2cM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert_ne!(
            h,
            hash_password("correct horse battery").expect("hash"),
            "salted"
        );
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash parses so it costs real work"
        );
    }

    #[test]
    fn token_hashes_are_stable_and_tokens_random() {
        assert_eq!(token_hash("a"), token_hash("a"));
        assert_ne!(new_token().expect("t"), new_token().expect("t"));
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("long enough pw").is_ok());
    }
}
