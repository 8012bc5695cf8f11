//! The one approval path of the till. Every action that may need a manager
//! goes through [`approve`] or [`with_manager`]:
//!
//! 1. the operator's own role is checked against the permission table
//!    ([`kasa_domain::permission::Role::allows`]): allowed → no approval;
//! 2. otherwise, without a manager's PIN, the answer is
//!    [`TillError::NeedsManager`] naming the permission (code
//!    `permission.needs_manager`; the UI asks for a manager and repeats the
//!    action with the PIN; the CLI says which `--approval-pin` it needs);
//! 3. with a PIN, [`crate::users::approve`] checks it (a wrong PIN counts
//!    towards the lockout and changes nothing else), checks that the
//!    approver's role allows the permission, and writes the `approval`
//!    entry of the audit log.
//!
//! Actions whose rules decide inside the domain whether a manager is needed
//! (a discount over the limit, lowering a quantity) run through
//! [`with_manager`]: first without an approval; when the rule answers
//! "needs a manager" for a permission, the approval is taken as above and
//! the action runs once more with it.

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
    if request.operator.role.allows(permission) {
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
    match permission {
        Some(p) if !request.operator.role.allows(p) => {
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
