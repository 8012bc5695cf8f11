//! Roles, permissions and manager approval.
//!
//! Every user has one [`Role`]. A [`Permission`] names an action that not
//! every role may do alone. [`Role::allows`] is the single table that says
//! which role may do what (data, not scattered `if`s).
//!
//! When the operator at the till lacks a permission, a manager can approve
//! the action on the spot: the terminal checks the manager's PIN and builds a
//! [`ManagerApproval`] (approver login + role). Domain actions accept an
//! optional approval and call [`authorize`], which returns an
//! [`Authorization`] saying who authorised the action (kept for the audit
//! log) or [`PermissionDenied`] naming the missing permission — the sale turns
//! that into `SaleError::NeedsManager(permission)` so the UI can ask for a
//! manager.
//!
//! The domain never sees PINs: an approval is a claim the terminal has
//! already verified.
//!
//! Table (✓ = allowed without approval):
//!
//! | permission            | cashier | manager | admin |
//! |-----------------------|---------|---------|-------|
//! | Return (with receipt) | ✓       | ✓       | ✓     |
//! | NoSale                | ✓       | ✓       | ✓     |
//! | Receive               | ✓       | ✓       | ✓     |
//! | VoidLine              |         | ✓       | ✓     |
//! | VoidSale              |         | ✓       | ✓     |
//! | ReturnWithoutReceipt  |         | ✓       | ✓     |
//! | DiscountOverLimit     |         | ✓       | ✓     |
//! | PriceOverride         |         | ✓       | ✓     |
//! | CashOut               |         | ✓       | ✓     |
//! | ApproveCount          |         | ✓       | ✓     |
//! | ManageUsers           |         |         | ✓     |
//! | ConfigureDevices      |         | ✓       | ✓     |
//!
//! The table is the default of a [`PermissionTable`]; head office may
//! replace a role's row (its published roles), and [`authorize_in`] checks
//! against such a table.
//!
//! A cashier's no-sale drawer opens are allowed but logged (the shift keeps
//! them and head office flags unusual counts). Whether voiding a line needs a
//! manager is also a sale setting (`SaleConfig::void_line_needs_manager`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sells, takes payment, returns with a receipt.
    Cashier,
    /// Everything a cashier does plus approvals, cash out, counts.
    Manager,
    /// Everything, including user management.
    Admin,
}

/// An action that needs a particular role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Remove a line from an open sale.
    VoidLine,
    /// Cancel a whole open sale.
    VoidSale,
    /// Return goods against the original receipt.
    Return,
    /// Return goods without the original receipt.
    ReturnWithoutReceipt,
    /// Give a discount above the configured limit percentage.
    DiscountOverLimit,
    /// Type a price instead of the price book's.
    PriceOverride,
    /// Open the cash drawer without a sale.
    NoSale,
    /// Take cash out of the drawer.
    CashOut,
    /// Approve a stock count's variances (posts adjustments).
    ApproveCount,
    /// Receive a delivery into stock (the document names who did).
    Receive,
    /// Add, change and disable users.
    ManageUsers,
    /// Choose the till's printer, drawer, scanner and scale.
    ConfigureDevices,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 12] = [
        Permission::VoidLine,
        Permission::VoidSale,
        Permission::Return,
        Permission::ReturnWithoutReceipt,
        Permission::DiscountOverLimit,
        Permission::PriceOverride,
        Permission::NoSale,
        Permission::CashOut,
        Permission::ApproveCount,
        Permission::Receive,
        Permission::ManageUsers,
        Permission::ConfigureDevices,
    ];

    /// Stable snake_case name (same as the serde form).
    pub fn name(self) -> &'static str {
        match self {
            Permission::VoidLine => "void_line",
            Permission::VoidSale => "void_sale",
            Permission::Return => "return",
            Permission::ReturnWithoutReceipt => "return_without_receipt",
            Permission::DiscountOverLimit => "discount_over_limit",
            Permission::PriceOverride => "price_override",
            Permission::NoSale => "no_sale",
            Permission::CashOut => "cash_out",
            Permission::ApproveCount => "approve_count",
            Permission::Receive => "receive",
            Permission::ManageUsers => "manage_users",
            Permission::ConfigureDevices => "configure_devices",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Role {
    /// Whether this role may do `permission` without anyone's approval.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Manager => !matches!(permission, ManageUsers),
            Role::Cashier => matches!(permission, Return | NoSale | Receive),
        }
    }

    /// Stable lower-case name (`"cashier"`), the same as the serde form and
    /// the `role` column of `users.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = PermissionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            _ => Err(PermissionError::UnknownRole(s.to_string())),
        }
    }
}

