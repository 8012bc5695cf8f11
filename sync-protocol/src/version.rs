//! Protocol versions, capabilities and the `hello` negotiation.
//!
//! A version is `major.minor`. Each side states the *range* of versions it
//! speaks (inclusive, ordered by major then minor) and the features it offers
//! and requires. [`negotiate`] is a pure function both sides can run: the
//! agreed version is the highest one in both ranges, the agreed features are
//! those both offer, the agreed limits are the smaller of each pair. When
//! there is no common version the refusal says which side is older and what
//! to update to — an old till talking to a new head office gets
//! "update the till to ≥ x.y", never a silent failure.
//!
//! The `hello` messages ([`Hello`], [`HelloReply`]) are the only ones every
//! version must be able to read, so they ignore unknown fields (a newer peer
//! may add some); every message after negotiation is strict.

use std::collections::BTreeSet;
use std::fmt;

use kasa_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::codes;
use crate::limits::Limits;

/// A protocol version. Ordered by major, then minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProtocolVersion {
    /// Incompatible wire changes bump this.
    pub major: u16,
    /// Additive changes (new optional fields, new features) bump this.
    pub minor: u16,
}

impl ProtocolVersion {
    /// Version 1.0, the first release of the protocol.
    pub const V1_0: ProtocolVersion = ProtocolVersion::new(1, 0);

    /// Version 1.1: series identity — acknowledgements carry the chain of
    /// the held series ([`crate::identity`]) and the status answers
    /// `?at=N`. Head office sends the new fields only to 1.1 peers.
    pub const V1_1: ProtocolVersion = ProtocolVersion::new(1, 1);

    /// The version this build writes when it has a choice.
    pub const CURRENT: ProtocolVersion = ProtocolVersion::V1_1;

    /// A version from its parts.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// An inclusive range of versions a side speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionRange {
    /// Oldest version spoken.
    pub min: ProtocolVersion,
    /// Newest version spoken.
    pub max: ProtocolVersion,
}

impl VersionRange {
    /// What this build of the crate speaks.
    pub const SUPPORTED: VersionRange = VersionRange {
        min: ProtocolVersion::V1_0,
        max: ProtocolVersion::CURRENT,
    };

    /// A range from its ends (not checked; see [`VersionRange::is_valid`]).
    pub const fn new(min: ProtocolVersion, max: ProtocolVersion) -> Self {
        Self { min, max }
    }

    /// `min <= max`.
    pub fn is_valid(&self) -> bool {
        self.min <= self.max
    }

    /// Whether `version` lies in the range.
    pub fn contains(&self, version: ProtocolVersion) -> bool {
        self.min <= version && version <= self.max
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}–{}", self.min, self.max)
        }
    }
}

/// A named optional capability, e.g. `"gzip"`.
///
/// A string, not an enum, so a peer can name features this build has never
/// heard of; unknown features simply do not end up agreed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Feature(pub String);

impl Feature {
    /// Bodies may be gzip-compressed (see [`crate::body`]).
    pub const GZIP: &'static str = "gzip";
    /// Master-data download by cursor, page format v1.
    pub const MASTER_DATA_V1: &'static str = "master-data-v1";

    /// A feature by name.
    pub fn new(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// The feature's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one side speaks, offers, requires and can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Capabilities {
    /// Versions spoken.
    pub protocol: VersionRange,
    /// Features offered.
    pub features: BTreeSet<Feature>,
    /// Features without which this side will not talk (each must also be offered).
    #[serde(default)]
    pub requires: BTreeSet<Feature>,
    /// The largest messages this side accepts.
    #[serde(default)]
    pub limits: Limits,
}

impl Capabilities {
    /// What this build offers: every version and feature it implements,
    /// requiring nothing, with the protocol's default limits.
    pub fn this_build() -> Self {
        Self {
            protocol: VersionRange::SUPPORTED,
            features: [Feature::GZIP, Feature::MASTER_DATA_V1]
                .into_iter()
                .map(Feature::new)
                .collect(),
            requires: BTreeSet::new(),
            limits: Limits::default(),
        }
    }
}

/// Terminal → server, first message of every sync session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hello {
    /// The terminal's id (as enrolled).
    pub terminal_id: String,
    /// The store the terminal belongs to.
    pub store_id: String,
    /// The till's software, for the head-office terminal list (`"kasa 0.1.0"`).
    pub software: String,
    /// What the terminal speaks.
    pub capabilities: Capabilities,
}

/// Server → terminal: the answer to [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum HelloReply {
    /// Agreed; go ahead.
    Welcome(Welcome),
    /// No agreement; the message says why and what to update.
    Refusal(Refusal),
}

