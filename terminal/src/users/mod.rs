//! Users, PIN login, permissions, manager approval and the audit log.
//!
//! - Every user has a login, a name, a [`Role`] and a PIN. PINs are 4–8
//!   digits, stored only as Argon2id PHC strings ([`pin`]).
//! - At the till a user logs in with the PIN alone, so PINs are unique among
//!   active users: adding a user whose PIN another active user already has is
//!   refused (`users.pin_taken`).
//! - A wrong PIN returns `auth.wrong_pin` and changes nothing except the
//!   terminal's consecutive-failure counter. **Lockout:** after
//!   [`MAX_CONSECUTIVE_FAILURES`] wrong PINs in a row, PIN entry on this
//!   terminal is locked for [`LOCKOUT_BASE_SECS`] seconds, doubling with
//!   every further failure up to [`LOCKOUT_MAX_SECS`]; while locked every
//!   PIN (even a right one) gets `auth.locked` and is not checked. A correct
//!   PIN resets the counter. The counter is per terminal (not per user)
//!   because a PIN-only login cannot tell whose PIN was mistyped; the lockout
//!   is written to the audit log.
//! - Permissions come from [`kasa_domain::permission`]; a manager approves an
//!   action with their PIN ([`approve`]), which is audited.
//! - The audit log ([`audit`]) records who did what, when, approved by whom,
//!   on which document: voids, returns, discounts over the limit, price
//!   overrides, no-sale, cash out, approvals, lockouts.

pub mod pin;
pub(crate) mod schema;

use chrono::{Duration, NaiveDateTime};
use kasa_domain::ErrorCode;
use kasa_domain::permission::{ManagerApproval, Operator, Permission, Role};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use pin::{hash_pin, pin_matches, validate_pin};

/// Wrong PINs in a row before PIN entry is locked.
pub const MAX_CONSECUTIVE_FAILURES: i64 = 5;
/// First lockout length.
pub const LOCKOUT_BASE_SECS: i64 = 30;
/// Longest lockout.
pub const LOCKOUT_MAX_SECS: i64 = 15 * 60;

/// A user of the till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
}

impl User {
    /// The user as the domain's operator.
    pub fn operator(&self) -> Operator {
        Operator::new(self.login.clone(), self.role)
    }
}

/// Errors of users and authentication.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// No active user has this PIN.
    #[error("wrong PIN — try again ({remaining} tries left before PIN entry is locked)")]
    WrongPin {
        /// Tries left before lockout.
        remaining: i64,
    },
    /// Too many wrong PINs.
    #[error(
        "PIN entry is locked after too many wrong PINs until {until} UTC — wait, or ask a manager"
    )]
    Locked {
        /// When it unlocks.
        until: NaiveDateTime,
    },
    /// The PIN is not 4–8 digits.
    #[error("a PIN is 4 to 8 digits — choose another PIN")]
    BadPinFormat,
    /// The login exists.
    #[error("a user with login '{0}' already exists — choose another login")]
    LoginTaken(String),
    /// The PIN is used by another user.
    #[error("another user already has this PIN — PINs identify users at the till, choose another")]
    PinTaken,
    /// The login is empty or has spaces.
    #[error("login '{0}' is not valid — use letters, digits, '.', '_' or '-'")]
    BadLogin(String),
    /// Hashing failed.
    #[error("could not hash the PIN: {0}")]
    Hashing(String),
    /// The user may not do this, and no sufficient approval was given.
    #[error(transparent)]
    Denied(#[from] kasa_domain::permission::PermissionDenied),
    /// Unknown role text.
    #[error(transparent)]
    Role(#[from] kasa_domain::permission::PermissionError),
    /// Database.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Head office's roles kept on the till cannot be read.
    #[error(transparent)]
    HeadOfficeRoles(#[from] crate::sync::master_data::held::HeldError),
}

impl ErrorCode for UserError {
    fn code(&self) -> &'static str {
        match self {
            UserError::WrongPin { .. } => "auth.wrong_pin",
            UserError::Locked { .. } => "auth.locked",
            UserError::BadPinFormat => "users.bad_pin_format",
            UserError::LoginTaken(_) => "users.login_taken",
            UserError::PinTaken => "users.pin_taken",
            UserError::BadLogin(_) => "users.bad_login",
            UserError::Hashing(_) => "users.hashing",
            UserError::Denied(e) => e.code(),
            UserError::Role(e) => e.code(),
            UserError::Sqlite(e) if crate::store::is_busy(e) => "store.busy",
            UserError::Sqlite(_) => "store.sqlite",
            UserError::HeadOfficeRoles(e) => e.code(),
        }
    }
}

fn role_of(text: &str) -> Result<Role, rusqlite::Error> {
    text.parse::<Role>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn fmt_time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

/// Add a user. The PIN must be 4–8 digits and not used by another active
/// user.
pub fn add_user(
    conn: &Connection,
    login: &str,
    name: &str,
    role: Role,
    pin: &str,
    now: NaiveDateTime,
) -> Result<User, UserError> {
    if login.is_empty()
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(UserError::BadLogin(login.to_string()));
    }
    validate_pin(pin)?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE login = ?1)",
        [login],
        |r| r.get(0),
    )?;
    if exists {
        return Err(UserError::LoginTaken(login.to_string()));
    }
    if find_by_pin(conn, pin)?.is_some() {
        return Err(UserError::PinTaken);
    }
    let hash = hash_pin(pin)?;
    conn.execute(
        "INSERT INTO users (login, name, role, pin_hash, active, created_at, operator_code)
         VALUES (?1, ?2, ?3, ?4, 1, ?5,
             (SELECT printf('%04d', COALESCE(MAX(CAST(operator_code AS INTEGER)), 0) + 1)
              FROM users))",
        params![login, name, role.name(), hash, fmt_time(now)],
    )?;
    Ok(User {
        login: login.to_string(),
        name: name.to_string(),
        role,
    })
}

