//! Returns at the till: against the original receipt (by its number; at
//! most what was sold minus what was already returned) or without it
//! (needs a manager). The rules and refund arithmetic are
//! [`kasa_domain::returns`]; this module reads the original and earlier
//! returns inside the write transaction (so two tills returning the same
//! receipt at once cannot both pass the limit), and writes the `Return`
//! document with its refund tenders (negative: money leaves the drawer),
//! stock movements back in, journal entry, outbox record and audit.
//!
//! Return script (`kasa return <file>`):
//! ```json
//! {"cashier_pin": "1111", "original": "0000000042",
//!  "lines": [{"line": 2, "qty": "1"}],
//!  "tenders": [{"kind": "cash"}], "approval_pin": null, "reason": "broken"}
//! ```
//! Without `original`, lines name a product (`sku`/`barcode`/`code`) with
//! `qty` and optionally `price` (default: today's price), and a manager's
//! `approval_pin` is needed. `tenders`: non-cash refunds need an `amount`;
//! cash without an amount (or no tenders at all) pays out the rest,
//! cash-rounded.
//!
//! Two entry points: [`run_return_script`] logs the cashier in by PIN (the
//! CLI), [`run_return_as`] takes a [`User`] who is already logged in and
//! the manager's approval if one was taken (the till session,
//! `crate::till::TillSession::make_return`). Both run the same
//! [`ReturnRequest`], and both take a manager's approval through
//! `crate::till::approval` (checked and audited). [`returnable_sale`] shows, per line of
//! an original sale, what was sold, what earlier returns took back and
//! what can still be returned.

use chrono::NaiveDateTime;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::permission::ManagerApproval;
use kasa_domain::pricing::{PriceRequest, price_line};
use kasa_domain::returns::{
    CompletedReturn, ReturnContext, ReturnLine, ReturnRequestLine, ReturnedQty, UnreceiptedLine,
    return_against_sale, return_without_receipt,
};
use kasa_domain::sale::{CompletedSale, ProductSnapshot};
use kasa_domain::tender::{Tender, TenderKind, refund_cash_due};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{SaleError, tender_kind};
use crate::catalog;
use crate::documents::{self, DocumentLine, DocumentTender, NewDocument};
use crate::settings::TillSettings;
use crate::shift;
use crate::store::Store;
use crate::till::TillError;
use crate::till::approval::{ApprovalRequest, with_manager};
use crate::users::{self, AuditEntry, User};

/// A scripted return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnScript {
    /// The cashier's PIN.
    pub cashier_pin: String,
    /// The original sale's number; `None` = without receipt.
    #[serde(default)]
    pub original: Option<String>,
    /// Lines.
    pub lines: Vec<ReturnScriptLine>,
    /// Refund tenders.
    #[serde(default)]
    pub tenders: Vec<super::script::ScriptTender>,
    /// A manager's PIN.
    #[serde(default)]
    pub approval_pin: Option<String>,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// Customer (without receipt, for an on-account refund).
    #[serde(default)]
    pub customer: Option<String>,
}

/// A return without anyone's PIN: what
/// [`run_return_as`] runs for a user who is already logged in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReturnRequest {
    /// The original sale's number; `None` = without receipt.
    pub original: Option<String>,
    /// Lines.
    pub lines: Vec<ReturnScriptLine>,
    /// Refund tenders.
    pub tenders: Vec<super::script::ScriptTender>,
    /// Why.
    pub reason: Option<String>,
    /// Customer (without receipt, for an on-account refund).
    pub customer: Option<String>,
}

impl ReturnScript {
    /// The request part of the script (everything but the PINs).
    pub fn request(&self) -> ReturnRequest {
        ReturnRequest {
            original: self.original.clone(),
            lines: self.lines.clone(),
            tenders: self.tenders.clone(),
            reason: self.reason.clone(),
            customer: self.customer.clone(),
        }
    }
}

/// One scripted return line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnScriptLine {
    /// Original line number (with receipt).
    #[serde(default)]
    pub line: Option<u32>,
    /// SKU (without receipt).
    #[serde(default)]
    pub sku: Option<String>,
    /// Barcode (without receipt).
    #[serde(default)]
    pub barcode: Option<String>,
    /// Any code (without receipt).
    #[serde(default)]
    pub code: Option<String>,
    /// Quantity.
    pub qty: Decimal,
    /// Refund unit price (without receipt; default today's price).
    #[serde(default)]
    pub price: Option<Money>,
}

/// The result of a return.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnResult {
    /// Document id.
    pub id: Uuid,
    /// Return number.
    pub number: String,
    /// The original sale's number.
    pub original: Option<String>,
    /// Refunded.
    pub total: Money,
    /// VAT refunded.
    pub vat_total: Money,
    /// Cash paid out.
    pub cash_paid_out: Money,
    /// Lines `(sku, qty, refund)`.
    pub lines: Vec<(String, Decimal, Money)>,
}

