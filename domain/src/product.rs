//! Products: unit of measure, lifecycle, and the product record.
//!
//! ## Lifecycle
//! `NEW → ACTIVE → PHASE_OUT → DISCONTINUED → ARCHIVED`. A product is
//! *sellable* while ACTIVE or PHASE_OUT (stock on the shelf is sold off) and
//! *reorderable* only while NEW or ACTIVE (PHASE_OUT is not reordered).
//! Allowed changes: one step forward, plus PHASE_OUT → ACTIVE (the product is
//! reinstated) and NEW → ARCHIVED (created by mistake, never sold). Anything
//! else is [`ProductError::InvalidTransition`]: an archived product stays
//! archived so history keeps pointing at it.
//!
//! ## CSV forms (products.csv)
//! `unit` ∈ `piece|kg|l|m` (`pc` and `pcs` read as `piece`), the one unit
//! parser of Kasa ([`Unit::from_str`]: imports, head office's master data
//! and stored rows all read units through it); `status` ∈
//! `NEW|ACTIVE|PHASE_OUT|DISCONTINUED|ARCHIVED`, empty meaning ACTIVE
//! ([`Lifecycle::parse_csv`]); `tracks_batches` ∈ `true|false`, empty meaning
//! false ([`parse_csv_bool`]). Parsing trims spaces and ignores case.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// The unit a product is sold and stocked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Counted in whole pieces.
    Piece,
    /// Weighed in kilograms (3 decimals).
    Kg,
    /// Litres (3 decimals).
    L,
    /// Metres (3 decimals).
    M,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Unit; 4] = [Unit::Piece, Unit::Kg, Unit::L, Unit::M];

    /// The CSV / storage code.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Piece => "piece",
            Unit::Kg => "kg",
            Unit::L => "l",
            Unit::M => "m",
        }
    }

    /// Decimal places a quantity in this unit keeps (0 for pieces, 3 else).
    pub fn quantity_scale(self) -> u32 {
        match self {
            Unit::Piece => 0,
            Unit::Kg | Unit::L | Unit::M => 3,
        }
    }

    /// True when quantities are measured (weight, volume, length) rather
    /// than counted.
    pub fn is_measured(self) -> bool {
        self != Unit::Piece
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Unit {
    type Err = ProductError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let wanted = match wanted.as_str() {
            "pc" | "pcs" => "piece",
            other => other,
        };
        Unit::ALL
            .into_iter()
            .find(|u| u.code() == wanted)
            .ok_or_else(|| ProductError::UnknownUnit {
                value: s.to_string(),
            })
    }
}

/// Where a product is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lifecycle {
    /// Listed, not yet on sale (can be ordered in).
    New,
    /// On sale and reordered.
    Active,
    /// Still sold, no longer reordered.
    PhaseOut,
    /// No longer sold.
    Discontinued,
    /// Kept for history only.
    Archived,
}

impl Lifecycle {
    /// Every state, in life order.
    pub const ALL: [Lifecycle; 5] = [
        Lifecycle::New,
        Lifecycle::Active,
        Lifecycle::PhaseOut,
        Lifecycle::Discontinued,
        Lifecycle::Archived,
    ];

    /// The CSV / storage code (`PHASE_OUT`).
    pub fn code(self) -> &'static str {
        match self {
            Lifecycle::New => "NEW",
            Lifecycle::Active => "ACTIVE",
            Lifecycle::PhaseOut => "PHASE_OUT",
            Lifecycle::Discontinued => "DISCONTINUED",
            Lifecycle::Archived => "ARCHIVED",
        }
    }

    /// May be sold at the till.
    pub fn is_sellable(self) -> bool {
        matches!(self, Lifecycle::Active | Lifecycle::PhaseOut)
    }

    /// May be put on a purchase order.
    pub fn is_reorderable(self) -> bool {
        matches!(self, Lifecycle::New | Lifecycle::Active)
    }

    /// Whether `self → to` is an allowed change (see the module docs).
    pub fn can_become(self, to: Lifecycle) -> bool {
        use Lifecycle::*;
        matches!(
            (self, to),
            (New, Active)
                | (Active, PhaseOut)
                | (PhaseOut, Discontinued)
                | (Discontinued, Archived)
                | (PhaseOut, Active)
                | (New, Archived)
        )
    }

    /// Change state, or say why not.
    pub fn transition(self, to: Lifecycle) -> Result<Lifecycle, ProductError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(ProductError::InvalidTransition { from: self, to })
        }
    }

    /// Parse the CSV `status` column: empty means ACTIVE.
    pub fn parse_csv(s: &str) -> Result<Lifecycle, ProductError> {
        if s.trim().is_empty() {
            Ok(Lifecycle::Active)
        } else {
            s.parse()
        }
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lifecycle {
    type Err = ProductError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_uppercase();
        Lifecycle::ALL
            .into_iter()
            .find(|l| l.code() == wanted)
            .ok_or_else(|| ProductError::UnknownLifecycle {
                value: s.to_string(),
            })
    }
}

