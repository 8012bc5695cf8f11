//! The cart: an open sale as a pure, serde-serialisable state machine.
//!
//! A [`Sale`] holds lines (a snapshot of the product, quantity or weight, the
//! unit price with the [`PriceRule`] that produced it, cost), line and receipt
//! discounts, the basket promotions in effect, tenders and an audit list of
//! who authorised what. Every action is a method that either changes the
//! sale or returns a named [`SaleError`]; nothing here does I/O. Parked sales
//! are this value as JSON ([`Sale::park`] / [`Sale::recall`]); where they are
//! stored is the terminal's business.
//!
//! Rules and decisions:
//! * **Line amount** `gross = unit price × qty`, rounded to the cent with
//!   [`PRICE_ROUNDING`] (half away from zero). Pieces must be whole;
//!   weights/lengths/volumes are kept to 3 decimals.
//! * **Discount order**: line discount (percent or amount) → basket
//!   promotions (BOGO, mix-and-match, receipt threshold; see
//!   [`crate::pricing::basket`]) on what the line costs after its discount →
//!   manual receipt discounts. Percent discounts are rounded with
//!   [`PRICE_ROUNDING`]. Receipt discounts (applied in order, each on what is
//!   left) are allocated to the lines with the largest-remainder rule
//!   ([`crate::pricing::allocate_proportionally`]), so the parts sum exactly and VAT per line
//!   is right.
//! * **Totals** `total = Σ line gross − Σ discounts` in inclusive mode; in
//!   exclusive mode VAT is added on top. VAT comes from
//!   [`crate::tax::receipt_vat`] over the lines' amounts after all discounts.
//! * **Permissions**: a manual price needs [`Permission::PriceOverride`]; a
//!   discount whose effective percentage is above
//!   [`SaleConfig::discount_limit_percent`] needs
//!   [`Permission::DiscountOverLimit`] (line discounts against the line
//!   amount, receipt discounts — all of them together — against the subtotal
//!   they apply to); voiding a line or lowering its quantity needs
//!   [`Permission::VoidLine`] when [`SaleConfig::void_line_needs_manager`];
//!   voiding a sale that has lines needs [`Permission::VoidSale`]. Without
//!   the permission or an approval the action returns
//!   [`SaleError::NeedsManager`]; with one, the authorisation is kept in
//!   [`Sale::audit`].
//! * Voided lines stay on the sale (marked `voided`, for the audit), but
//!   count for nothing.
//! * A sale with tenders cannot be parked or voided: the money (a card
//!   charge) has to be reversed first by removing the tender.

mod complete;
mod error;
mod totals;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::{CashRounding, Currency, Money};
use crate::permission::{
    Authorization, ManagerApproval, Operator, Permission, PermissionTable, Role, authorize_in,
};
use crate::pricing::{PRICE_ROUNDING, PriceQuote, PriceRule, Promotion};
use crate::product::{Lifecycle, Unit};
use crate::tax::PriceMode;
use crate::tender::{CreditAccount, Tender, settle};

pub use complete::{CompletedLine, CompletedSale, LinePromotion};
pub use error::SaleError;
pub use totals::{LineTotals, SaleTotals};

/// Till settings a sale needs (from `store.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleConfig {
    /// Store id.
    pub store: String,
    /// Currency of the sale.
    pub currency: Currency,
    /// VAT-inclusive (default) or exclusive prices.
    #[serde(default)]
    pub price_mode: PriceMode,
    /// Cash rounding of the cash tender.
    pub cash_rounding: CashRounding,
    /// Discounts above this percentage need a manager.
    pub discount_limit_percent: Decimal,
    /// Whether voiding a line (or lowering its quantity) needs a manager.
    pub void_line_needs_manager: bool,
    /// Which role may do what without approval (the built-in table unless
    /// head office published roles).
    #[serde(default, skip_serializing_if = "PermissionTable::is_built_in")]
    pub permissions: PermissionTable,
}

