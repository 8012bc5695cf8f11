use super::*;
use DocumentStatus::*;

#[test]
fn table_has_one_row_per_type_in_order_with_unique_codes() {
    for (i, t) in DocumentType::ALL.iter().enumerate() {
        assert_eq!(DOCUMENT_TYPES[i].doc_type, *t);
        assert_eq!(t.config().doc_type, *t);
        assert_eq!(t.code().len(), 2);
        assert_eq!(DocumentType::parse(t.code()), Ok(*t));
        assert_eq!(DocumentType::parse(t.name()), Ok(*t));
        assert_eq!(
            serde_json::to_string(t).unwrap(),
            format!("\"{}\"", t.name())
        );
    }
    let mut codes: Vec<&str> = DOCUMENT_TYPES.iter().map(|r| r.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 14);
    assert_eq!(DocumentType::parse("sa"), Ok(DocumentType::Sale));
    assert_eq!(
        DocumentType::parse("invoice").unwrap_err().code(),
        "document.unknown_type"
    );
    assert_eq!("completed".parse::<DocumentStatus>(), Ok(Completed));
    assert_eq!(
        "done".parse::<DocumentStatus>().unwrap_err().code(),
        "document.unknown_status"
    );
}

#[test]
fn stock_effect_table() {
    use DocumentType::*;
    use StockEffect::{None as No, Post, Reverse};
    // (type, [draft, approved, completed, cancelled])
    let table = [
        (Sale, [No, No, Post, No]),
        (Return, [No, No, Post, No]),
        (VoidSale, [No, No, Post, No]),
        (DeliveryReceipt, [No, No, Post, Reverse]),
        (StockCount, [No, Post, No, No]),
        (StockAdjustment, [No, Post, No, Reverse]),
        (TransferOut, [No, No, Post, Reverse]),
        (TransferIn, [No, No, Post, Reverse]),
        (CashIn, [No; 4]),
        (CashOut, [No; 4]),
        (NoSale, [No; 4]),
        (ShiftOpen, [No; 4]),
        (ShiftClose, [No; 4]),
        (ZReport, [No; 4]),
    ];
    assert_eq!(table.len(), DocumentType::ALL.len());
    for (t, effects) in table {
        for (status, effect) in DocumentStatus::ALL.into_iter().zip(effects) {
            assert_eq!(stock_effect(t, status), effect, "{t} {status}");
        }
    }
}

#[test]
fn fiscal_events_table() {
    use DocumentType::*;
    let fiscal = [
        (Sale, JournalKind::Sale),
        (Return, JournalKind::Return),
        (VoidSale, JournalKind::VoidSale),
        (CashIn, JournalKind::CashIn),
        (CashOut, JournalKind::CashOut),
        (NoSale, JournalKind::NoSale),
        (ShiftOpen, JournalKind::ShiftOpen),
        (ShiftClose, JournalKind::ShiftClose),
        (ZReport, JournalKind::ZReport),
    ];
    for t in DocumentType::ALL {
        let expected = fiscal.iter().find(|(ft, _)| *ft == t).map(|(_, k)| *k);
        assert_eq!(t.config().journal_kind, expected, "{t}");
        assert_eq!(t.is_fiscal(), expected.is_some());
        // No fiscal document is correctable.
        if t.is_fiscal() {
            assert!(!t.config().allows_correction, "{t}");
        }
    }
}

#[test]
fn transitions_follow_the_configuration() {
    use DocumentType::*;
    // A sale completes directly and is never cancelled once completed.
    assert_eq!(transition(Sale, Draft, Completed), Ok(StockEffect::Post));
    assert_eq!(transition(Sale, Draft, Cancelled), Ok(StockEffect::None));
    let err = transition(Sale, Completed, Cancelled).unwrap_err();
    assert_eq!(err.code(), "document.invalid_transition");
    assert!(err.to_string().contains("return or a void"), "{err}");
    assert!(transition(Sale, Draft, Approved).is_err());
    // A stock adjustment needs approval, posts on approval, reverses on cancel.
    assert!(transition(StockAdjustment, Draft, Completed).is_err());
    assert_eq!(
        transition(StockAdjustment, Draft, Approved),
        Ok(StockEffect::Post)
    );
    assert_eq!(
        transition(StockAdjustment, Approved, Completed),
        Ok(StockEffect::None)
    );
    assert_eq!(
        transition(StockAdjustment, Approved, Cancelled),
        Ok(StockEffect::Reverse)
    );
    assert_eq!(
        transition(StockAdjustment, Completed, Cancelled),
        Ok(StockEffect::Reverse)
    );
    // A delivery cancelled before completion reverses nothing; after, everything.
    assert_eq!(
        transition(DeliveryReceipt, Draft, Cancelled),
        Ok(StockEffect::None)
    );
    assert_eq!(
        transition(DeliveryReceipt, Completed, Cancelled),
        Ok(StockEffect::Reverse)
    );
    // Final states are final.
    for t in DocumentType::ALL {
        for to in DocumentStatus::ALL {
            assert!(
                transition(t, Cancelled, to).is_err(),
                "{t} cancelled → {to}"
            );
            assert!(transition(t, to, to).is_err(), "{t} {to} → {to}");
        }
        assert!(transition(t, Completed, Draft).is_err());
    }
}

#[test]
fn every_allowed_transition_reverses_only_what_was_posted() {
    for t in DocumentType::ALL {
        for from in DocumentStatus::ALL {
            for to in DocumentStatus::ALL {
                if let Ok(effect) = transition(t, from, to) {
                    match effect {
                        StockEffect::Post => assert!(!has_posted(t, from) && has_posted(t, to)),
                        StockEffect::Reverse => assert!(has_posted(t, from)),
                        StockEffect::None => assert_eq!(has_posted(t, from), has_posted(t, to)),
                    }
                }
            }
        }
    }
}
