//! The demo store: a Bulgarian neighbourhood grocery, written to
//! `fixtures/demo/` by `kasa-fixtures demo --out fixtures/demo`.
//!
//! Choices (documented for the README):
//! - ~2,000 products: packaged goods get EAN-13s with the Bulgarian GS1
//!   prefix 380 (every 10th also an older second EAN); drinks and beer have
//!   packaging barcodes — a 6-pack and a 12-bottle crate as EAN-13 `*6`/`*12`,
//!   a 24-can tray as GTIN-14 `*24`.
//! - Weighed goods (fruit & vegetables, the meat and cheese counters) are
//!   sold by kg with PLUs 1–N and no EAN: the scale prints in-store codes
//!   with prefixes 21–24, layout `2XIIIIIWWWWWC` (5-digit PLU, weight in
//!   grams); prefix 28 `2XIIIIIPPPPPC` embeds the price (pre-packed cheese
//!   and meat priced at the counter).
//! - VAT (Bulgaria, 2026): `standard` 20 % for almost everything — bread is
//!   standard again since 2025 (the 0 %/9 % bread relief ended on
//!   2024-12-31); `reduced` 9 % for baby food, baby diapers and books (the
//!   ZDDS reduced rate); `zero` for a few exempt items (postage stamps,
//!   lottery tickets) so a receipt can show all three groups.
//! - Prices in EUR, VAT-inclusive; cost = net price / (1 + markup), markup
//!   18–45 %. A few products have no price but a cost and markup, to show
//!   the cost + markup fallback. A few are NEW / PHASE_OUT / DISCONTINUED.
//! - Dairy, meat and baby food track batches (expiry).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::demo_data::{COUNTERS, ORIGINS, SHELVES};
use super::{PRODUCTS_HEADER, SeededRng, bulgarian_ean13, cents, with_check_digit};

/// The seed of the committed demo files.
pub const DEMO_SEED: u64 = 380_2026;

/// What [`write_demo`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Products in products.csv.
    pub products: usize,
    /// Barcodes in products.csv (packaging included).
    pub barcodes: usize,
    /// Weighed products (with PLU).
    pub weighed: usize,
    /// Rows in price_tiers.csv.
    pub price_tiers: usize,
    /// Promotions in promotions.json.
    pub promotions: usize,
    /// Customers.
    pub customers: usize,
    /// Users.
    pub users: usize,
}

