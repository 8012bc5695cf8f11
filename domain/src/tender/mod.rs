//! Tenders: how a sale is paid (or a return refunded), and the arithmetic of
//! change, cash rounding, vouchers and customer credit.
//!
//! Rules ([`settle`]):
//! * Kinds: cash, card, voucher, on account; a sale may be split over any
//!   number of tenders (several of the same kind too).
//! * **Change is only ever given from cash.** Card and on-account tenders
//!   together may not exceed the amount due ([`TenderError::NonCashOverpay`]).
//! * **Vouchers never give change.** Decision: a voucher's face value that
//!   exceeds what is left to pay after card and on-account tenders is
//!   **forfeited** (recorded as `voucher_forfeited` on the settlement, so the
//!   books show it), because paper vouchers are redeemed whole; a terminal
//!   that has stored-value vouchers should tender only the amount it wants to
//!   take off the voucher.
//! * **Cash rounding** ([`CashRounding`]) applies to the part paid in cash
//!   only, and only when a cash tender is present: the cash due (what is left
//!   after the non-cash tenders) is rounded to the currency's cash increment
//!   and the difference is recorded as its own adjustment (`cash_rounding`),
//!   so `total + cash_rounding` is what the customer really paid.
//!   A card-only sale is never rounded.
//! * **On account** charges a customer's account: `balance + amount` must not
//!   exceed the credit limit ([`TenderError::CreditLimitExceeded`]); without a
//!   customer it is refused ([`TenderError::NoCustomerAccount`]).
//! * Amounts are positive (cash may be zero when the rounded cash due is
//!   zero).
//!
//! Refunds ([`settle_refund`]) use the same kinds: non-cash refunds may not
//! exceed the refund, the remainder is paid out in cash rounded the same way,
//! and the cash paid out must be exactly that amount (no change in refunds).

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::money::{CashRounding, Money};

/// How something was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    /// Notes and coins; the only tender that gives change.
    Cash,
    /// Payment card (authorised by the card terminal).
    Card,
    /// Gift or credit voucher.
    Voucher,
    /// Charged to the customer's account.
    OnAccount,
}

impl TenderKind {
    /// Every kind, in report order.
    pub const ALL: [TenderKind; 4] = [
        TenderKind::Cash,
        TenderKind::Card,
        TenderKind::Voucher,
        TenderKind::OnAccount,
    ];

    /// Stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::Card => "card",
            TenderKind::Voucher => "voucher",
            TenderKind::OnAccount => "on_account",
        }
    }
}

/// One payment on a sale. JSON: `{"kind":"card","amount":"12.50","reference":"AUTH123"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    /// Kind.
    pub kind: TenderKind,
    /// Amount handed over / charged (cash: what the customer gave).
    pub amount: Money,
    /// Card authorisation, voucher code or customer code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Tender {
    /// A tender without reference.
    pub fn new(kind: TenderKind, amount: Money) -> Self {
        Tender {
            kind,
            amount,
            reference: None,
        }
    }

    /// Cash.
    pub fn cash(amount: Money) -> Self {
        Tender::new(TenderKind::Cash, amount)
    }

    /// Card.
    pub fn card(amount: Money) -> Self {
        Tender::new(TenderKind::Card, amount)
    }
}

/// A customer's credit account for on-account tenders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditAccount {
    /// Customer code.
    pub customer_code: String,
    /// Maximum balance allowed.
    pub credit_limit: Money,
    /// Current balance owed.
    pub balance: Money,
}

/// The outcome of applying tenders to an amount due.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settlement {
    /// The sale total before cash rounding.
    pub total_due: Money,
    /// Σ card + on-account tenders.
    pub card_and_account: Money,
    /// Voucher value used towards the sale.
    pub voucher_used: Money,
    /// Voucher value above what was left to pay, kept by the shop.
    pub voucher_forfeited: Money,
    /// Cash due after non-cash tenders, after cash rounding (zero when no
    /// cash tender).
    pub cash_due: Money,
    /// `rounded − unrounded` cash due: the receipt's cash rounding line.
    pub cash_rounding: Money,
    /// Σ cash tendered.
    pub cash_tendered: Money,
    /// Change to give back (cash only).
    pub change: Money,
    /// Still to pay (zero when fully paid).
    pub outstanding: Money,
    /// Charged to the customer's account.
    pub account_charge: Money,
}

