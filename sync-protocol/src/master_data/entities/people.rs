//! Payloads of people and rules: customer, customer group, user, role,
//! tax rate.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use kasa_domain::permission::{Permission, Role};
use kasa_domain::tax::VatRate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ChangeFault;
use super::fields::{Fields, MAX_AMOUNT, check_amount};

const CUSTOMER_FIELDS: &str = "name, customer_group, credit_limit, balance, code";
const GROUP_FIELDS: &str = "name, code";
const USER_FIELDS: &str = "role, pin_hash, name, active, login";
const ROLE_FIELDS: &str = "permissions";
const TAX_FIELDS: &str = "rate_percent, class, valid_from, valid_to";

/// A customer. The customer code is the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerData {
    /// The key.
    #[serde(skip)]
    pub code: String,
    /// Name.
    pub name: String,
    /// Customer group code, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_group: Option<String>,
    /// Credit limit for on-account sales (0 = none).
    pub credit_limit: Decimal,
    /// Balance head office knows (may be negative: prepaid).
    pub balance: Decimal,
}

impl CustomerData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let mut f = Fields::new(map);
        f.key_echo("code", key)?;
        let customer = CustomerData {
            code: key.to_owned(),
            name: f.required_text("name")?,
            customer_group: f.text("customer_group")?,
            credit_limit: f.amount("credit_limit")?.unwrap_or_default(),
            balance: f
                .decimal("balance")?
                .map(|b| check_amount("balance", b, -MAX_AMOUNT))
                .transpose()?
                .unwrap_or_default(),
        };
        f.finish(CUSTOMER_FIELDS)?;
        Ok(customer)
    }
}

/// A customer group. The group code is the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerGroupData {
    /// The key.
    #[serde(skip)]
    pub code: String,
    /// Name (the code when not given).
    pub name: String,
}

impl CustomerGroupData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let mut f = Fields::new(map);
        f.key_echo("code", key)?;
        let name = f.text("name")?.unwrap_or_else(|| key.to_owned());
        f.finish(GROUP_FIELDS)?;
        Ok(CustomerGroupData {
            code: key.to_owned(),
            name,
        })
    }
}

/// A till user. The login is the key. Head office never sends PINs, only
/// their argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserData {
    /// The key.
    #[serde(skip)]
    pub login: String,
    /// Name (the login when not given).
    pub name: String,
    /// Role.
    pub role: Role,
    /// The PIN's argon2 PHC string (`$argon2id$…`).
    pub pin_hash: String,
    /// May log in (a delete deactivates).
    pub active: bool,
}

impl UserData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let mut f = Fields::new(map);
        f.key_echo("login", key)?;
        let user = UserData {
            login: key.to_owned(),
            name: f.text("name")?.unwrap_or_else(|| key.to_owned()),
            role: f
                .parsed("role")?
                .ok_or(ChangeFault::MissingField { field: "role" })?,
            pin_hash: f.required_text("pin_hash")?,
            active: f.boolean("active")?.unwrap_or(true),
        };
        f.finish(USER_FIELDS)?;
        let phc = ["$argon2id$", "$argon2i$", "$argon2d$"]
            .iter()
            .any(|p| user.pin_hash.starts_with(p));
        if !phc || user.pin_hash.chars().any(char::is_whitespace) {
            return Err(ChangeFault::BadValue {
                field: "pin_hash",
                problem: "is not an argon2 PHC string ($argon2id$…); head office never sends PINs"
                    .into(),
            });
        }
        Ok(user)
    }
}

/// The role a key names.
pub(crate) fn role_key(key: &str) -> Result<Role, ChangeFault> {
    match key {
        "cashier" => Ok(Role::Cashier),
        "manager" => Ok(Role::Manager),
        "admin" => Ok(Role::Admin),
        _ => Err(ChangeFault::KeyForm {
            form: "cashier, manager or admin",
        }),
    }
}

