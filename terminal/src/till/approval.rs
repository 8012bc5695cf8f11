//! The one approval path of the till. Every action that may need a manager
//! runs through [`with_manager`] (the session's sale, void, return, cash
//! and count actions, the CLI's scripts and count approval):
//!
//! 1. the action runs as the user, without an approval; the rules
//!    (`kasa_domain`) check the user's own role against the permission
//!    table ([`kasa_domain::permission::Role::allows`]);
//! 2. when a rule answers that a manager must grant a permission, and a
//!    manager's PIN was given, [`approve`] checks the PIN through
//!    [`crate::users::approve`] (a wrong PIN counts towards the lockout and
//!    changes nothing else), checks that the approver's role allows the
//!    permission, and writes the `approval` entry of the audit log — on the
//!    store's connection, outside the action's write transaction, so
//!    neither the failure count nor the audit entry is rolled back;
//! 3. the action runs once more with the approval, and stores who approved
//!    it with its document.
//!
//! Without a PIN, or with an approver whose role does not allow it either,
//! the caller gets the action's own refusal (`sale.needs_manager`,
//! `return.needs_manager`, `shift.needs_manager`, `count.needs_manager`);
//! [`TillError::needed_permission`] names the permission so the UI can ask
//! for a manager. [`approve`] alone checks a permission known in advance
//! (receiving, no-sale) and answers [`TillError::NeedsManager`].

use chrono::NaiveDateTime;
use kasa_domain::permission::{ManagerApproval, Operator, Permission};
use rusqlite::Connection;
use uuid::Uuid;

use super::TillError;
use crate::store::Store;
use crate::users::{self, UserError};

/// Who is asking, for what, and the manager's PIN if one was typed.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalRequest<'a> {
    /// The user doing the action.
    pub operator: &'a Operator,
    /// A manager's PIN (an empty one counts as none).
    pub pin: Option<&'a str>,
    /// The document the action concerns, for the audit log.
    pub document_id: Option<Uuid>,
    /// Now.
    pub at: NaiveDateTime,
}

/// Check `permission` for the operator: `Ok(None)` when their own role
/// allows it, `Ok(Some(approval))` when a manager approved with their PIN
/// (audited), [`TillError::NeedsManager`] when a manager is needed and no
/// PIN was given.
pub fn approve(
    conn: &Connection,
    request: ApprovalRequest<'_>,
    permission: Permission,
) -> Result<Option<ManagerApproval>, TillError> {
    if role_allows(conn, request.operator, permission)? {
        return Ok(None);
    }
    let pin = request
        .pin
        .filter(|p| !p.is_empty())
        .ok_or(TillError::NeedsManager(permission))?;
    let approval = users::approve(
        conn,
        request.operator,
        permission,
        pin,
        request.document_id,
        request.at,
    )?;
    Ok(Some(approval))
}

/// Whether the operator's own role allows `permission`, by the permission
/// table with head office's published roles applied.
fn role_allows(
    conn: &Connection,
    operator: &Operator,
    permission: Permission,
) -> Result<bool, TillError> {
    let table = crate::sync::master_data::held::permission_table(conn).map_err(UserError::from)?;
    Ok(table.allows(operator.role, permission))
}

/// Run `action` without an approval; when it answers that a manager must
/// grant a permission, take the approval through [`approve`] and run it
/// once more with it.
/// The approval is taken on the store's connection outside any write
/// transaction, so a wrong PIN's failure count is kept even though the
/// action itself changes nothing.
pub fn with_manager<T, E>(
    store: &mut Store,
    request: ApprovalRequest<'_>,
    mut action: impl FnMut(&mut Store, Option<&ManagerApproval>) -> Result<T, E>,
) -> Result<T, TillError>
where
    E: Into<TillError>,
{
    let first = action(store, None).map_err(Into::into);
    let permission = match &first {
        Err(e) => e.needed_permission(),
        Ok(_) => None,
    };
    let needs_approval = match permission {
        Some(p) => !role_allows(store.conn(), request.operator, p)?,
        None => false,
    };
    match permission {
        Some(p) if needs_approval => {
            match approve(store.conn(), request, p) {
                Ok(approval) => action(store, approval.as_ref()).map_err(Into::into),
                // No PIN, or an approver whose role does not allow it
                // either: the action's own refusal, with its area's code.
                Err(TillError::NeedsManager(_) | TillError::Users(UserError::Denied(_))) => first,
                Err(e) => Err(e),
            }
        }
        _ => first,
    }
}