impl Settlement {
    /// Fully paid.
    pub fn is_paid(&self) -> bool {
        self.outstanding.is_zero()
    }

    /// What the customer really pays: `total_due + cash_rounding`.
    pub fn total_paid(&self) -> Money {
        self.total_due + self.cash_rounding
    }

    /// Net amount per tender kind that stays in the till/account: cash is
    /// `cash_tendered − change`, vouchers are their full face value.
    pub fn net_by_kind(&self, tenders: &[Tender]) -> Vec<(TenderKind, Money)> {
        TenderKind::ALL
            .iter()
            .filter_map(|&k| {
                let sum: Money = tenders
                    .iter()
                    .filter(|t| t.kind == k)
                    .map(|t| t.amount)
                    .sum();
                let net = if k == TenderKind::Cash {
                    sum - self.change
                } else {
                    sum
                };
                tenders.iter().any(|t| t.kind == k).then_some((k, net))
            })
            .collect()
    }
}

/// Why tenders cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    /// Zero or negative tender.
    #[error("a {} tender of {amount} is not possible — enter an amount above zero", .kind.name())]
    InvalidAmount {
        /// Kind.
        kind: TenderKind,
        /// The amount given.
        amount: Money,
    },
    /// Card / on-account tenders exceed the amount due.
    #[error(
        "card and account payments of {non_cash} exceed the amount due {due} — change is only given from cash; charge at most {due}"
    )]
    NonCashOverpay {
        /// Σ card + on account.
        non_cash: Money,
        /// The amount due.
        due: Money,
    },
    /// On account without a customer.
    #[error("an on-account payment needs a customer — select the customer first")]
    NoCustomerAccount,
    /// The account would exceed its limit.
    #[error(
        "customer {customer} would owe {would_owe}, over the credit limit {limit} — take at most {available} on account and the rest by another tender"
    )]
    CreditLimitExceeded {
        /// Customer code.
        customer: String,
        /// Balance after the charge.
        would_owe: Money,
        /// The limit.
        limit: Money,
        /// What can still be charged.
        available: Money,
    },
    /// Refund tenders do not match the refund.
    #[error(
        "refund tenders of {given} do not match the refund of {expected} — pay out exactly {expected}"
    )]
    RefundMismatch {
        /// What the refund requires (after cash rounding).
        expected: Money,
        /// What the tenders add up to.
        given: Money,
    },
}

impl ErrorCode for TenderError {
    fn code(&self) -> &'static str {
        match self {
            TenderError::InvalidAmount { .. } => "tender.invalid_amount",
            TenderError::NonCashOverpay { .. } => "tender.non_cash_overpay",
            TenderError::NoCustomerAccount => "tender.no_customer_account",
            TenderError::CreditLimitExceeded { .. } => "tender.credit_limit_exceeded",
            TenderError::RefundMismatch { .. } => "tender.refund_mismatch",
        }
    }
}

fn sum_of(tenders: &[Tender], kind: TenderKind) -> Money {
    tenders
        .iter()
        .filter(|t| t.kind == kind)
        .map(|t| t.amount)
        .sum()
}

fn check_amounts(tenders: &[Tender]) -> Result<(), TenderError> {
    for t in tenders {
        let ok = if t.kind == TenderKind::Cash {
            !t.amount.is_negative()
        } else {
            t.amount > Money::ZERO
        };
        if !ok {
            return Err(TenderError::InvalidAmount {
                kind: t.kind,
                amount: t.amount,
            });
        }
    }
    Ok(())
}

/// Check an on-account charge against the customer's credit limit.
pub fn check_credit(account: Option<&CreditAccount>, charge: Money) -> Result<(), TenderError> {
    if charge.is_zero() {
        return Ok(());
    }
    let account = account.ok_or(TenderError::NoCustomerAccount)?;
    let would_owe = account.balance + charge;
    if would_owe > account.credit_limit {
        return Err(TenderError::CreditLimitExceeded {
            customer: account.customer_code.clone(),
            would_owe,
            limit: account.credit_limit,
            available: (account.credit_limit - account.balance).max(Money::ZERO),
        });
    }
    Ok(())
}