/// Write every demo file into `dir` (created if missing).
pub fn write_demo(dir: &Path) -> std::io::Result<DemoSummary> {
    std::fs::create_dir_all(dir)?;
    let mut rng = SeededRng::new(DEMO_SEED);
    let mut summary = DemoSummary::default();
    let mut products =
        csv::Writer::from_writer(BufWriter::new(File::create(dir.join("products.csv"))?));
    products.write_record(PRODUCTS_HEADER)?;
    let mut ean_counter: u64 = 1_000_000;
    let mut sku_number = 0u32;
    // (sku, name, price in cents) of every product with a base price.
    let mut priced: Vec<(String, String, u64)> = Vec::new();

    for shelf in SHELVES {
        for item in shelf.items {
            for brand in shelf.brands {
                for size in shelf.sizes {
                    sku_number += 1;
                    let sku = format!("{sku_number:06}");
                    let price = shelf.price.0 + rng.below(shelf.price.1 - shelf.price.0);
                    let mut codes = vec![bulgarian_ean13(ean_counter)];
                    let unit_body = codes[0][..12].to_string();
                    ean_counter += 1;
                    if sku_number.is_multiple_of(10) {
                        codes.push(bulgarian_ean13(ean_counter + 500_000));
                    }
                    for (pack_size, multipliers) in shelf.packs {
                        if pack_size != size {
                            continue;
                        }
                        for m in *multipliers {
                            if *m == 24 {
                                // A tray: GTIN-14 with packaging indicator 1.
                                codes.push(format!(
                                    "{}*24",
                                    with_check_digit(&format!("1{unit_body}"))
                                ));
                            } else {
                                codes.push(format!(
                                    "{}*{m}",
                                    bulgarian_ean13(ean_counter + 700_000)
                                ));
                                ean_counter += 1;
                            }
                        }
                    }
                    summary.barcodes += codes.len();
                    let lifecycle = match sku_number % 97 {
                        13 => "NEW",
                        29 => "PHASE_OUT",
                        61 => "DISCONTINUED",
                        _ => "",
                    };
                    let markup = 18 + rng.below(28);
                    let cost = cost_of(price, shelf.vat, markup);
                    // Every 150th product: no price, cost + markup decides.
                    let (price_text, markup_text) = if sku_number % 150 == 7 {
                        (String::new(), markup.to_string())
                    } else {
                        (cents(price), String::new())
                    };
                    let name = format!("{item} {brand} {size}");
                    products.write_record([
                        sku.as_str(),
                        name.as_str(),
                        shelf.group,
                        brand,
                        shelf.unit,
                        shelf.vat,
                        price_text.as_str(),
                        cents(cost).as_str(),
                        codes.join(";").as_str(),
                        "",
                        lifecycle,
                        if shelf.tracks_batches {
                            "true"
                        } else {
                            "false"
                        },
                        markup_text.as_str(),
                    ])?;
                    if !price_text.is_empty() {
                        priced.push((sku, name, price));
                    }
                    summary.products += 1;
                }
            }
        }
    }

    // Sold by the metre and by the litre (tap).
    for (name, unit, price) in [
        ("Въже памучно", "m", 189u64),
        ("Маркуч градински", "m", 349),
        ("Вино наливно червено", "l", 599),
        ("Ракия наливна", "l", 1499),
    ] {
        sku_number += 1;
        let sku = format!("{sku_number:06}");
        let cost = cost_of(price, "standard", 30);
        products.write_record([
            sku.as_str(),
            name,
            "Наливни и метражни",
            "",
            unit,
            "standard",
            &cents(price),
            &cents(cost),
            "",
            "",
            "",
            "false",
            "",
        ])?;
        priced.push((sku, name.to_string(), price));
        summary.products += 1;
    }

    // Exempt items.
    for (name, price) in [
        ("Пощенска марка вътрешна", 120u64),
        ("Пощенска марка международна", 260),
        ("Лотариен билет Тото 2", 100),
    ] {
        sku_number += 1;
        let sku = format!("{sku_number:06}");
        let code = bulgarian_ean13(ean_counter);
        ean_counter += 1;
        summary.barcodes += 1;
        products.write_record([
            sku.as_str(),
            name,
            "Услуги",
            "",
            "piece",
            "zero",
            &cents(price),
            &cents(price),
            &code,
            "",
            "",
            "false",
            "",
        ])?;
        summary.products += 1;
    }

    // Weighed goods: PLU = position, sold by kg.
    let mut plu = 0u32;
    for (group, names, range, batches) in COUNTERS {
        for name in *names {
            for origin in ORIGINS {
                plu += 1;
                sku_number += 1;
                let sku = format!("{sku_number:06}");
                let price = range.0 + rng.below(range.1 - range.0);
                let cost = cost_of(price, "standard", 25 + rng.below(20));
                let name = format!("{name} {origin}");
                products.write_record([
                    sku.as_str(),
                    name.as_str(),
                    group,
                    "",
                    "kg",
                    "standard",
                    &cents(price),
                    &cents(cost),
                    "",
                    &plu.to_string(),
                    "",
                    if *batches { "true" } else { "false" },
                    "",
                ])?;
                priced.push((sku, name, price));
                summary.products += 1;
                summary.weighed += 1;
            }
        }
    }

    // The worked example from DOMAIN.md: base 24.99, VIP 22.00, 50+ at 21.50, cost 15.00.
    sku_number += 1;
    let example_sku = format!("{sku_number:06}");
    products.write_record([
        example_sku.as_str(),
        "Кафе на зърна Lavazza Oro 1кг",
        "Основни храни и консерви",
        "Lavazza",
        "piece",
        "standard",
        "24.99",
        "15.00",
        &bulgarian_ean13(ean_counter),
        "",
        "",
        "false",
        "",
    ])?;
    summary.barcodes += 1;
    summary.products += 1;
    products.flush()?;
    drop(products);

    summary.price_tiers = write_price_tiers(dir, &example_sku, &priced, &mut rng)?;
    summary.promotions = write_promotions(dir, &priced)?;
    summary.customers = write_text(dir, "customers.csv", CUSTOMERS_CSV)?;
    summary.users = write_text(dir, "users.csv", USERS_CSV)?;
    write_text(dir, "store.json", STORE_JSON)?;
    Ok(summary)
}

