//! Enrolment and one sync round.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use kasa_sync_protocol::http::{
    HELLO_PATH, UPLOAD_PATH, UPLOAD_STATUS_AT_PARAM, UPLOAD_STATUS_PATH,
};
use kasa_sync_protocol::limits::DEFAULT_PAGE_CHANGES;
use kasa_sync_protocol::{Ack, Capabilities, Hello, HelloReply, plan_upload};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::client::{EncodedBody, HeadOffice};
use super::{SyncError, divergence, identity, master_data, series};
use crate::store::Store;

/// Most master-data pages pulled in one round (a million-product catalog at
/// 1,000 per page is 1,000 pages; the rest follows next round).
pub const MAX_PAGES_PER_ROUND: usize = 10_000;
/// Most times a round re-plans after head office answered `sync.gap` or
/// acknowledged less than a batch.
pub const MAX_REPLANS_PER_ROUND: usize = 5;

/// The stored enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Head office base URL.
    pub server_url: String,
    /// Tenant.
    pub tenant_id: String,
    /// Store.
    pub store_id: String,
    /// This terminal.
    pub terminal_id: String,
    /// The credential (`kt1.…`); never printed by the CLI.
    #[serde(skip_serializing)]
    pub credential: String,
    /// When (UTC, RFC 3339).
    pub enrolled_at: String,
}

/// Knobs of a round (defaults are what the till uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Changes asked per master-data page.
    pub page_limit: u32,
    /// Records per batch this till offers (negotiation takes the smaller).
    pub max_batch_records: u32,
    /// Stop the round after this many batches (`None` = send everything).
    pub max_batches_per_round: Option<usize>,
    /// Skip the master-data pull.
    pub upload_only: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            page_limit: DEFAULT_PAGE_CHANGES,
            max_batch_records: kasa_sync_protocol::limits::MAX_BATCH_RECORDS,
            max_batches_per_round: None,
            upload_only: false,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoundReport {
    /// Batches sent.
    pub batches: usize,
    /// Records head office applied now.
    pub applied: u64,
    /// Records head office already held (resends).
    pub duplicates: u64,
    /// Records marked confirmed.
    pub confirmed: u64,
    /// The sequence head office acknowledges.
    pub server_acked_seq: u64,
    /// Master-data pages applied.
    pub pages: usize,
    /// Master-data changes applied.
    pub changes: u64,
    /// Records sent again because head office held less than it had
    /// acknowledged before (restored from a backup).
    pub refilled: u64,
}

#[derive(Debug, Deserialize)]
struct EnrolReply {
    tenant_id: String,
    store_id: String,
    terminal_id: String,
    credential: String,
}

pub(super) fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Exchange a single-use `code` for the credential of terminal
/// `terminal_id` of store `store_id` (nothing stored here).
pub(super) fn redeem_code(
    store: &Store,
    server_url: &str,
    code: &str,
    terminal_id: &str,
    store_id: &str,
) -> Result<Enrolment, SyncError> {
    let office = HeadOffice::for_till(store.conn(), server_url, None)?;
    let reply: EnrolReply = office.post(
        "/enrol",
        &serde_json::json!({ "code": code.trim(), "terminal_id": terminal_id }),
    )?;
    if reply.store_id != store_id {
        // the code is spent, but no credential is kept: the till cannot write another store's series
        return Err(SyncError::StoreMismatch {
            code_store: reply.store_id,
            till_store: store_id.to_owned(),
        });
    }
    Ok(Enrolment {
        server_url: server_url.trim_end_matches('/').to_owned(),
        tenant_id: reply.tenant_id,
        store_id: reply.store_id,
        terminal_id: reply.terminal_id,
        credential: reply.credential,
        enrolled_at: now_text(),
    })
}

/// Cut every outbox row not yet in the wire series, and fill the chain of
/// records cut before series identity (local only).
pub(super) fn cut_series(store: &mut Store) -> Result<(), SyncError> {
    let local_terminal_id = crate::settings::load(store.conn())?.terminal_id;
    loop {
        let tx = store.write_tx()?;
        let added = series::extend_series(&tx, &local_terminal_id)?;
        identity::fill_chains(&tx)?;
        tx.commit()?;
        if added == 0 {
            return Ok(());
        }
    }
}

