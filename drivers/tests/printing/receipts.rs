//! Golden receipts built by hand: the drivers crate knows nothing about
//! sales, so the amounts here are worked out in the comments, as the
//! terminal would compute them.

use kasa_drivers::printer::raster::Bitmap;
use kasa_drivers::printer::{Align, BarcodeKind, Block, DrawerPin, Receipt, TextStyle};

/// A 160×48 logo: a frame with a diagonal band, deterministic.
pub fn logo() -> Bitmap {
    Bitmap::from_fn(160, 48, |x, y| {
        let frame = x < 3 || y < 3 || x >= 157 || y >= 45;
        let band = (x + y) % 24 < 6 && (8..40).contains(&y);
        frame || band
    })
}

fn amount_row(r: &mut Receipt, label: &str, amount: &str, style: TextStyle) {
    r.row_styled(vec![label.to_string(), amount.to_string()], style);
}

/// A Bulgarian sale:
/// - Хляб Добруджа 650г 2 × 1.65 = 3.30 (group Б, 9 %)
/// - Сирене краве 400г 1 × 7.49 = 7.49, line discount 10 % = −0.75 → 6.74 (А, 20 %)
/// - Домати 0.452 kg × 12.90 = 5.8308 → 5.83 (Б)
/// - Кафе «Лаваца» 250г 1 × 8.99 = 8.99 (А)
///
/// Subtotal 24.86; receipt discount 5 % = −1.24 → total 23.62.
/// The receipt discount splits by group gross: А 15.73 → −0.78 = 14.95,
/// Б 9.13 → −0.46 = 8.67. VAT А 14.95 × 20/120 = 2.49 (net 12.46),
/// Б 8.67 × 9/109 = 0.72 (net 7.95). Cash 50.00, change 26.38.
pub fn bulgarian_sale() -> Receipt {
    let mut r = Receipt::new();
    r.logo(logo());
    r.text("МАГАЗИН „ЛОЗА“ ЕООД", TextStyle::heading());
    r.text("гр. София, ул. «Витоша» 12", TextStyle::centered());
    r.text("ЕИК 204567891, ДДС № BG204567891", TextStyle::centered());
    r.separator();
    r.row("Продажба № 0000001234", "21.11.2026");
    r.row("Каса T01, оператор Мария", "08:15");
    r.separator();
    r.row3("Хляб Добруджа 650г", "2 x 1.65", "3.30 Б");
    r.row3("Сирене краве 400г", "1 x 7.49", "7.49 А");
    r.row("  Отстъпка 10%", "-0.75");
    r.row3("Домати", "0.452 кг x 12.90", "5.83 Б");
    r.row3("Кафе «Лаваца» 250г", "1 x 8.99", "8.99 А");
    r.separator();
    r.row("Междинна сума", "24.86");
    r.row("Отстъпка 5% от сметката", "-1.24");
    amount_row(
        &mut r,
        "ОБЩА СУМА EUR",
        "23.62",
        TextStyle {
            bold: true,
            double_height: true,
            ..TextStyle::default()
        },
    );
    r.separator();
    r.row3("ДДС А 20%", "12.46", "2.49");
    r.row3("ДДС Б 9%", "7.95", "0.72");
    r.separator();
    r.row("В брой", "50.00");
    amount_row(&mut r, "Ресто", "26.38", TextStyle::bold());
    r.separator();
    r.text("Благодарим Ви! Ёлха, Ъгъл — № 5", TextStyle::centered());
    r.barcode(BarcodeKind::Code128, "0000001234")
        .expect("valid CODE128");
    r.qr("50123456*0001234*2026-11-21*08:15:00*23.62", 6)
        .expect("short QR");
    r.text(
        "*** КАСОВ БОН ***",
        TextStyle {
            align: Align::Center,
            bold: true,
            ..TextStyle::default()
        },
    );
    r.drawer_pulse(DrawerPin::Pin2, 100, 500);
    r.push(Block::Cut { partial: false });
    r
}

/// A Georgian sale (GEL, VAT 18 % included):
/// - პური 2 × 1.20 = 2.40
/// - ყველი იმერული 0.452 kg × 12.90 = 5.83
///
/// Total 8.23; VAT 8.23 × 18/118 = 1.2554 → 1.26. Cash 10.00, change 1.77.
pub fn georgian_sale() -> Receipt {
    let mut r = Receipt::new();
    r.text("მაღაზია „ვაზი“", TextStyle::heading());
    r.text("თბილისი, რუსთაველის გამზ. 12", TextStyle::centered());
    r.separator();
    r.row3("პური", "2 x 1.20", "2.40");
    r.row3("ყველი იმერული", "0.452 კგ x 12.90", "5.83");
    r.separator();
    amount_row(&mut r, "სულ GEL", "8.23", TextStyle::bold());
    r.row("მათ შორის დღგ 18%", "1.26");
    r.row("ნაღდი", "10.00");
    r.row("ხურდა", "1.77");
    r.separator();
    r.barcode(BarcodeKind::Code128, "0000005678")
        .expect("valid CODE128");
    r.qr("https://kasa.example/r/GE-T01-0000005678", 6)
        .expect("short QR");
    r.text("გმადლობთ!", TextStyle::centered());
    r.cut();
    r
}

/// A 30-line receipt for benchmarks and throughput tests.
pub fn thirty_lines() -> Receipt {
    let mut r = Receipt::new();
    r.text("МАГАЗИН „ЛОЗА“", TextStyle::heading());
    for i in 0..26 {
        r.row3(format!("Артикул № {i:02} Сирене"), "1 x 2.50", "2.50 А");
    }
    r.row("ОБЩО", "65.00");
    r.barcode(BarcodeKind::Code128, "0000001234")
        .expect("valid CODE128");
    r.cut();
    r
}
