//! Stock ledger, receiving and counts against real SQLite files.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use kasa_domain::ErrorCode;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::permission::{Operator, Role};
use kasa_domain::stock::MovementKind;
use kasa_terminal::settings::TillSettings;
use kasa_terminal::stock::count::{
    CountInput, CountScope, CountStart, add_count, approve_session, review_session, start_session,
};
use kasa_terminal::stock::movement::{movements_of_document, new_movement};
use kasa_terminal::stock::{
    NewPurchaseOrder, ReceiveLine, ReceiveRequest, StockFilter, batches, create_purchase_order,
    list_stock, negative_stock_report, on_hand, parse_receive_request, post_movements,
    purchase_order, rebuild, receive_in, verify_cache,
};
use kasa_terminal::store::Store;
use kasa_terminal::test_support::TestTill;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

#[path = "stock_count.rs"]
mod count;
#[path = "stock_model.rs"]
mod model;

const LOC: &str = "S001";

struct Till {
    _dir: tempfile::TempDir,
    store: Store,
    settings: TillSettings,
    clock: NaiveDateTime,
}

impl Till {
    fn new() -> Till {
        let TestTill {
            store,
            settings,
            dir,
            ..
        } = TestTill::setup(LOC, "T01").build();
        Till {
            _dir: dir,
            store,
            settings,
            clock: NaiveDate::from_ymd_opt(2026, 11, 21)
                .unwrap()
                .and_hms_opt(8, 0, 0)
                .unwrap(),
        }
    }

    fn tick(&mut self) -> NaiveDateTime {
        self.clock += chrono::Duration::seconds(1);
        self.clock
    }

    fn receive(&mut self, request: &ReceiveRequest) -> kasa_terminal::stock::ReceiptOutcome {
        let at = self.tick();
        let tx = self.store.write_tx().unwrap();
        let out = receive_in(&tx, &self.settings, request, "manager", at).unwrap();
        tx.commit().unwrap();
        out
    }

    fn receive_one(&mut self, sku: &str, qty: Decimal, cost: Decimal, batch: Option<(&str, &str)>) {
        let request = ReceiveRequest {
            supplier: "Acme".into(),
            po: None,
            location: None,
            delivery_note: None,
            lines: vec![ReceiveLine {
                sku: sku.into(),
                qty,
                unit_cost: Some(Money(cost)),
                batch: batch.map(|(b, _)| b.to_string()),
                expiry: batch.map(|(_, e)| e.parse().unwrap()),
            }],
        };
        self.receive(&request);
    }

    /// A sale or return line's movement, posted the way `complete_document`
    /// posts it.
    fn post(&mut self, sku: &str, qty: Decimal, kind: MovementKind) -> Uuid {
        let at = self.tick();
        let tx = self.store.write_tx().unwrap();
        let cost = on_hand(&tx, sku, LOC).unwrap().avg_cost;
        let document_id = Uuid::now_v7();
        let m = new_movement(
            sku,
            LOC,
            None,
            qty,
            cost,
            Some(Money(dec!(2.50))),
            document_id,
            kind,
            at,
        );
        post_movements(&tx, &[m]).unwrap();
        tx.commit().unwrap();
        document_id
    }

    fn sell(&mut self, sku: &str, qty: Decimal) -> Uuid {
        self.post(sku, -qty, MovementKind::Sale)
    }

    fn count(&mut self, scope: CountScope, blind: bool) -> Uuid {
        let at = self.tick();
        let tx = self.store.write_tx().unwrap();
        let id = start_session(
            &tx,
            &self.settings,
            &CountStart {
                location: None,
                scope,
                blind,
                started_by: "anna".into(),
            },
            at,
        )
        .unwrap();
        tx.commit().unwrap();
        id
    }

