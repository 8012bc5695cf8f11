//! Completing and voiding a sale: the one transaction that makes it exist.

use chrono::NaiveDateTime;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::numbering::DocNumber;
use kasa_domain::permission::ManagerApproval;
use kasa_domain::pricing::PriceRule;
use kasa_domain::sale::Sale;
use kasa_domain::tender::TenderKind;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{SaleError, SaleResult, SaleSession, movements};
use crate::documents::{self, DocumentLine, DocumentTender, JournalEvent, NewDocument};
use crate::settings::TillSettings;
use crate::shift;
use crate::store::Store;
use crate::users::{self, AuditEntry};

/// Write the sale's approvals to the audit log.
fn audit_sale(
    conn: &Connection,
    sale: &Sale,
    actor: &str,
    document_id: Uuid,
    at: NaiveDateTime,
) -> Result<(), rusqlite::Error> {
    for entry in &sale.audit {
        let a = &entry.authorization;
        users::audit(
            conn,
            &AuditEntry {
                at,
                actor,
                action: &format!("sale.{}", a.permission.name()),
                approved_by: a.approved.then_some(a.authorized_by.as_str()),
                document_id: Some(document_id),
                detail: serde_json::json!({ "line_no": entry.line_no }),
            },
        )?;
    }
    Ok(())
}

/// Add `charge` to a customer's account balance (on-account tender).
pub(crate) fn charge_account(
    conn: &Connection,
    code: &str,
    charge: Money,
) -> Result<(), SaleError> {
    if charge.is_zero() {
        return Ok(());
    }
    let balance: Option<String> = conn
        .query_row(
            "SELECT balance FROM customers WHERE code = ?1",
            [code],
            |r| r.get(0),
        )
        .optional()?;
    let balance = balance.ok_or_else(|| SaleError::UnknownCustomer(code.to_string()))?;
    let balance = Money::parse(&balance).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    conn.execute(
        "UPDATE customers SET balance = ?1 WHERE code = ?2",
        params![(balance + charge).0.to_string(), code],
    )?;
    Ok(())
}

/// Key of the N-18 unique sale number in a sale document's body.
pub const N18_BODY_KEY: &str = "n18_sale_number";

/// The Bulgarian N-18 unique sale number of the sale with document number
/// `seq`: the till's fiscal device id ([`TillSettings::n18_device_id`]),
/// the operator's 4-digit code (`users.operator_code`) and the 7-digit
/// sequence. The sequence is the sale's own gapless document number; past
/// 9,999,999 it starts again at 1 (the device id + operator + date on the
/// receipt keep it unique).
pub(crate) fn n18_sale_number(
    conn: &Connection,
    settings: &TillSettings,
    operator: &str,
    seq: u64,
) -> Result<String, SaleError> {
    let operator_code = users::operator_code(conn, operator)?.unwrap_or_else(|| "0000".into());
    let max = u64::from(kasa_domain::numbering::N18_MAX_SEQ);
    let n18_seq =
        u32::try_from((seq.max(1) - 1) % max + 1).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    kasa_domain::numbering::n18_sale_number(&settings.n18_device_id(), &operator_code, n18_seq)
        .map_err(|e| {
            SaleError::Corrupt(format!(
                "{e} — set `fiscal_device_id` (8 letters/digits) in the store configuration"
            ))
        })
}

fn rule_name(rule: &PriceRule) -> String {
    match serde_json::to_value(rule) {
        Ok(v) => v["rule"].as_str().unwrap_or("base").to_string(),
        Err(_) => "base".to_string(),
    }
}

