//! Tauri commands: each one locks the till session, makes one call on it
//! (`kasa_terminal::till::TillSession`, or the devices or sync) and turns
//! the answer into a DTO ([`crate::views`]) or an [`ApiError`] — at most 15
//! lines each, held by `commands_stay_short` below. Arguments are
//! snake_case on both sides (`rename_all = "snake_case"`) and every command
//! runs off the main thread (`async`), so a slow disk or device never
//! freezes the window.
//!
//! Manager approvals: a command that may need a manager takes an optional
//! `approval_pin` and hands it to the session, whose one approval path
//! (`kasa_terminal::till::approval`) checks the permission, uses the PIN
//! only when the user's role lacks it, and audits every approval. Without
//! a PIN the UI gets the error with the permission and opens the manager
//! dialog, then repeats the command with the PIN.
//!
//! This file also holds the typed-input parsing the commands share.

pub mod devices;
pub mod payment;
pub mod returns;
pub mod sale;
pub mod session;
pub mod shift;
pub mod stock;
pub mod system;

use kasa_domain::money::Money;
use kasa_domain::shift::TenderAmount as CountedAmount;
use kasa_terminal::sale::Discount;
use kasa_terminal::sale::returns::{ReturnRequest, ReturnScriptLine};
use kasa_terminal::sale::script::ScriptTender;
use kasa_terminal::stock::count::CountScope;
use kasa_terminal::stock::{ReceiveLine, ReceiveRequest};
use kasa_terminal::till::TillSession;
use rust_decimal::Decimal;

use crate::dto::{ReceiveInput, ReturnInput, TenderAmount};
use crate::error::{ApiError, ApiResult};

/// Parse a typed amount.
pub fn parse_money(what: &str, text: &str) -> ApiResult<Money> {
    Money::parse(text.trim().replace(',', ".").as_str()).map_err(|e| ApiError::input(what, e))
}

/// A typed amount, or `None` when nothing was typed.
pub fn optional_money(what: &str, text: Option<String>) -> ApiResult<Option<Money>> {
    text.filter(|a| !a.trim().is_empty())
        .map(|a| parse_money(what, &a))
        .transpose()
}

/// Parse a typed quantity (comma or dot decimals).
pub fn parse_qty(what: &str, text: &str) -> ApiResult<Decimal> {
    text.trim()
        .replace(',', ".")
        .parse::<Decimal>()
        .map_err(|e| ApiError::input(what, e))
}

/// A typed quantity, or 1 when nothing was typed.
pub fn times(text: Option<String>) -> ApiResult<Decimal> {
    match text.filter(|q| !q.trim().is_empty()) {
        Some(q) => parse_qty("quantity", &q),
        None => Ok(Decimal::ONE),
    }
}

/// A manager's PIN as typed (empty = none).
pub fn pin(approval_pin: &Option<String>) -> Option<&str> {
    approval_pin.as_deref().filter(|p| !p.is_empty())
}

/// A discount given as a percent or an amount (exactly one).
pub fn discount(percent: Option<String>, amount: Option<String>) -> ApiResult<Discount> {
    match (percent, amount) {
        (Some(p), None) => Ok(Discount::Percent(parse_qty("discount %", &p)?)),
        (None, Some(a)) => Ok(Discount::Amount(parse_money("discount amount", &a)?)),
        _ => Err(ApiError::input(
            "discount",
            "give either a percent or an amount",
        )),
    }
}

/// The counted amounts per tender of a shift close.
pub fn counted(counted: &[TenderAmount]) -> ApiResult<Vec<CountedAmount>> {
    counted
        .iter()
        .map(|t| {
            Ok(CountedAmount {
                kind: kasa_terminal::sale::tender_kind(&t.kind)?,
                amount: parse_money(&format!("counted {}", t.kind), &t.amount)?,
            })
        })
        .collect()
}

/// A count's scope: groups or SKUs make it partial.
pub fn count_scope(groups: Vec<String>, skus: Vec<String>) -> CountScope {
    match (groups.is_empty(), skus.is_empty()) {
        (true, true) => CountScope::Full,
        (false, _) => CountScope::Groups(groups),
        (true, false) => CountScope::Skus(skus),
    }
}

/// The return the returns screen asks for (one refund tender).
pub fn return_request(input: &ReturnInput) -> ApiResult<ReturnRequest> {
    let lines = input
        .lines
        .iter()
        .map(|l| {
            Ok(ReturnScriptLine {
                line: l.line_no,
                sku: None,
                barcode: None,
                code: l.code.clone(),
                qty: parse_qty("quantity", &l.qty)?,
                price: None,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ReturnRequest {
        original: input.original.clone().filter(|o| !o.trim().is_empty()),
        lines,
        tenders: vec![ScriptTender {
            kind: input.tender.clone(),
            amount: None,
            reference: None,
        }],
        reason: input.reason.clone(),
        customer: None,
    })
}

/// The delivery the receiving screen asks for: each typed code resolved
/// to its product (a packaging barcode multiplies the quantity).
pub fn receive_request(till: &TillSession, input: ReceiveInput) -> ApiResult<ReceiveRequest> {
    let lines = input
        .lines
        .iter()
        .map(|l| {
            let item = till.resolve(&l.code)?;
            Ok(ReceiveLine {
                sku: item.product.sku.clone(),
                qty: item.qty * parse_qty("quantity", &l.qty)?,
                unit_cost: l
                    .unit_cost
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .map(|c| parse_money("unit cost", c))
                    .transpose()?,
                batch: None,
                expiry: None,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ReceiveRequest {
        supplier: input.supplier,
        po: None,
        location: None,
        delivery_note: input.delivery_note,
        lines,
    })
}

#[cfg(test)]
mod length_tests;