impl ReturnResult {
    /// Text form.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "return {}{}\n",
            self.number,
            self.original
                .as_deref()
                .map(|o| format!(" of sale {o}"))
                .unwrap_or_else(|| " without receipt".to_string())
        );
        for (sku, qty, refund) in &self.lines {
            s.push_str(&format!("  {sku:<14} {qty:>8} {refund:>10}\n"));
        }
        s.push_str(&format!(
            "refund {} (VAT {}), cash paid out {}\n",
            self.total, self.vat_total, self.cash_paid_out
        ));
        s
    }
}

/// Already returned quantities of the lines of `original_id`.
fn already_returned(conn: &Connection, original_id: Uuid) -> Result<Vec<ReturnedQty>, SaleError> {
    let mut out = Vec::new();
    for doc in documents::referring_to(conn, original_id)? {
        if doc.doc_type != DocumentType::Return {
            continue;
        }
        for l in &doc.lines {
            if let Some(line_no) = l.original_line_no {
                out.push(ReturnedQty {
                    line_no,
                    qty: l.qty.abs(),
                });
            }
        }
    }
    Ok(out)
}

/// One line of an original sale as the returns screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnableLine {
    /// The original line number (what a return names).
    pub line_no: u32,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Sold.
    pub sold: Decimal,
    /// Taken back by earlier returns.
    pub returned: Decimal,
    /// What can still be returned (`sold − returned`, never below 0).
    pub returnable: Decimal,
    /// Unit price.
    pub unit_price: Money,
    /// What the customer paid for the whole line.
    pub payable: Money,
}

/// An original sale with what can still be returned of each line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnableSale {
    /// Document id.
    pub id: Uuid,
    /// Sale number.
    pub number: String,
    /// Completed at.
    pub completed_at: NaiveDateTime,
    /// Sale total.
    pub total: Money,
    /// Lines.
    pub lines: Vec<ReturnableLine>,
}

/// The sale `number` (`42`, `0000000042` or the receipt barcode's
/// `SA-0000000042`) with, per line, the quantity already returned by
/// earlier returns and what is left to return.
pub fn returnable_sale(
    conn: &Connection,
    settings: &TillSettings,
    number: &str,
) -> Result<ReturnableSale, SaleError> {
    let doc = documents::find_by_number(conn, settings, DocumentType::Sale, number.trim())?;
    let sale: CompletedSale =
        serde_json::from_value(doc.body.clone()).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    let already = already_returned(conn, doc.id)?;
    let lines = sale
        .lines
        .iter()
        .map(|l| {
            let returned: Decimal = already
                .iter()
                .filter(|r| r.line_no == l.line_no)
                .map(|r| r.qty)
                .sum();
            ReturnableLine {
                line_no: l.line_no,
                sku: l.product.sku.clone(),
                name: l.product.name.clone(),
                sold: l.qty,
                returned,
                returnable: (l.qty - returned).max(Decimal::ZERO),
                unit_price: l.unit_price,
                payable: l.payable,
            }
        })
        .collect();
    Ok(ReturnableSale {
        id: doc.id,
        number: doc.number,
        completed_at: doc.completed_at,
        total: doc.total,
        lines,
    })
}

/// Build refund tenders: amount-less cash = the rest, cash-rounded.
fn refund_tenders(
    requested: &[super::script::ScriptTender],
    refund_due: Money,
    settings: &TillSettings,
) -> Result<Vec<Tender>, SaleError> {
    let mut tenders = Vec::new();
    let mut non_cash = Money::ZERO;
    for t in requested {
        let kind = tender_kind(&t.kind)?;
        if kind != TenderKind::Cash {
            let amount = t.amount.ok_or_else(|| {
                SaleError::Script(format!("a {} refund needs an amount", kind.name()))
            })?;
            non_cash += amount;
        }
    }
    for t in requested {
        let kind = tender_kind(&t.kind)?;
        let amount = match (kind, t.amount) {
            (_, Some(a)) => a,
            (_, None) => refund_cash_due(refund_due, non_cash, &settings.cash_rounding),
        };
        let mut tender = Tender::new(kind, amount);
        tender.reference = t.reference.clone();
        tenders.push(tender);
    }
    Ok(tenders)
}

