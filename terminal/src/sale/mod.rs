//! The till's sale session: ring up, change, discount, void, park, pay and
//! complete — the use cases behind the sale screen.
//!
//! A [`SaleSession`] wraps the domain cart ([`kasa_domain::sale::Sale`]),
//! which holds every rule (quantities, discounts, manager approvals, VAT,
//! tenders); this module adds what needs the store:
//! - [`SaleSession::ring_up`]: a scanned or typed code is resolved by
//!   [`crate::catalog::find_by_code`] (GTIN with packaging multiplier,
//!   in-store weight/price barcodes, PLU, SKU), priced by
//!   [`kasa_domain::pricing::price_line`] over
//!   [`crate::catalog::pricing_inputs`], and the VAT rate of its class on the
//!   sale's day is taken from the tenant's table;
//! - [`complete_sale`]: the document, lines, tenders (net per kind: cash
//!   given minus change), stock movements, journal entry and outbox record
//!   in ONE transaction via [`crate::documents::complete_document`], plus the
//!   customer's account balance for on-account tenders and the audit log of
//!   every approval. Printing a receipt happens after the commit and never
//!   decides whether the sale exists;
//! - [`void_sale`]: a voided sale is a `VoidSale` document (journaled with
//!   amount 0 because it never reached the sales total; the voided total is
//!   in the document);
//! - [`parked`]: park / recall, stored as JSON so they survive a restart;
//! - [`script`]: whole sales from JSON for demos, tests and load;
//! - [`returns`]: returns with and without the original receipt.

pub mod parked;
pub mod receipt;
pub mod returns;
pub mod script;

use chrono::NaiveDateTime;
use kasa_domain::ErrorCode;
use kasa_domain::money::Money;
use kasa_domain::permission::ManagerApproval;
use kasa_domain::pricing::{PriceRequest, PriceRule, price_line};
use kasa_domain::sale::{NewLine, ProductSnapshot, Sale, SaleConfig, SaleCustomer};
use kasa_domain::tender::{Tender, TenderKind};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use kasa_domain::sale::Discount;

use crate::catalog::{self, CatalogError};
use crate::documents::{self, DocumentError};
use crate::settings::TillSettings;
use crate::shift::{self, ShiftError};
use crate::stock::StockError;
use crate::store::StoreError;
use crate::users::{User, UserError};

mod complete;
mod movements;
mod outcome;

pub(crate) use complete::charge_account;
pub use complete::{complete_sale, void_sale};

pub use outcome::{SaleLineResult, SaleResult};

