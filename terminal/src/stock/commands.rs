//! The stock actions as the CLI and the UI call them: each opens ONE write
//! transaction on the store (`BEGIN IMMEDIATE`), takes the time from the
//! clock, does the work and commits. The functions they wrap take a
//! transaction and a time, for callers that compose them and for tests.

use kasa_domain::permission::Operator;
use rust_decimal::Decimal;

use super::StockError;
use super::count::{
    CountAdded, CountApproved, CountReview, CountStart, add_count, approve_session, cancel_session,
    review_session, start_session,
};
use super::ledger::{StockFilter, StockLevel, list_stock};
use super::receiving::{NewPurchaseOrder, ReceiptOutcome, ReceiveRequest, receive_in};
use crate::settings::TillSettings;
use crate::store::Store;

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn settings(conn: &rusqlite::Connection) -> Result<TillSettings, StockError> {
    Ok(crate::settings::load(conn)?)
}

/// `kasa receive <file.json>`: receive a delivery as one document.
pub fn receive(
    store: &mut Store,
    request: &ReceiveRequest,
    author: &str,
) -> Result<ReceiptOutcome, StockError> {
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let outcome = receive_in(&tx, &settings, request, author, now())?;
    tx.commit()?;
    Ok(outcome)
}

/// `kasa po create <file.json>`: create a purchase order; returns its id.
pub fn purchase_order_create(
    store: &mut Store,
    order: &NewPurchaseOrder,
) -> Result<String, StockError> {
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let id = super::receiving::create_purchase_order(&tx, &settings, order, now())?;
    tx.commit()?;
    Ok(id)
}

/// `kasa count start`: returns the session id.
pub fn count_start(store: &mut Store, start: &CountStart) -> Result<String, StockError> {
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let id = start_session(&tx, &settings, start, now())?;
    tx.commit()?;
    Ok(id)
}

/// `kasa count add <session> --device D --sku S --qty Q`.
pub fn count_add(
    store: &mut Store,
    session: &str,
    device: &str,
    sku: &str,
    qty: Decimal,
) -> Result<CountAdded, StockError> {
    let tx = store.write_tx()?;
    let added = add_count(&tx, session, device, sku, qty, now())?;
    tx.commit()?;
    Ok(added)
}

/// `kasa count review <session>`.
pub fn count_review(store: &mut Store, session: &str) -> Result<CountReview, StockError> {
    let tx = store.write_tx()?;
    let review = review_session(&tx, session, now())?;
    tx.commit()?;
    Ok(review)
}

/// `kasa count approve <session>`: `approver` is the user whose PIN was
/// verified by the caller (users module).
pub fn count_approve(
    store: &mut Store,
    session: &str,
    approver: &Operator,
) -> Result<CountApproved, StockError> {
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let approved = approve_session(&tx, &settings, session, approver, now())?;
    tx.commit()?;
    Ok(approved)
}

/// `kasa count cancel <session>`.
pub fn count_cancel(store: &mut Store, session: &str) -> Result<(), StockError> {
    let tx = store.write_tx()?;
    cancel_session(&tx, session, now())?;
    tx.commit()?;
    Ok(())
}

/// `kasa stock [--product SKU]`.
pub fn stock_list(store: &Store, filter: &StockFilter) -> Result<Vec<StockLevel>, StockError> {
    list_stock(store.conn(), filter)
}
