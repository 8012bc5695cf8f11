//! The till's side of sync with head office.
//!
//! - [`enrol`]: exchange a single-use enrolment code for this terminal's
//!   credential; the credential is stored in the till's database
//!   (`sync_enrolment`), so it survives restarts and reinstalls of the binary.
//! - [`sync_round`]: one round — `hello` (version / feature / limit
//!   negotiation), extend the wire series from the outbox ([`series`]),
//!   ask head office what it holds, [`plan_upload`](kasa_sync_protocol::plan_upload),
//!   send the batches (gzip when agreed), mark acknowledged records
//!   confirmed, then pull master data page by page ([`master_data`]), each
//!   page applied in one transaction with its cursor.
//! - [`SyncLoop`]: a tokio task running rounds (each on a blocking thread),
//!   with exponential backoff and jitter after failures. Online / offline is
//!   whether the last round reached head office, never the OS network state.
//! - [`client`]: HTTP(S) to head office (reqwest, rustls); [`trust`]: the
//!   extra CA certificate a till may be given for a private head-office CA.
//! - [`status`]: what `kasa sync status` and the UI show.
//!
//! Nothing is deleted by sync: records only become `confirmed`, outbox rows
//! `synced`. Shift close, logout, restarts and reinstalls do not touch
//! either table, so nothing unsynced can be dropped. Cases that need a
//! person (head office holds more than this till wrote, a damaged outbox)
//! stop the round with a named error instead of sending anything.

pub mod audit;
pub mod background;
pub mod client;
mod divergence;
pub mod identity;
pub mod master_data;
mod reenrol;
mod round;
pub(crate) mod schema;
pub mod series;
mod status;
pub mod trust;

pub use background::{BackoffPolicy, SyncLoop};
pub use reenrol::{Reenrolment, reenrol};
pub use round::{
    Enrolment, RoundReport, SyncOptions, enrol, enrolment, set_server_url, sync_round,
};
pub use status::{SyncStatus, describe_status, status};
pub use trust::{CaCertificate, clear_ca, set_ca};

use kasa_domain::ErrorCode;
use kasa_sync_protocol::{PageError, PlanError};

/// Codes head office may answer with; a refusal's code is reported as one
/// of these (or `sync.refused` when head office sends one this build does
/// not know; the message still carries it).
const KNOWN_REMOTE_CODES: &[&str] = &[
    "auth.missing",
    "auth.invalid",
    "auth.rate_limited",
    "auth.revoked",
    "enrol.code_unknown",
    "enrol.code_used",
    "enrol.code_expired",
    "enrol.bad_terminal_id",
    "server.not_found",
    "server.already_exists",
    "server.bad_request",
    "server.database",
    "server.internal",
];

