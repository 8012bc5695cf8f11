//! Catalog payloads: product, barcode, price, price tier, promotion.

use chrono::NaiveDate;
use kasa_domain::pricing::{Promotion, PromotionKind, ThresholdReward};
use kasa_domain::product::{Lifecycle, Product, Unit};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ChangeFault;
use super::fields::{Fields, check_amount, check_text, check_window};

/// Largest packaging multiplier (a barcode on a box of N).
pub const MAX_MULTIPLIER: u32 = 100_000;

const PRODUCT_FIELDS: &str = "name, group, brand, unit, vat_class, lifecycle, status, plu, tracks_batches, markup_percent, cost, price, sku";
const BARCODE_FIELDS: &str = "sku, multiplier, code";
const PRICE_FIELDS: &str = "price, store, valid_from, valid_to, sku";
const TIER_FIELDS: &str = "price, sku, kind, store, customer_group, min_qty, valid_from, valid_to";
const PROMOTION_FIELDS: &str = "from, kind, name, to, stores, customer_groups, id";

fn is_empty(text: &str) -> bool {
    text.is_empty()
}

/// A product: the domain's `Product` (its SKU is the key) and what head
/// office prices it at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductData {
    /// The product (lifecycle sent as `lifecycle` or, from CSV, `status`;
    /// unit `piece`, VAT class `standard` and lifecycle `ACTIVE` by default).
    #[serde(flatten)]
    pub product: Product,
    /// Markup over cost when there is no price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markup_percent: Option<Decimal>,
    /// Unit cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    /// The chain-wide base price (none = leave the till's as it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
}

impl ProductData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let mut f = Fields::new(map);
        f.key_echo("sku", key)?;
        let lifecycle = match f.parsed::<Lifecycle>("lifecycle")? {
            Some(l) => Some(l),
            None => f.parsed::<Lifecycle>("status")?,
        };
        let product = Product {
            sku: key.to_owned(),
            name: f.required_text("name")?,
            group: f.text("group")?.unwrap_or_default(),
            brand: f.text("brand")?.unwrap_or_default(),
            unit: f.parsed("unit")?.unwrap_or(Unit::Piece),
            vat_class: f
                .text("vat_class")?
                .unwrap_or_else(|| "standard".to_owned()),
            lifecycle: lifecycle.unwrap_or(Lifecycle::Active),
            plu: f.whole("plu")?,
            tracks_batches: f.boolean("tracks_batches")?.unwrap_or(false),
        };
        let data = ProductData {
            product,
            markup_percent: f.amount("markup_percent")?,
            cost: f.amount("cost")?,
            price: f.amount("price")?,
        };
        // `status` is read only when `lifecycle` is absent; mark it known
        f.value("status");
        f.finish(PRODUCT_FIELDS)?;
        data.product.validate().map_err(|e| ChangeFault::BadValue {
            field: "sku",
            problem: e.to_string(),
        })?;
        Ok(data)
    }
}

/// A barcode of a product. The code is the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BarcodeData {
    /// The key: the code as printed.
    #[serde(skip)]
    pub code: String,
    /// The product it scans to.
    pub sku: String,
    /// Units one scan counts (a box of 12 = 12).
    pub multiplier: u32,
}

impl BarcodeData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let mut f = Fields::new(map);
        f.key_echo("code", key)?;
        let sku = f.required_text("sku")?;
        super::check_key(&sku, false).map_err(|_| ChangeFault::BadValue {
            field: "sku",
            problem: "is not a SKU (no spaces or control characters)".into(),
        })?;
        let multiplier = f.whole("multiplier")?.unwrap_or(1);
        if !(1..=MAX_MULTIPLIER).contains(&multiplier) {
            return Err(ChangeFault::BadValue {
                field: "multiplier",
                problem: format!("{multiplier} is not from 1 to {MAX_MULTIPLIER}"),
            });
        }
        f.finish(BARCODE_FIELDS)?;
        Ok(BarcodeData {
            code: key.to_owned(),
            sku,
            multiplier,
        })
    }
}

/// Which base price: `sku` (chain-wide) or `sku/store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceKey {
    /// The product.
    pub sku: String,
    /// The store ("" = every store).
    pub store: String,
}

impl PriceKey {
    pub(crate) fn parse(key: &str) -> Result<Self, ChangeFault> {
        let (sku, store) = key.split_once('/').unwrap_or((key, ""));
        if sku.is_empty() || store.contains('/') {
            return Err(ChangeFault::KeyForm {
                form: "sku or sku/store",
            });
        }
        Ok(PriceKey {
            sku: sku.to_owned(),
            store: store.to_owned(),
        })
    }
}