/// Complete a paid sale: one transaction with everything (see module docs).
pub fn complete_sale(
    store: &mut Store,
    settings: &TillSettings,
    session: SaleSession,
    at: NaiveDateTime,
) -> Result<SaleResult, SaleError> {
    let done = session.sale.complete(at)?;
    let tx = store.write_tx()?;
    let shift = shift::require_shift(&tx, settings)?;
    let lines: Vec<DocumentLine> = done
        .lines
        .iter()
        .map(|l| DocumentLine {
            line_no: l.line_no,
            sku: l.product.sku.clone(),
            name: l.product.name.clone(),
            qty: l.qty,
            unit_price: l.unit_price,
            discount: l.discount_total(),
            total: l.payable,
            vat_class: l.product.vat_class.clone(),
            vat_rate: l.product.vat_rate_percent,
            vat_amount: l.vat,
            price_rule: rule_name(&l.rule),
            unit_cost: l.cost,
            original_line_no: None,
        })
        .collect();
    let mut tenders: Vec<DocumentTender> = done
        .tenders
        .iter()
        .map(|t| DocumentTender {
            kind: t.kind.name().to_string(),
            amount: t.amount,
            reference: t.reference.clone(),
        })
        .collect();
    if !done.change().is_zero() {
        tenders.push(DocumentTender {
            kind: TenderKind::Cash.name().to_string(),
            amount: -done.change(),
            reference: Some("change".to_string()),
        });
    }
    let movements = movements::sale_movements(&tx, settings, &done)?;
    if let (Some(c), charge) = (&done.customer, done.settlement.account_charge) {
        charge_account(&tx, &c.code, charge)?;
    }
    // The number complete_document is about to allocate: this is a write
    // transaction (BEGIN IMMEDIATE), so nobody can take it in between.
    let seq = documents::numbering::peek_next(
        &tx,
        &settings.store_id,
        &settings.terminal_id,
        DocumentType::Sale.code(),
    )?;
    let sale_number = n18_sale_number(&tx, settings, &done.operator, seq)?;
    let mut body = serde_json::to_value(&done).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    body[N18_BODY_KEY] = serde_json::Value::String(sale_number.clone());
    let completed = documents::complete_document(
        &tx,
        settings,
        NewDocument {
            id: done.id,
            doc_type: DocumentType::Sale,
            author: done.operator.clone(),
            created_at: done.opened_at,
            completed_at: at,
            total: done.total,
            vat_total: done.vat.total_vat(),
            customer: done.customer.as_ref().map(|c| c.code.clone()),
            original_id: None,
            shift_id: Some(shift.id),
            lines,
            tenders,
            movements,
            journal: documents::journal_event(DocumentType::Sale, done.total),
            body,
        },
    )?;
    if completed.number != DocNumber(seq).to_string() {
        return Err(SaleError::Corrupt(format!(
            "sale number {} differs from the expected {} — the N-18 number would not match; \
             nothing was saved, try again",
            completed.number,
            DocNumber(seq)
        )));
    }
    audit_sale(&tx, &session.sale, &session.cashier.login, done.id, at)?;
    tx.commit()?;
    Ok(SaleResult::completed(&completed, &done, Some(sale_number)))
}

/// Void an open sale (needs a manager when it has lines): a `VoidSale`
/// document, journaled, audited.
pub fn void_sale(
    store: &mut Store,
    settings: &TillSettings,
    mut session: SaleSession,
    approval: Option<&ManagerApproval>,
    at: NaiveDateTime,
) -> Result<SaleResult, SaleError> {
    let totals = session.sale.totals();
    session.sale.void_sale(approval)?;
    let tx = store.write_tx()?;
    let shift = shift::require_shift(&tx, settings)?;
    let lines: Vec<DocumentLine> = session
        .sale
        .lines
        .iter()
        .filter(|l| !l.voided)
        .zip(&totals.lines)
        .map(|(l, t)| DocumentLine {
            line_no: l.line_no,
            sku: l.product.sku.clone(),
            name: l.product.name.clone(),
            qty: l.qty,
            unit_price: l.unit_price,
            discount: t.line_discount + t.promotion_discount + t.receipt_discount,
            total: t.payable,
            vat_class: l.product.vat_class.clone(),
            vat_rate: l.product.vat_rate_percent,
            vat_amount: t.vat,
            price_rule: rule_name(&l.rule),
            unit_cost: l.cost,
            original_line_no: None,
        })
        .collect();
    let body =
        serde_json::to_value(&session.sale).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    let completed = documents::complete_document(
        &tx,
        settings,
        NewDocument {
            id: session.id,
            doc_type: DocumentType::VoidSale,
            author: session.cashier.login.clone(),
            created_at: session.sale.opened_at,
            completed_at: at,
            total: totals.total,
            vat_total: totals.vat.total_vat(),
            customer: session.sale.customer.as_ref().map(|c| c.code.clone()),
            original_id: None,
            shift_id: Some(shift.id),
            lines,
            tenders: Vec::new(),
            movements: Vec::new(),
            // Never reached the sales total: journaled as an event with 0.
            journal: Some(JournalEvent {
                kind: kasa_domain::journal::JournalKind::VoidSale,
                amount: Money::ZERO,
            }),
            body,
        },
    )?;
    audit_sale(&tx, &session.sale, &session.cashier.login, session.id, at)?;
    let approved_by = session
        .sale
        .audit
        .iter()
        .rev()
        .find(|a| a.authorization.permission == kasa_domain::permission::Permission::VoidSale)
        .map(|a| a.authorization.authorized_by.clone());
    users::audit(
        &tx,
        &AuditEntry {
            at,
            actor: &session.cashier.login,
            action: "sale.void",
            approved_by: approved_by.as_deref(),
            document_id: Some(session.id),
            detail: serde_json::json!({ "total": totals.total, "lines": totals.lines.len() }),
        },
    )?;
    tx.commit()?;
    Ok(SaleResult::voided(&completed, totals.total))
}