impl SaleConfig {
    /// EUR, inclusive prices, no cash rounding, 10 % discount limit, line
    /// voids need a manager.
    pub fn eur(store: impl Into<String>) -> Self {
        SaleConfig {
            store: store.into(),
            currency: Currency::Eur,
            price_mode: PriceMode::Inclusive,
            cash_rounding: CashRounding::none(Currency::Eur),
            discount_limit_percent: dec!(10),
            void_line_needs_manager: true,
            permissions: PermissionTable::default(),
        }
    }
}

/// What the line knew about the product when it was rung up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSnapshot {
    /// SKU.
    pub sku: String,
    /// Name as printed.
    pub name: String,
    /// Unit of measure.
    pub unit: Unit,
    /// VAT class code.
    pub vat_class: String,
    /// VAT rate of the class on the sale's date.
    pub vat_rate_percent: Decimal,
}

/// A discount: percentage or amount. JSON `{"percent":"10"}` / `{"amount":"1.50"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    /// Percentage of the amount it applies to (0–100).
    Percent(Decimal),
    /// Fixed amount (not more than the amount it applies to).
    Amount(Money),
}

impl Discount {
    /// The discount on `base`, rounded with [`PRICE_ROUNDING`]; never more
    /// than `base`.
    pub fn amount_on(self, base: Money, currency: Currency) -> Money {
        let d = match self {
            Discount::Percent(p) => currency.round(base.0 * p / dec!(100), PRICE_ROUNDING),
            Discount::Amount(a) => a,
        };
        d.min(base).max(Money::ZERO)
    }
}

/// A discount on the whole receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDiscount {
    /// The discount.
    pub discount: Discount,
    /// Why (printed, audited).
    #[serde(default)]
    pub reason: Option<String>,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLine {
    /// Line number, 1-based, never reused within the sale.
    pub line_no: u32,
    /// Product snapshot.
    pub product: ProductSnapshot,
    /// Quantity (pieces) or weight/length/volume (3 dp).
    pub qty: Decimal,
    /// Unit price.
    pub unit_price: Money,
    /// Why that price.
    pub rule: PriceRule,
    /// The regular price, for "you save" display.
    #[serde(default)]
    pub regular_price: Option<Money>,
    /// Unit cost, when known.
    #[serde(default)]
    pub cost: Option<Money>,
    /// The line's own discount.
    #[serde(default)]
    pub discount: Option<Discount>,
    /// Voided lines count for nothing but stay for the audit.
    #[serde(default)]
    pub voided: bool,
}

/// A customer on the sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleCustomer {
    /// Customer code.
    pub code: String,
    /// Customer group for group prices and promotions.
    #[serde(default)]
    pub group: Option<String>,
    /// Credit limit for on-account tenders.
    pub credit_limit: Money,
    /// Balance currently owed.
    pub balance: Money,
}

impl SaleCustomer {
    /// The account for on-account tenders.
    pub fn account(&self) -> CreditAccount {
        CreditAccount {
            customer_code: self.code.clone(),
            credit_limit: self.credit_limit,
            balance: self.balance,
        }
    }
}

/// Who authorised an action that needed a permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The line concerned, if any.
    #[serde(default)]
    pub line_no: Option<u32>,
    /// Permission and who granted it.
    pub authorization: Authorization,
}

/// Open or voided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    /// Being rung up.
    #[default]
    Open,
    /// Cancelled as a whole.
    Voided,
}

/// The cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    /// Document id (UUIDv7 made by the terminal).
    pub id: Uuid,
    /// Settings.
    pub config: SaleConfig,
    /// The cashier.
    pub operator: Operator,
    /// When the sale was opened (promotions are evaluated at this moment).
    pub opened_at: NaiveDateTime,
    /// The customer, if any.
    #[serde(default)]
    pub customer: Option<SaleCustomer>,
    /// Lines, voided ones included.
    #[serde(default)]
    pub lines: Vec<SaleLine>,
    /// Manual receipt discounts in the order given.
    #[serde(default)]
    pub receipt_discounts: Vec<ReceiptDiscount>,
    /// Basket promotions in effect (BOGO, mix-and-match, thresholds).
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// Tenders taken so far.
    #[serde(default)]
    pub tenders: Vec<Tender>,
    /// Authorisations of actions that needed a permission.
    #[serde(default)]
    pub audit: Vec<AuditEntry>,
    /// Open or voided.
    #[serde(default)]
    pub state: SaleState,
    next_line_no: u32,
}

