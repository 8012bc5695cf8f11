use super::*;
use proptest::prelude::*;

fn line(class: &str, rate: Decimal, amount: Decimal) -> VatLine {
    VatLine {
        class: class.to_string(),
        rate_percent: rate,
        amount: Money(amount),
    }
}

#[test]
fn bulgarian_and_georgian_presets() {
    let today = day(2026, 3, 1);
    let bg = VatTable::bulgaria();
    assert_eq!(bg.rate_for("standard", today).unwrap(), dec!(20));
    assert_eq!(bg.rate_for("reduced", today).unwrap(), dec!(9));
    assert_eq!(bg.rate_for("zero", today).unwrap(), dec!(0));
    assert_eq!(bg.classes(), vec!["reduced", "standard", "zero"]);
    bg.validate().unwrap();
    assert_eq!(VatTable::preset(" BG ").unwrap(), bg);
    assert_eq!(VatTable::preset("georgia").unwrap(), VatTable::georgia());
    assert_eq!(
        VatTable::preset("france").unwrap_err().code(),
        "tax.unknown_preset"
    );
    let ge = VatTable::georgia();
    assert_eq!(ge.rate_for("standard", today).unwrap(), dec!(18));
    ge.validate().unwrap();
}

#[test]
fn rate_lookup_by_date_uses_validity_rows() {
    let mut table = VatTable::bulgaria();
    // A hypothetical rate change: reduced 9 % ends 2026-06-30, 12 % from 2026-07-01.
    table.rates[1].valid_to = Some(day(2026, 6, 30));
    table
        .rates
        .push(VatRate::new("reduced", dec!(12), day(2026, 7, 1)));
    table.validate().unwrap();
    let cases = [
        (day(2011, 3, 31), Err("tax.no_rate_on_date")),
        (day(2011, 4, 1), Ok(dec!(9))),
        (day(2026, 6, 30), Ok(dec!(9))),
        (day(2026, 7, 1), Ok(dec!(12))),
        (day(2040, 1, 1), Ok(dec!(12))),
    ];
    for (on, expected) in cases {
        let got = table.rate_for("reduced", on).map_err(|e| e.code());
        assert_eq!(got, expected, "on {on}");
    }
    let err = table.rate_for("luxury", day(2026, 1, 1)).unwrap_err();
    assert_eq!(err.code(), "tax.unknown_class");
    assert!(err.to_string().contains("luxury"));
}

#[test]
fn validate_reports_overlaps_and_bad_rows() {
    let mut table = VatTable::bulgaria();
    table
        .rates
        .push(VatRate::new("standard", dec!(22), day(2027, 1, 1)));
    assert_eq!(
        table.validate().unwrap_err().code(),
        "tax.overlapping_rates"
    );
    // Overlap is resolved deterministically: the latest start wins.
    assert_eq!(
        table.rate_for("standard", day(2027, 5, 1)).unwrap(),
        dec!(22)
    );
    let bad = VatTable {
        rates: vec![VatRate {
            class: "x".into(),
            rate_percent: dec!(-1),
            valid_from: day(2020, 1, 1),
            valid_to: None,
        }],
    };
    assert_eq!(bad.validate().unwrap_err().code(), "tax.invalid_rate");
}

#[test]
fn price_mode_defaults_to_inclusive_and_serialises_lowercase() {
    assert_eq!(PriceMode::default(), PriceMode::Inclusive);
    assert_eq!(
        serde_json::to_string(&PriceMode::Exclusive).unwrap(),
        "\"exclusive\""
    );
}

#[test]
fn inclusive_group_vat_is_computed_once_and_split_exactly() {
    // Three lines of 0.10 at 20 % inclusive: per-line rounding would give 0.06.
    let lines = vec![
        line("standard", dec!(20), dec!(0.10)),
        line("standard", dec!(20), dec!(0.10)),
        line("standard", dec!(20), dec!(0.10)),
    ];
    let b = receipt_vat(&lines, PriceMode::Inclusive, Currency::Eur);
    assert_eq!(b.groups.len(), 1);
    let g = &b.groups[0];
    assert_eq!(
        (g.gross.0, g.vat.0, g.net.0),
        (dec!(0.30), dec!(0.05), dec!(0.25))
    );
    // Equal remainders: the lower indexes get the extra cent.
    let per_line: Vec<Decimal> = b.per_line_vat.iter().map(|m| m.0).collect();
    assert_eq!(per_line, vec![dec!(0.02), dec!(0.02), dec!(0.01)]);
}

