//! Storage: one [`Database`] trait, two real implementations.
//!
//! - [`sqlite::SqliteDatabase`] — the embedded default (`kasa-server serve`
//!   needs nothing else). One connection owned by one thread (SQLite has one
//!   writer anyway); async callers send it closures. WAL, `synchronous=FULL`,
//!   migrations numbered by `PRAGMA user_version` so an old binary refuses a
//!   newer file.
//! - [`postgres::PostgresDatabase`] — for chains with many stores: a
//!   deadpool of tokio-postgres connections; migrations numbered in a
//!   `kasa_schema` table under an advisory lock.
//!
//! A trait exists because these two implementations do (atuin's rule); the
//! story test suite runs against both.
//!
//! ## Ingest rules every backend keeps
//! - One transaction per batch. The terminal's high-water mark
//!   (`terminals.held_through`) is read inside it; a batch starting past
//!   `held_through + 1` is refused as a gap, records at or below it are
//!   duplicates.
//! - Records at or below the mark must be the records held there: their
//!   chain ([`series`]) is compared with the stored one, and a difference
//!   refuses the whole batch as `sync.series_conflict` (kept apart, the
//!   terminal marked forked). Records past the mark are inserted with their
//!   chain; one whose id the tenant already holds elsewhere is a conflict
//!   too (ids are unique per tenant, [`record_ids`]). So
//!   only records actually inserted feed the projections, and a retry never
//!   applies anything twice.
//! - Projections are computed by the pure functions of
//!   [`crate::projection`] from the inserted records and applied in key
//!   order (so concurrent PostgreSQL transactions lock rows in one order).
//! - Money and quantities are decimals: TEXT in SQLite (arithmetic in Rust,
//!   single writer), NUMERIC in PostgreSQL (atomic upserts). Never floats.
//! - Times are milliseconds since the Unix epoch (UTC) in both backends.

use async_trait::async_trait;
use kasa_domain::ErrorCode;
use kasa_sync_protocol::{ChangeOp, Entity, StoredChange};
use rust_decimal::Decimal;
use serde::Serialize;
use thiserror::Error;

use crate::projection::JournalState;

pub mod postgres;
pub(crate) mod record_ids;
pub mod revocation;
pub(crate) mod schema;
pub mod series;
pub mod sqlite;

/// Who an authenticated terminal is, as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalIdentity {
    /// Internal key of the terminal.
    pub terminal_pk: i64,
    /// The terminal's own id (`T01`), unique within its store.
    pub terminal_id: String,
    /// Internal key of the store.
    pub store_pk: i64,
    /// The store's id (`S001`), unique within its tenant.
    pub store_id: String,
    /// Internal key of the tenant.
    pub tenant_pk: i64,
    /// The tenant's id.
    pub tenant_id: String,
}

/// A terminal with its stored credential hash.
#[derive(Debug, Clone)]
pub struct StoredCredential {
    /// Who it is.
    pub identity: TerminalIdentity,
    /// PHC string of the argon2 hash of the credential's secret.
    pub secret_hash: String,
}

/// An enrolment code redeemed for a terminal credential.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    /// SHA-256 (hex) of the normalised code.
    pub code_hash: String,
    /// The id the terminal asked for.
    pub terminal_id: String,
    /// Public lookup part of the credential.
    pub credential_lookup: String,
    /// argon2 PHC hash of the credential's secret part.
    pub secret_hash: String,
    /// Now.
    pub now_ms: i64,
}

/// A record as received and checked: its envelope fields, its payload's
/// JSON text exactly as it arrived (what is stored: serialising 1,000
/// parsed payloads again cost head office more CPU than parsing them), and
/// what it adds to the projections, read from that text on the request's
/// task before the batch reaches the database (the payload is never parsed
/// into a generic JSON value).
#[derive(Debug)]
pub struct ReceivedRecord {
    /// Position in the terminal's series.
    pub seq: u64,
    /// The terminal-made id.
    pub id: uuid::Uuid,
    /// What it is.
    pub kind: kasa_sync_protocol::RecordKind,
    /// The document type, if any.
    pub document_type: Option<String>,
    /// When the terminal wrote it.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The payload text as received.
    pub payload: Box<serde_json::value::RawValue>,
    /// Its effect on the projections.
    pub effect: crate::projection::RecordEffect,
    /// [`kasa_sync_protocol::record_digest`] of the record, computed on the
    /// request's task; the writer chains it ([`series`]).
    pub digest: [u8; 32],
}

/// What `/health` reports of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DbHealth {
    /// Terminals enrolled (the answer of the health query).
    pub terminals: u64,
    /// Times the SQLite owner thread restarted after a panic (0 on PostgreSQL).
    pub writer_restarts: u64,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Records stored and projected now.
    pub applied: u32,
    /// Records already held (by sequence or id).
    pub duplicates: u32,
    /// The terminal's high-water mark after the batch.
    pub held_through: u64,
    /// Records stored whose payload the projections could not read.
    pub unprojected: u32,
    /// The series chain at `held_through`.
    pub chain_head: kasa_sync_protocol::SeriesHash,
}