/// Apply `tenders` to `total_due` (a non-negative sale total). See the module
/// docs for the rules. An underpaid sale is not an error here: the
/// settlement's `outstanding` says what is left.
pub fn settle(
    total_due: Money,
    tenders: &[Tender],
    rounding: &CashRounding,
    account: Option<&CreditAccount>,
) -> Result<Settlement, TenderError> {
    check_amounts(tenders)?;
    let card = sum_of(tenders, TenderKind::Card);
    let account_charge = sum_of(tenders, TenderKind::OnAccount);
    let card_and_account = card + account_charge;
    if card_and_account > total_due {
        return Err(TenderError::NonCashOverpay {
            non_cash: card_and_account,
            due: total_due,
        });
    }
    check_credit(account, account_charge)?;
    let after_card = total_due - card_and_account;
    let vouchers = sum_of(tenders, TenderKind::Voucher);
    let voucher_used = vouchers.min(after_card);
    let voucher_forfeited = vouchers - voucher_used;
    let left = after_card - voucher_used;

    let has_cash = tenders.iter().any(|t| t.kind == TenderKind::Cash);
    let cash_tendered = sum_of(tenders, TenderKind::Cash);
    let (cash_due, cash_rounding) = if has_cash && left > Money::ZERO {
        rounding.apply(left)
    } else {
        (Money::ZERO, Money::ZERO)
    };
    let (change, outstanding) = if has_cash {
        if cash_tendered >= cash_due {
            (cash_tendered - cash_due, Money::ZERO)
        } else {
            (Money::ZERO, cash_due - cash_tendered)
        }
    } else {
        (Money::ZERO, left)
    };
    Ok(Settlement {
        total_due,
        card_and_account,
        voucher_used,
        voucher_forfeited,
        cash_due,
        cash_rounding,
        cash_tendered,
        change,
        outstanding,
        account_charge,
    })
}

/// What a refund pays out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RefundSettlement {
    /// The refund before cash rounding.
    pub refund_due: Money,
    /// Σ non-cash refunds (card, voucher issued, credited to account).
    pub non_cash: Money,
    /// Cash paid out (rounded).
    pub cash_paid_out: Money,
    /// Cash rounding of the cash part (`rounded − unrounded`).
    pub cash_rounding: Money,
    /// Credited to the customer's account (reduces the balance).
    pub account_credit: Money,
}

/// Expected cash payout for a refund after `non_cash` refunds.
pub fn refund_cash_due(refund_due: Money, non_cash: Money, rounding: &CashRounding) -> Money {
    rounding.apply((refund_due - non_cash).max(Money::ZERO)).0
}

/// Check refund tenders: non-cash ≤ refund; cash = the rest, cash-rounded,
/// exactly. An empty tender list means "all in cash".
pub fn settle_refund(
    refund_due: Money,
    tenders: &[Tender],
    rounding: &CashRounding,
) -> Result<RefundSettlement, TenderError> {
    check_amounts(tenders)?;
    let cash: Money = sum_of(tenders, TenderKind::Cash);
    let non_cash: Money = tenders
        .iter()
        .filter(|t| t.kind != TenderKind::Cash)
        .map(|t| t.amount)
        .sum();
    if non_cash > refund_due {
        return Err(TenderError::NonCashOverpay {
            non_cash,
            due: refund_due,
        });
    }
    let left = refund_due - non_cash;
    let (cash_due, cash_rounding) = if left > Money::ZERO {
        rounding.apply(left)
    } else {
        (Money::ZERO, Money::ZERO)
    };
    let cash_paid_out = if tenders.is_empty() { cash_due } else { cash };
    if cash_paid_out != cash_due {
        return Err(TenderError::RefundMismatch {
            expected: non_cash + cash_due,
            given: non_cash + cash_paid_out,
        });
    }
    Ok(RefundSettlement {
        refund_due,
        non_cash,
        cash_paid_out,
        cash_rounding,
        account_credit: sum_of(tenders, TenderKind::OnAccount),
    })
}

#[cfg(test)]
mod tests;
