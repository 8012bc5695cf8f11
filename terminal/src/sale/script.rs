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
use kasa_domain::permission::ManagerApproval;
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Discount, SaleError, SaleResult, SaleSession, TenderRequest};
use crate::settings::TillSettings;
use crate::store::Store;
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

/// The people of a script, resolved from their PINs once.
#[derive(Debug, Clone)]
pub struct ScriptPeople {
    /// The cashier.
    pub cashier: User,
    /// The approving manager, if a PIN was given.
    pub approval: Option<ManagerApproval>,
}

impl ScriptPeople {
    /// Log the cashier in and check the approver's PIN.
    pub fn resolve(
        conn: &Connection,
        script: &SaleScript,
        at: NaiveDateTime,
    ) -> Result<ScriptPeople, SaleError> {
        let cashier = users::login_by_pin(conn, &script.cashier_pin, at)?;
        let approval = match &script.approval_pin {
            Some(pin) => {
                let approver = users::login_by_pin(conn, pin, at)?;
                Some(ManagerApproval::new(approver.login, approver.role))
            }
            None => None,
        };
        Ok(ScriptPeople { cashier, approval })
    }
}

/// Run a scripted sale: log in, ring up, pay, complete.
pub fn run_sale_script(
    store: &mut Store,
    settings: &TillSettings,
    script: &SaleScript,
    at: NaiveDateTime,
) -> Result<SaleResult, SaleError> {
    let people = ScriptPeople::resolve(store.conn(), script, at)?;
    run_sale_script_as(store, settings, script, &people, at)
}

/// Run a scripted sale with people already resolved.
pub fn run_sale_script_as(
    store: &mut Store,
    settings: &TillSettings,
    script: &SaleScript,
    people: &ScriptPeople,
    at: NaiveDateTime,
) -> Result<SaleResult, SaleError> {
    let approval = people.approval.as_ref();
    let mut session = SaleSession::start(
        store.conn(),
        settings,
        people.cashier.clone(),
        script.customer.as_deref(),
        at,
    )?;
    for line in &script.lines {
        let line_no = session.ring_up(store.conn(), settings, line.code()?, line.qty, at)?;
        if let Some(price) = line.price {
            session.override_price(line_no, price, approval)?;
        }
        match (line.discount_percent, line.discount_amount) {
            (None, None) => {}
            (Some(p), None) => session.discount_line(line_no, Discount::Percent(p), approval)?,
            (None, Some(a)) => session.discount_line(line_no, Discount::Amount(a), approval)?,
            (Some(_), Some(_)) => {
                return Err(SaleError::Script(
                    "a line has at most one of discount_percent or discount_amount".to_string(),
                ));
            }
        }
    }
    for line_no in &script.void_lines {
        session.void_line(*line_no, approval)?;
    }
    if let Some(d) = &script.receipt_discount {
        session.discount_receipt(d.to_discount()?, approval)?;
    }
    if script.park {
        let id = super::parked::park(store.conn(), &session, None, at)?;
        session = super::parked::recall(store.conn(), id)?;
    }
    if script.void {
        return super::void_sale(store, settings, session, approval, at);
    }
    for t in &script.tenders {
        session.add_tender(TenderRequest {
            kind: t.kind.clone(),
            amount: t.amount,
            reference: t.reference.clone(),
        })?;
    }
    super::complete_sale(store, settings, session, at)
}
