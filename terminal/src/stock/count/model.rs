//! The count session's data: scope, status, requests and answers.

use chrono::NaiveDateTime;
use kasa_domain::count::VarianceLine;
use kasa_domain::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::stock::StockError;

/// What a count session covers. JSON: `{"kind":"full"}`,
/// `{"kind":"groups","items":["dairy"]}`, `{"kind":"skus","items":["1001"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "items", rename_all = "snake_case")]
pub enum CountScope {
    /// Every product at the location.
    Full,
    /// Products of these catalog groups.
    Groups(Vec<String>),
    /// These SKUs (a shelf, a bay).
    Skus(Vec<String>),
}

impl CountScope {
    pub(super) fn code(&self) -> &'static str {
        match self {
            CountScope::Full => "full",
            CountScope::Groups(_) => "groups",
            CountScope::Skus(_) => "skus",
        }
    }

    pub(super) fn items(&self) -> &[String] {
        match self {
            CountScope::Full => &[],
            CountScope::Groups(items) | CountScope::Skus(items) => items,
        }
    }
}

/// A count session's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountStatus {
    /// Counting.
    Open,
    /// Counting closed, variance shown, waiting for approval.
    Review,
    /// Adjustments posted.
    Approved,
    /// Closed without adjustments.
    Cancelled,
}

impl CountStatus {
    pub(super) fn code(self) -> &'static str {
        match self {
            CountStatus::Open => "open",
            CountStatus::Review => "review",
            CountStatus::Approved => "approved",
            CountStatus::Cancelled => "cancelled",
        }
    }

    pub(super) fn parse(text: &str) -> Result<Self, StockError> {
        Ok(match text {
            "open" => CountStatus::Open,
            "review" => CountStatus::Review,
            "approved" => CountStatus::Approved,
            "cancelled" => CountStatus::Cancelled,
            _ => {
                return Err(StockError::CorruptValue {
                    table: "count_sessions",
                    column: "status",
                    value: text.to_string(),
                });
            }
        })
    }
}

/// Starting a count. JSON:
/// `{"scope":{"kind":"groups","items":["dairy"]},"blind":true,"started_by":"anna"}`
/// (`location` optional, defaults to this till's store; `blind` defaults to false).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountStart {
    /// Location; defaults to this till's store.
    #[serde(default)]
    pub location: Option<String>,
    /// What is counted.
    pub scope: CountScope,
    /// Hide expected quantities from the counters.
    #[serde(default)]
    pub blind: bool,
    /// Who starts it.
    pub started_by: String,
}

/// One count from a device. JSON:
/// `{"device":"hh-1","sku":"1001","qty":"12"}`; optional `entry_no` (the
/// device's own number, for safe retries) and `corrects` (the entry number of
/// the same device this one replaces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountInput {
    /// Device id.
    pub device: String,
    /// SKU counted.
    pub sku: String,
    /// Quantity found (≥ 0).
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// The device's entry number; the next free one when left out.
    #[serde(default)]
    pub entry_no: Option<u64>,
    /// The entry of the same device this one replaces.
    #[serde(default)]
    pub corrects: Option<u64>,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountSessionInfo {
    /// Session id (= the `StockCount` document id once approved).
    pub id: Uuid,
    /// Location counted.
    pub location: String,
    /// Scope.
    pub scope: CountScope,
    /// Blind count.
    pub blind: bool,
    /// Status.
    pub status: CountStatus,
    /// Who started it.
    pub started_by: String,
    /// When.
    pub started_at: NaiveDateTime,
    /// Who approved it.
    pub approved_by: Option<String>,
}

/// The answer to adding a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountAdded {
    /// The entry number stored.
    pub entry_no: u64,
    /// Total counted for this SKU so far, all devices merged.
    pub counted: Decimal,
    /// Expected quantity; `None` in a blind session.
    pub expected: Option<Decimal>,
}

/// The variance review of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountReview {
    /// Session id.
    pub session: Uuid,
    /// Variance lines by SKU (domain rule).
    pub lines: Vec<VarianceLine>,
    /// Σ value of the variances.
    pub total_value: Money,
}

/// What approval posted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountApproved {
    /// The `StockCount` document (= the session id).
    pub document_id: Uuid,
    /// Its number.
    pub number: String,
    /// Adjustment movements posted (non-zero variances not excluded).
    pub adjustments: usize,
}