/// What went wrong while syncing.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The till has no credential yet.
    #[error(
        "this till is not enrolled with head office: ask head office for an enrolment code and run \
         `kasa sync enrol --server URL --code CODE`"
    )]
    NotEnrolled,
    /// Enrolling twice would make a second terminal with the same series.
    #[error(
        "this till is already enrolled with {server_url} as terminal {terminal_id}; it keeps its \
         credential — nothing to do"
    )]
    AlreadyEnrolled {
        /// Where.
        server_url: String,
        /// As which terminal.
        terminal_id: String,
    },
    /// The enrolment code belongs to another store than this till's.
    #[error(
        "the enrolment code is for store {code_store}, but this till is set up for store \
         {till_store}: ask head office for a code of store {till_store}"
    )]
    StoreMismatch {
        /// Store of the code.
        code_store: String,
        /// Store in the till's settings.
        till_store: String,
    },
    /// The server URL is not one this build can use.
    #[error(
        "head office URL {url:?} is not usable: give it as https://HOST[:PORT] (or http://HOST[:PORT] \
         on a trusted network)"
    )]
    UnsupportedUrl {
        /// The URL given.
        url: String,
    },
    /// Head office's TLS certificate does not verify against the OS roots and
    /// the till's extra CA (a person must act: retrying cannot help).
    #[error(
        "head office at {server} presented a TLS certificate this till does not trust ({reason}); \
         nothing was sent — if head office uses its own CA, give the till its certificate with \
         `kasa sync set-ca FILE`, otherwise check the address"
    )]
    TlsUntrusted {
        /// Server URL.
        server: String,
        /// What rustls said.
        reason: String,
    },
    /// The TLS client could not be set up (e.g. no CA certificates on the system).
    #[error(
        "the till's TLS client cannot be set up ({detail}); install the system CA certificates \
         (package ca-certificates) or give the till head office's CA with `kasa sync set-ca FILE`"
    )]
    TlsSetup {
        /// What failed.
        detail: String,
    },
    /// A CA certificate file given to the till is not usable.
    #[error(
        "CA certificate {source_file} is not usable: {detail} — give the PEM file of head office's \
         CA (it starts with -----BEGIN CERTIFICATE-----)"
    )]
    CaCertInvalid {
        /// The file.
        source_file: String,
        /// What is wrong.
        detail: String,
    },
    /// A round stopped abnormally inside the background loop (a bug); the
    /// loop goes on with a fresh database connection.
    #[error("sync round aborted: {detail} — the loop retries; if it persists, call support")]
    RoundAborted {
        /// The panic or cancellation.
        detail: String,
    },
    /// Head office could not be reached (offline is normal: sales continue).
    #[error(
        "head office at {server} cannot be reached ({detail}); the till keeps selling and \
         everything stays queued — sync retries by itself"
    )]
    Unreachable {
        /// Server URL.
        server: String,
        /// What failed.
        detail: String,
    },
    /// Head office refused a request.
    #[error("head office refused the request (HTTP {status}, {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Code from the error envelope.
        code: String,
        /// Its message.
        message: String,
    },
    /// The upload cannot be planned (needs a person, not a retry).
    /// This till's series and head office's hold different records from
    /// `seq` on: a restored backup or a copy of another till.
    #[error(
        "head office holds a different record at seq {seq} than this till: this till's database is a \
         restored backup or a copy of another till. Uploading is stopped and every record stays on \
         this till; ask head office for a new enrolment code and re-enrol it as a new terminal: \
         `kasa sync re-enrol --server URL --code CODE --as NEW_TERMINAL_ID`"
    )]
    SeriesDiverged {
        /// The first sequence that differs.
        seq: u64,
    },
    /// Re-enrolment asked for a till whose series agrees with head office's.
    #[error(
        "this till's series agrees with head office's (terminal {terminal_id}): there is nothing to \
         recover, and re-enrolling would split its records over two terminals — keep syncing as it is"
    )]
    NotForked {
        /// The current terminal id.
        terminal_id: String,
    },
    /// The new terminal id is not usable.
    #[error(
        "\"{terminal_id}\" cannot be the new terminal id: give 1–64 letters, digits, '-', '_' or '.', \
         different from the current one ({previous}), e.g. {previous}B"
    )]
    BadTerminalId {
        /// What was given.
        terminal_id: String,
        /// The current one.
        previous: String,
    },
    /// Uploading stopped earlier for the recorded reason.
    #[error(
        "uploading is stopped since {}: {} (the records from seq {} on stay on this till until it is re-enrolled)",
        .0.detected_at, .0.message, .0.first_divergent_seq
    )]
    Forked(identity::ForkState),
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A master-data page failed the protocol's checks.
    #[error(transparent)]
    Page(#[from] PageError),
    /// A master-data change could not be applied; the page was not applied.
    #[error(
        "master-data change {version} ({entity} {key}) cannot be applied: {reason} — the page was \
         not applied and the till keeps its previous catalog; head office must correct it"
    )]
    MasterDataRejected {
        /// Change version.
        version: u64,
        /// Entity.
        entity: &'static str,
        /// Key.
        key: String,
        /// Why.
        reason: String,
    },
    /// An outbox row or wire record cannot be read.
    #[error(
        "outbox record {outbox_seq} cannot be read ({detail}): the local database is damaged — \
         keep the file and call support"
    )]
    OutboxUnreadable {
        /// Outbox (or wire) sequence.
        outbox_seq: u64,
        /// What is wrong.
        detail: String,
    },
    /// An answer did not follow the protocol.
    #[error(
        "head office's answer does not follow the sync protocol: {0} — check the server version"
    )]
    Protocol(String),
    /// The round was stopped after the configured number of batches.
    #[error(
        "sync round stopped after {batches} batches as configured; the rest follows next round"
    )]
    Interrupted {
        /// Batches sent.
        batches: usize,
    },
    /// The till's settings.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// The till's database.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// SQLite.
    #[error("till database error during sync: {0} — retry; if it persists, call support")]
    Sqlite(#[from] rusqlite::Error),
}

impl ErrorCode for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::NotEnrolled => "sync.not_enrolled",
            SyncError::AlreadyEnrolled { .. } => "sync.already_enrolled",
            SyncError::StoreMismatch { .. } => "sync.store_mismatch",
            SyncError::UnsupportedUrl { .. } => "sync.unsupported_url",
            SyncError::TlsUntrusted { .. } => "sync.tls_untrusted",
            SyncError::TlsSetup { .. } => "sync.tls_setup",
            SyncError::CaCertInvalid { .. } => "sync.ca_cert_invalid",
            SyncError::RoundAborted { .. } => "sync.round_aborted",
            SyncError::Unreachable { .. } => "sync.offline",
            SyncError::Refused { code, .. } => kasa_sync_protocol::codes::ALL
                .iter()
                .chain(KNOWN_REMOTE_CODES)
                .find(|known| **known == code.as_str())
                .copied()
                .unwrap_or("sync.refused"),
            SyncError::SeriesDiverged { .. } => kasa_sync_protocol::codes::SERIES_DIVERGED,
            SyncError::NotForked { .. } => "sync.not_forked",
            SyncError::BadTerminalId { .. } => "sync.bad_terminal_id",
            SyncError::Forked(fork) => [
                kasa_sync_protocol::codes::SERIES_CONFLICT,
                kasa_sync_protocol::codes::SERVER_AHEAD,
            ]
            .into_iter()
            .find(|code| *code == fork.code)
            .unwrap_or(kasa_sync_protocol::codes::SERIES_DIVERGED),
            SyncError::Plan(e) => e.code(),
            SyncError::Page(e) => e.code(),
            SyncError::MasterDataRejected { .. } => "sync.master_data_rejected",
            SyncError::OutboxUnreadable { .. } => "sync.outbox_unreadable",
            SyncError::Protocol(_) => "sync.malformed",
            SyncError::Interrupted { .. } => "sync.interrupted",
            SyncError::Settings(e) => e.code(),
            SyncError::Store(e) => e.code(),
            SyncError::Sqlite(_) => "store.sqlite",
        }
    }
}

impl SyncError {
    /// Whether waiting and retrying can help (offline, busy server) as
    /// opposed to errors that need a person.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. }
            | SyncError::Interrupted { .. }
            | SyncError::RoundAborted { .. } => true,
            SyncError::Refused { status, code, .. } => {
                *status >= 500 || *status == 429 || code == kasa_sync_protocol::codes::GAP
            }
            SyncError::Sqlite(e) => crate::store::is_busy(e),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