/// The user's 4-digit operator code (`0001`, …), printed in the N-18
/// unique sale number; `None` for an unknown login.
pub fn operator_code(conn: &Connection, login: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT operator_code FROM users WHERE login = ?1",
        [login],
        |r| r.get(0),
    )
    .optional()
    .map(Option::flatten)
}

/// All users, by login.
pub fn list_users(conn: &Connection) -> Result<Vec<User>, UserError> {
    let mut stmt =
        conn.prepare("SELECT login, name, role FROM users WHERE active = 1 ORDER BY login")?;
    let rows = stmt.query_map([], |r| {
        Ok(User {
            login: r.get(0)?,
            name: r.get(1)?,
            role: role_of(&r.get::<_, String>(2)?)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The active user whose PIN this is, without touching the failure counter.
fn find_by_pin(conn: &Connection, pin: &str) -> Result<Option<User>, UserError> {
    let mut stmt = conn.prepare_cached(
        "SELECT login, name, role, pin_hash FROM users WHERE active = 1 ORDER BY login",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let hash: String = r.get(3)?;
        if pin_matches(pin, &hash) {
            return Ok(Some(User {
                login: r.get(0)?,
                name: r.get(1)?,
                role: role_of(&r.get::<_, String>(2)?)?,
            }));
        }
    }
    Ok(None)
}

/// Log in with a PIN. See the module docs for the lockout rule.
pub fn login_by_pin(conn: &Connection, pin: &str, now: NaiveDateTime) -> Result<User, UserError> {
    let state: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT consecutive, locked_until FROM login_failures WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (failures, locked_until) = state.unwrap_or((0, None));
    if let Some(until) = locked_until.as_deref().and_then(parse_time)
        && until > now
    {
        return Err(UserError::Locked { until });
    }
    match find_by_pin(conn, pin)? {
        Some(user) => {
            if failures != 0 {
                conn.execute("DELETE FROM login_failures WHERE id = 1", [])?;
            }
            Ok(user)
        }
        None => {
            let failures = failures + 1;
            let locked_until = lockout_for(failures).map(|secs| now + Duration::seconds(secs));
            conn.execute(
                "INSERT INTO login_failures (id, consecutive, locked_until) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET consecutive = ?1, locked_until = ?2",
                params![failures, locked_until.map(fmt_time)],
            )?;
            if let Some(until) = locked_until {
                audit(
                    conn,
                    &AuditEntry {
                        at: now,
                        actor: "-",
                        action: "auth.lockout",
                        approved_by: None,
                        document_id: None,
                        detail: serde_json::json!({ "consecutive_failures": failures }),
                    },
                )?;
                return Err(UserError::Locked { until });
            }
            Err(UserError::WrongPin {
                remaining: MAX_CONSECUTIVE_FAILURES - failures,
            })
        }
    }
}

/// Lockout length after `failures` consecutive wrong PINs, if locked.
pub fn lockout_for(failures: i64) -> Option<i64> {
    if failures < MAX_CONSECUTIVE_FAILURES {
        return None;
    }
    let doublings = (failures - MAX_CONSECUTIVE_FAILURES).min(20) as u32;
    Some((LOCKOUT_BASE_SECS << doublings).min(LOCKOUT_MAX_SECS))
}

/// A manager approves `permission` for `operator` with their PIN. The
/// approver must exist, have a role that allows the permission (in the
/// permission table with head office's roles applied), and the approval
/// is written to the audit log.
pub fn approve(
    conn: &Connection,
    operator: &Operator,
    permission: Permission,
    approver_pin: &str,
    document_id: Option<Uuid>,
    now: NaiveDateTime,
) -> Result<ManagerApproval, UserError> {
    let approver = login_by_pin(conn, approver_pin, now)?;
    let approval = ManagerApproval::new(approver.login.clone(), approver.role);
    let table = crate::sync::master_data::held::permission_table(conn)?;
    kasa_domain::permission::authorize_in(&table, operator, permission, Some(&approval))?;
    audit(
        conn,
        &AuditEntry {
            at: now,
            actor: &operator.login,
            action: "approval",
            approved_by: Some(&approver.login),
            document_id,
            detail: serde_json::json!({ "permission": permission.name() }),
        },
    )?;
    Ok(approval)
}

/// One audit log record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// When.
    pub at: NaiveDateTime,
    /// Who did it (login, or `-` when nobody is known).
    pub actor: &'a str,
    /// What (`sale.void`, `sale.price_override`, `shift.no_sale`, …).
    pub action: &'a str,
    /// The approving manager, if any.
    pub approved_by: Option<&'a str>,
    /// The document it concerns, if any.
    pub document_id: Option<Uuid>,
    /// Details as JSON.
    pub detail: serde_json::Value,
}

/// Append to the audit log, and to the wire series as an `audit` record
/// for head office (`crate::sync::audit`), both or neither.
pub fn audit(conn: &Connection, entry: &AuditEntry<'_>) -> Result<(), rusqlite::Error> {
    // a savepoint: atomic inside the caller's transaction and on its own
    conn.execute_batch("SAVEPOINT kasa_audit")?;
    let written = write_audit(conn, entry);
    match written {
        Ok(()) => conn.execute_batch("RELEASE kasa_audit"),
        Err(e) => {
            conn.execute_batch("ROLLBACK TO kasa_audit; RELEASE kasa_audit")?;
            Err(e)
        }
    }
}

fn write_audit(conn: &Connection, entry: &AuditEntry<'_>) -> Result<(), rusqlite::Error> {
    crate::sync::audit::append(conn, entry).map_err(|e| match e {
        crate::sync::SyncError::Sqlite(e) => e,
        other => rusqlite::Error::ToSqlConversionFailure(Box::new(other)),
    })?;
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, approved_by, document_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            fmt_time(entry.at),
            entry.actor,
            entry.action,
            entry.approved_by,
            entry.document_id.map(|u| u.to_string()),
            entry.detail.to_string()
        ],
    )?;
    Ok(())
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Row id.
    pub id: i64,
    /// When (ISO-8601 UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Approved by.
    pub approved_by: Option<String>,
    /// Document id.
    pub document_id: Option<String>,
    /// Details.
    pub detail: serde_json::Value,
}

/// The audit log, oldest first.
pub fn audit_log(conn: &Connection) -> Result<Vec<AuditRecord>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, approved_by, document_id, detail FROM audit_log ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let detail: String = r.get(6)?;
        Ok(AuditRecord {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            approved_by: r.get(4)?,
            document_id: r.get(5)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests;
