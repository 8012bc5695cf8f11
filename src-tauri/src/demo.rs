//! `--demo`: seed an empty data directory with the committed demo store
//! (`fixtures/demo/`, a Bulgarian grocery of ~2,000 products, embedded in
//! the binary so the packaged app can show it too) through the same
//! import functions the `kasa` CLI uses.

use std::path::Path;

use kasa_terminal::catalog;
use kasa_terminal::settings::TillSettings;
use kasa_terminal::store::Store;
use kasa_terminal::users;

use crate::error::{ApiError, ApiResult};

const STORE_JSON: &str = include_str!("../../fixtures/demo/store.json");
const PRODUCTS: &[u8] = include_bytes!("../../fixtures/demo/products.csv");
const PRICE_TIERS: &[u8] = include_bytes!("../../fixtures/demo/price_tiers.csv");
const PROMOTIONS: &[u8] = include_bytes!("../../fixtures/demo/promotions.json");
const CUSTOMERS: &[u8] = include_bytes!("../../fixtures/demo/customers.csv");
const USERS: &[u8] = include_bytes!("../../fixtures/demo/users.csv");

/// Whether `db` holds no till yet (missing file or no settings saved).
pub fn is_empty(db: &Path) -> bool {
    match Store::open(db) {
        Ok(store) => kasa_terminal::settings::load(store.conn()).is_err(),
        Err(_) => !db.exists(),
    }
}

fn rejected(what: &str, report: &catalog::ImportReport) -> ApiResult<()> {
    if report.rejected_total == 0 {
        return Ok(());
    }
    Err(ApiError::new(
        "desktop.demo_import",
        format!(
            "the demo {what} has {} rejected rows (first: {:?}) — the fixtures and the importer disagree",
            report.rejected_total,
            report.rejected.first().map(|r| &r.message)
        ),
    ))
}

/// Create the demo store in `db` (which must be empty).
pub fn seed(db: &Path) -> ApiResult<()> {
    let mut store = Store::open(db)?;
    let mut settings = TillSettings::new("S001", "T01");
    let config: serde_json::Value =
        serde_json::from_str(STORE_JSON).map_err(|e| ApiError::input("store.json", e))?;
    settings
        .apply_config(&config)
        .map_err(|e| ApiError::input("store.json", e))?;
    settings.save_new(store.conn())?;
    let options = catalog::ImportOptions {
        vat: settings.vat.clone(),
        ..catalog::ImportOptions::default()
    };
    let r = catalog::import_products_with(&mut store, PRODUCTS, &options, |_| {})?;
    rejected("products", &r)?;
    let r = catalog::import_price_tiers(&mut store, PRICE_TIERS, |_| {})?;
    rejected("price tiers", &r)?;
    let r = catalog::import_promotions(&mut store, PROMOTIONS, |_| {})?;
    rejected("promotions", &r)?;
    let r = catalog::import_customers(&mut store, CUSTOMERS, |_| {})?;
    rejected("customers", &r)?;
    let (rows, bad) = catalog::parse_users(USERS)?;
    if let Some(b) = bad.first() {
        return Err(ApiError::input("users.csv", &b.message));
    }
    let now = chrono::Utc::now().naive_utc();
    for row in rows {
        users::add_user(store.conn(), &row.login, &row.name, row.role, &row.pin, now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_store_seeds_an_empty_directory_and_can_log_in() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kasa.db");
        assert!(is_empty(&db));
        seed(&db).unwrap();
        assert!(!is_empty(&db));
        let store = Store::open(&db).unwrap();
        let now = chrono::Utc::now().naive_utc();
        let user = users::login_by_pin(store.conn(), "1111", now).unwrap();
        assert_eq!(user.login, "cashier");
        let hits = catalog::search(store.conn(), "хляб", 5).unwrap();
        assert!(!hits.is_empty());
    }
}
