//! Receipts as printed: the sale or return is turned into the drivers'
//! receipt model (`kasa_drivers::printer::Receipt`), queued for the
//! printer after the commit, and decoded back to text for the on-screen
//! preview — so the preview is exactly what the printer gets.
//!
//! The document number is printed as a CODE128 barcode so a return can
//! find the original by scanning the receipt.

use kasa_domain::money::Currency;
use kasa_drivers::printer::{BarcodeKind, PrinterProfile, Receipt, TextStyle, render};
use kasa_terminal::sale::SaleResult;
use kasa_terminal::sale::returns::ReturnResult;
use kasa_terminal::settings::TillSettings;

use crate::views::{money, qty};

fn header(r: &mut Receipt, settings: &TillSettings, title: &str, number: &str, at: &str) {
    r.text(settings.tenant.clone(), TextStyle::heading());
    r.text(
        format!(
            "Store {} / Till {}",
            settings.store_id, settings.terminal_id
        ),
        TextStyle::centered(),
    );
    r.separator();
    r.row(format!("{title} {number}"), at.to_string());
    r.separator();
}

fn footer(r: &mut Receipt, number: &str) {
    r.separator();
    // A number that cannot be a CODE128 payload is simply not barcoded.
    let _ = r.barcode(BarcodeKind::Code128, number);
    r.text("Благодарим Ви! / Thank you!", TextStyle::centered());
    r.feed(2);
    r.cut();
}

fn tender_label(kind: &str) -> String {
    match kind {
        "cash" => "Cash / В брой".to_string(),
        "card" => "Card / Карта".to_string(),
        "voucher" => "Voucher / Ваучер".to_string(),
        "on_account" => "On account / По сметка".to_string(),
        other => other.to_string(),
    }
}

/// The receipt of a completed sale.
pub fn sale_receipt(settings: &TillSettings, done: &SaleResult, at: &str) -> Receipt {
    let c: Currency = settings.currency;
    let mut r = Receipt::new();
    header(&mut r, settings, "Receipt / Бон", &done.number, at);
    for l in &done.lines {
        r.line(l.name.clone());
        r.row(
            format!("  {} x {}", qty(l.qty), money(l.unit_price, c)),
            money(l.total, c),
        );
        if !l.discount.is_zero() {
            r.row(
                "  Discount / Отстъпка",
                format!("-{}", money(l.discount, c)),
            );
        }
    }
    r.separator();
    r.row_styled(
        vec![
            "TOTAL / ОБЩО".to_string(),
            format!("{} {}", money(done.total, c), c.code()),
        ],
        TextStyle::bold(),
    );
    for g in &done.vat {
        r.row(
            format!("VAT {} {}%", g.class, g.rate_percent.normalize()),
            money(g.vat, c),
        );
    }
    for (kind, amount) in &done.tenders {
        r.row(tender_label(kind), money(*amount, c));
    }
    if !done.cash_rounding.is_zero() {
        r.row("Cash rounding / Закръгляне", money(done.cash_rounding, c));
    }
    if !done.change.is_zero() {
        r.row("Change / Ресто", money(done.change, c));
    }
    footer(&mut r, &done.number);
    r
}

/// The receipt of a return.
pub fn return_receipt(settings: &TillSettings, done: &ReturnResult, at: &str) -> Receipt {
    let c = settings.currency;
    let mut r = Receipt::new();
    header(&mut r, settings, "Return / Сторно", &done.number, at);
    if let Some(o) = &done.original {
        r.row("Original / Оригинал", o.clone());
    }
    for (sku, q, refund) in &done.lines {
        r.row(
            format!("{sku} x {}", qty(*q)),
            format!("-{}", money(*refund, c)),
        );
    }
    r.separator();
    r.row_styled(
        vec![
            "REFUND / ВЪРНАТИ".to_string(),
            format!("{} {}", money(done.total, c), c.code()),
        ],
        TextStyle::bold(),
    );
    r.row("Cash paid out / Изплатени", money(done.cash_paid_out, c));
    footer(&mut r, &done.number);
    r
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
    use super::*;

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
