//! `customers.csv` (imported into the catalog) and `users.csv` (parsed here,
//! stored by the users module, which hashes the PINs).
//!
//! customers.csv header: `code,name,customer_group,credit_limit,balance`
//! - `customer_group` optional (created if unknown, named by its code);
//! - `credit_limit` = how much the customer may owe on account (0 = no
//!   on-account sales); `balance` = what they owe now. Both decimals ≥ 0,
//!   empty = 0. Upsert by `code`.
//!
//! users.csv header: `login,name,role,pin`; role ∈ cashier|manager|admin;
//! pin = 4–8 digits.

use std::io::Read;
use std::str::FromStr;

use kasa_domain::permission::Role;
use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;

use super::{
    CsvLayout, ImportOptions, ImportProgress, ImportReport, RejectedRow, Rejection, RowOutcome,
    run_csv,
};
use crate::catalog::CatalogError;
use crate::catalog::text::parse_decimal;
use crate::store::Store;

const CUSTOMERS: CsvLayout = CsvLayout {
    file: "customers.csv",
    columns: &["code", "name", "customer_group", "credit_limit", "balance"],
    required: 2,
    header: "code,name,customer_group,credit_limit,balance",
};

/// Import `customers.csv`.
pub fn import_customers<R: Read>(
    store: &mut Store,
    reader: R,
    mut progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, CatalogError> {
    let batch_rows = ImportOptions::default().batch_rows;
    run_csv(
        store,
        &CUSTOMERS,
        reader,
        batch_rows,
        &mut progress,
        |tx, f| {
            let code = f.at(0);
            let name = f.at(1);
            if code.is_empty() || name.is_empty() {
                return Ok(Err(Rejection::new(
                    "catalog.missing_field",
                    "a customer needs a code and a name",
                )));
            }
            let money = |column: usize, what: &str| -> Result<Decimal, Rejection> {
                parse_decimal(f.at(column), what)
                    .map(Option::unwrap_or_default)
                    .map_err(|m| Rejection::new("catalog.bad_decimal", m))
            };
            let (credit_limit, balance) = match (money(3, "credit_limit"), money(4, "balance")) {
                (Ok(c), Ok(b)) => (c, b),
                (Err(r), _) | (_, Err(r)) => return Ok(Err(r)),
            };
            let group = f.at(2);
            if !group.is_empty() {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO customer_groups (code, name) VALUES (?1, ?1)",
                )?
                .execute([group])?;
            }
            let existed: Option<i64> = tx
                .prepare_cached("SELECT 1 FROM customers WHERE code = ?1")?
                .query_row([code], |r| r.get(0))
                .optional()?;
            tx.prepare_cached(
                "INSERT INTO customers (code, name, customer_group, credit_limit, balance)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                customer_group = excluded.customer_group,
                credit_limit = excluded.credit_limit, balance = excluded.balance",
            )?
            .execute(params![
                code,
                name,
                (!group.is_empty()).then_some(group),
                credit_limit.to_string(),
                balance.to_string(),
            ])?;
            Ok(Ok(if existed.is_some() {
                RowOutcome::Updated
            } else {
                RowOutcome::Inserted
            }))
        },
        |_| Ok(()),
    )
}

/// One row of `users.csv`, validated; the PIN is still plain text and must be
/// hashed (argon2) by the users module before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Line in the file (header = 1).
    pub line: u64,
    /// Login name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The PIN as written (4–8 digits).
    pub pin: String,
}

/// Parse `users.csv`: valid rows, and the rejected ones with line numbers.
pub fn parse_users<R: Read>(reader: R) -> Result<(Vec<UserRow>, Vec<RejectedRow>), CatalogError> {
    const FILE: &str = "users.csv";
    const HEADER: &str = "login,name,role,pin";
    let read_error = |source| CatalogError::Read { file: FILE, source };
    let mut csv = csv::ReaderBuilder::new().from_reader(reader);
    let header = csv.headers().map_err(read_error)?.clone();
    let mut index = [0usize; 4];
    for (slot, column) in index.iter_mut().zip(["login", "name", "role", "pin"]) {
        *slot =
            header
                .iter()
                .position(|h| h.trim() == column)
                .ok_or(CatalogError::MissingColumn {
                    file: FILE,
                    column,
                    expected: HEADER,
                })?;
    }
    let mut users = Vec::new();
    let mut rejected = Vec::new();
    for record in csv.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(read_error(e)),
            Err(e) => {
                rejected.push(RejectedRow {
                    line: e.position().map_or(0, |p| p.line()),
                    key: String::new(),
                    code: "catalog.bad_row",
                    message: format!("{e} — rows need the columns {HEADER}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(index[i]).unwrap_or("").trim();
        let (login, name, role, pin) = (get(0), get(1), get(2), get(3));
        let reject = |code: &'static str, message: String| RejectedRow {
            line,
            key: login.to_string(),
            code,
            message,
        };
        if login.is_empty() {
            rejected.push(reject("catalog.missing_field", "the login is empty".into()));
            continue;
        }
        let Ok(role) = Role::from_str(role) else {
            rejected.push(reject(
                "catalog.unknown_role",
                format!("role `{role}` is unknown — use cashier, manager or admin"),
            ));
            continue;
        };
        if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            rejected.push(reject(
                "catalog.bad_pin",
                format!("the PIN of {login} must be 4 to 8 digits"),
            ));
            continue;
        }
        users.push(UserRow {
            line,
            login: login.to_string(),
            name: if name.is_empty() { login } else { name }.to_string(),
            role,
            pin: pin.to_string(),
        });
    }
    Ok((users, rejected))
}
