//! Deterministic catalogs for demos, tests and benchmarks (`kasa-fixtures`).
//!
//! - [`demo`]: the committed demo store in `fixtures/demo/` (a Bulgarian
//!   grocery, ~2,000 products).
//! - [`write_big_products`]: a `products.csv` of any size (1,000,000 products
//!   with 1,500,000 barcodes for the benchmarks), streamed to a writer.
//!
//! Randomness is a fixed-seed SplitMix64, so the same command always writes
//! the same bytes (the demo files are committed and diffable).

pub mod demo;
mod demo_data;

use std::io::Write;

use kasa_domain::barcode::gtin_check_digit;

/// A small deterministic pseudo-random generator (SplitMix64). Not for
/// anything secret — only for reproducible test data.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A complete GTIN: `body` plus its check digit.
pub fn with_check_digit(body: &str) -> String {
    let check = gtin_check_digit(body).expect("generated barcode bodies are digits of GTIN length");
    format!("{body}{check}")
}

/// The EAN-13 with Bulgarian GS1 prefix 380 and the 9-digit number `n`.
pub fn bulgarian_ean13(n: u64) -> String {
    with_check_digit(&format!("380{:09}", n % 1_000_000_000))
}

/// The header of `products.csv`.
pub const PRODUCTS_HEADER: [&str; 13] = [
    "sku",
    "name",
    "group",
    "brand",
    "unit",
    "vat_class",
    "price",
    "cost",
    "barcodes",
    "plu",
    "status",
    "tracks_batches",
    "markup_percent",
];

const BIG_NOUNS: &[&str] = &[
    "Хляб",
    "Мляко",
    "Сирене",
    "Кашкавал",
    "Кисело мляко",
    "Масло",
    "Шунка",
    "Салам",
    "Луканка",
    "Наденица",
    "Кафе",
    "Чай",
    "Захар",
    "Брашно",
    "Ориз",
    "Леща",
    "Боб",
    "Олио",
    "Оцет",
    "Сол",
    "Бисквити",
    "Вафла",
    "Шоколад",
    "Бонбони",
    "Сок",
    "Нектар",
    "Вода",
    "Бира",
    "Вино",
    "Ракия",
    "Паста",
    "Спагети",
    "Кетчуп",
    "Майонеза",
    "Горчица",
    "Лютеница",
    "Компот",
    "Мед",
    "Конфитюр",
    "Яйца",
    "Препарат",
    "Сапун",
    "Шампоан",
    "Паста за зъби",
    "Кърпички",
    "Салфетки",
    "Тоалетна хартия",
    "Прах за пране",
    "Омекотител",
    "Гъба",
];
const BIG_ADJECTIVES: &[&str] = &[
    "класик",
    "домашен",
    "селски",
    "био",
    "пълнозърнест",
    "пикантен",
    "лек",
    "традиционен",
    "premium",
    "extra",
    "краве",
    "овче",
    "козе",
    "пушен",
    "сушен",
    "мед",
    "ябълка",
    "портокал",
    "ягода",
    "праскова",
    "натурален",
    "без захар",
    "мек",
    "твърд",
    "свеж",
    "зелен",
    "черен",
    "бял",
    "червен",
    "златен",
];
const BIG_BRANDS: &[&str] = &[
    "Деликатес",
    "Родопа",
    "Верея",
    "Маджаров",
    "Бор Чвор",
    "Олинеза",
    "Девин",
    "Банкя",
    "Загорка",
    "Каменица",
    "Пловдив",
    "Тандем",
    "Перелик",
    "Елена",
    "Боженци",
    "Добруджа",
    "Витоша",
    "Странджа",
    "Пирин",
    "Рила",
    "Балкан",
    "Тракия",
    "Марица",
    "Дунав",
    "Искър",
];
const BIG_SIZES: &[&str] = &[
    "100г", "200г", "250г", "400г", "500г", "1кг", "0.33л", "0.5л", "1л", "1.5л", "2л", "5л",
];

/// Write a `products.csv` of `products` products carrying `barcodes`
/// barcodes in total (each product one EAN-13; the first
/// `barcodes - products` products also get a packaging barcode `*6`).
/// Names are random combinations of Bulgarian grocery words, so search has
/// realistic Cyrillic text to chew on. Returns the rows written.
pub fn write_big_products<W: Write>(
    out: W,
    products: u64,
    barcodes: u64,
    seed: u64,
) -> std::io::Result<u64> {
    let mut rng = SeededRng::new(seed);
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(PRODUCTS_HEADER)?;
    let extra = barcodes.saturating_sub(products);
    let mut name = String::with_capacity(64);
    let mut codes = String::with_capacity(64);
    for i in 0..products {
        name.clear();
        let word = rng.pick(BIG_NOUNS);
        name.push_str(word);
        name.push(' ');
        let word = rng.pick(BIG_ADJECTIVES);
        name.push_str(word);
        name.push(' ');
        let brand = rng.pick(BIG_BRANDS);
        name.push_str(brand);
        name.push(' ');
        let word = rng.pick(BIG_SIZES);
        name.push_str(word);
        codes.clear();
        codes.push_str(&bulgarian_ean13(100_000_000 + i));
        if i < extra {
            codes.push(';');
            codes.push_str(&bulgarian_ean13(600_000_000 + i));
            codes.push_str("*6");
        }
        let cost_cents = 20 + rng.below(4_000);
        let price_cents = cost_cents + cost_cents * (15 + rng.below(40)) / 100;
        let vat = if rng.below(20) == 0 {
            "reduced"
        } else {
            "standard"
        };
        csv.write_record([
            format!("B{:07}", i + 1).as_str(),
            name.as_str(),
            "Общи",
            brand,
            "piece",
            vat,
            cents(price_cents).as_str(),
            cents(cost_cents).as_str(),
            codes.as_str(),
            "",
            "",
            "",
            "",
        ])?;
    }
    csv.flush()?;
    Ok(products)
}

/// `1234` → `"12.34"`.
pub(crate) fn cents(c: u64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = (0..5)
            .scan(SeededRng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(SeededRng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn bulgarian_eans_are_valid_and_prefixed() {
        for n in [0, 1, 42, 999_999_999] {
            let code = bulgarian_ean13(n);
            assert_eq!(code.len(), 13);
            assert!(code.starts_with("380"));
            kasa_domain::barcode::validate_gtin(&code).unwrap();
        }
    }

    #[test]
    fn big_file_has_the_asked_counts() {
        let mut out = Vec::new();
        write_big_products(&mut out, 50, 75, 1).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 51);
        let codes: usize = lines[1..]
            .iter()
            .map(|l| l.split(',').nth(8).unwrap().split(';').count())
            .sum();
        assert_eq!(codes, 75);
    }
}
