//! The payload of every master-data entity, typed.
//!
//! A [`MasterDataChange`]'s `data` is a JSON object whose shape depends on
//! its entity. [`parse_change`] reads it into the entity's type, with the
//! domain's types (units, lifecycle, money, VAT rates, roles, promotions),
//! and names the first thing that is wrong. Head office runs it on every
//! change it is asked to publish and refuses the whole publish on the first
//! fault ([`ChangeError`], a stable `sync.change_*` code); the till applies
//! every change through it. So a change head office accepts is one every
//! till can apply.
//!
//! What a change may be:
//! - its key is 1–256 bytes without control characters, in the entity's
//!   key form (table below);
//! - an upsert carries an object, a delete `null` (or nothing);
//! - the object holds only the entity's fields; a field that repeats the key
//!   (`sku` of a product published from CSV) must equal it;
//! - values are read as CSV sends them (see `fields`): text, decimal
//!   strings, whole numbers and booleans as strings are all accepted; text
//!   has no control characters and at most 1,024 bytes; amounts are
//!   0–1,000,000,000 (a customer's balance may be negative).
//!
//! | entity | key | fields (required in bold) |
//! |---|---|---|
//! | product | SKU (no spaces) | **name**, group, brand, unit (`piece` default), vat_class (`standard`), lifecycle or status (`ACTIVE`), plu, tracks_batches, markup_percent, cost, price, sku |
//! | barcode | the code (no spaces) | **sku**, multiplier (1–100,000, default 1), code |
//! | price | `sku` or `sku/store` | **price**, store (= the key's), valid_from, valid_to, sku |
//! | price_tier | `sku/kind/customer_group/min_qty` | **price**, sku, kind (`group` default, or `step`), store, customer_group (required for `group`), min_qty (required for `step`, none for `group`), valid_from, valid_to |
//! | promotion | promotion id | a `kasa_domain::pricing::Promotion`: **from**, **kind**, name, to, stores, customer_groups, id |
//! | customer | customer code | **name**, customer_group, credit_limit, balance, code |
//! | customer_group | group code | name (the code by default), code |
//! | tax_rate | `class/valid_from` | **rate_percent** (0–100), class, valid_from, valid_to |
//! | user | login | **role**, **pin_hash** (argon2 PHC), name, active, login |
//! | role | `cashier`, `manager` or `admin` | **permissions** (names from `kasa_domain::permission::Permission`) |
//!
//! The canonical form of each payload (what [`MasterDataPayload::to_data`]
//! writes and the golden files freeze) is one accepted spelling; head
//! office stores and sends the data as it was published.

use kasa_domain::ErrorCode;
use serde_json::Value;
use thiserror::Error;

use super::{ChangeOp, Entity, MasterDataChange};
use crate::codes;
use crate::limits::{MAX_CHANGE_BYTES, MAX_KEY_BYTES};

mod catalog;
mod fields;
mod people;
#[cfg(test)]
mod tests;

pub use catalog::{
    BarcodeData, MAX_MULTIPLIER, PriceData, PriceKey, PriceTierData, ProductData, TierKey, TierKind,
};
pub use fields::{MAX_AMOUNT, MAX_TEXT_BYTES};
pub use people::{CustomerData, CustomerGroupData, RoleData, TaxRateKey, UserData};

use kasa_domain::permission::Role;
use kasa_domain::pricing::Promotion;
use kasa_domain::tax::VatRate;

/// An upsert's payload, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum MasterDataPayload {
    /// A product.
    Product(ProductData),
    /// A barcode of a product.
    Barcode(BarcodeData),
    /// A base price.
    Price(PriceData),
    /// A customer-group or quantity price.
    PriceTier(PriceTierData),
    /// A promotion (its id is the key).
    Promotion(Promotion),
    /// A customer.
    Customer(CustomerData),
    /// A customer group.
    CustomerGroup(CustomerGroupData),
    /// A VAT rate of a class from a day on.
    TaxRate(VatRate),
    /// A till user.
    User(UserData),
    /// The permissions of a role.
    Role(RoleData),
}

/// What a delete removes, read from its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteKey {
    /// A product (archived on the till: documents refer to it).
    Product(String),
    /// A barcode.
    Barcode(String),
    /// A base price.
    Price(PriceKey),
    /// A price tier.
    PriceTier(TierKey),
    /// A promotion.
    Promotion(String),
    /// A customer.
    Customer(String),
    /// A customer group.
    CustomerGroup(String),
    /// A VAT rate.
    TaxRate(TaxRateKey),
    /// A user (deactivated on the till: documents name them).
    User(String),
    /// A role's head-office permissions (the built-in table applies again).
    Role(Role),
}

