use kasa_domain::ErrorCode;
use kasa_domain::product::{Lifecycle, Unit};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::examples;

fn upsert(entity: Entity, key: &str, data: Value) -> Result<MasterDataPayload, ChangeError> {
    match parse_change(entity, key, ChangeOp::Upsert, &data)? {
        TypedChange::Upsert(payload) => Ok(payload),
        TypedChange::Delete(_) => unreachable!("an upsert parses as an upsert"),
    }
}

#[test]
fn every_example_payload_reads_back_from_its_canonical_data() {
    for (_, change) in examples::master_data_entities() {
        let typed = parse(&change).unwrap_or_else(|e| panic!("{}: {e}", change.key));
        let TypedChange::Upsert(payload) = typed else {
            panic!("{} is an upsert", change.key)
        };
        assert_eq!(payload.to_data().unwrap(), change.data, "{}", change.key);
    }
}

#[test]
fn the_golden_page_is_valid_under_the_contract() {
    for change in examples::master_data_page().changes {
        parse(&change).unwrap_or_else(|e| panic!("version {}: {e}", change.version));
    }
}

#[test]
fn csv_spellings_read_as_their_typed_values() {
    // what a CSV publish sends: every value a string, the key column included
    let csv = json!({"sku": "BG-1", "name": "Сирене", "unit": " KG ", "status": "phase_out",
        "plu": "42", "tracks_batches": "TRUE", "cost": "8.00", "price": "12.40", "group": "",
        "brand": "", "vat_class": "standard", "markup_percent": ""});
    let MasterDataPayload::Product(p) = upsert(Entity::Product, "BG-1", csv).unwrap() else {
        panic!("a product")
    };
    let (p, price, markup) = (p.product, p.price, p.markup_percent);
    assert_eq!(
        (p.unit, p.lifecycle, p.plu, p.tracks_batches),
        (Unit::Kg, Lifecycle::PhaseOut, Some(42), true)
    );
    assert_eq!(price.map(|d| d.to_string()).as_deref(), Some("12.40"));
    assert_eq!(markup, None);
    // the fewest fields: defaults
    let MasterDataPayload::Product(p) =
        upsert(Entity::Product, "P1", json!({"name": "x"})).unwrap()
    else {
        panic!("a product")
    };
    let p = p.product;
    assert_eq!(
        (p.unit, p.lifecycle, p.vat_class.as_str()),
        (Unit::Piece, Lifecycle::Active, "standard")
    );
    let MasterDataPayload::Barcode(b) = upsert(
        Entity::Barcode,
        "4006381333931",
        json!({"code": "4006381333931", "sku": "1001", "multiplier": 12}),
    )
    .unwrap() else {
        panic!("a barcode")
    };
    assert_eq!(b.multiplier, 12);
    let MasterDataPayload::Role(r) = upsert(
        Entity::Role,
        "manager",
        json!({"permissions": "void_line; cash_out"}),
    )
    .unwrap() else {
        panic!("a role")
    };
    assert_eq!(r.permissions.len(), 2);
}