/// A line to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    /// Product snapshot.
    pub product: ProductSnapshot,
    /// The product's lifecycle (must be sellable).
    pub lifecycle: Lifecycle,
    /// Quantity or weight.
    pub qty: Decimal,
    /// The price engine's answer (or a barcode-embedded price).
    pub quote: PriceQuote,
}

fn check_qty(product: &ProductSnapshot, qty: Decimal) -> Result<(), SaleError> {
    let bad = |hint| {
        Err(SaleError::InvalidQuantity {
            sku: product.sku.clone(),
            qty,
            hint,
        })
    };
    if qty <= Decimal::ZERO {
        return bad("enter a quantity above zero");
    }
    if product.unit == Unit::Piece {
        if !qty.fract().is_zero() {
            return bad("pieces are counted in whole numbers");
        }
    } else if qty.normalize().scale() > 3 {
        return bad("weights and measures have at most 3 decimals");
    }
    Ok(())
}

impl Sale {
    /// A new, empty sale.
    pub fn new(id: Uuid, config: SaleConfig, operator: Operator, opened_at: NaiveDateTime) -> Sale {
        Sale {
            id,
            config,
            operator,
            opened_at,
            customer: None,
            lines: Vec::new(),
            receipt_discounts: Vec::new(),
            promotions: Vec::new(),
            tenders: Vec::new(),
            audit: Vec::new(),
            state: SaleState::Open,
            next_line_no: 1,
        }
    }

    fn ensure_open(&self) -> Result<(), SaleError> {
        match self.state {
            SaleState::Open => Ok(()),
            SaleState::Voided => Err(SaleError::NotOpen),
        }
    }

    fn authorize(
        &mut self,
        permission: Permission,
        approval: Option<&ManagerApproval>,
        line_no: Option<u32>,
    ) -> Result<(), SaleError> {
        let authorization = authorize_in(
            &self.config.permissions,
            &self.operator,
            permission,
            approval,
        )
        .map_err(|d| SaleError::NeedsManager(d.permission))?;
        if authorization.approved || !Role::Cashier.allows(permission) {
            self.audit.push(AuditEntry {
                line_no,
                authorization,
            });
        }
        Ok(())
    }

    fn line_index(&self, line_no: u32) -> Result<usize, SaleError> {
        let i = self
            .lines
            .iter()
            .position(|l| l.line_no == line_no)
            .ok_or(SaleError::NoSuchLine(line_no))?;
        if self.lines[i].voided {
            return Err(SaleError::LineVoided(line_no));
        }
        Ok(i)
    }

    /// Active (not voided) lines.
    pub fn active_lines(&self) -> impl Iterator<Item = &SaleLine> {
        self.lines.iter().filter(|l| !l.voided)
    }

    /// Find a line.
    pub fn line(&self, line_no: u32) -> Option<&SaleLine> {
        self.lines.iter().find(|l| l.line_no == line_no)
    }

    /// Put a customer on the sale (or remove it). Group prices depend on the
    /// customer: the terminal re-prices the lines with [`Sale::reprice_line`].
    pub fn set_customer(&mut self, customer: Option<SaleCustomer>) -> Result<(), SaleError> {
        self.ensure_open()?;
        self.customer = customer;
        Ok(())
    }

    /// Set the basket promotions in effect; line promotions in the list are
    /// ignored here (they are price candidates).
    pub fn set_promotions(&mut self, promotions: Vec<Promotion>) {
        self.promotions = promotions
            .into_iter()
            .filter(|p| !p.is_line_promotion())
            .collect();
    }