    fn add(
        &mut self,
        session: Uuid,
        device: &str,
        sku: &str,
        qty: Decimal,
    ) -> kasa_terminal::stock::count::CountAdded {
        let at = self.tick();
        let tx = self.store.write_tx().unwrap();
        let added = add_count(&tx, session, &input(device, sku, qty), at).unwrap();
        tx.commit().unwrap();
        added
    }

    fn review(&mut self, session: Uuid) -> kasa_terminal::stock::count::CountReview {
        let at = self.tick();
        let tx = self.store.write_tx().unwrap();
        let review = review_session(&tx, &self.settings, session, at).unwrap();
        tx.commit().unwrap();
        review
    }

    fn approve(
        &mut self,
        session: Uuid,
        who: &Operator,
    ) -> Result<kasa_terminal::stock::count::CountApproved, kasa_terminal::stock::StockError> {
        let at = self.tick();
        let tx = self.store.write_tx().unwrap();
        let settings = self.settings.clone();
        let out = approve_session(&tx, &settings, session, who, &[], at)?;
        tx.commit().unwrap();
        Ok(out)
    }

    fn qty(&self, sku: &str) -> Decimal {
        on_hand(self.store.conn(), sku, LOC).unwrap().qty
    }

    /// Every cache row as text, for exact comparisons before/after rebuild.
    fn cache_rows(&self) -> Vec<Vec<Option<String>>> {
        let mut out = Vec::new();
        for sql in [
            "SELECT sku, location, qty, avg_cost, last_purchase_cost, CAST(last_seq AS TEXT), updated FROM stock_on_hand ORDER BY sku, location",
            "SELECT sku, location, batch, expiry, qty_received, qty_remaining, CAST(received_seq AS TEXT) FROM stock_batches ORDER BY sku, location, batch",
        ] {
            let mut stmt = self.store.conn().prepare(sql).unwrap();
            let rows = stmt
                .query_map([], |r| {
                    (0..7)
                        .map(|i| r.get::<_, Option<String>>(i))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap();
            for r in rows {
                out.push(r.unwrap());
            }
            out.push(vec![None]);
        }
        out
    }

    fn ledger_sum(&self, sku: &str) -> Decimal {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT qty FROM stock_movements WHERE sku = ?1 AND location = ?2")
            .unwrap();
        stmt.query_map([sku, LOC], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|q| q.unwrap().parse::<Decimal>().unwrap())
            .sum()
    }
}

fn input(device: &str, sku: &str, qty: Decimal) -> CountInput {
    CountInput {
        device: device.into(),
        sku: sku.into(),
        qty,
        entry_no: None,
        corrects: None,
    }
}

fn manager() -> Operator {
    Operator::new("boss", Role::Manager)
}

#[test]
fn receive_json_format_parses() {
    let request = parse_receive_request(
        r#"{"supplier":"Acme Foods","po":null,"lines":[{"sku":"1001","qty":"24","unit_cost":"0.85","batch":"L123","expiry":"2026-12-31"}]}"#,
    )
    .unwrap();
    assert_eq!(request.supplier, "Acme Foods");
    assert_eq!(request.lines[0].qty, dec!(24));
    assert_eq!(request.lines[0].unit_cost, Some(Money(dec!(0.85))));
    assert_eq!(
        request.lines[0].expiry,
        NaiveDate::from_ymd_opt(2026, 12, 31)
    );
    let err =
        parse_receive_request(r#"{"supplier":"x","lines":[{"sku":"1","qty":"abc"}]}"#).unwrap_err();
    assert_eq!(err.code(), "stock.invalid_request");
}

#[test]
fn receiving_moves_average_and_last_purchase_cost_and_is_a_document() {
    let mut till = Till::new();
    till.receive_one("A", dec!(10), dec!(1.00), None);
    till.receive_one("A", dec!(30), dec!(2.00), None);
    let level = on_hand(till.store.conn(), "A", LOC).unwrap();
    assert_eq!(level.qty, dec!(40));
    assert_eq!(level.avg_cost, Money(dec!(1.75)));
    assert_eq!(level.last_purchase_cost, Some(Money(dec!(2.00))));
    let docs: i64 = till
        .store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE doc_type = ?1",
            [DocumentType::DeliveryReceipt.code()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(docs, 2);
    let outbox: i64 = till
        .store
        .conn()
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(outbox, 2);
}

#[test]
fn free_receipt_without_cost_is_refused_and_nothing_is_written() {
    let mut till = Till::new();
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let err = receive_in(
        &tx,
        &till.settings,
        &ReceiveRequest {
            supplier: "Acme".into(),
            po: None,
            location: None,
            delivery_note: None,
            lines: vec![ReceiveLine {
                sku: "A".into(),
                qty: dec!(1),
                unit_cost: None,
                batch: None,
                expiry: None,
            }],
        },
        "m",
        at,
    )
    .unwrap_err();
    assert_eq!(err.code(), "stock.invalid_request");
    drop(tx);
    assert_eq!(till.qty("A"), dec!(0));
}

#[test]
fn receiving_against_a_purchase_order_reports_over_receipt() {
    let mut till = Till::new();
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let po: NewPurchaseOrder = serde_json::from_str(
        r#"{"id":"PO-1","supplier":"Acme","lines":[{"sku":"A","qty":"10","unit_cost":"1.20"},{"sku":"B","qty":"5","unit_cost":"3"}]}"#,
    )
    .unwrap();
    let id = create_purchase_order(&tx, &till.settings, &po, at).unwrap();
    tx.commit().unwrap();
    assert_eq!(id, "PO-1");

    // First delivery: 6 of A at the order's cost (no cost given).
    let first = till.receive(
        &parse_receive_request(
            r#"{"supplier":"Acme","po":"PO-1","lines":[{"sku":"A","qty":"6"}]}"#,
        )
        .unwrap(),
    );
    assert!(first.over_receipts.is_empty());
    assert_eq!(first.po_status.as_deref(), Some("partial"));
    assert_eq!(
        on_hand(till.store.conn(), "A", LOC).unwrap().avg_cost,
        Money(dec!(1.20))
    );

    // Second: 7 more A (3 over), 5 B, 2 C not on the order.
    let second = till.receive(&parse_receive_request(
        r#"{"supplier":"Acme","po":"PO-1","lines":[{"sku":"A","qty":"7"},{"sku":"B","qty":"5","unit_cost":"2.90"},{"sku":"C","qty":"2","unit_cost":"1"}]}"#,
    ).unwrap());
    assert_eq!(second.po_status.as_deref(), Some("received"));
    let over: BTreeMap<_, _> = second
        .over_receipts
        .iter()
        .map(|o| (o.sku.as_str(), (o.ordered, o.received, o.over_by)))
        .collect();
    assert_eq!(over.get("A"), Some(&(dec!(10), dec!(13), dec!(3))));
    assert_eq!(over.get("C"), Some(&(dec!(0), dec!(2), dec!(2))));
    assert!(!over.contains_key("B"));
    let order = purchase_order(till.store.conn(), "PO-1").unwrap();
    assert_eq!(order.lines[0].qty_received, dec!(13));
    assert_eq!(order.lines[1].qty_received, dec!(5));
    assert_eq!(till.qty("A"), dec!(13));
    assert_eq!(
        on_hand(till.store.conn(), "B", LOC)
            .unwrap()
            .last_purchase_cost,
        Some(Money(dec!(2.90)))
    );

    // The order is complete now.
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let err = receive_in(
        &tx,
        &till.settings,
        &parse_receive_request(
            r#"{"supplier":"Acme","po":"PO-1","lines":[{"sku":"A","qty":"1"}]}"#,
        )
        .unwrap(),
        "m",
        at,
    )
    .unwrap_err();
    assert_eq!(err.code(), "stock.purchase_order_closed");
}

#[test]
fn unknown_purchase_order_is_named() {
    let mut till = Till::new();
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let err = receive_in(
        &tx,
        &till.settings,
        &parse_receive_request(
            r#"{"supplier":"Acme","po":"PO-404","lines":[{"sku":"A","qty":"1","unit_cost":"1"}]}"#,
        )
        .unwrap(),
        "m",
        at,
    )
    .unwrap_err();
    assert_eq!(err.code(), "stock.unknown_purchase_order");
}

#[test]
fn selling_consumes_batches_fifo_by_expiry_and_records_allocations() {
    let mut till = Till::new();
    // Received late-expiring first, early-expiring second: FIFO is by expiry.
    till.receive_one("MILK", dec!(10), dec!(0.80), Some(("L2", "2026-12-20")));
    till.receive_one("MILK", dec!(5), dec!(0.80), Some(("L1", "2026-12-01")));
    till.receive_one("MILK", dec!(4), dec!(0.80), Some(("L3", "2027-01-15")));
    let sale = till.sell("MILK", dec!(8));
    let left: Vec<_> = batches(till.store.conn(), "MILK", LOC)
        .unwrap()
        .into_iter()
        .map(|b| (b.batch, b.qty_remaining))
        .collect();
    assert_eq!(
        left,
        vec![
            ("L1".to_string(), dec!(0)),
            ("L2".to_string(), dec!(7)),
            ("L3".to_string(), dec!(4))
        ]
    );
    let movement = &movements_of_document(till.store.conn(), sale).unwrap()[0];
    let alloc: Vec<(String, String)> = {
        let mut stmt = till.store.conn().prepare("SELECT batch, qty FROM stock_batch_allocations WHERE movement_id = ?1 ORDER BY batch").unwrap();
        stmt.query_map([movement.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(
        alloc,
        vec![("L1".into(), "-5".into()), ("L2".into(), "-3".into())]
    );

    // Selling more than all batches hold: batches run out, stock goes negative.
    till.sell("MILK", dec!(20));
    assert!(
        batches(till.store.conn(), "MILK", LOC)
            .unwrap()
            .iter()
            .all(|b| b.qty_remaining == dec!(0))
    );
    assert_eq!(till.qty("MILK"), dec!(-9));
    let before = till.cache_rows();
    rebuild(till.store.conn_mut()).unwrap();
    assert_eq!(till.cache_rows(), before);
}

#[test]
fn negative_stock_is_allowed_and_reported() {
    let mut till = Till::new();
    till.receive_one("A", dec!(2), dec!(1), None);
    till.receive_one("B", dec!(2), dec!(1), None);
    till.sell("A", dec!(5));
    assert_eq!(till.qty("A"), dec!(-3));
    let report = negative_stock_report(till.store.conn()).unwrap();
    assert_eq!(
        report
            .iter()
            .map(|l| (l.sku.as_str(), l.qty))
            .collect::<Vec<_>>(),
        vec![("A", dec!(-3))]
    );
    let only_b = list_stock(
        till.store.conn(),
        &StockFilter {
            sku: Some("B".into()),
            ..StockFilter::default()
        },
    )
    .unwrap();
    assert_eq!(only_b.len(), 1);
    assert_eq!(only_b[0].qty, dec!(2));
}

#[test]
fn the_database_refuses_to_update_or_delete_movements() {
    let mut till = Till::new();
    till.receive_one("A", dec!(3), dec!(1), Some(("L1", "2027-01-01")));
    till.sell("A", dec!(1));
    let conn = till.store.conn();
    for sql in [
        "UPDATE stock_movements SET qty = '100'",
        "DELETE FROM stock_movements",
        "UPDATE stock_batch_allocations SET qty = '0'",
        "DELETE FROM stock_batch_allocations",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("immutable"), "{sql}: {err}");
    }
    assert_eq!(till.ledger_sum("A"), dec!(2));
}

#[test]
fn verify_names_a_tampered_cache_and_rebuild_repairs_it() {
    let mut till = Till::new();
    till.receive_one("A", dec!(3), dec!(1), None);
    till.receive_one("B", dec!(3), dec!(1), Some(("L1", "2027-01-01")));
    let good = till.cache_rows();
    assert!(verify_cache(till.store.conn()).unwrap().is_empty());
    till.store
        .conn()
        .execute("UPDATE stock_on_hand SET qty = '99' WHERE sku = 'A'", [])
        .unwrap();
    till.store
        .conn()
        .execute(
            "UPDATE stock_batches SET qty_remaining = '1' WHERE sku = 'B'",
            [],
        )
        .unwrap();
    till.store
        .conn()
        .execute("DELETE FROM stock_on_hand WHERE sku = 'B'", [])
        .unwrap();
    let diffs = verify_cache(till.store.conn()).unwrap();
    assert_eq!(diffs.len(), 3, "{diffs:?}");
    assert!(
        diffs
            .iter()
            .any(|d| d.sku == "A" && d.detail.contains("qty cached 99 ledger 3"))
    );
    assert!(
        diffs
            .iter()
            .any(|d| d.sku == "B" && d.batch.as_deref() == Some("L1"))
    );
    assert!(
        diffs
            .iter()
            .any(|d| d.sku == "B" && d.detail.contains("no cached row"))
    );
    let summary = rebuild(till.store.conn_mut()).unwrap();
    assert_eq!(summary.movements, 2);
    assert_eq!(till.cache_rows(), good);
    assert!(verify_cache(till.store.conn()).unwrap().is_empty());
}

#[test]
fn batches_without_expiry_go_last_and_equal_expiry_goes_by_receipt_order() {
    let mut till = Till::new();
    let request = parse_receive_request(
        r#"{"supplier":"Acme","lines":[
            {"sku":"EGG","qty":"3","unit_cost":"0.2","batch":"NOEXP"},
            {"sku":"EGG","qty":"3","unit_cost":"0.2","batch":"SECOND","expiry":"2026-12-10"}]}"#,
    )
    .unwrap();
    till.receive(&request);
    till.receive_one("EGG", dec!(3), dec!(0.2), Some(("THIRD", "2026-12-10")));
    till.receive_one("EGG", dec!(3), dec!(0.2), Some(("FIRST", "2026-12-05")));
    till.sell("EGG", dec!(7));
    let left: Vec<_> = batches(till.store.conn(), "EGG", LOC)
        .unwrap()
        .into_iter()
        .map(|b| (b.batch, b.qty_remaining))
        .collect();
    assert_eq!(
        left,
        vec![
            ("FIRST".to_string(), dec!(0)),
            ("SECOND".to_string(), dec!(0)),
            ("THIRD".to_string(), dec!(2)),
            ("NOEXP".to_string(), dec!(3)),
        ]
    );
}

#[test]
fn selling_a_named_batch_takes_from_that_batch_only() {
    let mut till = Till::new();
    till.receive_one("MILK", dec!(5), dec!(0.8), Some(("L1", "2026-12-01")));
    till.receive_one("MILK", dec!(5), dec!(0.8), Some(("L2", "2026-12-20")));
    // A GS1 scan names the batch: L2 is taken even though L1 expires first.
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let m = new_movement(
        "MILK",
        LOC,
        Some("L2".into()),
        dec!(-2),
        Money(dec!(0.8)),
        None,
        Uuid::now_v7(),
        MovementKind::Sale,
        at,
    );
    post_movements(&tx, &[m]).unwrap();
    tx.commit().unwrap();
    let left: Vec<_> = batches(till.store.conn(), "MILK", LOC)
        .unwrap()
        .into_iter()
        .map(|b| (b.batch, b.qty_remaining))
        .collect();
    assert_eq!(
        left,
        vec![("L1".to_string(), dec!(5)), ("L2".to_string(), dec!(3))]
    );
    assert!(verify_cache(till.store.conn()).unwrap().is_empty());
}