/// The agreement the server chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Welcome {
    /// What both sides use from now on.
    pub agreed: Agreed,
    /// Head office's software, for the till's status screen.
    pub server_software: String,
    /// Every version the server speaks (lets the till warn before it is too old).
    pub server_protocol: VersionRange,
}

/// Why the server will not talk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// Stable code (see [`crate::codes`]).
    pub code: String,
    /// What happened and what to do.
    pub message: String,
    /// Every version the server speaks.
    pub server_protocol: VersionRange,
}

/// The outcome of a successful negotiation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agreed {
    /// The version every later message carries.
    pub version: ProtocolVersion,
    /// Features both offer.
    pub features: BTreeSet<Feature>,
    /// The smaller of both sides' limits.
    pub limits: Limits,
}

impl Agreed {
    /// Whether `feature` was agreed.
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f.as_str() == feature)
    }
}

/// Which side of the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The till.
    Terminal,
    /// Head office.
    Server,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Terminal => "the till",
            Side::Server => "head office",
        })
    }
}

/// Why no agreement was possible.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NegotiationError {
    /// The terminal's newest version is older than the server's oldest.
    #[error(
        "this till speaks sync protocol {terminal} but head office needs at least {server_min}: \
         update the till to a release that speaks ≥ {server_min}"
    )]
    TerminalTooOld {
        /// What the terminal speaks.
        terminal: VersionRange,
        /// The server's oldest version.
        server_min: ProtocolVersion,
    },
    /// The server's newest version is older than the terminal's oldest.
    #[error(
        "head office speaks sync protocol up to {server_max} but this till needs at least \
         {terminal_min}: update head office, or install a till release that speaks {server_max}"
    )]
    ServerTooOld {
        /// The server's newest version.
        server_max: ProtocolVersion,
        /// The terminal's oldest version.
        terminal_min: ProtocolVersion,
    },
    /// A side requires a feature the other does not offer.
    #[error(
        "{requiring} requires the feature \"{feature}\", which {lacking} does not offer: update {lacking}"
    )]
    MissingFeature {
        /// The feature.
        feature: Feature,
        /// Who requires it.
        requiring: Side,
        /// Who lacks it.
        lacking: Side,
    },
    /// A range with `min > max` (or a requirement the side does not offer itself).
    #[error("{side} sent an invalid capability statement ({detail}); fix its configuration")]
    InvalidCapabilities {
        /// Whose statement.
        side: Side,
        /// What is wrong.
        detail: String,
    },
}

impl ErrorCode for NegotiationError {
    fn code(&self) -> &'static str {
        match self {
            NegotiationError::TerminalTooOld { .. } => codes::TERMINAL_TOO_OLD,
            NegotiationError::ServerTooOld { .. } => codes::SERVER_TOO_OLD,
            NegotiationError::MissingFeature { .. } => codes::MISSING_FEATURE,
            NegotiationError::InvalidCapabilities { .. } => codes::MALFORMED,
        }
    }
}

impl NegotiationError {
    /// The refusal the server sends for this error.
    pub fn refusal(&self, server_protocol: VersionRange) -> Refusal {
        Refusal {
            code: self.code().to_owned(),
            message: self.to_string(),
            server_protocol,
        }
    }
}

fn check_statement(side: Side, caps: &Capabilities) -> Result<(), NegotiationError> {
    if !caps.protocol.is_valid() {
        return Err(NegotiationError::InvalidCapabilities {
            side,
            detail: format!("version range {} starts after it ends", caps.protocol),
        });
    }
    if let Some(missing) = caps.requires.difference(&caps.features).next() {
        return Err(NegotiationError::InvalidCapabilities {
            side,
            detail: format!("requires \"{missing}\" without offering it"),
        });
    }
    Ok(())
}

fn check_required(
    requiring: Side,
    requires: &BTreeSet<Feature>,
    offered_by_other: &BTreeSet<Feature>,
) -> Result<(), NegotiationError> {
    match requires.difference(offered_by_other).next() {
        Some(feature) => Err(NegotiationError::MissingFeature {
            feature: feature.clone(),
            requiring,
            lacking: match requiring {
                Side::Terminal => Side::Server,
                Side::Server => Side::Terminal,
            },
        }),
        None => Ok(()),
    }
}