/// What a role may do without a manager's approval. The role is the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleData {
    /// The key.
    #[serde(skip)]
    pub role: Role,
    /// Its permissions.
    pub permissions: BTreeSet<Permission>,
}

impl RoleData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let role = role_key(key)?;
        let mut f = Fields::new(map);
        let list = f
            .value("permissions")
            .ok_or(ChangeFault::MissingField {
                field: "permissions",
            })?
            .clone();
        f.finish(ROLE_FIELDS)?;
        let names: Vec<String> = match list {
            Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(other.to_string()),
                })
                .collect::<Result<_, _>>(),
            // CSV: names separated by `;`
            Value::String(s) => Ok(s
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()),
            other => Err(other.to_string()),
        }
        .map_err(|bad| ChangeFault::BadValue {
            field: "permissions",
            problem: format!("{bad} is not a list of permission names"),
        })?;
        let mut permissions = BTreeSet::new();
        for name in names {
            let permission = Permission::ALL
                .into_iter()
                .find(|p| p.name() == name)
                .ok_or_else(|| ChangeFault::BadValue {
                    field: "permissions",
                    problem: format!(
                        "{:?} is not a permission — use: {}",
                        name.chars().take(64).collect::<String>(),
                        Permission::ALL.map(Permission::name).join(", ")
                    ),
                })?;
            permissions.insert(permission);
        }
        if role == Role::Admin && !permissions.contains(&Permission::ManageUsers) {
            return Err(ChangeFault::BadValue {
                field: "permissions",
                problem:
                    "of admin must hold manage_users, or nobody could manage users at the till"
                        .into(),
            });
        }
        Ok(RoleData { role, permissions })
    }
}

/// Which VAT rate: `class/valid_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRateKey {
    /// The VAT class.
    pub class: String,
    /// The first day it applies.
    pub valid_from: NaiveDate,
}

impl TaxRateKey {
    pub(crate) fn parse(key: &str) -> Result<Self, ChangeFault> {
        let form = ChangeFault::KeyForm {
            form: "class/valid_from, like standard/2026-01-01",
        };
        let (class, from) = key.split_once('/').ok_or(form.clone())?;
        let valid_from = NaiveDate::parse_from_str(from, "%Y-%m-%d").map_err(|_| form.clone())?;
        if class.is_empty() {
            return Err(form);
        }
        Ok(TaxRateKey {
            class: class.to_owned(),
            valid_from,
        })
    }
}

/// A VAT rate: the domain's `VatRate`, class and first day from the key.
pub(crate) fn parse_tax_rate(key: &str, map: &Map<String, Value>) -> Result<VatRate, ChangeFault> {
    let TaxRateKey { class, valid_from } = TaxRateKey::parse(key)?;
    let mut f = Fields::new(map);
    f.key_echo("class", &class)?;
    if let Some(given) = f.date("valid_from")?
        && given != valid_from
    {
        return Err(ChangeFault::BadValue {
            field: "valid_from",
            problem: format!("{given} differs from the key's {valid_from}"),
        });
    }
    let rate_percent = f
        .decimal("rate_percent")?
        .ok_or(ChangeFault::MissingField {
            field: "rate_percent",
        })?;
    if rate_percent < Decimal::ZERO || rate_percent > Decimal::ONE_HUNDRED {
        return Err(ChangeFault::BadValue {
            field: "rate_percent",
            problem: format!("{rate_percent} is not from 0 to 100"),
        });
    }
    let valid_to = f.date("valid_to")?;
    if let Some(to) = valid_to
        && to < valid_from
    {
        return Err(ChangeFault::BadValue {
            field: "valid_to",
            problem: format!("{to} is before valid_from {valid_from}"),
        });
    }
    f.finish(TAX_FIELDS)?;
    Ok(VatRate {
        class,
        rate_percent,
        valid_from,
        valid_to,
    })
}
