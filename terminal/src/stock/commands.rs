//! The stock actions as the CLI and the UI call them: each opens ONE write
//! transaction on the store (`BEGIN IMMEDIATE`), takes the time from the
//! clock, does the work and commits. The functions they wrap take a
//! transaction and a time, for callers that compose them and for tests.

use kasa_domain::permission::Operator;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::StockError;
use super::count::{
    CountAdded, CountApproved, CountInput, CountReview, CountStart, add_count, approve_session,
    cancel_session, parse_session_id, review_session, start_session,
};
use super::ledger::{StockFilter, StockLevel, list_stock};
use super::rebuild::{CacheDifference, RebuildSummary, rebuild, verify_cache};
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

/// `kasa count start <file.json>`: returns the session id.
pub fn count_start(store: &mut Store, start: &CountStart) -> Result<Uuid, StockError> {
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let id = start_session(&tx, &settings, start, now())?;
    tx.commit()?;
    Ok(id)
}

/// `kasa count add <session> --device D --sku S --qty Q`: one count from a
/// device, numbered after that device's last entry.
pub fn count_add(
    store: &mut Store,
    session: &str,
    device: &str,
    sku: &str,
    qty: Decimal,
) -> Result<CountAdded, StockError> {
    count_add_entry(
        store,
        session,
        &CountInput {
            device: device.to_string(),
            sku: sku.to_string(),
            qty,
            entry_no: None,
            corrects: None,
        },
    )
}

/// A count with the device's own entry number (safe retries) or a
/// correction of an earlier entry of the same device.
pub fn count_add_entry(
    store: &mut Store,
    session: &str,
    input: &CountInput,
) -> Result<CountAdded, StockError> {
    let session = parse_session_id(session)?;
    let tx = store.write_tx()?;
    let added = add_count(&tx, session, input, now())?;
    tx.commit()?;
    Ok(added)
}

/// `kasa count review <session>`: closes counting, shows the variance.
pub fn count_review(store: &mut Store, session: &str) -> Result<CountReview, StockError> {
    let session = parse_session_id(session)?;
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let review = review_session(&tx, &settings, session, now())?;
    tx.commit()?;
    Ok(review)
}

/// `kasa count approve <session>`: `approver` is the user whose PIN the
/// caller (users module) verified.
pub fn count_approve(
    store: &mut Store,
    session: &str,
    approver: &Operator,
) -> Result<CountApproved, StockError> {
    count_approve_excluding(store, session, approver, &[])
}

/// Approve but leave out `exclude` SKUs (to be recounted in a new session).
pub fn count_approve_excluding(
    store: &mut Store,
    session: &str,
    approver: &Operator,
    exclude: &[String],
) -> Result<CountApproved, StockError> {
    let session = parse_session_id(session)?;
    let tx = store.write_tx()?;
    let settings = settings(&tx)?;
    let approved = approve_session(&tx, &settings, session, approver, exclude, now())?;
    tx.commit()?;
    Ok(approved)
}

/// `kasa count cancel <session>`.
pub fn count_cancel(store: &mut Store, session: &str) -> Result<(), StockError> {
    let session = parse_session_id(session)?;
    let tx = store.write_tx()?;
    cancel_session(&tx, session, now())?;
    tx.commit()?;
    Ok(())
}

/// `kasa stock rebuild`: recompute the caches from the ledger in one
/// transaction.
pub fn stock_rebuild(store: &mut Store) -> Result<RebuildSummary, StockError> {
    rebuild(store.conn_mut())
}

/// `kasa stock verify`: differences between the caches and the ledger.
pub fn stock_verify(store: &Store) -> Result<Vec<CacheDifference>, StockError> {
    verify_cache(store.conn())
}

/// `kasa stock [--product SKU]`.
pub fn stock_list(store: &Store, filter: &StockFilter) -> Result<Vec<StockLevel>, StockError> {
    list_stock(store.conn(), filter)
}
