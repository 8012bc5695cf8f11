//! Scripted sales: a whole sale as JSON, for demos, tests and load
//! (`kasa sell <file>`).
//!
//! ```json
//! {
//!   "cashier_pin": "1111",
//!   "customer": null,
//!   "lines": [
//!     {"barcode": "3800000000014"},
//!     {"sku": "MILK", "qty": "2", "discount_percent": "10"},
//!     {"plu": "101", "qty": "1.250"},
//!     {"sku": "WINE", "price": "9.99"},
//!     {"code": "2100101012503"}
//!   ],
//!   "void_lines": [],
//!   "receipt_discount": {"percent": "5"},
//!   "tenders": [{"kind": "cash", "amount": "50.00"}, {"kind": "card"}],
//!   "approval_pin": "9999",
//!   "park": false,
//!   "void": false
//! }
//! ```
//! - A line names exactly one of `barcode`, `sku`, `plu`, `code` (anything
//!   the scanner or keyboard would give). `qty` is a decimal (pieces, or kg
//!   for weighed goods; in-store weight barcodes carry their own weight).
//!   `discount_percent` / `discount_amount` discount the line; `price` is a
//!   manual price (needs a manager).
//! - `void_lines`: 1-based line numbers removed before payment (needs a
//!   manager unless the settings say otherwise).
//! - `receipt_discount`: `{"percent": "5"}` or `{"amount": "1.00"}`.
//! - `tenders`: `kind` ∈ `cash`, `card`, `voucher`, `on_account`; `amount`
//!   omitted = the rest of the total; `reference` = card slip / voucher code.
//!   `on_account` needs `customer` (credit limit checked).
//! - `approval_pin`: a manager's PIN, used only for the actions that need it
//!   (each use is audited).
//! - `park: true` parks the sale after ringing it up and recalls it before
//!   payment (as a cashier would); `void: true` voids the whole sale instead
//!   of paying (journaled as a void).

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Discount, SaleError, SaleResult, SaleSession, TenderRequest};
use crate::settings::TillSettings;
use crate::store::Store;
use crate::till::TillError;
use crate::till::approval::{ApprovalRequest, with_manager};
use crate::users::{self, User};

/// A scripted sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleScript {
    /// The cashier's PIN.
    pub cashier_pin: String,
    /// Customer code.
    #[serde(default)]
    pub customer: Option<String>,
    /// Lines.
    pub lines: Vec<ScriptLine>,
    /// Lines to void before payment (1-based).
    #[serde(default)]
    pub void_lines: Vec<u32>,
    /// A receipt discount.
    #[serde(default)]
    pub receipt_discount: Option<ScriptDiscount>,
    /// Payments.
    #[serde(default)]
    pub tenders: Vec<ScriptTender>,
    /// A manager's PIN for actions that need one.
    #[serde(default)]
    pub approval_pin: Option<String>,
    /// Park and recall before payment.
    #[serde(default)]
    pub park: bool,
    /// Void the sale instead of paying.
    #[serde(default)]
    pub void: bool,
}

/// One scripted line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptLine {
    /// A scanned barcode.
    #[serde(default)]
    pub barcode: Option<String>,
    /// A SKU.
    #[serde(default)]
    pub sku: Option<String>,
    /// A PLU.
    #[serde(default)]
    pub plu: Option<String>,
    /// Anything typed or scanned.
    #[serde(default)]
    pub code: Option<String>,
    /// Quantity (pieces or kg).
    #[serde(default)]
    pub qty: Option<Decimal>,
    /// Line discount in percent.
    #[serde(default)]
    pub discount_percent: Option<Decimal>,
    /// Line discount as an amount.
    #[serde(default)]
    pub discount_amount: Option<Money>,
    /// Manual unit price.
    #[serde(default)]
    pub price: Option<Money>,
}

impl ScriptLine {
    fn code(&self) -> Result<&str, SaleError> {
        let given: Vec<&str> = [&self.barcode, &self.sku, &self.plu, &self.code]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        match given.as_slice() {
            [one] => Ok(one),
            _ => Err(SaleError::Script(
                "each line needs exactly one of barcode, sku, plu or code".to_string(),
            )),
        }
    }
}

/// A scripted discount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptDiscount {
    /// Percent off.
    #[serde(default)]
    pub percent: Option<Decimal>,
    /// Amount off.
    #[serde(default)]
    pub amount: Option<Money>,
}

