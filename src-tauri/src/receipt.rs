//! Receipts as printed: the desktop prints the till core's receipt
//! (`kasa_terminal::sale::receipt::receipt_of` — one builder for the CLI
//! and the app, with the N-18 unique sale number, the CODE128 of the
//! document that a return scans, the QR code and the cut), queued for the
//! printer after the commit, and decoded back to text for the on-screen
//! preview — so the preview is exactly what the printer gets.

use kasa_drivers::printer::{PrinterProfile, Receipt, render};
use kasa_terminal::sale::receipt::{find_receipt_document, receipt_of};
use kasa_terminal::settings::TillSettings;
use rusqlite::Connection;

use crate::devices::Devices;
use crate::dto::PrintOutcome;
use crate::error::ApiResult;

/// The receipt of the stored return `number`.
pub fn of_return(conn: &Connection, settings: &TillSettings, number: &str) -> ApiResult<Receipt> {
    let stored = find_receipt_document(conn, settings, &format!("RE-{number}"))?;
    Ok(receipt_of(settings, &stored))
}

/// Preview the receipt and queue it for the printer: the text the screen
/// shows and what became of the job.
pub fn print(devices: &Devices, receipt: Receipt) -> (Vec<String>, PrintOutcome) {
    let text = preview(&receipt, &devices.profile);
    (text, devices.print(receipt))
}

/// What the printer will print, as text lines: the ESC/POS bytes decoded
/// by the simulator's decoder, without its style and control markers
/// (`[center b]`, `[INIT]`…); barcodes stay visible as `[BARCODE …]`.
pub fn preview(receipt: &Receipt, profile: &PrinterProfile) -> Vec<String> {
    let bytes = render(receipt, profile);
    kasa_drivers::sim::decode::to_text(&bytes, profile.code_page)
        .into_iter()
        .filter_map(|line| strip_markers(&line))
        .collect()
}

fn strip_markers(line: &str) -> Option<String> {
    let mut rest = line;
    while rest.starts_with('[') && !rest.starts_with("[BARCODE") && !rest.starts_with("[QR") {
        match rest.find(']') {
            Some(end) => rest = rest[end + 1..].trim_start(),
            None => break,
        }
    }
    if rest.is_empty() && !line.is_empty() {
        return None;
    }
    Some(rest.to_string())
}

#[cfg(test)]
mod tests {
    use kasa_domain::money::Money;
    use kasa_terminal::sale::{SaleLineResult, SaleResult};
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn the_preview_is_the_till_cores_receipt_as_printed() {
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
        let profile = kasa_drivers::queue::default_profile();
        let text = preview(&receipt_of(&settings, &sale), &profile);
        let has = |want: &str| text.iter().any(|l| l.contains(want));
        assert!(has("Домати розови България"), "{text:?}");
        assert!(has("УНП 0S001T01-0001-0000007"), "N-18 number: {text:?}");
        assert!(has("[BARCODE CODE128 SA-0000000007]"), "{text:?}");
        let total = text.iter().find(|l| l.starts_with("TOTAL")).unwrap();
        assert!(total.ends_with("5.74"), "{total}");
        // The printer decodes the same TOTAL line from the bytes it gets.
        let printed = kasa_drivers::sim::decode::to_text(
            &render(&receipt_of(&settings, &sale), &profile),
            profile.code_page,
        );
        assert!(
            printed
                .iter()
                .any(|l| l.contains("TOTAL") && l.ends_with("5.74"))
        );
    }

    #[test]
    fn markers_are_stripped_but_text_and_barcodes_stay() {
        assert_eq!(
            strip_markers("[center b 2wh] Демо"),
            Some("Демо".to_string())
        );
        assert_eq!(strip_markers("[INIT]"), None);
        assert_eq!(
            strip_markers("[BARCODE CODE128 0000000001]"),
            Some("[BARCODE CODE128 0000000001]".to_string())
        );
        assert_eq!(strip_markers(""), Some(String::new()));
        assert_eq!(
            strip_markers("  1 x 1.87   1.78"),
            Some("  1 x 1.87   1.78".to_string())
        );
    }
}