/// Cost from a VAT-inclusive price: net / (1 + markup %), in cents.
fn cost_of(price_cents: u64, vat: &str, markup_percent: u64) -> u64 {
    let vat_percent = match vat {
        "standard" => 20,
        "reduced" => 9,
        _ => 0,
    };
    let net = price_cents * 100 / (100 + vat_percent);
    net * 100 / (100 + markup_percent)
}

fn write_price_tiers(
    dir: &Path,
    example_sku: &str,
    priced: &[(String, String, u64)],
    rng: &mut SeededRng,
) -> std::io::Result<usize> {
    let mut out =
        csv::Writer::from_writer(BufWriter::new(File::create(dir.join("price_tiers.csv"))?));
    out.write_record([
        "sku",
        "kind",
        "store",
        "customer_group",
        "min_qty",
        "price",
        "valid_from",
        "valid_to",
    ])?;
    let mut rows = 0;
    let mut row = |r: [&str; 8]| -> std::io::Result<()> {
        rows += 1;
        out.write_record(r)?;
        Ok(())
    };
    row([example_sku, "group", "", "VIP", "", "22.00", "", ""])?;
    row([example_sku, "step", "", "", "50", "21.50", "", ""])?;
    for (i, (sku, _, price)) in priced.iter().enumerate() {
        match i % 40 {
            // VIP price: 8 % off.
            3 | 23 => row([
                sku,
                "group",
                "",
                "VIP",
                "",
                &cents(price * 92 / 100),
                "",
                "",
            ])?,
            // Staff price: 15 % off, store S001 only.
            11 => row([
                sku,
                "group",
                "S001",
                "STAFF",
                "",
                &cents(price * 85 / 100),
                "",
                "",
            ])?,
            // Quantity breaks: 6+ at 5 % off, 12+ at 10 % off.
            17 => {
                row([sku, "step", "", "", "6", &cents(price * 95 / 100), "", ""])?;
                row([sku, "step", "", "", "12", &cents(price * 90 / 100), "", ""])?;
            }
            // A store-specific base price, and a dated price change.
            31 => row([
                sku,
                "base",
                "S001",
                "",
                "",
                &cents(price + 10 + rng.below(40)),
                "",
                "",
            ])?,
            37 => row([
                sku,
                "base",
                "",
                "",
                "",
                &cents(price + 20),
                "2026-07-01",
                "",
            ])?,
            _ => {}
        }
    }
    out.flush()?;
    Ok(rows)
}

