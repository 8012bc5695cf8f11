//! The on-screen receipt: the lines the printer puts on paper, laid out by
//! the drivers' printer module (`kasa_drivers::printer::text`) from the same
//! [`Receipt`] the spool prints, so the screen and the paper agree.

use kasa_drivers::printer::{PrinterProfile, Receipt};

/// What the printer will print, as text lines.
pub fn preview(receipt: &Receipt, profile: &PrinterProfile) -> Vec<String> {
    kasa_drivers::printer::text::preview_lines(receipt, profile)
}

#[cfg(test)]
mod tests {
    use kasa_domain::money::Money;
    use kasa_drivers::queue::default_profile;
    use rust_decimal::Decimal;

    use super::*;
    use crate::sale::receipt::receipt_of;
    use crate::sale::{SaleLineResult, SaleResult};
    use crate::settings::TillSettings;

    #[test]
    fn the_preview_is_the_till_receipt_as_printed() {
        let m = |s: &str| Money::parse(s).unwrap();
        let sale = SaleResult {
            id: uuid::Uuid::nil(),
            number: "0000000007".to_string(),
            sale_number: Some("0S001T01-0001-0000007".to_string()),
            status: "completed",
            total: m("5.74"),
            vat_total: m("0.96"),
            vat: Vec::new(),
            lines: vec![SaleLineResult {
                line_no: 1,
                sku: "001853".to_string(),
                name: "Домати розови България".to_string(),
                qty: Decimal::new(1234, 3),
                unit_price: m("4.55"),
                discount: Money::ZERO,
                total: m("5.61"),
                vat_rate: Decimal::from(20),
            }],
            tenders: vec![("cash".to_string(), m("10.00"))],
            change: m("4.26"),
            cash_rounding: Money::ZERO,
            journal_seq: Some(7),
            outbox_seq: 7,
        };
        let settings = TillSettings::new("S001", "T01");
        let profile = default_profile();
        let text = preview(&receipt_of(&settings, &sale), &profile);
        let has = |want: &str| text.iter().any(|l| l.contains(want));
        assert!(has("Домати розови България"), "{text:?}");
        assert!(has("УНП 0S001T01-0001-0000007"), "N-18 number: {text:?}");
        assert!(has("[BARCODE CODE128 SA-0000000007]"), "{text:?}");
        let total = text.iter().find(|l| l.starts_with("TOTAL")).unwrap();
        assert!(total.ends_with("5.74"), "{total}");
        assert_eq!(total.chars().count(), profile.columns(), "{total}");
    }
}
