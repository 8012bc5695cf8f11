//! The printed receipt of a completed sale or return.
//!
//! [`receipt_of`] is the one receipt builder: the `kasa` CLI and the
//! desktop app both print (and preview) what it builds, after the commit,
//! through the till's one print spool (`crate::devices::spool`).
//! [`find_receipt_document`] finds a stored sale or return by its number to
//! rebuild its receipt for a copy (the spool prints the
//! `*** COPY / КОПИЕ ***` banner in front of it).
//!
//! The receipt carries the N-18 unique sale number, a Code 128 barcode of
//! the document (`SA-0000000042`, scanned for a return) and a QR code with
//! `unique sale number*document number*total`.

use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::tax::PriceMode;
use kasa_drivers::printer::{BarcodeKind, Receipt, TextStyle};

use super::{SaleError, SaleResult};
use crate::documents::{self, DocumentError};
use crate::settings::TillSettings;

fn fixed(m: Money) -> String {
    format!("{:.2}", m.0)
}

/// The receipt of a completed sale.
pub fn receipt_of(settings: &TillSettings, sale: &SaleResult) -> Receipt {
    let mut r = Receipt::new();
    r.text(settings.tenant.clone(), TextStyle::heading());
    r.text(
        format!(
            "{} / {}   № {}",
            settings.store_id, settings.terminal_id, sale.number
        ),
        TextStyle::centered(),
    );
    if sale.status == "returned" {
        r.text("RETURN / СТОРНО", TextStyle::heading());
    }
    if let Some(n18) = &sale.sale_number {
        r.text(format!("УНП {n18}"), TextStyle::centered());
    }
    r.separator();
    for l in &sale.lines {
        r.line(l.name.clone());
        // The item row shows the line before its discounts (total +
        // discount, exact: no rounding here) and the discount row takes
        // them off, so the amount column adds up to TOTAL.
        r.row(
            format!("  {} x {}", l.qty.normalize(), fixed(l.unit_price)),
            fixed(l.total + l.discount),
        );
        if !l.discount.is_zero() {
            r.row("  discount", format!("-{}", fixed(l.discount)));
        }
    }
    r.separator();
    // A return's document total is negative (money out); the cashier and
    // the customer read the refund as a positive amount.
    let grand_total = if sale.status == "returned" {
        vec!["REFUND / ВЪРНАТИ".to_string(), fixed(-sale.total)]
    } else {
        vec!["TOTAL".to_string(), fixed(sale.total)]
    };
    r.row_styled(grand_total, TextStyle::bold());
    for g in &sale.vat {
        r.row(
            format!("VAT {} {}%", g.class, g.rate_percent.normalize()),
            fixed(g.vat),
        );
    }
    for (kind, amount) in &sale.tenders {
        r.row(kind.clone(), fixed(*amount));
    }
    if !sale.cash_rounding.is_zero() {
        r.row("cash rounding", fixed(sale.cash_rounding));
    }
    if !sale.change.is_zero() {
        r.row("change", fixed(sale.change));
    }
    r.separator();
    let doc_type = if sale.status == "returned" {
        DocumentType::Return
    } else {
        DocumentType::Sale
    };
    // Both are checked by the model; a receipt never fails on them.
    let _ = r.barcode(
        BarcodeKind::Code128,
        &format!("{}-{}", doc_type.code(), sale.number),
    );
    let qr = match &sale.sale_number {
        Some(n18) => format!("{n18}*{}*{}", sale.number, fixed(sale.total)),
        None => format!("{}*{}", sale.number, fixed(sale.total)),
    };
    let _ = r.qr(&qr, 4);
    r.text(sale.id.to_string(), TextStyle::centered());
    r.cut();
    r
}

