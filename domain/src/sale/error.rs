//! Named results of sale actions, each with a stable code.

use rust_decimal::Decimal;

use crate::ErrorCode;
use crate::money::Money;
use crate::permission::Permission;
use crate::product::Lifecycle;
use crate::tender::TenderError;

/// Named results of sale actions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    /// The action needs a permission the operator lacks.
    #[error("'{0}' needs a manager — ask a manager to approve with their PIN")]
    NeedsManager(Permission),
    /// The product's lifecycle does not allow selling it.
    #[error("'{sku}' is not for sale ({lifecycle:?}) — put it aside and tell the manager")]
    NotSellable {
        /// SKU.
        sku: String,
        /// Its lifecycle.
        lifecycle: Lifecycle,
    },
    /// Quantity zero, negative or with too many decimals.
    #[error("quantity {qty} of '{sku}' is not valid — {hint}")]
    InvalidQuantity {
        /// SKU.
        sku: String,
        /// The quantity.
        qty: Decimal,
        /// What is allowed.
        hint: &'static str,
    },
    /// No line with that number.
    #[error("there is no line {0} on this sale — pick a line from the receipt")]
    NoSuchLine(u32),
    /// The line was voided.
    #[error("line {0} is voided — it cannot be changed")]
    LineVoided(u32),
    /// Discount is negative, above 100 % or above the amount.
    #[error("discount {discount} is not possible on {base} — give at most {base} or 100 %")]
    InvalidDiscount {
        /// The discount as typed.
        discount: String,
        /// The amount it applies to.
        base: Money,
    },
    /// Negative manual price.
    #[error("price {0} is not possible — enter a price of zero or more")]
    InvalidPrice(Money),
    /// The customer's credit limit does not allow the on-account tender.
    #[error(
        "customer {customer} would owe {would_owe}, over the credit limit {limit} — take at most {available} on account"
    )]
    CreditLimitExceeded {
        /// Customer code.
        customer: String,
        /// Balance after the charge.
        would_owe: Money,
        /// Limit.
        limit: Money,
        /// What can still be charged.
        available: Money,
    },
    /// Any other tender problem.
    #[error(transparent)]
    Tender(TenderError),
    /// Not enough paid to complete.
    #[error("{outstanding} is still to pay — take another tender")]
    Underpaid {
        /// What is left to pay.
        outstanding: Money,
    },
    /// No tender with that index.
    #[error("there is no tender {0} on this sale")]
    NoSuchTender(usize),
    /// The sale has no active lines.
    #[error("the sale has no lines — scan an item first")]
    Empty,
    /// The sale is voided.
    #[error("the sale is voided — start a new sale")]
    NotOpen,
    /// Tenders must be removed (reversed) first.
    #[error("the sale has payments — remove (reverse) them first")]
    TendersPresent,
    /// A parked sale could not be read.
    #[error("the parked sale cannot be read ({0}) — it was saved by an incompatible version")]
    BadParkedSale(String),
}

impl ErrorCode for SaleError {
    fn code(&self) -> &'static str {
        match self {
            SaleError::NeedsManager(_) => "sale.needs_manager",
            SaleError::NotSellable { .. } => "sale.not_sellable",
            SaleError::InvalidQuantity { .. } => "sale.invalid_quantity",
            SaleError::NoSuchLine(_) => "sale.no_such_line",
            SaleError::LineVoided(_) => "sale.line_voided",
            SaleError::InvalidDiscount { .. } => "sale.invalid_discount",
            SaleError::InvalidPrice(_) => "sale.invalid_price",
            SaleError::CreditLimitExceeded { .. } => "sale.credit_limit_exceeded",
            SaleError::Tender(e) => e.code(),
            SaleError::Underpaid { .. } => "sale.underpaid",
            SaleError::NoSuchTender(_) => "sale.no_such_tender",
            SaleError::Empty => "sale.empty",
            SaleError::NotOpen => "sale.not_open",
            SaleError::TendersPresent => "sale.tenders_present",
            SaleError::BadParkedSale(_) => "sale.bad_parked_sale",
        }
    }
}

impl From<TenderError> for SaleError {
    fn from(e: TenderError) -> Self {
        match e {
            TenderError::CreditLimitExceeded {
                customer,
                would_owe,
                limit,
                available,
            } => SaleError::CreditLimitExceeded {
                customer,
                would_owe,
                limit,
                available,
            },
            other => SaleError::Tender(other),
        }
    }
}