impl ScriptDiscount {
    fn to_discount(&self) -> Result<Discount, SaleError> {
        match (self.percent, self.amount) {
            (Some(p), None) => Ok(Discount::Percent(p)),
            (None, Some(a)) => Ok(Discount::Amount(a)),
            _ => Err(SaleError::Script(
                "a discount has exactly one of percent or amount".to_string(),
            )),
        }
    }
}

/// A scripted payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptTender {
    /// `cash`, `card`, `voucher`, `on_account`.
    pub kind: String,
    /// Amount; omitted = the rest.
    #[serde(default)]
    pub amount: Option<Money>,
    /// Slip / voucher code.
    #[serde(default)]
    pub reference: Option<String>,
}

/// The people of a script: the cashier, logged in once, and the manager's
/// PIN, checked (and audited) by the till's approval path each time an
/// action needs it.
#[derive(Debug, Clone)]
pub struct ScriptPeople {
    /// The cashier.
    pub cashier: User,
    /// The manager's PIN, if the script gives one.
    pub approval_pin: Option<String>,
}

impl ScriptPeople {
    /// Log the cashier in.
    pub fn resolve(
        conn: &Connection,
        script: &SaleScript,
        at: NaiveDateTime,
    ) -> Result<ScriptPeople, SaleError> {
        let cashier = users::login_by_pin(conn, &script.cashier_pin, at)?;
        Ok(ScriptPeople {
            cashier,
            approval_pin: script.approval_pin.clone(),
        })
    }
}

/// Run a scripted sale: log in, ring up, pay, complete.
pub fn run_sale_script(
    store: &mut Store,
    settings: &TillSettings,
    script: &SaleScript,
    at: NaiveDateTime,
) -> Result<SaleResult, TillError> {
    let people = ScriptPeople::resolve(store.conn(), script, at)?;
    run_sale_script_as(store, settings, script, &people, at)
}

/// Run a scripted sale with people already resolved. Every action a
/// manager may have to approve goes through [`with_manager`].
pub fn run_sale_script_as(
    store: &mut Store,
    settings: &TillSettings,
    script: &SaleScript,
    people: &ScriptPeople,
    at: NaiveDateTime,
) -> Result<SaleResult, TillError> {
    let operator = people.cashier.operator();
    let mut session = SaleSession::start(
        store.conn(),
        settings,
        people.cashier.clone(),
        script.customer.as_deref(),
        at,
    )?;
    let approval = ApprovalRequest {
        operator: &operator,
        pin: people.approval_pin.as_deref(),
        document_id: Some(session.id),
        at,
    };
    for line in &script.lines {
        let line_no = session.ring_up(store.conn(), settings, line.code()?, line.qty, at)?;
        if let Some(price) = line.price {
            with_manager(store, approval, |_, a| {
                session.override_price(line_no, price, a)
            })?;
        }
        let discount = match (line.discount_percent, line.discount_amount) {
            (None, None) => None,
            (Some(p), None) => Some(Discount::Percent(p)),
            (None, Some(a)) => Some(Discount::Amount(a)),
            (Some(_), Some(_)) => {
                return Err(SaleError::Script(
                    "a line has at most one of discount_percent or discount_amount".to_string(),
                )
                .into());
            }
        };
        if let Some(d) = discount {
            with_manager(store, approval, |_, a| session.discount_line(line_no, d, a))?;
        }
    }
    for line_no in &script.void_lines {
        with_manager(store, approval, |_, a| session.void_line(*line_no, a))?;
    }
    if let Some(d) = &script.receipt_discount {
        let d = d.to_discount()?;
        with_manager(store, approval, |_, a| session.discount_receipt(d, a))?;
    }
    if script.park {
        let id = super::parked::park(store.conn(), &session, None, at)?;
        session = super::parked::recall(store.conn(), id)?;
    }
    if script.void {
        return with_manager(store, approval, |store, a| {
            super::void_sale(store, settings, session.clone(), a, at)
        });
    }
    for t in &script.tenders {
        session.add_tender(TenderRequest {
            kind: t.kind.clone(),
            amount: t.amount,
            reference: t.reference.clone(),
        })?;
    }
    Ok(super::complete_sale(store, settings, session, at)?)
}