/// The person doing an action: login and role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Operator {
    /// User login.
    pub login: String,
    /// The user's role.
    pub role: Role,
}

impl Operator {
    /// An operator.
    pub fn new(login: impl Into<String>, role: Role) -> Self {
        Operator {
            login: login.into(),
            role,
        }
    }
}

/// A manager's on-the-spot approval: the terminal has verified the
/// approver's PIN and passes who approved. Sale actions accept one to satisfy
/// a permission the operator lacks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ManagerApproval {
    /// Login of the approving user.
    pub approver_login: String,
    /// The approver's role.
    pub role: Role,
}

impl ManagerApproval {
    /// An approval by `approver_login` with `role`.
    pub fn new(approver_login: impl Into<String>, role: Role) -> Self {
        ManagerApproval {
            approver_login: approver_login.into(),
            role,
        }
    }
}

/// Who authorised an action: kept with the document for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Authorization {
    /// The permission exercised.
    pub permission: Permission,
    /// Login of the person whose role allowed it (the operator, or the
    /// approving manager).
    pub authorized_by: String,
    /// True when a manager approved it for an operator who lacked it.
    pub approved: bool,
}

/// The operator lacks `permission` and no (sufficient) approval was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{permission}' needs a manager — ask a manager to approve with their PIN{}",
    approver_note(.rejected_approver)
)]
pub struct PermissionDenied {
    /// The missing permission.
    pub permission: Permission,
    /// The login of an approver whose role did not allow it either.
    pub rejected_approver: Option<String>,
}

fn approver_note(rejected: &Option<String>) -> String {
    match rejected {
        Some(login) => format!(" ('{login}' may not approve this)"),
        None => String::new(),
    }
}

impl ErrorCode for PermissionDenied {
    fn code(&self) -> &'static str {
        "permission.needs_manager"
    }
}

/// Errors parsing permission data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    /// The role name is not one Kasa knows.
    #[error("unknown role '{0}' — use cashier, manager or admin")]
    UnknownRole(String),
}

impl ErrorCode for PermissionError {
    fn code(&self) -> &'static str {
        match self {
            PermissionError::UnknownRole(_) => "permission.unknown_role",
        }
    }
}

/// Which permissions each role holds without approval, as data: the
/// built-in table ([`Role::allows`]) unless a role's row was replaced (head
/// office publishes roles as lists of permissions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionTable {
    replaced: BTreeMap<Role, BTreeSet<Permission>>,
}

impl PermissionTable {
    /// Replace `role`'s row.
    pub fn set(&mut self, role: Role, permissions: BTreeSet<Permission>) {
        self.replaced.insert(role, permissions);
    }

    /// Whether `role` may do `permission` without approval.
    pub fn allows(&self, role: Role, permission: Permission) -> bool {
        match self.replaced.get(&role) {
            Some(row) => row.contains(&permission),
            None => role.allows(permission),
        }
    }

    /// True while no row is replaced.
    pub fn is_built_in(&self) -> bool {
        self.replaced.is_empty()
    }
}

/// Check that `operator` may do `permission`, directly or through
/// `approval`, by the built-in table. The operator's own role is checked
/// first; an approval is only used when needed.
pub fn authorize(
    operator: &Operator,
    permission: Permission,
    approval: Option<&ManagerApproval>,
) -> Result<Authorization, PermissionDenied> {
    authorize_in(&PermissionTable::default(), operator, permission, approval)
}