#[test]
fn receipt_with_several_rates_table() {
    // Bulgarian receipt: 12.00 standard, 1.23 standard, 5.45 reduced, 3.00 zero.
    let lines = vec![
        line("standard", dec!(20), dec!(12.00)),
        line("reduced", dec!(9), dec!(5.45)),
        line("standard", dec!(20), dec!(1.23)),
        line("zero", dec!(0), dec!(3.00)),
    ];
    let b = receipt_vat(&lines, PriceMode::Inclusive, Currency::Eur);
    let groups: Vec<(&str, Decimal, Decimal, Decimal)> = b
        .groups
        .iter()
        .map(|g| (g.class.as_str(), g.net.0, g.vat.0, g.gross.0))
        .collect();
    // 13.23 / 6 = 2.205 → 2.21 (a true midpoint, rounded half away from zero);
    // 5.45 × 9 / 109 = 0.45.
    assert_eq!(
        groups,
        vec![
            ("standard", dec!(11.02), dec!(2.21), dec!(13.23)),
            ("reduced", dec!(5.00), dec!(0.45), dec!(5.45)),
            ("zero", dec!(3.00), dec!(0), dec!(3.00)),
        ]
    );
    // 12.00 → exactly 2.00; 1.23 → 0.205 → gets the missing cent.
    let per_line: Vec<Decimal> = b.per_line_vat.iter().map(|m| m.0).collect();
    assert_eq!(per_line, vec![dec!(2.00), dec!(0.45), dec!(0.21), dec!(0)]);
    assert_eq!(b.total_vat().0, dec!(2.66));
    assert_eq!(b.total_gross().0, dec!(21.68));
    assert_eq!(b.total_net().0, dec!(19.02));
}

#[test]
fn exclusive_mode_adds_vat_on_top() {
    let lines = vec![
        line("standard", dec!(18), dec!(10.00)),
        line("standard", dec!(18), dec!(0.05)),
    ];
    let b = receipt_vat(&lines, PriceMode::Exclusive, Currency::Gel);
    let g = &b.groups[0];
    // 10.05 × 0.18 = 1.809 → 1.81.
    assert_eq!(
        (g.net.0, g.vat.0, g.gross.0),
        (dec!(10.05), dec!(1.81), dec!(11.86))
    );
    // Shares 1.80 and 0.009: the small line takes the missing cent (remainder 0.009).
    let per_line: Vec<Decimal> = b.per_line_vat.iter().map(|m| m.0).collect();
    assert_eq!(per_line, vec![dec!(1.80), dec!(0.01)]);
}

#[test]
fn returns_and_discounts_reduce_their_group() {
    let lines = vec![
        line("standard", dec!(20), dec!(5.00)),
        line("standard", dec!(20), dec!(-1.23)),
        line("standard", dec!(20), dec!(-0.01)),
    ];
    let b = receipt_vat(&lines, PriceMode::Inclusive, Currency::Eur);
    let g = &b.groups[0];
    // 3.76 / 6 = 0.62666… → 0.63.
    assert_eq!(
        (g.gross.0, g.vat.0, g.net.0),
        (dec!(3.76), dec!(0.63), dec!(3.13))
    );
    let sum: Money = b.per_line_vat.iter().sum();
    assert_eq!(sum, g.vat);
    // A pure return receipt has negative VAT, rounded half away from zero.
    let ret = receipt_vat(
        &[line("standard", dec!(20), dec!(-1.23))],
        PriceMode::Inclusive,
        Currency::Eur,
    );
    assert_eq!(ret.groups[0].vat.0, dec!(-0.21));
    assert_eq!(ret.per_line_vat, vec![Money(dec!(-0.21))]);
}

#[test]
fn empty_receipt_has_no_groups() {
    let b = receipt_vat(&[], PriceMode::Inclusive, Currency::Eur);
    assert!(b.groups.is_empty() && b.per_line_vat.is_empty());
}

#[test]
fn same_rate_different_scale_is_one_group() {
    let lines = vec![
        line("standard", dec!(20), dec!(1.00)),
        line("standard", dec!(20.00), dec!(1.00)),
    ];
    let b = receipt_vat(&lines, PriceMode::Inclusive, Currency::Eur);
    assert_eq!(b.groups.len(), 1);
    assert_eq!(b.groups[0].vat.0, dec!(0.33));
}