/// Errors of selling and returning.
#[derive(Debug, thiserror::Error)]
pub enum SaleError {
    /// A rule of the cart (needs a manager, bad quantity, underpaid…).
    #[error(transparent)]
    Rule(#[from] kasa_domain::sale::SaleError),
    /// A return rule.
    #[error(transparent)]
    Return(#[from] kasa_domain::returns::ReturnError),
    /// No product has this code.
    #[error("no product has the code '{0}' — scan again, or search by name")]
    UnknownCode(String),
    /// No customer has this code.
    #[error("no customer has the code '{0}' — check the card or pick the customer by name")]
    UnknownCustomer(String),
    /// No price.
    #[error(transparent)]
    Pricing(#[from] kasa_domain::pricing::PricingError),
    /// VAT class / rate.
    #[error(transparent)]
    Tax(#[from] kasa_domain::tax::TaxError),
    /// Unknown tender kind.
    #[error("'{0}' is not a tender — use cash, card, voucher or on_account")]
    UnknownTender(String),
    /// The scripted input is inconsistent.
    #[error("{0}")]
    Script(String),
    /// No parked sale with this id.
    #[error("no parked sale {0} — list them with `kasa parked list`")]
    NotParked(Uuid),
    /// Stored state cannot be read.
    #[error("stored sale data cannot be read: {0}")]
    Corrupt(String),
    /// Catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Users / PINs.
    #[error(transparent)]
    Users(#[from] UserError),
    /// Shift.
    #[error(transparent)]
    Shift(#[from] ShiftError),
    /// Documents.
    #[error(transparent)]
    Documents(#[from] DocumentError),
    /// Stock.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// Store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Database.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl ErrorCode for SaleError {
    fn code(&self) -> &'static str {
        match self {
            SaleError::Rule(e) => e.code(),
            SaleError::Return(e) => e.code(),
            SaleError::UnknownCode(_) => "sale.unknown_code",
            SaleError::UnknownCustomer(_) => "sale.unknown_customer",
            SaleError::Pricing(e) => e.code(),
            SaleError::Tax(e) => e.code(),
            SaleError::UnknownTender(_) => "sale.unknown_tender",
            SaleError::Script(_) => "input.invalid",
            SaleError::NotParked(_) => "sale.not_parked",
            SaleError::Corrupt(_) => "sale.corrupt",
            SaleError::Catalog(e) => e.code(),
            SaleError::Users(e) => e.code(),
            SaleError::Shift(e) => e.code(),
            SaleError::Documents(e) => e.code(),
            SaleError::Stock(e) => e.code(),
            SaleError::Store(e) => e.code(),
            SaleError::Sqlite(e) if crate::store::is_busy(e) => "store.busy",
            SaleError::Sqlite(_) => "store.sqlite",
        }
    }
}

/// A payment to add: kind, amount (`None` = the rest), reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderRequest {
    /// `cash`, `card`, `voucher`, `on_account`.
    pub kind: String,
    /// Amount; `None` = what is left to pay.
    pub amount: Option<Money>,
    /// Slip / voucher code.
    pub reference: Option<String>,
}

/// Parse a tender kind name.
pub fn tender_kind(name: &str) -> Result<TenderKind, SaleError> {
    TenderKind::ALL
        .into_iter()
        .find(|k| k.name() == name.trim().to_ascii_lowercase())
        .ok_or_else(|| SaleError::UnknownTender(name.to_string()))
}

/// An open sale at the till.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleSession {
    /// Sale / document id (UUIDv7).
    pub id: Uuid,
    /// The cashier.
    pub cashier: User,
    /// The shift it belongs to.
    pub shift_id: Uuid,
    /// The cart.
    pub sale: Sale,
}

/// The domain's sale settings from the till's.
pub fn sale_config(settings: &TillSettings) -> SaleConfig {
    SaleConfig {
        store: settings.store_id.clone(),
        currency: settings.currency,
        price_mode: settings.price_mode,
        cash_rounding: settings.cash_rounding,
        discount_limit_percent: settings.discount_limit_percent,
        void_line_needs_manager: settings.void_line_needs_manager,
        permissions: settings.permissions.clone(),
    }
}

/// The customer as the sale sees it.
pub fn sale_customer(conn: &Connection, code: &str) -> Result<SaleCustomer, SaleError> {
    let c = catalog::customer(conn, code)?
        .ok_or_else(|| SaleError::UnknownCustomer(code.to_string()))?;
    Ok(SaleCustomer {
        code: c.code,
        group: c.group,
        credit_limit: c.credit_limit,
        balance: c.balance,
    })
}

impl SaleSession {
    /// Start a sale for `cashier` in the open shift.
    pub fn start(
        conn: &Connection,
        settings: &TillSettings,
        cashier: User,
        customer: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<SaleSession, SaleError> {
        let shift = shift::require_shift(conn, settings)?;
        let id = documents::new_id();
        let mut sale = Sale::new(id, sale_config(settings), cashier.operator(), at);
        if let Some(code) = customer {
            sale.set_customer(Some(sale_customer(conn, code)?))?;
        }
        sale.set_promotions(catalog::prices::basket_promotions(
            conn,
            &settings.store_id,
            at,
        )?);
        Ok(SaleSession {
            id,
            cashier,
            shift_id: shift.id,
            sale,
        })
    }

    /// Active (not voided) lines.
    pub fn line_count(&self) -> usize {
        self.sale.active_lines().count()
    }

    /// Scan or type a code; `qty` multiplies what the code stands for
    /// (1, the packaging multiplier, or the embedded weight). Returns the
    /// new line's number.
    pub fn ring_up(
        &mut self,
        conn: &Connection,
        settings: &TillSettings,
        code: &str,
        qty: Option<Decimal>,
        at: NaiveDateTime,
    ) -> Result<u32, SaleError> {
        let item = catalog::find_by_code(conn, code, &settings.barcodes)?
            .ok_or_else(|| SaleError::UnknownCode(code.to_string()))?;
        let qty = item.qty * qty.unwrap_or(Decimal::ONE);
        let product = &item.product;
        let quote = match item.embedded_price {
            Some(price) => kasa_domain::pricing::PriceQuote {
                unit_price: Money(price.0 / qty.max(Decimal::new(1, 3))).round(
                    settings.currency,
                    kasa_domain::money::RoundingRule::HalfAwayFromZero,
                ),
                rule: PriceRule::Barcode,
                regular_price: None,
                cost: product.cost,
                profit: None,
                margin_percent: None,
            },
            None => {
                let inputs = catalog::pricing_inputs(
                    conn,
                    &product.sku,
                    &settings.store_id,
                    self.sale.customer.as_ref().map(|c| c.code.as_str()),
                )?;
                let group = self.sale.customer.as_ref().and_then(|c| c.group.clone());
                price_line(
                    &inputs,
                    &PriceRequest {
                        store: &settings.store_id,
                        customer_group: group.as_deref(),
                        qty,
                        at,
                    },
                    settings.currency,
                )?
            }
        };
        let rate = settings.vat.rate_for(&product.vat_class, at.date())?;
        Ok(self.sale.add_line(NewLine {
            product: ProductSnapshot {
                sku: product.sku.clone(),
                name: product.name.clone(),
                unit: product.unit,
                vat_class: product.vat_class.clone(),
                vat_rate_percent: rate,
            },
            lifecycle: product.lifecycle,
            qty,
            quote,
        })?)
    }

    /// Set a line's quantity (lowering it may need a manager); re-prices it.
    pub fn set_quantity(
        &mut self,
        conn: &Connection,
        settings: &TillSettings,
        line_no: u32,
        qty: Decimal,
        approval: Option<&ManagerApproval>,
        at: NaiveDateTime,
    ) -> Result<(), SaleError> {
        let sku = self
            .sale
            .line(line_no)
            .map(|l| l.product.sku.clone())
            .ok_or(kasa_domain::sale::SaleError::NoSuchLine(line_no))?;
        let inputs = catalog::pricing_inputs(
            conn,
            &sku,
            &settings.store_id,
            self.sale.customer.as_ref().map(|c| c.code.as_str()),
        )?;
        let group = self.sale.customer.as_ref().and_then(|c| c.group.clone());
        let quote = price_line(
            &inputs,
            &PriceRequest {
                store: &settings.store_id,
                customer_group: group.as_deref(),
                qty,
                at,
            },
            settings.currency,
        )
        .ok();
        Ok(self
            .sale
            .change_qty(line_no, qty, quote.as_ref(), approval)?)
    }

    /// Type a price (needs a manager).
    pub fn override_price(
        &mut self,
        line_no: u32,
        price: Money,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        Ok(self.sale.override_price(line_no, price, approval)?)
    }

    /// Discount a line (over the limit needs a manager).
    pub fn discount_line(
        &mut self,
        line_no: u32,
        discount: Discount,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        Ok(self
            .sale
            .set_line_discount(line_no, Some(discount), approval)?)
    }

    /// Discount the receipt (over the limit needs a manager).
    pub fn discount_receipt(
        &mut self,
        discount: Discount,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        Ok(self.sale.add_receipt_discount(discount, None, approval)?)
    }

    /// Remove a line (needs a manager unless configured otherwise).
    pub fn void_line(
        &mut self,
        line_no: u32,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        Ok(self.sale.void_line(line_no, approval)?)
    }

    /// Add a payment; `amount: None` pays what is left.
    pub fn add_tender(&mut self, request: TenderRequest) -> Result<(), SaleError> {
        let kind = tender_kind(&request.kind)?;
        let amount = match request.amount {
            Some(a) => a,
            None => {
                let left = self.sale.settlement()?.outstanding;
                if kind == TenderKind::Cash && !self.sale.tenders.iter().any(|t| t.kind == kind) {
                    // The first cash tender: what is left, cash-rounded.
                    self.sale.config.cash_rounding.apply(left).0
                } else {
                    left
                }
            }
        };
        let mut tender = Tender::new(kind, amount);
        tender.reference = request.reference;
        Ok(self.sale.add_tender(tender)?)
    }
}

#[cfg(test)]
pub(crate) mod tests;