/// Run a scripted return: the cashier is logged in by the script's PIN and
/// the script's `approval_pin`, when the return needs a manager, goes
/// through the till's approval path (checked and audited).
pub fn run_return_script(
    store: &mut Store,
    settings: &TillSettings,
    script: &ReturnScript,
    at: NaiveDateTime,
) -> Result<ReturnResult, TillError> {
    let cashier = users::login_by_pin(store.conn(), &script.cashier_pin, at)?;
    let operator = cashier.operator();
    let request = script.request();
    let approval = ApprovalRequest {
        operator: &operator,
        pin: script.approval_pin.as_deref(),
        document_id: None,
        at,
    };
    with_manager(store, approval, |store, approval| {
        run_return_as(store, settings, &cashier, &request, approval, at)
    })
}

/// The return worked out by the domain, with what the document needs
/// beside it.
struct PlannedReturn {
    done: CompletedReturn,
    original_number: Option<String>,
    customer: Option<String>,
}

/// Run a return for `cashier`, who is already logged in, with a manager's
/// `approval` when one was taken (see [`crate::till::approval`]): plan it
/// against the receipt or without one, then store the `Return` document and
/// its audit entry in one transaction.
pub fn run_return_as(
    store: &mut Store,
    settings: &TillSettings,
    cashier: &User,
    request: &ReturnRequest,
    approval: Option<&ManagerApproval>,
    at: NaiveDateTime,
) -> Result<ReturnResult, SaleError> {
    let tx = store.write_tx()?;
    let shift = shift::require_shift(&tx, settings)?;
    let ctx = ReturnContext {
        id: documents::new_id(),
        operator: cashier.operator(),
        at,
        cash_rounding: settings.cash_rounding,
        reason: request.reason.clone(),
    };
    let planned = match &request.original {
        Some(number) => plan_with_receipt(&tx, settings, number, request, &ctx, approval)?,
        None => plan_without_receipt(&tx, settings, request, &ctx, approval)?,
    };
    let movements = super::movements::return_movements(&tx, settings, &planned.done)?;
    if let Some(code) = &planned.customer {
        super::charge_account(&tx, code, -planned.done.refund.account_credit)?;
    }
    let document = return_document(settings, cashier, &planned, shift.id, movements)?;
    let completed = documents::complete_document(&tx, settings, document)?;
    audit_return(&tx, cashier, &planned, request.reason.as_deref())?;
    tx.commit()?;
    let done = &planned.done;
    Ok(ReturnResult {
        id: completed.id,
        number: completed.number,
        original: planned.original_number.clone(),
        total: done.refund_total,
        vat_total: done.vat.total_vat(),
        cash_paid_out: done.refund.cash_paid_out,
        lines: done
            .lines
            .iter()
            .map(|l| (l.product.sku.clone(), l.qty, l.refund))
            .collect(),
    })
}

/// A return against the original sale `number`: lines named by their
/// original line number, limited to what is still returnable.
fn plan_with_receipt(
    tx: &Connection,
    settings: &TillSettings,
    number: &str,
    request: &ReturnRequest,
    ctx: &ReturnContext,
    approval: Option<&ManagerApproval>,
) -> Result<PlannedReturn, SaleError> {
    let doc = documents::find_by_number(tx, settings, DocumentType::Sale, number)?;
    let original: CompletedSale =
        serde_json::from_value(doc.body.clone()).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    let already = already_returned(tx, doc.id)?;
    let lines = request
        .lines
        .iter()
        .map(|l| {
            let line_no = l.line.ok_or_else(|| {
                SaleError::Script(
                    "a return against a receipt names each line by its `line` number".to_string(),
                )
            })?;
            Ok(ReturnRequestLine {
                line_no,
                qty: l.qty,
            })
        })
        .collect::<Result<Vec<_>, SaleError>>()?;
    let run = |tenders: &[Tender]| {
        return_against_sale(&original, &already, &lines, ctx, approval, tenders)
    };
    let probe = run(&[])?;
    let tenders = refund_tenders(&request.tenders, probe.refund_total, settings)?;
    Ok(PlannedReturn {
        done: run(&tenders)?,
        original_number: Some(doc.number.clone()),
        customer: original.customer.map(|c| c.code),
    })
}

/// A return without the receipt: products by code, today's price unless
/// given; needs a manager (the domain's rule).
fn plan_without_receipt(
    tx: &Connection,
    settings: &TillSettings,
    request: &ReturnRequest,
    ctx: &ReturnContext,
    approval: Option<&ManagerApproval>,
) -> Result<PlannedReturn, SaleError> {
    let lines = request
        .lines
        .iter()
        .map(|l| unreceipted_line(tx, settings, l, ctx.at))
        .collect::<Result<Vec<_>, _>>()?;
    let run = |tenders: &[Tender]| {
        return_without_receipt(
            &lines,
            settings.currency,
            settings.price_mode,
            ctx,
            approval,
            tenders,
        )
    };
    let probe = run(&[])?;
    let tenders = refund_tenders(&request.tenders, probe.refund_total, settings)?;
    Ok(PlannedReturn {
        done: run(&tenders)?,
        original_number: None,
        customer: request.customer.clone(),
    })
}

