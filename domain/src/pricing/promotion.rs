//! Promotions: the JSON import format of `promotions.json` (an array of
//! [`Promotion`]) and the rules for when one applies.
//!
//! ```json
//! {
//!   "id": "P-YOG-06",
//!   "name": "Yoghurt 1.29",
//!   "from": "2026-06-01T00:00:00",
//!   "to": "2026-07-01T00:00:00",
//!   "stores": ["S001"],
//!   "customer_groups": [],
//!   "kind": { "type": "fixed_price", "skus": ["100234"], "price": "1.29" }
//! }
//! ```
//!
//! * `from` / `to`: local date-times; the promotion is active on the half-open
//!   window `[from, to)` — active at `from`, no longer at `to`. `to` may be
//!   omitted (open-ended).
//! * `stores`: store ids the promotion runs in; empty or omitted = all stores.
//! * `customer_groups`: groups it is limited to; empty or omitted = everyone.
//!   A promotion limited to groups never applies to an anonymous sale.
//! * `kind` (tagged by `"type"`), amounts as decimal strings (numbers are
//!   accepted too):
//!   - `{"type":"fixed_price","skus":[..],"price":"1.29"}` — unit price
//!     candidate;
//!   - `{"type":"percent_off","skus":[..],"percent":"15"}` — unit price
//!     candidate = regular price − 15 %, rounded half away from zero to the
//!     cent;
//!   - `{"type":"bogo","skus":[..],"buy":2,"get":1,"get_percent_off":"100"}`
//!     — buy N get M free (`get_percent_off` 100, the default) or at a
//!     percentage off; units of all listed SKUs are pooled, the cheapest of
//!     each group of N+M get the reduction;
//!   - `{"type":"mix_and_match","skus":[..],"quantity":3,"price":"5.00"}` —
//!     any 3 units of the listed SKUs for 5.00;
//!   - `{"type":"receipt_threshold","min_total":"50.00","reward":{"percent_off":"5"}}`
//!     or `"reward":{"amount_off":"3.00"}` — spend at least `min_total`
//!     (after item discounts) and get the reward on the whole receipt.
//!
//! `fixed_price` and `percent_off` are *line* promotions: they compete as a
//! price candidate in [`super::price_line`]. The other three are *basket*
//! promotions evaluated over the whole cart by [`super::evaluate_basket`].

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// A promotion as imported from head office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// Stable id (recorded on lines it priced or discounted).
    pub id: String,
    /// Name shown on the receipt.
    #[serde(default)]
    pub name: String,
    /// First moment the promotion is active (inclusive).
    pub from: NaiveDateTime,
    /// The moment it stops (exclusive); `None` = open-ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDateTime>,
    /// Store ids; empty = all stores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
    /// Customer groups; empty = everyone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_groups: Vec<String>,
    /// What the promotion does.
    pub kind: PromotionKind,
}

fn hundred() -> Decimal {
    dec!(100)
}

/// What a promotion does. JSON: tagged by `"type"` in snake_case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PromotionKind {
    /// The listed SKUs sell at `price` per unit.
    FixedPrice {
        /// SKUs it applies to.
        skus: Vec<String>,
        /// Unit price.
        price: Money,
    },
    /// The listed SKUs sell at their regular price less `percent`.
    PercentOff {
        /// SKUs it applies to.
        skus: Vec<String>,
        /// Percentage off the regular price (0–100).
        percent: Decimal,
    },
    /// Buy `buy` units, get `get` more at `get_percent_off` % off (100 = free).
    Bogo {
        /// SKUs whose units are pooled.
        skus: Vec<String>,
        /// Units paid in full per group.
        buy: u32,
        /// Units reduced per group.
        get: u32,
        /// Reduction of those units in percent (default 100 = free).
        #[serde(default = "hundred")]
        get_percent_off: Decimal,
    },
    /// Any `quantity` units of the listed SKUs for `price` together.
    MixAndMatch {
        /// SKUs whose units are pooled.
        skus: Vec<String>,
        /// Units per bundle.
        quantity: u32,
        /// Price of one bundle.
        price: Money,
    },
    /// Spend at least `min_total` and get `reward` off the receipt.
    ReceiptThreshold {
        /// Receipt subtotal (after item discounts) that qualifies.
        min_total: Money,
        /// The reward.
        reward: ThresholdReward,
    },
}

/// The reward of a receipt-threshold promotion. JSON:
/// `{"percent_off":"5"}` or `{"amount_off":"3.00"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdReward {
    /// Percentage of the qualifying subtotal.
    PercentOff(Decimal),
    /// A fixed amount (never more than the subtotal).
    AmountOff(Money),
}

impl Promotion {
    /// Active at `at` (window `[from, to)`), in `store`, for `customer_group`.
    pub fn applies(&self, store: &str, customer_group: Option<&str>, at: NaiveDateTime) -> bool {
        self.is_active_at(at) && self.covers_store(store) && self.covers_group(customer_group)
    }

    /// `from <= at < to`.
    pub fn is_active_at(&self, at: NaiveDateTime) -> bool {
        at >= self.from && self.to.is_none_or(|to| at < to)
    }

    /// Empty store list = every store.
    pub fn covers_store(&self, store: &str) -> bool {
        self.stores.is_empty() || self.stores.iter().any(|s| s == store)
    }