/// The stored enrolment, if any.
pub fn enrolment(conn: &Connection) -> Result<Option<Enrolment>, SyncError> {
    Ok(conn
        .query_row(
            "SELECT server_url, tenant_id, store_id, terminal_id, credential, enrolled_at
             FROM sync_enrolment WHERE id = 1",
            [],
            |r| {
                Ok(Enrolment {
                    server_url: r.get(0)?,
                    tenant_id: r.get(1)?,
                    store_id: r.get(2)?,
                    terminal_id: r.get(3)?,
                    credential: r.get(4)?,
                    enrolled_at: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Enrol this till (its settings' terminal id) with head office at
/// `server_url` using a single-use `code`; stores the credential.
pub fn enrol(store: &mut Store, server_url: &str, code: &str) -> Result<Enrolment, SyncError> {
    if let Some(existing) = enrolment(store.conn())? {
        return Err(SyncError::AlreadyEnrolled {
            server_url: existing.server_url,
            terminal_id: existing.terminal_id,
        });
    }
    check_url(server_url)?;
    let settings = crate::settings::load(store.conn())?;
    let enrolled = redeem_code(
        store,
        server_url,
        code,
        &settings.terminal_id,
        &settings.store_id,
    )?;
    let tx = store.write_tx()?;
    tx.execute(
        "INSERT INTO sync_enrolment (id, server_url, tenant_id, store_id, terminal_id, credential, enrolled_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            enrolled.server_url,
            enrolled.tenant_id,
            enrolled.store_id,
            enrolled.terminal_id,
            enrolled.credential,
            enrolled.enrolled_at
        ],
    )?;
    tx.commit()?;
    Ok(enrolled)
}

/// One round: upload everything queued, then pull master data. Records the
/// outcome (last success or last error) for [`super::status`].
pub fn sync_round(store: &mut Store, options: &SyncOptions) -> Result<RoundReport, SyncError> {
    let result = run_round(store, options);
    let now = now_text();
    let recorded = match &result {
        Ok(_) => store.conn().execute(
            "UPDATE sync_state SET last_success_at = ?1, last_attempt_at = ?1,
                last_error_code = NULL, last_error_message = NULL, last_error_at = NULL WHERE id = 1",
            [&now],
        ),
        Err(e) => store.conn().execute(
            "UPDATE sync_state SET last_attempt_at = ?1, last_error_code = ?2,
                last_error_message = ?3, last_error_at = ?1 WHERE id = 1",
            params![now, kasa_domain::ErrorCode::code(e), e.to_string()],
        ),
    };
    // the round's own error matters more than failing to note it
    match (result, recorded) {
        (Ok(_), Err(e)) => Err(e.into()),
        (result, _) => result,
    }
}

fn run_round(store: &mut Store, options: &SyncOptions) -> Result<RoundReport, SyncError> {
    let enrolled = enrolment(store.conn())?.ok_or(SyncError::NotEnrolled)?;
    // 1. the wire series catches up with the outbox (local only)
    cut_series(store)?;
    // 2. hello
    let mut office = HeadOffice::for_till(
        store.conn(),
        &enrolled.server_url,
        Some(&enrolled.credential),
    )?;
    let mut capabilities = Capabilities::this_build();
    capabilities.limits.max_batch_records = capabilities
        .limits
        .max_batch_records
        .min(options.max_batch_records.max(1));
    let hello = Hello {
        terminal_id: enrolled.terminal_id.clone(),
        store_id: enrolled.store_id.clone(),
        software: format!("kasa {}", env!("CARGO_PKG_VERSION")),
        capabilities,
    };
    let agreed = match office.post::<_, HelloReply>(HELLO_PATH, &hello)? {
        HelloReply::Welcome(welcome) => welcome.agreed,
        HelloReply::Refusal(refusal) => {
            return Err(SyncError::Refused {
                status: 426,
                code: refusal.code,
                message: refusal.message,
            });
        }
    };
    office.set_agreed(agreed.clone());
    let mut report = RoundReport::default();
    // 3. upload, unless this till's series forked from head office's
    if let Some(fork) = identity::fork_state(store.conn())? {
        if !options.upload_only {
            pull_master_data(store, &office, options, &mut report)?;
        }
        return Err(SyncError::Forked(fork));
    }
    let mut replans = 0;
    'plan: loop {
        let last = series::last_seq(store.conn())?;
        let ack: Ack = office.get(&format!(
            "{UPLOAD_STATUS_PATH}?{UPLOAD_STATUS_AT_PARAM}={last}"
        ))?;
        check_ack(&ack, &enrolled.terminal_id)?;
        report.refilled += divergence::check_series(store, &office, &ack, last)?;
        let unconfirmed = series::unconfirmed_entries(store.conn())?;
        let plan = match plan_upload(
            last,
            &unconfirmed,
            ack.highest_contiguous_seq,
            &agreed.limits,
        ) {
            Ok(plan) => plan,
            Err(e @ kasa_sync_protocol::PlanError::ServerAhead { .. }) => {
                let e = SyncError::Plan(e);
                identity::record_fork(store.conn(), &e, last + 1)?;
                return Err(e);
            }
            Err(e) => return Err(e.into()),
        };
        report.confirmed += confirm(store, plan.confirm_through)? as u64;
        report.server_acked_seq = plan.confirm_through;
        let upload = Upload {
            office: &office,
            enrolled: &enrolled,
            protocol: agreed.version,
            local_last: last,
            max_batches: options.max_batches_per_round,
            may_replan: replans < MAX_REPLANS_PER_ROUND,
        };
        match upload.send(store, &plan.batches, &mut report)? {
            Sent::All => {}
            Sent::Replan => {
                replans += 1;
                continue 'plan;
            }
        }
        break;
    }
    // 4. master data
    if !options.upload_only {
        pull_master_data(store, &office, options, &mut report)?;
    }
    Ok(report)
}

/// How sending a plan's batches ended.
enum Sent {
    /// Every batch acknowledged in full.
    All,
    /// Head office answered `sync.gap` or acknowledged less than a batch:
    /// ask its status and plan again.
    Replan,
}

/// Sending one plan's batches.
///
/// Decision 41: two requests are in flight at once, on two sender threads
/// ("lanes", batch i on lane i mod 2), and the next batch is read,
/// serialised and compressed on this thread meanwhile. Head office parses
/// batch N+1 while it stores batch N and keeps a terminal's overlapping
/// batches in sequence order (`kasa_server::app::upload_order`); one
/// request at a time left one of two cores idle during a catch-up.
/// Answers are taken in sequence order. A batch counts as confirmed only
/// from head office's acknowledgement; confirmations are written at most
/// every [`CONFIRM_EVERY`] and when sending ends (each is a commit with an
/// fsync, and the next round re-confirms from head office's status anyway).
/// After a refusal, a short acknowledgement or any error nothing more is
/// sent (batches read ahead are dropped), and requests already in flight
/// are answered before the round plans again or returns.
struct Upload<'a> {
    office: &'a HeadOffice,
    enrolled: &'a Enrolment,
    protocol: kasa_sync_protocol::ProtocolVersion,
    local_last: u64,
    max_batches: Option<usize>,
    /// Whether a gap or a short acknowledgement may still re-plan this round.
    may_replan: bool,
}

/// Tells the upload threads to send nothing more (set when sending a plan
/// ends, however it ends).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Requests in flight at once.
const LANES: usize = 2;
/// Batches read and encoded but not yet answered, at most (in flight plus ready).
const BATCHES_OUTSTANDING: usize = LANES + 1;
/// Least time between two confirmation commits while batches are answered.
const CONFIRM_EVERY: Duration = Duration::from_millis(250);

/// One sender thread's channels: batches to send, answers back.
struct Lane {
    batches: mpsc::SyncSender<(u64, EncodedBody)>,
    answers: mpsc::Receiver<(u64, Result<Ack, SyncError>)>,
}

/// Acknowledged but not yet written down.
struct Confirmations {
    acked_through: Option<u64>,
    written_at: Instant,
}

impl Confirmations {
    fn write(&mut self, store: &mut Store, report: &mut RoundReport) -> Result<(), SyncError> {
        if let Some(through) = self.acked_through.take() {
            report.confirmed += confirm(store, through)? as u64;
            self.written_at = Instant::now();
        }
        Ok(())
    }
}

impl Upload<'_> {
    fn send(
        &self,
        store: &mut Store,
        batches: &[kasa_sync_protocol::PlannedBatch],
        report: &mut RoundReport,
    ) -> Result<Sent, SyncError> {
        if batches.is_empty() {
            return Ok(Sent::All);
        }
        let office = self.office;
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let stop = &stop;
            let lanes: Vec<Lane> = (0..LANES)
                .map(|_| {
                    let (batch_tx, batch_rx) = mpsc::sync_channel::<(u64, EncodedBody)>(1);
                    let (answer_tx, answer_rx) = mpsc::channel();
                    scope.spawn(move || {
                        for (last_seq, body) in batch_rx {
                            if stop.load(Ordering::Acquire) {
                                break; // a batch read ahead is not sent once the round stopped or re-plans
                            }
                            let result = office.post_encoded::<Ack>(UPLOAD_PATH, body);
                            let failed = result.is_err();
                            if answer_tx.send((last_seq, result)).is_err() || failed {
                                break;
                            }
                        }
                    });
                    Lane {
                        batches: batch_tx,
                        answers: answer_rx,
                    }
                })
                .collect();
            let _stop_on_return = StopOnDrop(stop);
            let mut confirmations = Confirmations {
                acked_through: None,
                written_at: Instant::now(),
            };
            let sent = self.pump(store, batches, &lanes, &mut confirmations, report);
            // nothing more goes out, not even a batch already handed to a lane
            stop.store(true, Ordering::Release);
            // what head office acknowledged is written down however sending ended
            let written = confirmations.write(store, report);
            let sent = sent?;
            written?;
            Ok(sent)
        })
    }

    /// Read, encode and hand out batches; take the answers in order.
    fn pump(
        &self,
        store: &mut Store,
        batches: &[kasa_sync_protocol::PlannedBatch],
        lanes: &[Lane],
        confirmations: &mut Confirmations,
        report: &mut RoundReport,
    ) -> Result<Sent, SyncError> {
        let allowed = self
            .max_batches
            .map_or(batches.len(), |max| max.min(batches.len()));
        let mut queued = 0;
        let mut answered = 0;
        loop {
            while queued < allowed && queued - answered < BATCHES_OUTSTANDING {
                let planned = &batches[queued];
                let batch = series::load_batch(
                    store.conn(),
                    self.protocol,
                    &self.enrolled.terminal_id,
                    &self.enrolled.store_id,
                    planned.first_seq,
                    planned.last_seq,
                )?;
                if batch.records.len() as u64 != planned.last_seq - planned.first_seq + 1 {
                    return Err(kasa_sync_protocol::PlanError::OutboxGap {
                        after: (planned.first_seq + batch.records.len() as u64).saturating_sub(1),
                        next: planned.last_seq,
                    }
                    .into());
                }
                let body = self.office.encode(&batch)?;
                if lanes[queued % LANES]
                    .batches
                    .send((batch.last_seq(), body))
                    .is_err()
                {
                    break; // that sender stopped after a failure it reported
                }
                queued += 1;
            }
            if answered == queued {
                return if queued < batches.len() {
                    Err(SyncError::Interrupted {
                        batches: report.batches,
                    })
                } else {
                    Ok(Sent::All)
                };
            }
            let (batch_last, result) = lanes[answered % LANES].answers.recv().map_err(|_| {
                SyncError::Protocol("the upload thread stopped without an answer".into())
            })?;
            answered += 1;
            let ack = match result {
                Err(SyncError::Refused { code, .. })
                    if code == kasa_sync_protocol::codes::GAP && self.may_replan =>
                {
                    return Ok(Sent::Replan);
                }
                Err(SyncError::Refused { code, .. })
                    if code == kasa_sync_protocol::codes::SERIES_CONFLICT =>
                {
                    // head office holds other records under these sequences
                    return Err(self.diverged(store)?);
                }
                other => other?,
            };
            check_ack(&ack, &self.enrolled.terminal_id)?;
            if let Some(head) = ack.chain_head
                && identity::local_chain_at(store.conn(), ack.highest_contiguous_seq)? != Some(head)
            {
                return Err(self.diverged(store)?);
            }
            if ack.highest_contiguous_seq > self.local_last {
                return Err(kasa_sync_protocol::PlanError::ServerAhead {
                    server_acked: ack.highest_contiguous_seq,
                    local_last: self.local_last,
                }
                .into());
            }
            report.batches += 1;
            report.applied += u64::from(ack.applied);
            report.duplicates += u64::from(ack.duplicates);
            report.server_acked_seq = ack.highest_contiguous_seq;
            confirmations.acked_through = Some(ack.highest_contiguous_seq);
            if confirmations.written_at.elapsed() >= CONFIRM_EVERY {
                confirmations.write(store, report)?;
            }
            if ack.highest_contiguous_seq < batch_last {
                if !self.may_replan {
                    return Err(SyncError::Protocol(format!(
                        "head office keeps acknowledging seq {} after a batch up to {batch_last}",
                        ack.highest_contiguous_seq
                    )));
                }
                return Ok(Sent::Replan);
            }
        }
    }
}

impl Upload<'_> {
    /// Head office refused a batch as a conflict, or acknowledged a chain
    /// this till does not have: find where the series part and stop.
    fn diverged(&self, store: &mut Store) -> Result<SyncError, SyncError> {
        let status: Ack = self.office.get(UPLOAD_STATUS_PATH)?;
        let held = status.highest_contiguous_seq.min(self.local_last);
        let first = divergence::first_divergent(store, self.office, held + 1)?;
        let error = SyncError::SeriesDiverged { seq: first };
        identity::record_fork(store.conn(), &error, first)?;
        Ok(error)
    }
}