/// [`authorize`] by `table`.
pub fn authorize_in(
    table: &PermissionTable,
    operator: &Operator,
    permission: Permission,
    approval: Option<&ManagerApproval>,
) -> Result<Authorization, PermissionDenied> {
    if table.allows(operator.role, permission) {
        return Ok(Authorization {
            permission,
            authorized_by: operator.login.clone(),
            approved: false,
        });
    }
    match approval {
        Some(a) if table.allows(a.role, permission) => Ok(Authorization {
            permission,
            authorized_by: a.approver_login.clone(),
            approved: true,
        }),
        Some(a) => Err(PermissionDenied {
            permission,
            rejected_approver: Some(a.approver_login.clone()),
        }),
        None => Err(PermissionDenied {
            permission,
            rejected_approver: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_table() {
        use Permission::*;
        // (permission, cashier, manager, admin)
        let table = [
            (VoidLine, false, true, true),
            (VoidSale, false, true, true),
            (Return, true, true, true),
            (ReturnWithoutReceipt, false, true, true),
            (DiscountOverLimit, false, true, true),
            (PriceOverride, false, true, true),
            (NoSale, true, true, true),
            (CashOut, false, true, true),
            (ApproveCount, false, true, true),
            (Receive, true, true, true),
            (ManageUsers, false, false, true),
            (ConfigureDevices, false, true, true),
        ];
        assert_eq!(table.len(), Permission::ALL.len());
        for (p, c, m, a) in table {
            assert_eq!(Role::Cashier.allows(p), c, "cashier {p}");
            assert_eq!(Role::Manager.allows(p), m, "manager {p}");
            assert_eq!(Role::Admin.allows(p), a, "admin {p}");
        }
    }

    #[test]
    fn a_replaced_row_decides_for_its_role_only() {
        let mut table = PermissionTable::default();
        assert!(table.is_built_in());
        table.set(
            Role::Cashier,
            BTreeSet::from([Permission::VoidLine, Permission::Return]),
        );
        assert!(table.allows(Role::Cashier, Permission::VoidLine));
        assert!(!table.allows(Role::Cashier, Permission::NoSale));
        assert!(table.allows(Role::Manager, Permission::CashOut), "built in");
        let cashier = Operator::new("ana", Role::Cashier);
        assert!(authorize_in(&table, &cashier, Permission::VoidLine, None).is_ok());
        assert!(authorize(&cashier, Permission::VoidLine, None).is_err());
        table.set(Role::Manager, BTreeSet::new());
        let boss = ManagerApproval::new("boris", Role::Manager);
        let denied = authorize_in(&table, &cashier, Permission::CashOut, Some(&boss)).unwrap_err();
        assert_eq!(denied.rejected_approver.as_deref(), Some("boris"));
    }

    #[test]
    fn authorize_uses_own_role_then_approval() {
        let cashier = Operator::new("ana", Role::Cashier);
        let ok = authorize(&cashier, Permission::Return, None).unwrap();
        assert_eq!(ok.authorized_by, "ana");
        assert!(!ok.approved);

        let denied = authorize(&cashier, Permission::PriceOverride, None).unwrap_err();
        assert_eq!(denied.permission, Permission::PriceOverride);
        assert_eq!(denied.code(), "permission.needs_manager");

        let boss = ManagerApproval::new("boris", Role::Manager);
        let ok = authorize(&cashier, Permission::PriceOverride, Some(&boss)).unwrap();
        assert_eq!(ok.authorized_by, "boris");
        assert!(ok.approved);

        let other_cashier = ManagerApproval::new("vera", Role::Cashier);
        let denied = authorize(&cashier, Permission::VoidSale, Some(&other_cashier)).unwrap_err();
        assert_eq!(denied.rejected_approver.as_deref(), Some("vera"));
        assert!(denied.to_string().contains("vera"));

        let denied = authorize(&cashier, Permission::ManageUsers, Some(&boss)).unwrap_err();
        assert_eq!(denied.permission, Permission::ManageUsers);
    }

    #[test]
    fn names_round_trip_through_serde() {
        for p in Permission::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.name()));
        }
        for r in [Role::Cashier, Role::Manager, Role::Admin] {
            assert_eq!(r.name().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{r}\""));
        }
        assert_eq!(
            "boss".parse::<Role>().unwrap_err().code(),
            "permission.unknown_role"
        );
    }
}