/// Find a stored sale or return by its number: `42`, `0000000042`,
/// `SA-0000000042` (sale) or `RE-0000000042` (return, by its type code).
pub fn find_receipt_document(
    conn: &rusqlite::Connection,
    settings: &TillSettings,
    number: &str,
) -> Result<SaleResult, SaleError> {
    let doc_type = match number.split_once('-') {
        Some((code, _)) if code.eq_ignore_ascii_case(DocumentType::Return.code()) => {
            DocumentType::Return
        }
        Some((code, _)) if !code.eq_ignore_ascii_case(DocumentType::Sale.code()) => {
            return Err(DocumentError::NotFound {
                doc_type: code.to_string(),
                number: number.to_string(),
            }
            .into());
        }
        _ => DocumentType::Sale,
    };
    let doc = documents::find_by_number(conn, settings, doc_type, number)?;
    SaleResult::from_document(&doc, settings.price_mode)
}

/// VAT groups of stored lines: per (class, rate), gross = Σ line totals
/// (plus VAT in exclusive mode), VAT = Σ line VAT (the per-line split adds
/// up to the group VAT exactly).
pub(crate) fn vat_groups_of_lines(
    lines: &[documents::DocumentLine],
    mode: PriceMode,
) -> Vec<kasa_domain::tax::VatGroup> {
    let mut groups: Vec<kasa_domain::tax::VatGroup> = Vec::new();
    for l in lines {
        let gross = match mode {
            PriceMode::Inclusive => l.total,
            PriceMode::Exclusive => l.total + l.vat_amount,
        };
        match groups
            .iter_mut()
            .find(|g| g.class == l.vat_class && g.rate_percent == l.vat_rate)
        {
            Some(g) => {
                g.gross += gross;
                g.vat += l.vat_amount;
                g.net = g.gross - g.vat;
            }
            None => groups.push(kasa_domain::tax::VatGroup {
                class: l.vat_class.clone(),
                rate_percent: l.vat_rate,
                net: gross - l.vat_amount,
                vat: l.vat_amount,
                gross,
            }),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use kasa_domain::money::Money;
    use kasa_domain::tax::VatGroup;
    use kasa_drivers::printer::{Block, PrinterProfile, render};
    use rust_decimal_macros::dec;

    use super::*;
    use crate::sale::SaleLineResult;

    fn line(
        no: u32,
        name: &str,
        qty: rust_decimal::Decimal,
        price: &str,
        rate: u32,
    ) -> SaleLineResult {
        let unit_price = Money::parse(price).unwrap();
        SaleLineResult {
            line_no: no,
            sku: format!("SKU{no}"),
            name: name.to_string(),
            qty,
            unit_price,
            discount: Money::ZERO,
            total: (unit_price * qty).round(
                kasa_domain::money::Currency::Eur,
                kasa_domain::money::RoundingRule::HalfAwayFromZero,
            ),
            vat_rate: rate.into(),
        }
    }

    /// A known sale: bread, 1.250 kg of apples (weighed), a book at 9 %.
    fn known_sale() -> SaleResult {
        let m = |s: &str| Money::parse(s).unwrap();
        SaleResult {
            id: uuid::Uuid::nil(),
            number: "0000000042".to_string(),
            sale_number: Some("0S001T01-0001-0000042".to_string()),
            status: "completed",
            total: m("20.80"),
            vat_total: m("2.21"),
            vat: vec![
                VatGroup {
                    class: "standard".into(),
                    rate_percent: dec!(20),
                    net: m("4.83"),
                    vat: m("0.97"),
                    gross: m("5.80"),
                },
                VatGroup {
                    class: "reduced".into(),
                    rate_percent: dec!(9),
                    net: m("13.76"),
                    vat: m("1.24"),
                    gross: m("15.00"),
                },
            ],
            lines: vec![
                line(1, "Хляб Добруджа", dec!(1), "1.80", 20),
                line(2, "Ябълки", dec!(1.250), "3.20", 20),
                line(3, "Книга", dec!(1), "15.00", 9),
            ],
            tenders: vec![("cash".to_string(), m("50.00"))],
            change: m("29.20"),
            cash_rounding: Money::ZERO,
            journal_seq: Some(42),
            outbox_seq: 42,
        }
    }

    fn texts(r: &Receipt) -> Vec<String> {
        r.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text { text, .. } => Some(text.clone()),
                Block::Columns { cells, .. } => Some(cells.join(" | ")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_receipt_of_a_known_sale_has_every_part() {
        let settings = TillSettings::new("S001", "T01");
        let r = receipt_of(&settings, &known_sale());
        let t = texts(&r);
        let has = |want: &str| t.iter().any(|l| l == want);
        assert!(
            has("Хляб Добруджа") && has("Ябълки") && has("Книга"),
            "{t:?}"
        );
        assert!(has("  1.25 x 3.20 | 4.00"), "weighed line: {t:?}");
        assert!(has("TOTAL | 20.80"), "{t:?}");
        assert!(has("VAT standard 20% | 0.97"), "{t:?}");
        assert!(has("VAT reduced 9% | 1.24"), "{t:?}");
        assert!(has("УНП 0S001T01-0001-0000042"), "{t:?}");
        assert!(has("change | 29.20"), "{t:?}");
        assert!(r.blocks.contains(&Block::Barcode {
            kind: BarcodeKind::Code128,
            data: "SA-0000000042".to_string(),
        }));
        assert!(r.blocks.contains(&Block::Qr {
            data: "0S001T01-0001-0000042*0000000042*20.80".to_string(),
            module_dots: 4,
        }));
        assert!(matches!(r.blocks.last(), Some(Block::Cut { .. })));
        // Renders to ESC/POS with the Cyrillic in the printer's code page
        // (no UTF-8 bytes left), a CODE128 (GS k 73) and a QR (GS ( k).
        let bytes = render(&r, &PrinterProfile::default());
        assert!(!bytes.windows(2).any(|w| w == "Х".as_bytes()));
        assert!(bytes.windows(3).any(|w| w == [0x1D, b'k', 73]));
        assert!(bytes.windows(3).any(|w| w == [0x1D, b'(', b'k']));
    }

    #[test]
    fn a_return_receipt_shows_the_refund_as_a_positive_amount() {
        let settings = TillSettings::new("S001", "T01");
        let m = |s: &str| Money::parse(s).unwrap();
        let mut ret = known_sale();
        ret.status = "returned";
        ret.sale_number = None;
        ret.total = m("-4.00");
        ret.lines = vec![line(1, "Ябълки", dec!(-1.250), "3.20", 20)];
        ret.tenders = vec![("cash".to_string(), m("-4.00"))];
        ret.change = Money::ZERO;
        let r = receipt_of(&settings, &ret);
        let t = texts(&r);
        assert!(t.iter().any(|l| l == "RETURN / СТОРНО"), "{t:?}");
        assert!(t.iter().any(|l| l == "REFUND / ВЪРНАТИ | 4.00"), "{t:?}");
        assert!(!t.iter().any(|l| l.starts_with("TOTAL")), "{t:?}");
        assert!(r.blocks.contains(&Block::Barcode {
            kind: BarcodeKind::Code128,
            data: "RE-0000000042".to_string(),
        }));
    }
    #[test]
    fn a_discounted_line_shows_its_price_before_the_discount_so_the_column_adds_up() {
        let settings = TillSettings::new("S001", "T01");
        let m = |s: &str| Money::parse(s).unwrap();
        let mut sale = known_sale();
        // 5 % off the bread: 1.80 − 0.09 = 1.71; the sale total drops by 0.09.
        sale.lines[0].discount = m("0.09");
        sale.lines[0].total = m("1.71");
        sale.total = m("20.71");
        let t = texts(&receipt_of(&settings, &sale));
        assert!(t.iter().any(|l| l == "  1 x 1.80 | 1.80"), "{t:?}");
        assert!(t.iter().any(|l| l == "  discount | -0.09"), "{t:?}");
        // Every amount between the item rows and TOTAL sums to TOTAL.
        let total_at = t.iter().position(|l| l.starts_with("TOTAL")).unwrap();
        let column: Money = t[..total_at]
            .iter()
            .filter(|l| l.starts_with("  "))
            .filter_map(|l| l.rsplit_once(" | "))
            .map(|(_, amount)| Money::parse(amount).unwrap())
            .sum();
        assert_eq!(column, sale.total, "{t:?}");
    }
}