/// One change to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    /// What kind of thing.
    pub entity: Entity,
    /// Its key (SKU, barcode…).
    pub key: String,
    /// Upsert or delete.
    pub op: ChangeOp,
    /// The whole entity (upsert) or null (delete).
    pub data: serde_json::Value,
}

/// Versions a publish used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublishOutcome {
    /// Version of the first change.
    pub first_version: u64,
    /// Version of the last change (the tenant's newest).
    pub last_version: u64,
    /// Changes published.
    pub changes: u64,
}

/// A slice of the change log as a terminal may see it.
#[derive(Debug, Clone)]
pub struct ChangeSlice {
    /// Changes after the asked version, ascending, at most `limit + 1`, with
    /// `data` as the JSON text stored at publishing (the page is written from
    /// it without parsing it again: [`kasa_sync_protocol::encode_page`]).
    pub changes: Vec<StoredChange>,
    /// The tenant's newest version.
    pub server_version: u64,
}

/// Sales per store, day, terminal and tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SalesRow {
    /// Store id.
    pub store_id: String,
    /// Day (UTC) of the documents, `YYYY-MM-DD`.
    pub day: String,
    /// Terminal id.
    pub terminal_id: String,
    /// Tender kind (`cash`, `card`…).
    pub tender: String,
    /// Documents counted (returns count too).
    pub documents: i64,
    /// Net amount (returns subtract).
    pub amount: Decimal,
}

/// Stock of one product in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    /// Store id.
    pub store_id: String,
    /// Product SKU.
    pub sku: String,
    /// Sum of all movements received.
    pub qty: Decimal,
}

/// A terminal and how current head office is with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalRow {
    /// Store id.
    pub store_id: String,
    /// Terminal id.
    pub terminal_id: String,
    /// When it enrolled.
    pub enrolled_at_ms: i64,
    /// Last authenticated request.
    pub last_seen_ms: Option<i64>,
    /// Highest contiguous sequence held.
    pub held_through: u64,
    /// `created_at` of the newest record held.
    pub newest_record_ms: Option<i64>,
    /// Set when the terminal sent records different from the series head
    /// office holds (a restored or cloned till; see [`series`]).
    pub fork: Option<series::ForkState>,
}

/// Journal verification state of one terminal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalRow {
    /// Store id.
    pub store_id: String,
    /// Terminal id.
    pub terminal_id: String,
    /// The state.
    pub state: JournalState,
}

/// Why the database refused or failed.
#[derive(Debug, Error)]
pub enum DbError {
    /// A tenant, store or terminal does not exist.
    #[error("{what} does not exist; create it first (kasa-server tenant create / store create)")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// Something with that id exists already.
    #[error("{what} already exists; choose another id")]
    AlreadyExists {
        /// What clashed.
        what: String,
    },
    /// The enrolment code is not known.
    #[error("enrolment code is not valid; ask head office for a new code")]
    CodeUnknown,
    /// The enrolment code was used already.
    #[error(
        "enrolment code was already used; each code enrols one terminal — ask head office for a new code"
    )]
    CodeUsed,
    /// The enrolment code expired.
    #[error("enrolment code has expired; ask head office for a new code")]
    CodeExpired,
    /// The batch starts past what is held (found under the transaction).
    #[error(
        "expected record seq {expected} but found {found}: the series must be gapless; resend from seq {expected}"
    )]
    Gap {
        /// The next sequence the server needs.
        expected: u64,
        /// The batch's first sequence.
        found: u64,
    },
    /// A record differs from the one held at its sequence (see [`series`]);
    /// the batch was kept apart and the terminal marked forked.
    #[error(
        "record seq {seq} conflicts with head office's series: {detail}. This till's database is a restored backup or a copy of another till; nothing was merged. Stop selling on this till's series and re-enrol it as a new terminal (kasa sync re-enrol)"
    )]
    SeriesConflict {
        /// The first differing sequence.
        seq: u64,
        /// What differs.
        detail: String,
    },
    /// A stored total would pass the decimal range (the batch is refused).
    #[error(
        "{0}: nothing of this batch was stored — the till's figures are beyond what head office can add; call support"
    )]
    OutOfRange(#[from] crate::projection::Overflow),
    /// The file or cluster has a newer schema than this binary knows.
    #[error(
        "database schema version {found} is newer than this kasa-server knows ({known}); run a newer kasa-server"
    )]
    SchemaTooNew {
        /// Version found.
        found: i64,
        /// Newest version this binary knows.
        known: i64,
    },
    /// The backend failed (I/O, connection, constraint we did not expect).
    #[error("database failed: {0}; check the server log and the database, then retry")]
    Backend(String),
}

impl ErrorCode for DbError {
    fn code(&self) -> &'static str {
        match self {
            DbError::NotFound { .. } => "server.not_found",
            DbError::AlreadyExists { .. } => "server.already_exists",
            DbError::CodeUnknown => "enrol.code_unknown",
            DbError::CodeUsed => "enrol.code_used",
            DbError::CodeExpired => "enrol.code_expired",
            DbError::Gap { .. } => kasa_sync_protocol::codes::GAP,
            DbError::SeriesConflict { .. } => kasa_sync_protocol::codes::SERIES_CONFLICT,
            DbError::OutOfRange(_) => kasa_sync_protocol::codes::INVALID_RECORD,
            DbError::SchemaTooNew { .. } => "server.schema_too_new",
            DbError::Backend(_) => "server.database",
        }
    }
}

