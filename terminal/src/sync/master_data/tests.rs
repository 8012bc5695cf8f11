//! Applying master data through the contract: what head office accepts
//! applies, what the contract refuses changes nothing, and tax rates and
//! roles are read back as the till's VAT rates and permission table.

use chrono::NaiveDate;
use kasa_domain::ErrorCode;
use kasa_domain::permission::{Permission, Role};
use kasa_sync_protocol::{Entity, MasterDataChange, examples};
use rust_decimal::Decimal;
use serde_json::json;

use super::*;
use crate::settings::TillSettings;
use crate::store::Store;
use crate::sync::tests::{change, page};

fn till() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("till.sqlite")).unwrap();
    TillSettings::new("S001", "T01")
        .save_new(store.conn())
        .unwrap();
    (dir, store)
}

fn apply(store: &mut Store, changes: Vec<MasterDataChange>) -> Result<(), SyncError> {
    let tx = store.write_tx().unwrap();
    apply_page(&tx, &page(changes))?;
    tx.commit().unwrap();
    Ok(())
}

fn one<T: rusqlite::types::FromSql>(store: &Store, sql: &str) -> T {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn every_golden_change_applies_on_a_till() {
    let (_dir, mut store) = till();
    apply(&mut store, examples::master_data_page().changes).unwrap();
    let entities: Vec<MasterDataChange> = examples::master_data_entities()
        .into_iter()
        .map(|(_, change)| change)
        .collect();
    apply(&mut store, entities).unwrap();
    let product = crate::catalog::get_product(store.conn(), "1001")
        .unwrap()
        .unwrap();
    assert_eq!(
        (product.plu, product.vat_class.as_str()),
        (Some(1001), "reduced")
    );
    assert_eq!(
        one::<String>(&store, "SELECT role FROM users WHERE login = 'maria'"),
        "cashier"
    );
    assert_eq!(one::<i64>(&store, "SELECT COUNT(*) FROM promotions"), 1);
    let table = held::permission_table(store.conn()).unwrap();
    assert!(table.allows(Role::Cashier, Permission::Return));
    assert!(!table.allows(Role::Cashier, Permission::VoidLine));
}

#[test]
fn a_lifecycle_or_unit_the_domain_does_not_know_is_refused_and_changes_nothing() {
    let (_dir, mut store) = till();
    for data in [
        json!({"name": "Tea", "lifecycle": "SOLD_OUT"}),
        json!({"name": "Tea", "status": "gone"}),
        json!({"name": "Tea", "unit": "box"}),
    ] {
        let err = apply(
            &mut store,
            vec![
                change(1, Entity::Product, "COFFEE", json!({"name": "Coffee"})),
                change(2, Entity::Product, "TEA", data.clone()),
            ],
        )
        .unwrap_err();
        assert_eq!(err.code(), "sync.master_data_rejected", "{data}");
        assert!(err.to_string().contains("TEA"), "{err}");
        assert_eq!(one::<i64>(&store, "SELECT COUNT(*) FROM products"), 0);
    }
    // the CSV spelling of a lifecycle reads as the domain's
    apply(
        &mut store,
        vec![change(
            3,
            Entity::Product,
            "TEA",
            json!({"name": "Tea", "status": "phase_out", "unit": "pcs"}),
        )],
    )
    .unwrap();
    assert_eq!(
        one::<String>(&store, "SELECT lifecycle || '/' || unit FROM products"),
        "PHASE_OUT/piece"
    );
}

#[test]
fn a_plu_of_another_product_is_refused_by_the_one_product_writer() {
    let (_dir, mut store) = till();
    apply(
        &mut store,
        vec![change(
            1,
            Entity::Product,
            "A",
            json!({"name": "A", "plu": "7"}),
        )],
    )
    .unwrap();
    let err = apply(
        &mut store,
        vec![change(
            2,
            Entity::Product,
            "B",
            json!({"name": "B", "plu": 7}),
        )],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("PLU 7 already belongs to product A"),
        "{err}"
    );
}

#[test]
fn head_office_tax_rates_drive_the_vat_and_a_delete_restores_the_preset() {
    let (_dir, mut store) = till();
    let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let vat = |store: &Store| {
        crate::settings::load(store.conn())
            .unwrap()
            .vat
            .rate_for("standard", day)
            .unwrap()
    };
    assert_eq!(vat(&store), Decimal::from(20));
    apply(
        &mut store,
        vec![change(
            1,
            Entity::TaxRate,
            "standard/2027-01-01",
            json!({"class": "standard", "rate_percent": "21.5"}),
        )],
    )
    .unwrap();
    assert_eq!(vat(&store), Decimal::new(215, 1));
    apply(
        &mut store,
        vec![change(
            2,
            Entity::TaxRate,
            "standard/2027-01-01",
            serde_json::Value::Null,
        )],
    )
    .unwrap();
    assert_eq!(vat(&store), Decimal::from(20));
}

#[test]
fn head_office_roles_replace_their_row_of_the_permission_table() {
    let (_dir, mut store) = till();
    assert!(held::permission_table(store.conn()).unwrap().is_built_in());
    apply(
        &mut store,
        vec![change(
            1,
            Entity::Role,
            "cashier",
            json!({"permissions": ["return", "no_sale", "void_line"]}),
        )],
    )
    .unwrap();
    let table = held::permission_table(store.conn()).unwrap();
    assert!(table.allows(Role::Cashier, Permission::VoidLine));
    assert!(!table.allows(Role::Cashier, Permission::CashOut));
    assert!(table.allows(Role::Manager, Permission::CashOut), "built in");
    let settings = crate::settings::load(store.conn()).unwrap();
    assert_eq!(settings.permissions, table);
    assert_eq!(
        crate::sale::sale_config(&settings).permissions,
        table,
        "sales use it"
    );

    // the manager-approval gate checks the approver against it too
    let now = chrono::Utc::now().naive_utc();
    crate::users::add_user(store.conn(), "boris", "Борис", Role::Manager, "2222", now).unwrap();
    let ana = kasa_domain::permission::Operator::new("ana", Role::Cashier);
    let approve = |store: &Store| {
        crate::users::approve(store.conn(), &ana, Permission::CashOut, "2222", None, now)
    };
    approve(&store).unwrap();
    apply(
        &mut store,
        vec![change(
            2,
            Entity::Role,
            "manager",
            json!({"permissions": ["return"]}),
        )],
    )
    .unwrap();
    assert_eq!(
        approve(&store).unwrap_err().code(),
        "permission.needs_manager"
    );

    let bad = apply(
        &mut store,
        vec![change(
            3,
            Entity::Role,
            "cashier",
            json!({"permissions": ["fly"]}),
        )],
    )
    .unwrap_err();
    assert_eq!(bad.code(), "sync.master_data_rejected");
    apply(
        &mut store,
        vec![
            change(4, Entity::Role, "cashier", serde_json::Value::Null),
            change(5, Entity::Role, "manager", serde_json::Value::Null),
        ],
    )
    .unwrap();
    assert!(held::permission_table(store.conn()).unwrap().is_built_in());
}

/// An entity, keys to use and values to draw for each of its fields.
type Pool = (
    Entity,
    Vec<&'static str>,
    Vec<(&'static str, Vec<serde_json::Value>)>,
);

/// Field values to draw changes from: good, odd and bad spellings alike.
fn pools() -> Vec<Pool> {
    let money = || {
        vec![
            json!("1.99"),
            json!("0"),
            json!("-1"),
            json!(7),
            json!("1000000000.01"),
            json!(""),
            json!(1.5),
        ]
    };
    let dates = || {
        vec![
            json!("2026-01-01"),
            json!("2027-06-30"),
            json!("2026-13-01"),
            json!(null),
        ]
    };
    vec![
        (
            Entity::Product,
            vec!["P1", "P2", "P 3"],
            vec![
                (
                    "name",
                    vec![
                        json!("Milk"),
                        json!(" Кафе  Рила "),
                        json!(""),
                        json!("a\u{7}b"),
                    ],
                ),
                (
                    "unit",
                    vec![json!("piece"), json!("KG"), json!("pcs"), json!("box")],
                ),
                (
                    "lifecycle",
                    vec![
                        json!("new"),
                        json!("PHASE_OUT"),
                        json!("ARCHIVED"),
                        json!("gone"),
                    ],
                ),
                ("status", vec![json!("discontinued"), json!("")]),
                ("vat_class", vec![json!("reduced"), json!("")]),
                (
                    "tracks_batches",
                    vec![json!("true"), json!(false), json!("maybe")],
                ),
                ("price", money()),
                ("cost", money()),
                ("markup_percent", money()),
                ("group", vec![json!("dairy"), json!(3)]),
            ],
        ),
        (
            Entity::Barcode,
            vec!["4006381333931", "2900000000999"],
            vec![
                (
                    "sku",
                    vec![json!("P1"), json!("P2"), json!("NOPE"), json!("P 1")],
                ),
                (
                    "multiplier",
                    vec![json!("1"), json!(12), json!("0"), json!("100001")],
                ),
            ],
        ),
        (
            Entity::Price,
            vec!["P1", "P1/S001", "P2/S001/x"],
            vec![
                ("price", money()),
                ("store", vec![json!("S001"), json!("S002")]),
                ("valid_from", dates()),
                ("valid_to", dates()),
            ],
        ),
        (
            Entity::PriceTier,
            vec![
                "P1/step//6",
                "P1/group/vip/",
                "P2/step/vip/12",
                "P1/bulk//1",
            ],
            vec![
                ("kind", vec![json!("step"), json!("group"), json!("bulk")]),
                ("customer_group", vec![json!("vip"), json!("")]),
                (
                    "min_qty",
                    vec![json!("6"), json!("12"), json!("0"), json!(null)],
                ),
                ("price", money()),
                ("valid_to", dates()),
            ],
        ),
        (
            Entity::Customer,
            vec!["C1"],
            vec![
                ("name", vec![json!("Cafe"), json!("")]),
                ("customer_group", vec![json!("vip"), json!(null)]),
                ("credit_limit", money()),
                ("balance", money()),
            ],
        ),
        (
            Entity::TaxRate,
            vec!["standard/2026-01-01", "zero/2025-02-30", "reduced"],
            vec![
                (
                    "rate_percent",
                    vec![json!("20"), json!("100"), json!("101"), json!("-1")],
                ),
                ("class", vec![json!("standard"), json!("zero")]),
                ("valid_to", dates()),
            ],
        ),
        (
            Entity::User,
            vec!["maria", "ivan"],
            vec![
                (
                    "role",
                    vec![json!("cashier"), json!("admin"), json!("boss")],
                ),
                (
                    "pin_hash",
                    vec![
                        json!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
                        json!("1234"),
                    ],
                ),
                ("active", vec![json!("no"), json!(true)]),
            ],
        ),
        (
            Entity::Role,
            vec!["cashier", "admin", "janitor"],
            vec![(
                "permissions",
                vec![
                    json!(["void_line", "manage_users"]),
                    json!("return; no_sale"),
                    json!(["fly"]),
                    json!([]),
                ],
            )],
        ),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// Whatever mix of changes the contract accepts (as head office's
    /// publish does), a till applies, in one page and change by change.
    #[test]
    fn every_change_the_contract_accepts_applies(
        picks in proptest::collection::vec(
            (0usize..8, 0usize..4, any_bool(), proptest::collection::vec((0usize..10, 0usize..7), 0..6)),
            1..8,
        )
    ) {
        let pools = pools();
        let mut accepted = Vec::new();
        for (version, (entity, key, delete, fields)) in picks.into_iter().enumerate() {
            let (entity, keys, pool) = &pools[entity % pools.len()];
            let key = keys[key % keys.len()];
            let data = if delete {
                serde_json::Value::Null
            } else {
                let mut object = serde_json::Map::new();
                for (field, value) in fields {
                    let (name, values) = &pool[field % pool.len()];
                    object.insert((*name).to_owned(), values[value % values.len()].clone());
                }
                serde_json::Value::Object(object)
            };
            let change = change(version as u64 + 1, *entity, key, data);
            if kasa_sync_protocol::master_data::entities::parse(&change).is_ok() {
                accepted.push(change);
            }
        }
        let (_dir, mut store) = till();
        if let Err(e) = apply(&mut store, accepted.clone()) {
            proptest::prop_assert!(false, "{e}\n{accepted:#?}");
        }
    }
}

fn any_bool() -> impl proptest::strategy::Strategy<Value = bool> {
    proptest::bool::ANY
}

/// The till session's one approval path asks head office's table too: a
/// cashier whose published row lacks `no_sale` needs a manager for it.
#[test]
fn the_session_approval_path_follows_head_office_roles() {
    use crate::till::approval::{ApprovalRequest, approve};
    let (_dir, mut store) = till();
    let now = chrono::Utc::now().naive_utc();
    crate::users::add_user(store.conn(), "boris", "Борис", Role::Manager, "2222", now).unwrap();
    let ana = kasa_domain::permission::Operator::new("ana", Role::Cashier);
    let request = |pin| ApprovalRequest {
        operator: &ana,
        pin,
        document_id: None,
        at: now,
    };
    // built in: a cashier opens the drawer without a sale on her own
    assert!(
        approve(store.conn(), request(None), Permission::NoSale)
            .unwrap()
            .is_none()
    );
    apply(
        &mut store,
        vec![change(
            1,
            Entity::Role,
            "cashier",
            json!({"permissions": ["return", "receive"]}),
        )],
    )
    .unwrap();
    let refused = approve(store.conn(), request(None), Permission::NoSale).unwrap_err();
    assert_eq!(refused.code(), "permission.needs_manager", "{refused}");
    let approved = approve(store.conn(), request(Some("2222")), Permission::NoSale).unwrap();
    assert_eq!(approved.unwrap().approver_login, "boris");
}