/// A base price of a product, chain-wide or for one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceData {
    /// From the key.
    #[serde(skip)]
    pub sku: String,
    /// The store ("" = every store).
    #[serde(skip_serializing_if = "is_empty")]
    pub store: String,
    /// The price (VAT-inclusive unless the store prices exclusive).
    pub price: Decimal,
    /// First day (inclusive); none = always.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day (inclusive); none = open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

fn check_dates(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), ChangeFault> {
    match (from, to) {
        (Some(from), Some(to)) if to < from => Err(ChangeFault::BadValue {
            field: "valid_to",
            problem: format!("{to} is before valid_from {from}"),
        }),
        _ => Ok(()),
    }
}

impl PriceData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let PriceKey { sku, store } = PriceKey::parse(key)?;
        let mut f = Fields::new(map);
        f.key_echo("sku", &sku)?;
        let store = match f.text("store")? {
            Some(given) if !store.is_empty() && given != store => {
                return Err(ChangeFault::BadValue {
                    field: "store",
                    problem: format!("{given:?} differs from the key's store {store:?}"),
                });
            }
            Some(given) => given,
            None => store,
        };
        let price = PriceData {
            sku,
            store,
            price: f.required_amount("price")?,
            valid_from: f.date("valid_from")?,
            valid_to: f.date("valid_to")?,
        };
        check_dates(price.valid_from, price.valid_to)?;
        f.finish(PRICE_FIELDS)?;
        Ok(price)
    }
}

/// A price tier's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TierKind {
    /// The price for members of a customer group.
    Group,
    /// The price from a quantity up.
    Step,
}

impl TierKind {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            TierKind::Group => "group",
            TierKind::Step => "step",
        }
    }

    fn parse(text: &str) -> Option<TierKind> {
        match text {
            "group" => Some(TierKind::Group),
            "step" => Some(TierKind::Step),
            _ => None,
        }
    }
}

/// Which tier: `sku/kind/customer_group/min_qty` (parts may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierKey {
    /// The product.
    pub sku: String,
    /// Group or step.
    pub kind: TierKind,
    /// The group ("" = none).
    pub customer_group: String,
    /// The quantity ("" = none), as written in the key.
    pub min_qty: String,
}

const TIER_KEY_FORM: &str = "sku/kind/customer_group/min_qty (kind group or step)";

impl TierKey {
    pub(crate) fn parse(key: &str) -> Result<Self, ChangeFault> {
        let form = ChangeFault::KeyForm {
            form: TIER_KEY_FORM,
        };
        let parts: Vec<&str> = key.split('/').collect();
        let [sku, kind, group, min_qty] = parts[..] else {
            return Err(form);
        };
        let kind = TierKind::parse(kind).ok_or(form.clone())?;
        if sku.is_empty() || (!min_qty.is_empty() && min_qty.parse::<Decimal>().is_err()) {
            return Err(form);
        }
        Ok(TierKey {
            sku: sku.to_owned(),
            kind,
            customer_group: group.to_owned(),
            min_qty: min_qty.to_owned(),
        })
    }
}

/// A customer-group or quantity-break price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceTierData {
    /// The product.
    pub sku: String,
    /// Group or step.
    pub kind: TierKind,
    /// The store ("" = every store).
    #[serde(skip_serializing_if = "is_empty")]
    pub store: String,
    /// The group ("" = anyone; required for `group`).
    #[serde(skip_serializing_if = "is_empty")]
    pub customer_group: String,
    /// The quantity it applies from (required for `step`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_qty: Option<Decimal>,
    /// The unit price.
    pub price: Decimal,
    /// First day (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

impl PriceTierData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Result<Self, ChangeFault> {
        let tier_key = TierKey::parse(key)?;
        let mut f = Fields::new(map);
        f.key_echo("sku", &tier_key.sku)?;
        let kind = match f.text("kind")? {
            None => TierKind::Group,
            Some(text) => TierKind::parse(&text).ok_or_else(|| ChangeFault::BadValue {
                field: "kind",
                problem: format!("{text:?} is not group or step"),
            })?,
        };
        let tier = PriceTierData {
            sku: tier_key.sku.clone(),
            kind,
            store: f.text("store")?.unwrap_or_default(),
            customer_group: f.text("customer_group")?.unwrap_or_default(),
            min_qty: f.decimal("min_qty")?,
            price: f.required_amount("price")?,
            valid_from: f.date("valid_from")?,
            valid_to: f.date("valid_to")?,
        };
        check_dates(tier.valid_from, tier.valid_to)?;
        f.finish(TIER_FIELDS)?;
        if let Some(q) = tier.min_qty
            && q <= Decimal::ZERO
        {
            return Err(ChangeFault::BadValue {
                field: "min_qty",
                problem: format!("{q} is not above 0"),
            });
        }
        match tier.kind {
            TierKind::Group if tier.customer_group.is_empty() => {
                return Err(ChangeFault::MissingField {
                    field: "customer_group",
                });
            }
            TierKind::Group if tier.min_qty.is_some() => {
                return Err(ChangeFault::BadValue {
                    field: "min_qty",
                    problem: "is not part of a group price; a group's price from a quantity up is kind step with customer_group".into(),
                });
            }
            TierKind::Step if tier.min_qty.is_none() => {
                return Err(ChangeFault::MissingField { field: "min_qty" });
            }
            _ => {}
        }
        // the key names the tier a later delete removes: it must be this one
        let key_qty = (!tier_key.min_qty.is_empty())
            .then(|| tier_key.min_qty.parse::<Decimal>().ok())
            .flatten();
        if tier_key.kind != tier.kind
            || tier_key.customer_group != tier.customer_group
            || key_qty != tier.min_qty
        {
            return Err(ChangeFault::KeyForm {
                form: "sku/kind/customer_group/min_qty of this tier's own fields",
            });
        }
        Ok(tier)
    }
}