#[test]
fn allocation_takes_back_when_total_is_below_floors() {
    let parts = allocate_largest_remainder(&[dec!(0.5), dec!(0.5)], dec!(0.98), dec!(0.01));
    assert_eq!(parts, vec![dec!(0.49), dec!(0.49)]);
    let parts = allocate_largest_remainder(&[dec!(0.504), dec!(0.502)], dec!(1.04), dec!(0.01));
    assert_eq!(parts.iter().sum::<Decimal>(), dec!(1.04));
}

fn arb_line() -> impl Strategy<Value = VatLine> {
    let classes = prop_oneof![
        Just(("standard", dec!(20))),
        Just(("reduced", dec!(9))),
        Just(("zero", dec!(0))),
        Just(("ge", dec!(18))),
        Just(("odd", dec!(8.5))),
    ];
    (classes, -500_000i64..2_000_000)
        .prop_map(|((class, rate), cents)| line(class, rate, Decimal::new(cents, 2)))
}

proptest! {
    #[test]
    fn per_line_vat_sums_to_group_vat(
        lines in prop::collection::vec(arb_line(), 0..40),
        exclusive in any::<bool>(),
    ) {
        let mode = if exclusive { PriceMode::Exclusive } else { PriceMode::Inclusive };
        let b = receipt_vat(&lines, mode, Currency::Eur);
        prop_assert_eq!(b.per_line_vat.len(), lines.len());
        let per_line: Money = b.per_line_vat.iter().sum();
        prop_assert_eq!(per_line, b.total_vat());
        for g in &b.groups {
            prop_assert_eq!(g.gross, g.net + g.vat);
            // The group VAT is the rounded exact VAT of the group's amount.
            let members: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].class == g.class)
                .collect();
            let sum: Decimal = members.iter().map(|&i| lines[i].amount.0).sum();
            let expected = VAT_ROUNDING.round_dp(exact_vat(sum, g.rate_percent, mode), 2);
            prop_assert_eq!(g.vat.0, expected);
            let group_lines: Money = members.iter().map(|&i| b.per_line_vat[i]).sum();
            prop_assert_eq!(group_lines, g.vat);
            if g.rate_percent.is_zero() {
                prop_assert!(g.vat.is_zero());
                prop_assert!(members.iter().all(|&i| b.per_line_vat[i].is_zero()));
            }
            // The mode's side of the group is Σ amounts.
            match mode {
                PriceMode::Inclusive => prop_assert_eq!(g.gross.0, sum),
                PriceMode::Exclusive => prop_assert_eq!(g.net.0, sum),
            }
        }
        // Every line is within one cent of its exact share.
        for (l, v) in lines.iter().zip(&b.per_line_vat) {
            let exact = exact_vat(l.amount.0, l.rate_percent, mode);
            prop_assert!((v.0 - exact).abs() < dec!(0.01), "{} vs {}", v.0, exact);
            prop_assert_eq!(v.0.round_dp(2), v.0);
        }
    }

    #[test]
    fn allocation_always_sums_to_total(
        cents in prop::collection::vec(-100_000i64..100_000, 1..20),
        total_cents in -5_000_000i64..5_000_000,
    ) {
        let shares: Vec<Decimal> = cents.iter().map(|&c| Decimal::new(c, 3)).collect();
        let total = Decimal::new(total_cents, 2);
        let parts = allocate_largest_remainder(&shares, total, dec!(0.01));
        prop_assert_eq!(parts.iter().sum::<Decimal>(), total);
    }
}

#[test]
fn published_classes_replace_the_presets_rows_of_those_classes_only() {
    let from_2027 = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let table = VatTable::bulgaria().with_classes_replaced(vec![VatRate::new(
        "reduced",
        dec!(12),
        from_2027,
    )]);
    let day = |y| NaiveDate::from_ymd_opt(y, 6, 1).unwrap();
    assert_eq!(table.rate_for("reduced", day(2027)), Ok(dec!(12)));
    assert_eq!(
        table.rate_for("reduced", day(2026)).map_err(|e| e.code()),
        Err("tax.no_rate_on_date"),
        "head office owns the class: the preset's 9 % is gone"
    );
    assert_eq!(table.rate_for("standard", day(2026)), Ok(dec!(20)));
    assert_eq!(
        VatTable::bulgaria().with_classes_replaced(Vec::new()),
        VatTable::bulgaria()
    );
}
