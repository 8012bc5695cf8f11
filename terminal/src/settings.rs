//! The till's settings: which store and terminal this is, currency, VAT
//! table, price mode, cash rounding, in-store barcode layouts and the
//! discount limit above which a manager must approve.
//!
//! Written once by `kasa init` into the `meta` table (key `settings`, JSON)
//! and read by every use case. `init` takes them from the command line and,
//! optionally, a store configuration file (`fixtures/demo/store.json`); any
//! key the file does not have keeps its default.

use std::path::Path;

use kasa_domain::ErrorCode;
use kasa_domain::barcode::BarcodeConfig;
use kasa_domain::money::{CashRounding, Currency};
use kasa_domain::permission::PermissionTable;
use kasa_domain::tax::{PriceMode, VatTable};
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

/// Settings of one till.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TillSettings {
    /// Tenant (company) name, printed on receipts.
    pub tenant: String,
    /// Store id, e.g. `S001`.
    pub store_id: String,
    /// Terminal id within the store, e.g. `T01`.
    pub terminal_id: String,
    /// The currency of every document.
    pub currency: Currency,
    /// VAT preset name this table came from (`bulgaria`, `georgia`).
    pub vat_preset: String,
    /// VAT classes and rates.
    pub vat: VatTable,
    /// Whether shelf prices include VAT.
    pub price_mode: PriceMode,
    /// Cash rounding of the cash tender.
    pub cash_rounding: CashRounding,
    /// In-store barcode layouts (prefixes 20–29).
    pub barcodes: BarcodeConfig,
    /// Line or receipt discounts above this percentage need a manager.
    pub discount_limit_percent: Decimal,
    /// Whether removing a line from an open sale needs a manager.
    pub void_line_needs_manager: bool,
    /// The fiscal device id of the Bulgarian N-18 unique sale number
    /// (8 letters/digits, as registered with the revenue agency). `None`:
    /// derived from store and terminal id (see [`Self::n18_device_id`]).
    #[serde(default)]
    pub fiscal_device_id: Option<String>,
    /// Which role may do what without approval: the built-in table with
    /// head office's published roles applied (read by [`load`], never
    /// stored with the settings).
    #[serde(skip)]
    pub permissions: PermissionTable,
}

/// Errors reading or writing settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `kasa init` has not been run on this database.
    #[error(
        "this database has not been set up — run `kasa init --store S001 --terminal T01` first"
    )]
    NotInitialised,
    /// `init` ran already.
    #[error(
        "this database is already set up for store {store_id}, terminal {terminal_id} — use a new --db file for another till"
    )]
    AlreadyInitialised {
        /// Existing store.
        store_id: String,
        /// Existing terminal.
        terminal_id: String,
    },
    /// Unknown VAT preset.
    #[error("unknown VAT preset '{0}' — use bulgaria or georgia")]
    UnknownVatPreset(String),
    /// The config file cannot be read or parsed.
    #[error(
        "cannot use the store configuration {path}: {detail} — fix the file or leave out --demo-config"
    )]
    ConfigFile {
        /// File.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// Database.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Head office's tax rates kept on the till cannot be read.
    #[error(transparent)]
    HeadOfficeRates(#[from] crate::sync::master_data::held::HeldError),
}

impl ErrorCode for SettingsError {
    fn code(&self) -> &'static str {
        match self {
            SettingsError::NotInitialised => "settings.not_initialised",
            SettingsError::AlreadyInitialised { .. } => "settings.already_initialised",
            SettingsError::UnknownVatPreset(_) => "settings.unknown_vat_preset",
            SettingsError::ConfigFile { .. } => "settings.config_file",
            SettingsError::Sqlite(_) => "store.sqlite",
            SettingsError::HeadOfficeRates(e) => e.code(),
        }
    }
}

/// The VAT table of a preset name.
pub fn vat_preset(name: &str) -> Result<VatTable, SettingsError> {
    match name.to_ascii_lowercase().as_str() {
        "bulgaria" | "bg" => Ok(VatTable::bulgaria()),
        "georgia" | "ge" => Ok(VatTable::georgia()),
        other => Err(SettingsError::UnknownVatPreset(other.to_string())),
    }
}

impl TillSettings {
    /// Defaults for a store and terminal: EUR, Bulgarian VAT, inclusive
    /// prices, no cash rounding, the standard weight layout, 10 % discount
    /// limit, voiding a line needs a manager.
    pub fn new(store_id: &str, terminal_id: &str) -> TillSettings {
        TillSettings {
            tenant: "Kasa".to_string(),
            store_id: store_id.to_string(),
            terminal_id: terminal_id.to_string(),
            currency: Currency::Eur,
            vat_preset: "bulgaria".to_string(),
            vat: VatTable::bulgaria(),
            price_mode: PriceMode::Inclusive,
            cash_rounding: CashRounding::none(Currency::Eur),
            barcodes: BarcodeConfig::common(),
            discount_limit_percent: dec!(10),
            void_line_needs_manager: true,
            fiscal_device_id: None,
            permissions: PermissionTable::default(),
        }
    }

