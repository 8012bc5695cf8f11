//! One typed payload of each master-data entity.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use kasa_domain::permission::{Permission, Role};
use kasa_domain::pricing::{Promotion, PromotionKind};
use kasa_domain::product::{Lifecycle, Product, Unit};
use kasa_domain::tax::VatRate;
use rust_decimal::Decimal;

use crate::MasterDataPayload;
use crate::master_data::entities::{
    BarcodeData, CustomerData, CustomerGroupData, PriceData, PriceTierData, ProductData, RoleData,
    TierKind, UserData,
};

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn cents(minor: i64) -> Decimal {
    Decimal::new(minor, 2)
}

/// (golden file, key, payload) of every entity.
pub(super) fn all() -> Vec<(&'static str, &'static str, MasterDataPayload)> {
    let midnight = |d: u32| day(2026, 11, d).and_hms_opt(0, 0, 0).unwrap_or_default();
    vec![
        (
            "master_data_product.json",
            "1001",
            MasterDataPayload::Product(ProductData {
                product: Product {
                    sku: "1001".into(),
                    name: "Milk 1 l".into(),
                    group: "dairy".into(),
                    brand: "Dobro".into(),
                    unit: Unit::Piece,
                    vat_class: "reduced".into(),
                    lifecycle: Lifecycle::Active,
                    plu: Some(1001),
                    tracks_batches: true,
                },
                markup_percent: None,
                cost: Some(cents(120)),
                price: Some(cents(199)),
            }),
        ),
        (
            "master_data_barcode.json",
            "4006381333931",
            MasterDataPayload::Barcode(BarcodeData {
                code: "4006381333931".into(),
                sku: "1001".into(),
                multiplier: 1,
            }),
        ),
        (
            "master_data_price.json",
            "1001/S001",
            MasterDataPayload::Price(PriceData {
                sku: "1001".into(),
                store: "S001".into(),
                price: cents(189),
                valid_from: Some(day(2026, 11, 1)),
                valid_to: None,
            }),
        ),
        (
            "master_data_price_tier.json",
            "1001/step//12",
            MasterDataPayload::PriceTier(PriceTierData {
                sku: "1001".into(),
                kind: TierKind::Step,
                store: String::new(),
                customer_group: String::new(),
                min_qty: Some(Decimal::from(12)),
                price: cents(179),
                valid_from: None,
                valid_to: Some(day(2026, 12, 31)),
            }),
        ),
        (
            "master_data_promotion.json",
            "PROMO-2026-11-BOGO",
            MasterDataPayload::Promotion(Promotion {
                id: "PROMO-2026-11-BOGO".into(),
                name: "Milk 2+1".into(),
                from: midnight(20),
                to: Some(midnight(27)),
                stores: vec!["S001".into()],
                customer_groups: Vec::new(),
                kind: PromotionKind::Bogo {
                    skus: vec!["1001".into()],
                    buy: 2,
                    get: 1,
                    get_percent_off: Decimal::ONE_HUNDRED,
                },
            }),
        ),
        (
            "master_data_customer.json",
            "C0042",
            MasterDataPayload::Customer(CustomerData {
                code: "C0042".into(),
                name: "Cafe Rila".into(),
                customer_group: Some("wholesale".into()),
                credit_limit: cents(50_000),
                balance: cents(-1_250),
            }),
        ),
        (
            "master_data_customer_group.json",
            "wholesale",
            MasterDataPayload::CustomerGroup(CustomerGroupData {
                code: "wholesale".into(),
                name: "Wholesale".into(),
            }),
        ),
        (
            "master_data_tax_rate.json",
            "reduced/2026-01-01",
            MasterDataPayload::TaxRate(VatRate {
                class: "reduced".into(),
                rate_percent: Decimal::from(9),
                valid_from: day(2026, 1, 1),
                valid_to: None,
            }),
        ),
        (
            "master_data_user.json",
            "maria",
            MasterDataPayload::User(UserData {
                login: "maria".into(),
                name: "Maria Ivanova".into(),
                role: Role::Cashier,
                pin_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
                active: true,
            }),
        ),
        (
            "master_data_role.json",
            "cashier",
            MasterDataPayload::Role(RoleData {
                role: Role::Cashier,
                permissions: BTreeSet::from([Permission::Return, Permission::NoSale]),
            }),
        ),
    ]
}