/// The `Return` document: lines and tenders negative (goods come back,
/// money leaves the drawer).
fn return_document(
    settings: &TillSettings,
    cashier: &User,
    planned: &PlannedReturn,
    shift_id: Uuid,
    movements: Vec<kasa_domain::stock::StockMovement>,
) -> Result<NewDocument, SaleError> {
    let done = &planned.done;
    let total = done.refund_total;
    Ok(NewDocument {
        id: done.id,
        doc_type: DocumentType::Return,
        author: cashier.login.clone(),
        created_at: done.at,
        completed_at: done.at,
        total: -total,
        vat_total: -done.vat.total_vat(),
        customer: planned.customer.clone(),
        original_id: done.original_sale,
        shift_id: Some(shift_id),
        lines: done
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| return_line(settings, i as u32 + 1, l))
            .collect(),
        tenders: done
            .tenders
            .iter()
            .map(|t| DocumentTender {
                kind: t.kind.name().to_string(),
                amount: -t.amount,
                reference: t.reference.clone(),
            })
            .collect(),
        movements,
        journal: documents::journal_event(DocumentType::Return, total),
        body: serde_json::to_value(done).map_err(|e| SaleError::Corrupt(e.to_string()))?,
    })
}

/// One document line of a return (negative quantity and total).
fn return_line(settings: &TillSettings, line_no: u32, l: &ReturnLine) -> DocumentLine {
    DocumentLine {
        line_no,
        sku: l.product.sku.clone(),
        name: l.product.name.clone(),
        qty: -l.qty,
        unit_price: if l.qty.is_zero() {
            l.refund
        } else {
            Money(l.refund.0 / l.qty).round(
                settings.currency,
                kasa_domain::money::RoundingRule::HalfAwayFromZero,
            )
        },
        discount: Money::ZERO,
        total: -l.refund,
        vat_class: l.product.vat_class.clone(),
        vat_rate: l.product.vat_rate_percent,
        vat_amount: -l.vat,
        price_rule: if l.original_line_no.is_some() {
            "original".to_string()
        } else {
            "refund_price".to_string()
        },
        unit_cost: l.unit_cost,
        original_line_no: l.original_line_no,
    }
}

/// The audit entry of a return: with or without receipt, who approved it.
fn audit_return(
    tx: &Connection,
    cashier: &User,
    planned: &PlannedReturn,
    reason: Option<&str>,
) -> Result<(), SaleError> {
    let done = &planned.done;
    let auth = &done.authorization;
    users::audit(
        tx,
        &AuditEntry {
            at: done.at,
            actor: &cashier.login,
            action: if done.original_sale.is_some() {
                "return.with_receipt"
            } else {
                "return.without_receipt"
            },
            approved_by: auth.approved.then_some(auth.authorized_by.as_str()),
            document_id: Some(done.id),
            detail: serde_json::json!({
                "original": planned.original_number,
                "refund": done.refund_total,
                "reason": reason,
            }),
        },
    )?;
    Ok(())
}

fn unreceipted_line(
    conn: &Connection,
    settings: &TillSettings,
    l: &ReturnScriptLine,
    at: NaiveDateTime,
) -> Result<UnreceiptedLine, SaleError> {
    let code = [&l.sku, &l.barcode, &l.code]
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| {
            SaleError::Script(
                "a return without a receipt names each product by sku, barcode or code".to_string(),
            )
        })?;
    let item = catalog::find_by_code(conn, code, &settings.barcodes)?
        .ok_or_else(|| SaleError::UnknownCode(code.clone()))?;
    let p = &item.product;
    let qty = l.qty * item.qty;
    let unit_price = match l.price {
        Some(price) => price,
        None => {
            let inputs = catalog::pricing_inputs(conn, &p.sku, &settings.store_id, None)?;
            price_line(
                &inputs,
                &PriceRequest {
                    store: &settings.store_id,
                    customer_group: None,
                    qty,
                    at,
                },
                settings.currency,
            )?
            .unit_price
        }
    };
    Ok(UnreceiptedLine {
        product: ProductSnapshot {
            sku: p.sku.clone(),
            name: p.name.clone(),
            unit: p.unit,
            vat_class: p.vat_class.clone(),
            vat_rate_percent: settings.vat.rate_for(&p.vat_class, at.date())?,
        },
        qty,
        unit_price,
        unit_cost: p.cost,
    })
}

#[cfg(test)]
#[path = "returns_tests.rs"]
mod tests;