/// A change read through the contract.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedChange {
    /// Create or replace.
    Upsert(MasterDataPayload),
    /// Remove.
    Delete(DeleteKey),
}

/// What is wrong with a change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChangeFault {
    /// Empty, too long, or with control characters or spaces.
    #[error("the key must be 1–{MAX_KEY_BYTES} bytes without spaces or control characters")]
    BadKey,
    /// The key is not in the entity's form.
    #[error("the key is not of the form {form}")]
    KeyForm {
        /// The expected form.
        form: &'static str,
    },
    /// An upsert without an object.
    #[error("an upsert needs its data as a JSON object")]
    UpsertWithoutData,
    /// A delete with data.
    #[error("a delete carries no data — leave data out or null")]
    DeleteWithData,
    /// A field the entity does not have.
    #[error("\"{field}\" is not a field of this entity — its fields are: {known}")]
    UnknownField {
        /// The field (first 64 characters).
        field: String,
        /// The entity's fields.
        known: &'static str,
    },
    /// A required field is missing or empty.
    #[error("\"{field}\" is required")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field's value cannot be used.
    #[error("\"{field}\" {problem}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The change is larger than a change may be.
    #[error("{bytes} bytes is more than the {MAX_CHANGE_BYTES} a change may have")]
    TooLarge {
        /// Its size as compact JSON.
        bytes: u64,
    },
}

impl ErrorCode for ChangeFault {
    fn code(&self) -> &'static str {
        match self {
            ChangeFault::BadKey | ChangeFault::KeyForm { .. } => codes::CHANGE_BAD_KEY,
            ChangeFault::UpsertWithoutData | ChangeFault::DeleteWithData => codes::CHANGE_SHAPE,
            ChangeFault::UnknownField { .. } => codes::CHANGE_UNKNOWN_FIELD,
            ChangeFault::MissingField { .. } => codes::CHANGE_MISSING_FIELD,
            ChangeFault::BadValue { .. } => codes::CHANGE_BAD_VALUE,
            ChangeFault::TooLarge { .. } => codes::CHANGE_TOO_LARGE,
        }
    }
}

/// A change that breaks the contract, named by entity and key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{entity} \"{key}\": {fault}")]
pub struct ChangeError {
    /// Its entity's wire name.
    pub entity: &'static str,
    /// Its key (first 64 characters).
    pub key: String,
    /// What is wrong.
    pub fault: ChangeFault,
}

impl ErrorCode for ChangeError {
    fn code(&self) -> &'static str {
        self.fault.code()
    }
}

/// Key: 1–256 bytes, no control characters; `spaces` allowed or not.
pub(crate) fn check_key(key: &str, spaces: bool) -> Result<(), ChangeFault> {
    if key.is_empty()
        || key.len() > MAX_KEY_BYTES
        || key
            .chars()
            .any(|c| c.is_control() || (!spaces && c.is_whitespace()))
    {
        return Err(ChangeFault::BadKey);
    }
    Ok(())
}

/// Read one change through the contract.
pub fn parse_change(
    entity: Entity,
    key: &str,
    op: ChangeOp,
    data: &Value,
) -> Result<TypedChange, ChangeError> {
    parse_fault(entity, key, op, data).map_err(|fault| ChangeError {
        entity: entity.as_str(),
        key: key.chars().take(64).collect(),
        fault,
    })
}

/// [`parse_change`] of a change as it travels.
pub fn parse(change: &MasterDataChange) -> Result<TypedChange, ChangeError> {
    parse_change(change.entity, &change.key, change.op, &change.data)
}

fn parse_fault(
    entity: Entity,
    key: &str,
    op: ChangeOp,
    data: &Value,
) -> Result<TypedChange, ChangeFault> {
    // promotion ids and customer names may hold spaces; codes and SKUs not
    check_key(key, matches!(entity, Entity::Promotion))?;
    let bytes = data.to_string().len() as u64 + key.len() as u64 + 64;
    if bytes > MAX_CHANGE_BYTES {
        return Err(ChangeFault::TooLarge { bytes });
    }
    match (op, data) {
        (ChangeOp::Delete, Value::Null) => delete_key(entity, key).map(TypedChange::Delete),
        (ChangeOp::Delete, _) => Err(ChangeFault::DeleteWithData),
        (ChangeOp::Upsert, Value::Object(map)) => upsert(entity, key, map).map(TypedChange::Upsert),
        (ChangeOp::Upsert, _) => Err(ChangeFault::UpsertWithoutData),
    }
}