const KIND_FIELDS: [(&str, &[&str]); 5] = [
    ("fixed_price", &["type", "skus", "price"]),
    ("percent_off", &["type", "skus", "percent"]),
    ("bogo", &["type", "skus", "buy", "get", "get_percent_off"]),
    ("mix_and_match", &["type", "skus", "quantity", "price"]),
    ("receipt_threshold", &["type", "min_total", "reward"]),
];

/// A promotion: the domain's `Promotion` with the key as its id.
pub(crate) fn parse_promotion(
    key: &str,
    map: &Map<String, Value>,
) -> Result<Promotion, ChangeFault> {
    let mut f = Fields::new(map);
    f.key_echo("id", key)?;
    for field in ["from", "kind", "name", "to", "stores", "customer_groups"] {
        f.value(field);
    }
    f.finish(PROMOTION_FIELDS)?;
    if let Some(Value::Object(kind)) = map.get("kind") {
        let type_name = kind.get("type").and_then(Value::as_str).unwrap_or("");
        if let Some((_, allowed)) = KIND_FIELDS.iter().find(|(t, _)| *t == type_name)
            && let Some(extra) = kind.keys().find(|k| !allowed.contains(&k.as_str()))
        {
            return Err(ChangeFault::BadValue {
                field: "kind",
                problem: format!(
                    "has \"{}\", which a {type_name} promotion does not have (it has: {})",
                    extra.chars().take(64).collect::<String>(),
                    allowed.join(", ")
                ),
            });
        }
    }
    let mut object = map.clone();
    object.insert("id".to_owned(), Value::String(key.to_owned()));
    let promotion: Promotion =
        serde_json::from_value(Value::Object(object)).map_err(|e| ChangeFault::BadValue {
            field: "kind",
            problem: format!("does not describe a promotion: {e}"),
        })?;
    check_promotion(&promotion)?;
    Ok(promotion)
}

fn check_promotion(p: &Promotion) -> Result<(), ChangeFault> {
    check_text("name", &p.name)?;
    for text in p.stores.iter().chain(&p.customer_groups).chain(p.skus()) {
        check_text("kind", text)?;
    }
    check_window(p.from, p.to)?;
    let bad = |problem: &str| ChangeFault::BadValue {
        field: "kind",
        problem: problem.to_owned(),
    };
    let hundred = Decimal::ONE_HUNDRED;
    let percent = |value: Decimal| {
        if value < Decimal::ZERO || value > hundred {
            Err(bad("has a percentage outside 0–100"))
        } else {
            Ok(())
        }
    };
    match &p.kind {
        PromotionKind::FixedPrice { price, .. } => {
            check_amount("kind", price.0, Decimal::ZERO).map(|_| ())?
        }
        PromotionKind::PercentOff { percent: p, .. } => percent(*p)?,
        PromotionKind::Bogo {
            buy,
            get,
            get_percent_off,
            ..
        } => {
            if *buy == 0 || *get == 0 {
                return Err(bad("needs buy and get of at least 1"));
            }
            percent(*get_percent_off)?;
        }
        PromotionKind::MixAndMatch {
            quantity, price, ..
        } => {
            if *quantity == 0 {
                return Err(bad("needs a quantity of at least 1"));
            }
            check_amount("kind", price.0, Decimal::ZERO)?;
        }
        PromotionKind::ReceiptThreshold { min_total, reward } => {
            check_amount("kind", min_total.0, Decimal::ZERO)?;
            match reward {
                ThresholdReward::PercentOff(p) => percent(*p)?,
                ThresholdReward::AmountOff(a) => {
                    check_amount("kind", a.0, Decimal::ZERO)?;
                }
            }
        }
    }
    if !matches!(p.kind, PromotionKind::ReceiptThreshold { .. }) && p.skus().is_empty() {
        return Err(bad("lists no SKUs"));
    }
    Ok(())
}