    /// Empty group list = everyone; otherwise the sale's group must be listed.
    pub fn covers_group(&self, customer_group: Option<&str>) -> bool {
        self.customer_groups.is_empty()
            || customer_group.is_some_and(|g| self.customer_groups.iter().any(|c| c == g))
    }

    /// The SKUs the promotion lists (empty for receipt thresholds).
    pub fn skus(&self) -> &[String] {
        match &self.kind {
            PromotionKind::FixedPrice { skus, .. }
            | PromotionKind::PercentOff { skus, .. }
            | PromotionKind::Bogo { skus, .. }
            | PromotionKind::MixAndMatch { skus, .. } => skus,
            PromotionKind::ReceiptThreshold { .. } => &[],
        }
    }

    /// True for fixed price / percent off (priced per line).
    pub fn is_line_promotion(&self) -> bool {
        matches!(
            self.kind,
            PromotionKind::FixedPrice { .. } | PromotionKind::PercentOff { .. }
        )
    }

    /// Whether the promotion lists `sku`.
    pub fn lists_sku(&self, sku: &str) -> bool {
        self.skus().iter().any(|s| s == sku)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(d: u32, h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 6, d)
            .unwrap()
            .and_hms_opt(h, m, s)
            .unwrap()
    }

    #[test]
    fn json_format_of_every_kind_round_trips() {
        let json = r#"[
          {"id":"P1","name":"Yoghurt","from":"2026-06-01T00:00:00","to":"2026-07-01T00:00:00",
           "stores":["S001"],"kind":{"type":"fixed_price","skus":["100"],"price":"1.29"}},
          {"id":"P2","from":"2026-06-01T00:00:00",
           "kind":{"type":"percent_off","skus":["100","101"],"percent":"15"}},
          {"id":"P3","from":"2026-06-01T00:00:00",
           "kind":{"type":"bogo","skus":["200"],"buy":2,"get":1}},
          {"id":"P4","from":"2026-06-01T00:00:00","customer_groups":["VIP"],
           "kind":{"type":"bogo","skus":["200"],"buy":1,"get":1,"get_percent_off":50}},
          {"id":"P5","from":"2026-06-01T00:00:00",
           "kind":{"type":"mix_and_match","skus":["300","301"],"quantity":3,"price":"5.00"}},
          {"id":"P6","from":"2026-06-01T00:00:00",
           "kind":{"type":"receipt_threshold","min_total":"50.00","reward":{"percent_off":"5"}}},
          {"id":"P7","from":"2026-06-01T00:00:00",
           "kind":{"type":"receipt_threshold","min_total":"20","reward":{"amount_off":"3.00"}}}
        ]"#;
        let promos: Vec<Promotion> = serde_json::from_str(json).unwrap();
        assert_eq!(promos.len(), 7);
        assert_eq!(promos[0].stores, vec!["S001"]);
        assert!(promos[1].stores.is_empty() && promos[1].to.is_none());
        match &promos[2].kind {
            PromotionKind::Bogo {
                get_percent_off, ..
            } => assert_eq!(*get_percent_off, dec!(100)),
            other => panic!("{other:?}"),
        }
        match &promos[3].kind {
            PromotionKind::Bogo {
                get_percent_off, ..
            } => assert_eq!(*get_percent_off, dec!(50)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            promos[6].kind,
            PromotionKind::ReceiptThreshold {
                min_total: Money(dec!(20)),
                reward: ThresholdReward::AmountOff(Money(dec!(3.00)))
            }
        );
        let back: Vec<Promotion> =
            serde_json::from_str(&serde_json::to_string(&promos).unwrap()).unwrap();
        assert_eq!(back, promos);
        assert!(promos[0].is_line_promotion() && !promos[4].is_line_promotion());
    }

    #[test]
    fn window_edges_store_and_group_scope() {
        let p = Promotion {
            id: "P".into(),
            name: String::new(),
            from: at(1, 0, 0, 0),
            to: Some(at(8, 0, 0, 0)),
            stores: vec!["S001".into()],
            customer_groups: vec![],
            kind: PromotionKind::FixedPrice {
                skus: vec!["1".into()],
                price: Money(dec!(1)),
            },
        };
        // (moment, store, active?)
        let cases = [
            (
                NaiveDate::from_ymd_opt(2026, 5, 31)
                    .unwrap()
                    .and_hms_opt(23, 59, 59)
                    .unwrap(),
                "S001",
                false,
            ),
            (at(1, 0, 0, 0), "S001", true),
            (at(7, 23, 59, 59), "S001", true),
            (at(8, 0, 0, 0), "S001", false),
            (at(3, 12, 0, 0), "S002", false),
        ];
        for (moment, store, expected) in cases {
            assert_eq!(p.applies(store, None, moment), expected, "{moment} {store}");
        }
        let vip = Promotion {
            customer_groups: vec!["VIP".into()],
            to: None,
            stores: vec![],
            ..p
        };
        assert!(vip.applies("S009", Some("VIP"), at(30, 0, 0, 0)));
        assert!(!vip.applies("S009", Some("STAFF"), at(30, 0, 0, 0)));
        assert!(!vip.applies("S009", None, at(30, 0, 0, 0)));
    }
}