/// Parse a CSV boolean: `true`/`false` (any case), empty meaning false.
pub fn parse_csv_bool(s: &str) -> Result<bool, ProductError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "false" => Ok(false),
        "true" => Ok(true),
        _ => Err(ProductError::InvalidBool {
            value: s.to_string(),
        }),
    }
}

/// A product as the till knows it. Identity is the SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Stock-keeping unit: the product's identity.
    pub sku: String,
    /// Name (any script; Cyrillic and Georgian included).
    pub name: String,
    /// Product group (empty when none).
    pub group: String,
    /// Brand (empty when none).
    pub brand: String,
    /// Unit of sale and stock.
    pub unit: Unit,
    /// VAT class code in the tenant's VAT table.
    pub vat_class: String,
    /// Lifecycle state.
    pub lifecycle: Lifecycle,
    /// Price look-up number typed at the till or embedded in scale labels.
    pub plu: Option<u32>,
    /// Stock is kept per batch/lot with expiry.
    pub tracks_batches: bool,
}

impl Product {
    /// Check the record: SKU and name present, SKU without spaces or
    /// control characters, a VAT class given.
    pub fn validate(&self) -> Result<(), ProductError> {
        let sku = self.sku.trim();
        if sku.is_empty() || sku.len() != self.sku.len() {
            return Err(ProductError::InvalidSku {
                sku: self.sku.clone(),
            });
        }
        if self
            .sku
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ProductError::InvalidSku {
                sku: self.sku.clone(),
            });
        }
        if self.name.trim().is_empty() {
            return Err(ProductError::MissingName {
                sku: self.sku.clone(),
            });
        }
        if self.vat_class.trim().is_empty() {
            return Err(ProductError::MissingVatClass {
                sku: self.sku.clone(),
            });
        }
        Ok(())
    }

    /// May be sold now.
    pub fn is_sellable(&self) -> bool {
        self.lifecycle.is_sellable()
    }
}

/// Why a product value could not be read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// Not a known unit.
    #[error("unit '{value}' is unknown — use piece, kg, l or m")]
    UnknownUnit {
        /// The text.
        value: String,
    },
    /// Not a known lifecycle state.
    #[error("status '{value}' is unknown — use NEW, ACTIVE, PHASE_OUT, DISCONTINUED or ARCHIVED")]
    UnknownLifecycle {
        /// The text.
        value: String,
    },
    /// The lifecycle change is not allowed.
    #[error(
        "a product cannot go from {from} to {to} — allowed: one step forward, PHASE_OUT back to ACTIVE, or NEW to ARCHIVED"
    )]
    InvalidTransition {
        /// Current state.
        from: Lifecycle,
        /// Requested state.
        to: Lifecycle,
    },
    /// Not `true`/`false`.
    #[error("'{value}' is not true or false — write true, false or leave it empty")]
    InvalidBool {
        /// The text.
        value: String,
    },
    /// The SKU is empty or has spaces / control characters.
    #[error("SKU {sku:?} is invalid — a SKU is required and has no spaces")]
    InvalidSku {
        /// The SKU.
        sku: String,
    },
    /// The product has no name.
    #[error("product {sku} has no name — give it one")]
    MissingName {
        /// The SKU.
        sku: String,
    },
    /// The product has no VAT class.
    #[error("product {sku} has no VAT class — set one of the tenant's VAT classes")]
    MissingVatClass {
        /// The SKU.
        sku: String,
    },
}