    /// The 8-character device id of N-18 unique sale numbers: the
    /// configured `fiscal_device_id`, else the letters and digits of store
    /// and terminal id (upper case; the last 8, left-padded with `0`), so
    /// `S001`/`T01` gives `0S001T01`.
    pub fn n18_device_id(&self) -> String {
        if let Some(id) = &self.fiscal_device_id {
            return id.to_ascii_uppercase();
        }
        let chars: Vec<char> = format!("{}{}", self.store_id, self.terminal_id)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let tail: String = chars[chars.len().saturating_sub(8)..].iter().collect();
        format!("{tail:0>8}")
    }

    /// Apply a store configuration file (JSON). Keys the file has override
    /// the current values; `store_id`/`terminal_id` from the command line
    /// win over the file's.
    pub fn apply_config_file(&mut self, path: &Path) -> Result<(), SettingsError> {
        let err = |detail: String| SettingsError::ConfigFile {
            path: path.display().to_string(),
            detail,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let file: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        self.apply_config(&file).map_err(err)
    }

    /// Apply a store configuration JSON object (see [`Self::apply_config_file`]).
    pub fn apply_config(&mut self, file: &serde_json::Value) -> Result<(), String> {
        fn field<T: serde::de::DeserializeOwned>(
            v: &serde_json::Value,
            keys: &[&str],
        ) -> Result<Option<T>, String> {
            for key in keys {
                if let Some(x) = v.get(*key).filter(|x| !x.is_null()) {
                    return serde_json::from_value(x.clone())
                        .map(Some)
                        .map_err(|e| format!("key `{key}`: {e}"));
                }
            }
            Ok(None)
        }
        if let Some(t) = field::<String>(file, &["tenant_name", "tenant", "company"])? {
            self.tenant = t;
        }
        if let Some(c) = field::<Currency>(file, &["currency"])? {
            self.currency = c;
            self.cash_rounding = CashRounding::none(c);
        }
        if let Some(p) = field::<String>(file, &["vat_preset", "vat"]).ok().flatten() {
            self.vat = vat_preset(&p).map_err(|e| e.to_string())?;
            self.vat_preset = p;
        }
        if let Some(t) = field::<VatTable>(file, &["vat_table"])? {
            self.vat = t;
            self.vat_preset = "custom".to_string();
        }
        if let Some(m) = field::<PriceMode>(file, &["price_mode"])? {
            self.price_mode = m;
        }
        if let Some(r) = field::<CashRounding>(file, &["cash_rounding"])? {
            self.cash_rounding = r;
        }
        if let Some(b) = field::<BarcodeConfig>(file, &["barcodes", "barcode_config", "barcode"])? {
            self.barcodes = b;
        }
        if let Some(d) = field::<Decimal>(
            file,
            &["discount_limit_percent", "manager_discount_limit_percent"],
        )? {
            self.discount_limit_percent = d;
        }
        if let Some(v) = field::<bool>(file, &["void_line_needs_manager"])? {
            self.void_line_needs_manager = v;
        }
        if let Some(d) = field::<String>(file, &["fiscal_device_id", "n18_device_id"])? {
            kasa_domain::numbering::n18_sale_number(&d, "0000", 1)
                .map_err(|e| format!("key `fiscal_device_id`: {e}"))?;
            self.fiscal_device_id = Some(d.to_ascii_uppercase());
        }
        Ok(())
    }

    /// Store the settings (first time only).
    pub fn save_new(&self, conn: &Connection) -> Result<(), SettingsError> {
        if let Some(existing) = load_optional(conn)? {
            return Err(SettingsError::AlreadyInitialised {
                store_id: existing.store_id,
                terminal_id: existing.terminal_id,
            });
        }
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('settings', ?1)",
            [serde_json::to_string(self)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?],
        )?;
        Ok(())
    }
}

fn load_optional(conn: &Connection) -> Result<Option<TillSettings>, SettingsError> {
    let text: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'settings'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match text {
        None => Ok(None),
        Some(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| SettingsError::ConfigFile {
                path: "meta.settings".to_string(),
                detail: e.to_string(),
            }),
    }
}

/// The till's settings; `settings.not_initialised` before `kasa init`.
///
/// The VAT table is the one `init` wrote with head office's published
/// rates in place of the preset's rows of each class head office publishes
/// (`crate::sync::master_data::held::vat_rates`); the permission table is
/// the built-in one with head office's roles applied.
pub fn load(conn: &Connection) -> Result<TillSettings, SettingsError> {
    let mut settings = load_optional(conn)?.ok_or(SettingsError::NotInitialised)?;
    let published = crate::sync::master_data::held::vat_rates(conn)?;
    if !published.is_empty() {
        settings.vat = settings.vat.with_classes_replaced(published);
    }
    settings.permissions = crate::sync::master_data::held::permission_table(conn)?;
    Ok(settings)
}