    /// Add a line; returns its line number.
    pub fn add_line(&mut self, new: NewLine) -> Result<u32, SaleError> {
        self.ensure_open()?;
        if !new.lifecycle.is_sellable() {
            return Err(SaleError::NotSellable {
                sku: new.product.sku,
                lifecycle: new.lifecycle,
            });
        }
        check_qty(&new.product, new.qty)?;
        if new.quote.unit_price.is_negative() {
            return Err(SaleError::InvalidPrice(new.quote.unit_price));
        }
        let line_no = self.next_line_no;
        self.next_line_no += 1;
        self.lines.push(SaleLine {
            line_no,
            product: new.product,
            qty: new.qty,
            unit_price: new.quote.unit_price,
            rule: new.quote.rule,
            regular_price: new.quote.regular_price,
            cost: new.quote.cost,
            discount: None,
            voided: false,
        });
        Ok(line_no)
    }

    /// Change a line's quantity. `requote` is the price for the new quantity
    /// (quantity breaks); it is ignored on a manually priced line. Lowering
    /// the quantity is a partial void.
    pub fn change_qty(
        &mut self,
        line_no: u32,
        qty: Decimal,
        requote: Option<&PriceQuote>,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        self.ensure_open()?;
        let i = self.line_index(line_no)?;
        check_qty(&self.lines[i].product, qty)?;
        if qty < self.lines[i].qty && self.config.void_line_needs_manager {
            self.authorize(Permission::VoidLine, approval, Some(line_no))?;
        }
        let line = &mut self.lines[i];
        line.qty = qty;
        if let Some(q) = requote
            && line.rule != PriceRule::Manual
        {
            line.unit_price = q.unit_price;
            line.rule = q.rule.clone();
            line.regular_price = q.regular_price;
            line.cost = q.cost;
        }
        Ok(())
    }

    /// Replace a line's price with a fresh quote (e.g. after the customer
    /// changed); manual prices are kept.
    pub fn reprice_line(&mut self, line_no: u32, quote: &PriceQuote) -> Result<(), SaleError> {
        self.ensure_open()?;
        let i = self.line_index(line_no)?;
        let line = &mut self.lines[i];
        if line.rule != PriceRule::Manual {
            line.unit_price = quote.unit_price;
            line.rule = quote.rule.clone();
            line.regular_price = quote.regular_price;
            line.cost = quote.cost;
        }
        Ok(())
    }

    /// Type a price for a line: needs [`Permission::PriceOverride`].
    pub fn override_price(
        &mut self,
        line_no: u32,
        unit_price: Money,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        self.ensure_open()?;
        let i = self.line_index(line_no)?;
        if unit_price.is_negative() {
            return Err(SaleError::InvalidPrice(unit_price));
        }
        self.authorize(Permission::PriceOverride, approval, Some(line_no))?;
        let line = &mut self.lines[i];
        line.unit_price = unit_price;
        line.rule = PriceRule::Manual;
        Ok(())
    }

    /// Set (or clear with `None`) a line's discount. Above the configured
    /// limit it needs [`Permission::DiscountOverLimit`].
    pub fn set_line_discount(
        &mut self,
        line_no: u32,
        discount: Option<Discount>,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        self.ensure_open()?;
        let i = self.line_index(line_no)?;
        if let Some(d) = discount {
            let base = totals::line_gross(&self.lines[i], self.config.currency);
            let percent = effective_percent(d, base)?;
            if percent > self.config.discount_limit_percent {
                self.authorize(Permission::DiscountOverLimit, approval, Some(line_no))?;
            }
        }
        self.lines[i].discount = discount;
        Ok(())
    }