fn write_promotions(dir: &Path, priced: &[(String, String, u64)]) -> std::io::Result<usize> {
    // The first `n` priced products whose name starts with `prefix`.
    let skus = |prefix: &str, n: usize| -> Vec<String> {
        priced
            .iter()
            .filter(|(_, name, _)| name.starts_with(prefix))
            .take(n)
            .map(|(sku, _, _)| sku.clone())
            .collect()
    };
    let promotions = serde_json::json!([
        {
            "id": "PROMO-SUMMER-15",
            "name": "Лятно намаление -15%",
            "from": "2026-06-01T00:00:00",
            "to": "2026-09-01T00:00:00",
            "stores": ["S001"],
            "kind": { "type": "percent_off", "skus": skus("Ябълков сок", 4), "percent": "15" }
        },
        {
            "id": "PROMO-YOGHURT",
            "name": "Кисело мляко на специална цена",
            "from": "2026-01-01T00:00:00",
            "kind": { "type": "fixed_price", "skus": skus("Кисело мляко 2% Верея", 1), "price": "0.99" }
        },
        {
            "id": "PROMO-BEER-2+1",
            "name": "Бира 2+1 гратис",
            "from": "2026-01-01T00:00:00",
            "to": "2027-01-01T00:00:00",
            "kind": { "type": "bogo", "skus": skus("Бира светла Загорка", 2), "buy": 2, "get": 1 }
        },
        {
            "id": "PROMO-WATER-3-FOR",
            "name": "Три бутилки вода за 2.00 €",
            "from": "2026-01-01T00:00:00",
            "kind": { "type": "mix_and_match", "skus": skus("Минерална вода", 3), "quantity": 3, "price": "2.00" }
        },
        {
            "id": "PROMO-50-EUR",
            "name": "5% отстъпка над 50 €",
            "from": "2026-01-01T00:00:00",
            "kind": { "type": "receipt_threshold", "min_total": "50.00", "reward": { "percent_off": "5" } }
        },
        {
            "id": "PROMO-VIP-BREAD",
            "name": "VIP: хляб -10%",
            "from": "2026-01-01T00:00:00",
            "customer_groups": ["VIP"],
            "kind": { "type": "percent_off", "skus": skus("Хляб", 3), "percent": "10" }
        }
    ]);
    let count = promotions.as_array().map_or(0, Vec::len);
    let mut file = BufWriter::new(File::create(dir.join("promotions.json"))?);
    serde_json::to_writer_pretty(&mut file, &promotions)?;
    file.write_all(b"\n")?;
    file.flush()?;
    Ok(count)
}

fn write_text(dir: &Path, name: &str, text: &str) -> std::io::Result<usize> {
    std::fs::write(dir.join(name), text)?;
    Ok(text.lines().count().saturating_sub(1))
}

const CUSTOMERS_CSV: &str = "code,name,customer_group,credit_limit,balance
C0001,Иван Петров,,0,0
C0002,Мария Георгиева,VIP,0,0
C0003,Ресторант Чайка ООД,VIP,500.00,120.00
C0004,Хотел Рила ЕООД,,1000.00,0
C0005,Георги Димитров (служител),STAFF,0,0
";

/// Demo PINs: cashier 1111, manager 9999, admin 0000 — demo only.
const USERS_CSV: &str = "login,name,role,pin
cashier,Гергана Касиерова,cashier,1111
manager,Петър Управителев,manager,9999
admin,Администратор,admin,0000
";

const STORE_JSON: &str = r#"{
  "tenant": "demo",
  "tenant_name": "Квартален магазин Демо ЕООД",
  "store_id": "S001",
  "store_name": "Магазин Демо, ул. Витоша 1, София",
  "terminal_id": "T01",
  "currency": "EUR",
  "vat_preset": "bulgaria",
  "price_mode": "inclusive",
  "cash_rounding": { "increment": "0.01", "rule": "half_away_from_zero" },
  "manager_discount_limit_percent": "10",
  "barcodes": {
    "in_store": [
      { "prefix": 21, "pattern": "2XIIIIIWWWWWC" },
      { "prefix": 22, "pattern": "2XIIIIIWWWWWC" },
      { "prefix": 23, "pattern": "2XIIIIIWWWWWC" },
      { "prefix": 24, "pattern": "2XIIIIIWWWWWC" },
      { "prefix": 28, "pattern": "2XIIIIIPPPPPC" }
    ]
  }
}
"#;