/// The storage head office runs on.
#[async_trait]
pub trait Database:
    revocation::TerminalRevocation + Send + Sync + std::fmt::Debug + 'static
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Run a real query (count the terminals); `/health` calls it under a
    /// timeout.
    async fn health(&self) -> Result<DbHealth, DbError>;
    /// Bring the schema to this binary's version; returns it.
    async fn migrate(&self) -> Result<i64, DbError>;
    /// Create a tenant.
    async fn create_tenant(&self, tenant_id: &str, name: &str, now_ms: i64) -> Result<(), DbError>;
    /// Create a store of a tenant.
    async fn create_store(
        &self,
        tenant_id: &str,
        store_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<(), DbError>;
    /// Store a single-use enrolment code (its hash) for a store.
    async fn create_enrolment_code(
        &self,
        tenant_id: &str,
        store_id: &str,
        code_hash: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), DbError>;
    /// Redeem a code: mark it used and create the terminal, atomically.
    async fn enrol(&self, enrolment: NewEnrolment) -> Result<TerminalIdentity, DbError>;
    /// The terminal holding a credential lookup id.
    async fn credential(&self, lookup: &str) -> Result<Option<StoredCredential>, DbError>;
    /// Note an authenticated request.
    async fn touch_terminal(&self, terminal_pk: i64, now_ms: i64) -> Result<(), DbError>;
    /// The terminal's high-water mark.
    async fn held_through(&self, terminal_pk: i64) -> Result<u64, DbError>;
    /// The terminal's high-water mark with the chain there, and the chain
    /// at `at` when it is held (the status request's `?at=`).
    async fn series_status(
        &self,
        terminal_pk: i64,
        at: Option<u64>,
    ) -> Result<series::SeriesStatus, DbError>;
    /// Store a validated batch (see the module rules).
    /// Takes the records by value: the SQLite backend hands them to its
    /// writer thread without copying 1,000 payloads.
    async fn ingest(
        &self,
        terminal: &TerminalIdentity,
        first_seq: u64,
        records: Vec<ReceivedRecord>,
        now_ms: i64,
    ) -> Result<IngestOutcome, DbError>;
    /// Count of records held for a terminal (tests and reports).
    async fn record_count(&self, terminal_pk: i64) -> Result<u64, DbError>;
    /// The stored payload text of a terminal's records from `from_seq`, at
    /// most `limit`, as `(seq, payload)` in sequence order — exactly the
    /// text the terminal sent (decision 39).
    async fn record_payloads(
        &self,
        terminal_pk: i64,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<(u64, String)>, DbError>;
    /// Publish changes as the tenant's next versions (store-scoped if `store_id`).
    async fn publish(
        &self,
        tenant_id: &str,
        store_id: Option<&str>,
        changes: &[NewChange],
        now_ms: i64,
    ) -> Result<PublishOutcome, DbError>;
    /// Changes after `after_version` a terminal of `store_pk` may see, at most `limit + 1`:
    /// only the newest change of each key (a change superseded by a later one is
    /// skipped — the later one is after the cursor too, so the till ends in the same
    /// state with less to apply). With `snapshot` (a fresh till, no cursor) deletes are
    /// left out as well.
    async fn changes_after(
        &self,
        tenant_pk: i64,
        store_pk: i64,
        after_version: u64,
        snapshot: bool,
        limit: u32,
    ) -> Result<ChangeSlice, DbError>;
    /// Sales rows of a tenant with `from_day <= day <= to_day`.
    async fn sales(
        &self,
        tenant_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<SalesRow>, DbError>;
    /// Stock rows of a tenant (one store if given).
    async fn stock(
        &self,
        tenant_id: &str,
        store_id: Option<&str>,
    ) -> Result<Vec<StockRow>, DbError>;
    /// Terminals of a tenant.
    async fn terminals(&self, tenant_id: &str) -> Result<Vec<TerminalRow>, DbError>;
    /// Journal state per terminal of a tenant.
    async fn journals(&self, tenant_id: &str) -> Result<Vec<JournalRow>, DbError>;
    /// Every tenant's id, in order (for `/metrics`' per-terminal gauges).
    async fn tenant_ids(&self) -> Result<Vec<String>, DbError>;
}

/// Open the backend a `--database` string names: `sqlite:PATH` (or a bare
/// path) or `postgres://…` / `postgresql://…`.
pub async fn open(spec: &str) -> Result<std::sync::Arc<dyn Database>, DbError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PostgresDatabase::connect(spec).await?,
        ))
    } else {
        let path = spec.strip_prefix("sqlite:").unwrap_or(spec);
        Ok(std::sync::Arc::new(sqlite::SqliteDatabase::open(path)?))
    }
}