    /// Add a receipt discount. All receipt discounts together above the
    /// configured limit (of the subtotal they apply to) need
    /// [`Permission::DiscountOverLimit`].
    pub fn add_receipt_discount(
        &mut self,
        discount: Discount,
        reason: Option<String>,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        self.ensure_open()?;
        let mut with = self.receipt_discounts.clone();
        with.push(ReceiptDiscount { discount, reason });
        let base = self.totals().before_receipt_discounts();
        effective_percent(discount, base)?;
        let total = totals::receipt_discount_total(&with, base, self.config.currency);
        let percent = if base.is_zero() {
            Decimal::ZERO
        } else {
            total.0 * dec!(100) / base.0
        };
        if percent > self.config.discount_limit_percent {
            self.authorize(Permission::DiscountOverLimit, approval, None)?;
        }
        self.receipt_discounts = with;
        Ok(())
    }

    /// Remove all receipt discounts.
    pub fn clear_receipt_discounts(&mut self) -> Result<(), SaleError> {
        self.ensure_open()?;
        self.receipt_discounts.clear();
        Ok(())
    }

    /// Void a line (needs [`Permission::VoidLine`] when configured).
    pub fn void_line(
        &mut self,
        line_no: u32,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), SaleError> {
        self.ensure_open()?;
        let i = self.line_index(line_no)?;
        if self.config.void_line_needs_manager {
            self.authorize(Permission::VoidLine, approval, Some(line_no))?;
        }
        self.lines[i].voided = true;
        Ok(())
    }

    /// Void the whole sale (needs [`Permission::VoidSale`] once it has lines).
    pub fn void_sale(&mut self, approval: Option<&ManagerApproval>) -> Result<(), SaleError> {
        self.ensure_open()?;
        if !self.tenders.is_empty() {
            return Err(SaleError::TendersPresent);
        }
        if self.active_lines().next().is_some() {
            self.authorize(Permission::VoidSale, approval, None)?;
        }
        self.state = SaleState::Voided;
        Ok(())
    }

    /// Take a tender. Refused at once when card/account would overpay or the
    /// credit limit would be exceeded.
    pub fn add_tender(&mut self, tender: Tender) -> Result<(), SaleError> {
        self.ensure_open()?;
        let mut with = self.tenders.clone();
        with.push(tender);
        let total = self.totals().total;
        let account = self.customer.as_ref().map(SaleCustomer::account);
        settle(total, &with, &self.config.cash_rounding, account.as_ref())?;
        self.tenders = with;
        Ok(())
    }

    /// Remove (reverse) a tender by index.
    pub fn remove_tender(&mut self, index: usize) -> Result<Tender, SaleError> {
        self.ensure_open()?;
        if index >= self.tenders.len() {
            return Err(SaleError::NoSuchTender(index));
        }
        Ok(self.tenders.remove(index))
    }

    /// The sale as parked JSON. A sale with tenders cannot be parked.
    pub fn park(&self) -> Result<String, SaleError> {
        self.ensure_open()?;
        if !self.tenders.is_empty() {
            return Err(SaleError::TendersPresent);
        }
        serde_json::to_string(self).map_err(|e| SaleError::BadParkedSale(e.to_string()))
    }

    /// Read a parked sale back.
    pub fn recall(json: &str) -> Result<Sale, SaleError> {
        let sale: Sale =
            serde_json::from_str(json).map_err(|e| SaleError::BadParkedSale(e.to_string()))?;
        sale.ensure_open()?;
        Ok(sale)
    }
}

/// The percentage a discount represents of `base`; validates it.
fn effective_percent(d: Discount, base: Money) -> Result<Decimal, SaleError> {
    let invalid = |text: String| SaleError::InvalidDiscount {
        discount: text,
        base,
    };
    match d {
        Discount::Percent(p) => {
            if p < Decimal::ZERO || p > dec!(100) {
                return Err(invalid(format!("{p} %")));
            }
            Ok(p)
        }
        Discount::Amount(a) => {
            if a.is_negative() || a > base {
                return Err(invalid(a.to_string()));
            }
            if base.is_zero() {
                return Ok(Decimal::ZERO);
            }
            Ok(a.0 * dec!(100) / base.0)
        }
    }
}