/// Every kind of bad change, with the code it is refused with.
#[test]
fn bad_changes_are_refused_with_a_code_naming_the_fault() {
    use crate::codes::*;
    let long = "K".repeat(257);
    let cases: Vec<(Entity, &str, ChangeOp, Value, &str)> = vec![
        (
            Entity::Product,
            "",
            ChangeOp::Upsert,
            json!({"name": "x"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Product,
            &long,
            ChangeOp::Upsert,
            json!({"name": "x"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Product,
            "A\u{0}B",
            ChangeOp::Upsert,
            json!({"name": "x"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Product,
            "A B",
            ChangeOp::Upsert,
            json!({"name": "x"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!("x"),
            CHANGE_SHAPE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            Value::Null,
            CHANGE_SHAPE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Delete,
            json!({"name": "x"}),
            CHANGE_SHAPE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "colour": "red"}),
            CHANGE_UNKNOWN_FIELD,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"group": "x"}),
            CHANGE_MISSING_FIELD,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "unit": "box"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "lifecycle": "DELETED"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "price": "-1.00"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "price": 1.99}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "price": "1e400"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "cost": "99999999999"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "Milk\u{0}"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x".repeat(2000)}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "plu": "-3"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "tracks_batches": "maybe"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "sku": "P2"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Product,
            "P1",
            ChangeOp::Upsert,
            json!({"name": "x", "pad": "y".repeat(1 << 20)}),
            CHANGE_TOO_LARGE,
        ),
        (
            Entity::Barcode,
            "4006381333931",
            ChangeOp::Upsert,
            json!({"sku": "1001", "multiplier": "six"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Barcode,
            "4006381333931",
            ChangeOp::Upsert,
            json!({"sku": "1001", "multiplier": "0"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Barcode,
            "4006381333931",
            ChangeOp::Upsert,
            json!({"multiplier": "1"}),
            CHANGE_MISSING_FIELD,
        ),
        (
            Entity::Price,
            "1001/S001/x",
            ChangeOp::Upsert,
            json!({"price": "1"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Price,
            "1001/S001",
            ChangeOp::Upsert,
            json!({"price": "1", "store": "S002"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Price,
            "1001",
            ChangeOp::Upsert,
            json!({"price": "1", "valid_from": "01.11.2026"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Price,
            "1001",
            ChangeOp::Upsert,
            json!({"price": "1", "valid_from": "2026-11-02", "valid_to": "2026-11-01"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::PriceTier,
            "1001/step/wholesale/12",
            ChangeOp::Upsert,
            json!({"kind": "step", "customer_group": "vip", "min_qty": "12", "price": "1"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::PriceTier,
            "1001/step//12",
            ChangeOp::Upsert,
            json!({"kind": "step", "price": "1"}),
            CHANGE_MISSING_FIELD,
        ),
        (
            Entity::PriceTier,
            "1001/bulk//12",
            ChangeOp::Delete,
            Value::Null,
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Promotion,
            "PR",
            ChangeOp::Upsert,
            json!({"from": "2026-11-20T00:00:00", "kind": {"type": "percent_off", "skus": ["1"], "percent": "150"}}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Promotion,
            "PR",
            ChangeOp::Upsert,
            json!({"from": "2026-11-20T00:00:00", "to": "2026-11-19T00:00:00", "kind": {"type": "percent_off", "skus": ["1"], "percent": "5"}}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Promotion,
            "PR",
            ChangeOp::Upsert,
            json!({"kind": "bogo", "valid_from": "2026-11-20T00:00:00Z"}),
            CHANGE_UNKNOWN_FIELD,
        ),
        (
            Entity::Promotion,
            "PR",
            ChangeOp::Upsert,
            json!({"from": "2026-11-20T00:00:00", "kind": {"type": "bogo", "skus": ["1"], "buy": 2, "get": 1, "free": true}}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Customer,
            "C1",
            ChangeOp::Upsert,
            json!({"name": "x", "credit_limit": "-5"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::TaxRate,
            "reduced",
            ChangeOp::Upsert,
            json!({"rate_percent": "9"}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::TaxRate,
            "reduced/2026-01-01",
            ChangeOp::Upsert,
            json!({"rate_percent": "109"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::TaxRate,
            "reduced/2026-01-01",
            ChangeOp::Upsert,
            json!({"rate_percent": "9", "class": "standard"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::TaxRate,
            "reduced/2026-01-01",
            ChangeOp::Upsert,
            json!({"class": "reduced"}),
            CHANGE_MISSING_FIELD,
        ),
        (
            Entity::User,
            "maria",
            ChangeOp::Upsert,
            json!({"role": "cashier", "pin_hash": "1234"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::User,
            "maria",
            ChangeOp::Upsert,
            json!({"role": "boss", "pin_hash": "$argon2id$x"}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Role,
            "supervisor",
            ChangeOp::Upsert,
            json!({"permissions": []}),
            CHANGE_BAD_KEY,
        ),
        (
            Entity::Role,
            "cashier",
            ChangeOp::Upsert,
            json!({"permissions": ["fly"]}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Role,
            "admin",
            ChangeOp::Upsert,
            json!({"permissions": ["void_line"]}),
            CHANGE_BAD_VALUE,
        ),
        (
            Entity::Role,
            "cashier",
            ChangeOp::Delete,
            json!([]),
            CHANGE_SHAPE,
        ),
    ];
    for (entity, key, op, data, code) in cases {
        let err = parse_change(entity, key, op, &data)
            .expect_err(&format!("{entity:?} {key:?} {data} must be refused"));
        assert_eq!(err.code(), code, "{entity:?} {key:?} {data}: {err}");
        assert!(err.to_string().starts_with(entity.as_str()), "{err}");
    }
}

#[test]
fn deletes_read_their_key() {
    let del = |entity, key: &str| parse_change(entity, key, ChangeOp::Delete, &Value::Null);
    assert_eq!(
        del(Entity::Price, "1001").unwrap(),
        TypedChange::Delete(DeleteKey::Price(PriceKey {
            sku: "1001".into(),
            store: String::new()
        }))
    );
    assert!(matches!(
        del(Entity::Role, "manager").unwrap(),
        TypedChange::Delete(DeleteKey::Role(kasa_domain::permission::Role::Manager))
    ));
    assert!(del(Entity::TaxRate, "zero/2026-13-01").is_err());
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9 .\\-/\u{0}-\u{1f}жé$]{0,12}".prop_map(Value::String),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name".to_owned()),
        Just("price".to_owned()),
        Just("unit".to_owned()),
        Just("lifecycle".to_owned()),
        Just("sku".to_owned()),
        Just("multiplier".to_owned()),
        Just("permissions".to_owned()),
        Just("rate_percent".to_owned()),
        Just("kind".to_owned()),
        Just("from".to_owned()),
        Just("min_qty".to_owned()),
        Just("role".to_owned()),
        Just("pin_hash".to_owned()),
        "[a-z_]{1,8}",
    ]
}

proptest! {
    /// No data of any shape panics the contract; whatever it accepts
    /// reads back from its own canonical form.
    #[test]
    fn any_data_is_read_or_refused_without_panic(
        entity in 0..Entity::ALL.len(),
        key in "[a-zA-Z0-9/\\- \u{0}-\u{1f}]{0,20}",
        delete in any::<bool>(),
        fields in prop::collection::btree_map(field_name(), prop_oneof![
            json_leaf(),
            prop::collection::vec(json_leaf(), 0..3).prop_map(Value::Array),
        ], 0..6),
    ) {
        let entity = Entity::ALL[entity];
        let data = if delete {
            Value::Null
        } else {
            Value::Object(fields.into_iter().collect())
        };
        let op = if delete { ChangeOp::Delete } else { ChangeOp::Upsert };
        if let Ok(TypedChange::Upsert(payload)) = parse_change(entity, &key, op, &data) {
            let canonical = payload.to_data().unwrap();
            let again = parse_change(entity, &key, op, &canonical).unwrap();
            prop_assert_eq!(again, TypedChange::Upsert(payload));
        }
    }
}