impl ErrorCode for ProductError {
    fn code(&self) -> &'static str {
        match self {
            ProductError::UnknownUnit { .. } => "product.unknown_unit",
            ProductError::UnknownLifecycle { .. } => "product.unknown_lifecycle",
            ProductError::InvalidTransition { .. } => "product.invalid_transition",
            ProductError::InvalidBool { .. } => "product.invalid_bool",
            ProductError::InvalidSku { .. } => "product.invalid_sku",
            ProductError::MissingName { .. } => "product.missing_name",
            ProductError::MissingVatClass { .. } => "product.missing_vat_class",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Lifecycle::*;

    #[test]
    fn units_parse_from_csv() {
        let cases = [
            ("piece", Ok(Unit::Piece)),
            ("kg", Ok(Unit::Kg)),
            (" KG ", Ok(Unit::Kg)),
            ("l", Ok(Unit::L)),
            ("m", Ok(Unit::M)),
            ("pcs", Ok(Unit::Piece)),
            ("PC", Ok(Unit::Piece)),
            ("box", Err("product.unknown_unit")),
            ("", Err("product.unknown_unit")),
            ("кг", Err("product.unknown_unit")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                text.parse::<Unit>().map_err(|e| e.code()),
                expected,
                "{text:?}"
            );
        }
        for u in Unit::ALL {
            assert_eq!(u.to_string().parse::<Unit>(), Ok(u));
        }
        assert_eq!(
            (Unit::Piece.quantity_scale(), Unit::Kg.quantity_scale()),
            (0, 3)
        );
        assert!(Unit::Kg.is_measured() && !Unit::Piece.is_measured());
    }

    #[test]
    fn lifecycle_parses_from_csv_with_empty_meaning_active() {
        let cases = [
            ("NEW", Ok(New)),
            ("ACTIVE", Ok(Active)),
            ("PHASE_OUT", Ok(PhaseOut)),
            ("phase_out", Ok(PhaseOut)),
            ("DISCONTINUED", Ok(Discontinued)),
            ("ARCHIVED", Ok(Archived)),
            ("", Ok(Active)),
            ("  ", Ok(Active)),
            ("PHASEOUT", Err("product.unknown_lifecycle")),
            ("DELETED", Err("product.unknown_lifecycle")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Lifecycle::parse_csv(text).map_err(|e| e.code()),
                expected,
                "{text:?}"
            );
        }
        assert!(
            "".parse::<Lifecycle>().is_err(),
            "strict parse has no default"
        );
        assert_eq!(serde_json::to_string(&PhaseOut).unwrap(), "\"PHASE_OUT\"");
    }

    #[test]
    fn sellable_and_reorderable_table() {
        // (state, sellable, reorderable)
        let table = [
            (New, false, true),
            (Active, true, true),
            (PhaseOut, true, false),
            (Discontinued, false, false),
            (Archived, false, false),
        ];
        for (state, sellable, reorderable) in table {
            assert_eq!(state.is_sellable(), sellable, "{state}");
            assert_eq!(state.is_reorderable(), reorderable, "{state}");
        }
    }

    #[test]
    fn transitions_table() {
        let allowed = [
            (New, Active),
            (Active, PhaseOut),
            (PhaseOut, Discontinued),
            (Discontinued, Archived),
            (PhaseOut, Active),
            (New, Archived),
        ];
        for from in Lifecycle::ALL {
            for to in Lifecycle::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} → {to}");
                match from.transition(to) {
                    Ok(state) => assert!(expected && state == to),
                    Err(e) => {
                        assert!(!expected);
                        assert_eq!(e.code(), "product.invalid_transition");
                        assert!(e.to_string().contains(from.code()));
                    }
                }
            }
        }
    }

    #[test]
    fn csv_bools() {
        assert_eq!(parse_csv_bool(""), Ok(false));
        assert_eq!(parse_csv_bool("TRUE"), Ok(true));
        assert_eq!(parse_csv_bool(" false "), Ok(false));
        assert_eq!(
            parse_csv_bool("yes").unwrap_err().code(),
            "product.invalid_bool"
        );
    }

    fn cheese() -> Product {
        Product {
            sku: "BG-0001".into(),
            name: "Сирене краве 1 кг".into(),
            group: "Млечни".into(),
            brand: "Верея".into(),
            unit: Unit::Kg,
            vat_class: "standard".into(),
            lifecycle: Active,
            plu: Some(1234),
            tracks_batches: true,
        }
    }

    #[test]
    fn product_serde_round_trip_and_validation() {
        let p = cheese();
        p.validate().unwrap();
        assert!(p.is_sellable());
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"unit\":\"kg\"") && json.contains("\"lifecycle\":\"ACTIVE\""));
        assert_eq!(serde_json::from_str::<Product>(&json).unwrap(), p);

        type Edit = fn(&mut Product);
        let broken: [(Edit, &str); 5] = [
            (|p| p.sku = String::new(), "product.invalid_sku"),
            (|p| p.sku = "BG 1".into(), "product.invalid_sku"),
            (|p| p.sku = " BG1".into(), "product.invalid_sku"),
            (|p| p.name = " ".into(), "product.missing_name"),
            (|p| p.vat_class = String::new(), "product.missing_vat_class"),
        ];
        for (edit, code) in broken {
            let mut p = cheese();
            edit(&mut p);
            assert_eq!(p.validate().unwrap_err().code(), code);
        }
    }
}