fn check_ack(ack: &Ack, terminal_id: &str) -> Result<(), SyncError> {
    if ack.terminal_id != terminal_id {
        return Err(SyncError::Protocol(format!(
            "acknowledgement is for terminal {}, not {terminal_id}",
            ack.terminal_id
        )));
    }
    Ok(())
}

fn confirm(store: &mut Store, through: u64) -> Result<usize, SyncError> {
    let tx = store.write_tx()?;
    let changed = series::confirm_through(&tx, through)?;
    tx.commit()?;
    Ok(changed)
}

fn pull_master_data(
    store: &mut Store,
    office: &HeadOffice,
    options: &SyncOptions,
    report: &mut RoundReport,
) -> Result<(), SyncError> {
    let pulled = master_data::pull(store, office, options.page_limit, MAX_PAGES_PER_ROUND)?;
    report.pages += pulled.pages;
    report.changes += pulled.changes;
    Ok(())
}

/// Point an enrolled till at another address of the same head office (a
/// new host name, a proxy); the credential and series stay.
pub fn set_server_url(store: &mut Store, server_url: &str) -> Result<(), SyncError> {
    check_url(server_url)?;
    let changed = store.conn().execute(
        "UPDATE sync_enrolment SET server_url = ?1 WHERE id = 1",
        [server_url.trim_end_matches('/')],
    )?;
    if changed == 0 {
        return Err(SyncError::NotEnrolled);
    }
    Ok(())
}

/// `http://` or `https://host[:port][/prefix]` (see [`SyncError::UnsupportedUrl`]).
pub(super) fn check_url(server_url: &str) -> Result<(), SyncError> {
    super::client::check_url(server_url)
}