fn delete_key(entity: Entity, key: &str) -> Result<DeleteKey, ChangeFault> {
    let owned = key.to_owned();
    Ok(match entity {
        Entity::Product => DeleteKey::Product(owned),
        Entity::Barcode => DeleteKey::Barcode(owned),
        Entity::Price => DeleteKey::Price(PriceKey::parse(key)?),
        Entity::PriceTier => DeleteKey::PriceTier(TierKey::parse(key)?),
        Entity::Promotion => DeleteKey::Promotion(owned),
        Entity::Customer => DeleteKey::Customer(owned),
        Entity::CustomerGroup => DeleteKey::CustomerGroup(owned),
        Entity::TaxRate => DeleteKey::TaxRate(TaxRateKey::parse(key)?),
        Entity::User => DeleteKey::User(owned),
        Entity::Role => DeleteKey::Role(people::role_key(key)?),
    })
}

fn upsert(
    entity: Entity,
    key: &str,
    map: &serde_json::Map<String, Value>,
) -> Result<MasterDataPayload, ChangeFault> {
    Ok(match entity {
        Entity::Product => MasterDataPayload::Product(ProductData::parse(key, map)?),
        Entity::Barcode => MasterDataPayload::Barcode(BarcodeData::parse(key, map)?),
        Entity::Price => MasterDataPayload::Price(PriceData::parse(key, map)?),
        Entity::PriceTier => MasterDataPayload::PriceTier(PriceTierData::parse(key, map)?),
        Entity::Promotion => MasterDataPayload::Promotion(catalog::parse_promotion(key, map)?),
        Entity::Customer => MasterDataPayload::Customer(CustomerData::parse(key, map)?),
        Entity::CustomerGroup => {
            MasterDataPayload::CustomerGroup(CustomerGroupData::parse(key, map)?)
        }
        Entity::TaxRate => MasterDataPayload::TaxRate(people::parse_tax_rate(key, map)?),
        Entity::User => MasterDataPayload::User(UserData::parse(key, map)?),
        Entity::Role => MasterDataPayload::Role(RoleData::parse(key, map)?),
    })
}

impl MasterDataPayload {
    /// The entity it is.
    pub fn entity(&self) -> Entity {
        match self {
            MasterDataPayload::Product(_) => Entity::Product,
            MasterDataPayload::Barcode(_) => Entity::Barcode,
            MasterDataPayload::Price(_) => Entity::Price,
            MasterDataPayload::PriceTier(_) => Entity::PriceTier,
            MasterDataPayload::Promotion(_) => Entity::Promotion,
            MasterDataPayload::Customer(_) => Entity::Customer,
            MasterDataPayload::CustomerGroup(_) => Entity::CustomerGroup,
            MasterDataPayload::TaxRate(_) => Entity::TaxRate,
            MasterDataPayload::User(_) => Entity::User,
            MasterDataPayload::Role(_) => Entity::Role,
        }
    }

    /// The canonical `data` object of this payload (keys sorted).
    pub fn to_data(&self) -> Result<Value, serde_json::Error> {
        let value = match self {
            MasterDataPayload::Product(p) => serde_json::to_value(p),
            MasterDataPayload::Barcode(b) => serde_json::to_value(b),
            MasterDataPayload::Price(p) => serde_json::to_value(p),
            MasterDataPayload::PriceTier(t) => serde_json::to_value(t),
            MasterDataPayload::Promotion(p) => serde_json::to_value(p),
            MasterDataPayload::Customer(c) => serde_json::to_value(c),
            MasterDataPayload::CustomerGroup(g) => serde_json::to_value(g),
            MasterDataPayload::TaxRate(r) => serde_json::to_value(r),
            MasterDataPayload::User(u) => serde_json::to_value(u),
            MasterDataPayload::Role(r) => serde_json::to_value(r),
        }?;
        // through a BTreeMap-backed re-parse, so keys come out sorted even
        // where serde_json's `preserve_order` is switched on elsewhere
        Ok(sorted(value))
    }
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