/// Agree on a version, features and limits, or say why not.
///
/// Pure and symmetric in meaning: the server runs it on receiving
/// [`Hello`]; the terminal may run it on the server's advertised
/// capabilities to predict the outcome.
///
/// ```
/// use kasa_sync_protocol::{Capabilities, ProtocolVersion, VersionRange, negotiate};
/// use kasa_domain::ErrorCode;
///
/// let till = Capabilities {
///     protocol: VersionRange::new(ProtocolVersion::new(1, 0), ProtocolVersion::new(1, 2)),
///     ..Capabilities::this_build()
/// };
/// let newer_office = Capabilities {
///     protocol: VersionRange::new(ProtocolVersion::new(1, 1), ProtocolVersion::new(2, 0)),
///     ..Capabilities::this_build()
/// };
/// assert_eq!(negotiate(&till, &newer_office).unwrap().version, ProtocolVersion::new(1, 2));
///
/// let office_v2_only = Capabilities {
///     protocol: VersionRange::new(ProtocolVersion::new(2, 0), ProtocolVersion::new(2, 0)),
///     ..Capabilities::this_build()
/// };
/// let err = negotiate(&till, &office_v2_only).unwrap_err();
/// assert_eq!(err.code(), "sync.terminal_too_old");
/// assert!(err.to_string().contains("update the till"));
/// ```
pub fn negotiate(client: &Capabilities, server: &Capabilities) -> Result<Agreed, NegotiationError> {
    check_statement(Side::Terminal, client)?;
    check_statement(Side::Server, server)?;
    if client.protocol.max < server.protocol.min {
        return Err(NegotiationError::TerminalTooOld {
            terminal: client.protocol,
            server_min: server.protocol.min,
        });
    }
    if server.protocol.max < client.protocol.min {
        return Err(NegotiationError::ServerTooOld {
            server_max: server.protocol.max,
            terminal_min: client.protocol.min,
        });
    }
    check_required(Side::Server, &server.requires, &client.features)?;
    check_required(Side::Terminal, &client.requires, &server.features)?;
    Ok(Agreed {
        version: client.protocol.max.min(server.protocol.max),
        features: client
            .features
            .intersection(&server.features)
            .cloned()
            .collect(),
        limits: client.limits.min(&server.limits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u16, minor: u16) -> ProtocolVersion {
        ProtocolVersion::new(major, minor)
    }

    fn caps(min: ProtocolVersion, max: ProtocolVersion, features: &[&str]) -> Capabilities {
        Capabilities {
            protocol: VersionRange::new(min, max),
            features: features.iter().map(|f| Feature::new(f)).collect(),
            requires: BTreeSet::new(),
            limits: Limits::default(),
        }
    }

    #[test]
    fn versions_order_by_major_then_minor() {
        assert!(v(1, 9) < v(2, 0));
        assert!(v(1, 10) > v(1, 9));
        assert_eq!(v(2, 3).to_string(), "2.3");
    }

    #[test]
    fn negotiation_table() {
        // (terminal range, server range, expected version or error code)
        type Range = (u16, u16, u16, u16);
        type Case = (Range, Range, Result<(u16, u16), &'static str>);
        let cases: &[Case] = &[
            ((1, 0, 1, 0), (1, 0, 1, 0), Ok((1, 0))),
            // older terminal, newer server that still speaks the old version
            ((1, 0, 1, 2), (1, 0, 2, 1), Ok((1, 2))),
            // newer terminal, older server
            ((1, 0, 2, 0), (1, 0, 1, 1), Ok((1, 1))),
            // terminal too old
            ((1, 0, 1, 4), (2, 0, 2, 3), Err(codes::TERMINAL_TOO_OLD)),
            // server too old
            ((2, 0, 2, 0), (1, 0, 1, 5), Err(codes::SERVER_TOO_OLD)),
            // ranges that just touch
            ((1, 0, 1, 3), (1, 3, 1, 9), Ok((1, 3))),
            // invalid range
            ((1, 2, 1, 0), (1, 0, 1, 0), Err(codes::MALFORMED)),
        ];
        for (t, s, expected) in cases {
            let client = caps(v(t.0, t.1), v(t.2, t.3), &["gzip"]);
            let server = caps(v(s.0, s.1), v(s.2, s.3), &["gzip"]);
            let got = negotiate(&client, &server);
            match (expected, got) {
                (Ok((major, minor)), Ok(agreed)) => {
                    assert_eq!(agreed.version, v(*major, *minor), "{t:?} vs {s:?}")
                }
                (Err(code), Err(err)) => assert_eq!(err.code(), *code, "{t:?} vs {s:?}"),
                (expected, got) => panic!("{t:?} vs {s:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn refusal_tells_the_till_what_to_install() {
        let client = caps(v(1, 0), v(1, 4), &[]);
        let server = caps(v(2, 0), v(2, 3), &[]);
        let err = negotiate(&client, &server).unwrap_err();
        let refusal = err.refusal(server.protocol);
        assert_eq!(refusal.code, "sync.terminal_too_old");
        assert!(
            refusal.message.contains("update the till"),
            "{}",
            refusal.message
        );
        assert!(refusal.message.contains("≥ 2.0"), "{}", refusal.message);

        let err =
            negotiate(&caps(v(3, 0), v(3, 1), &[]), &caps(v(1, 0), v(2, 7), &[])).unwrap_err();
        assert!(err.to_string().contains("update head office"), "{err}");
        assert!(err.to_string().contains("2.7"), "{err}");
    }

    #[test]
    fn features_are_intersected_and_unknown_ones_ignored() {
        let client = caps(
            v(1, 0),
            v(1, 0),
            &["gzip", "master-data-v1", "future-thing"],
        );
        let server = caps(v(1, 0), v(1, 0), &["gzip", "master-data-v1", "server-only"]);
        let agreed = negotiate(&client, &server).unwrap();
        let names: Vec<_> = agreed.features.iter().map(Feature::as_str).collect();
        assert_eq!(names, ["gzip", "master-data-v1"]);
        assert!(agreed.has("gzip"));
        assert!(!agreed.has("future-thing"));
    }

    #[test]
    fn required_features_must_be_offered_by_the_other_side() {
        let mut server = caps(v(1, 0), v(1, 0), &["gzip", "master-data-v1"]);
        server.requires.insert(Feature::new("master-data-v1"));
        let client = caps(v(1, 0), v(1, 0), &["gzip"]);
        let err = negotiate(&client, &server).unwrap_err();
        assert_eq!(err.code(), codes::MISSING_FEATURE);
        assert!(err.to_string().contains("update the till"), "{err}");

        let mut client = caps(v(1, 0), v(1, 0), &["gzip"]);
        client.requires.insert(Feature::new("gzip"));
        let server = caps(v(1, 0), v(1, 0), &[]);
        let err = negotiate(&client, &server).unwrap_err();
        assert!(err.to_string().contains("update head office"), "{err}");

        // requiring what you do not offer yourself is a configuration error
        let mut client = caps(v(1, 0), v(1, 0), &[]);
        client.requires.insert(Feature::new("gzip"));
        let err = negotiate(&client, &caps(v(1, 0), v(1, 0), &["gzip"])).unwrap_err();
        assert_eq!(err.code(), codes::MALFORMED);
    }

    #[test]
    fn limits_take_the_smaller_of_each() {
        let mut client = caps(v(1, 0), v(1, 0), &[]);
        let mut server = caps(v(1, 0), v(1, 0), &[]);
        client.limits.max_batch_records = 200;
        server.limits.max_batch_bytes = 1 << 20;
        let agreed = negotiate(&client, &server).unwrap();
        assert_eq!(agreed.limits.max_batch_records, 200);
        assert_eq!(agreed.limits.max_batch_bytes, 1 << 20);
        assert_eq!(
            agreed.limits.max_page_changes,
            Limits::default().max_page_changes
        );
    }

    fn version() -> impl proptest::strategy::Strategy<Value = ProtocolVersion> {
        use proptest::prelude::*;
        (0u16..4, 0u16..4).prop_map(|(major, minor)| v(major, minor))
    }

    fn range() -> impl proptest::strategy::Strategy<Value = VersionRange> {
        use proptest::prelude::*;
        (version(), version()).prop_map(|(a, b)| VersionRange::new(a.min(b), a.max(b)))
    }

    proptest::proptest! {
        /// Reference model: the agreed version is the greatest version in
        /// both ranges (found by enumerating them); none exists exactly when
        /// one range ends before the other starts, and the error names the
        /// older side.
        #[test]
        fn agrees_on_the_greatest_common_version(client in range(), server in range()) {
            use proptest::prelude::*;
            let all: Vec<_> = (0u16..4).flat_map(|major| (0u16..4).map(move |minor| v(major, minor))).collect();
            let common = all.iter().copied().filter(|x| client.contains(*x) && server.contains(*x)).max();
            let client_caps = Capabilities { protocol: client, ..Capabilities::this_build() };
            let server_caps = Capabilities { protocol: server, ..Capabilities::this_build() };
            match (negotiate(&client_caps, &server_caps), common) {
                (Ok(agreed), Some(best)) => prop_assert_eq!(agreed.version, best),
                (Err(err), None) => {
                    let expected = if client.max < server.min { codes::TERMINAL_TOO_OLD } else { codes::SERVER_TOO_OLD };
                    prop_assert_eq!(err.code(), expected);
                }
                (got, want) => prop_assert!(false, "got {:?}, model says {:?}", got, want),
            }
        }
    }

    #[test]
    fn hello_ignores_fields_a_newer_terminal_adds() {
        let json = r#"{"terminal_id":"T01","store_id":"S001","software":"kasa 9.0",
            "capabilities":{"protocol":{"min":{"major":1,"minor":0},"max":{"major":9,"minor":0}},
            "features":["gzip"],"quantum":true},"new_field":1}"#;
        let hello: Hello = serde_json::from_str(json).unwrap();
        assert_eq!(hello.capabilities.protocol.max, v(9, 0));
        assert_eq!(hello.capabilities.limits, Limits::default());
    }
}
