//! Enrolment and one sync round.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use kasa_sync_protocol::http::{
    HELLO_PATH, UPLOAD_PATH, UPLOAD_STATUS_AT_PARAM, UPLOAD_STATUS_PATH,
};
use kasa_sync_protocol::limits::DEFAULT_PAGE_CHANGES;
use kasa_sync_protocol::{
    Ack, Capabilities, Hello, HelloReply, SeriesPoint, SeriesVerdict, compare_series,
    first_divergent_seq, plan_upload,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::client::{EncodedBody, HeadOffice};
use super::{SyncError, identity, master_data, series};
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

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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
    let office = HeadOffice::for_till(store.conn(), server_url, None)?;
    let reply: EnrolReply = office.post(
        "/enrol",
        &serde_json::json!({ "code": code.trim(), "terminal_id": settings.terminal_id }),
    )?;
    if reply.store_id != settings.store_id {
        // the code is spent, but no credential is kept: the till cannot write another store's series
        return Err(SyncError::StoreMismatch {
            code_store: reply.store_id,
            till_store: settings.store_id,
        });
    }
    let enrolled = Enrolment {
        server_url: server_url.trim_end_matches('/').to_owned(),
        tenant_id: reply.tenant_id,
        store_id: reply.store_id,
        terminal_id: reply.terminal_id,
        credential: reply.credential,
        enrolled_at: now_text(),
    };
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
    // 1. the wire series catches up with the outbox (local only); records
    //    cut before series identity get their chain
    let local_terminal_id = crate::settings::load(store.conn())?.terminal_id;
    loop {
        let tx = store.write_tx()?;
        let added = series::extend_series(&tx, &local_terminal_id)?;
        identity::fill_chains(&tx)?;
        tx.commit()?;
        if added == 0 {
            break;
        }
    }
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
        report.refilled += check_series(store, &office, &ack, last)?;
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
        let first = first_divergent(store, self.office, held + 1)?;
        let error = SyncError::SeriesDiverged { seq: first };
        identity::record_fork(store.conn(), &error, first)?;
        Ok(error)
    }
}

/// Compare head office's chain with this till's before anything is
/// confirmed (see [`identity`]). Returns how many records go again because
/// head office was behind; a fork is recorded and returned as the error.
fn check_series(
    store: &mut Store,
    office: &HeadOffice,
    ack: &Ack,
    local_last: u64,
) -> Result<u64, SyncError> {
    let Some(chain_head) = ack.chain_head else {
        return Ok(0); // a 1.0 head office: no identity to compare
    };
    let held = ack.highest_contiguous_seq;
    let server = if held <= local_last {
        SeriesPoint {
            seq: held,
            chain: chain_head,
        }
    } else {
        ack.chain_at
            .filter(|p| p.seq == local_last)
            .ok_or_else(|| {
                SyncError::Protocol(format!(
                    "head office holds seq {held} but sent no chain at seq {local_last}"
                ))
            })?
    };
    let local = identity::local_chain_at(store.conn(), server.seq)?;
    let confirmed = series::confirmed_through(store.conn())?;
    match compare_series(held, server, local, local_last, confirmed) {
        SeriesVerdict::Agrees => Ok(0),
        SeriesVerdict::HeadOfficeBehind { held, .. } => {
            let tx = store.write_tx()?;
            let again = identity::rewind_confirmed(&tx, held)?;
            tx.commit()?;
            Ok(again)
        }
        SeriesVerdict::HeadOfficeAhead { held, local_last } => {
            let error = SyncError::Plan(kasa_sync_protocol::PlanError::ServerAhead {
                server_acked: held,
                local_last,
            });
            identity::record_fork(store.conn(), &error, local_last + 1)?;
            Err(error)
        }
        SeriesVerdict::Diverged { seq } => {
            let first = first_divergent(store, office, seq)?;
            let error = SyncError::SeriesDiverged { seq: first };
            identity::record_fork(store.conn(), &error, first)?;
            // show head office what this till holds from there (refused as a
            // conflict and kept apart: head office marks the terminal forked)
            report_divergence(store, office, first, local_last);
            Err(error)
        }
    }
}

/// The first sequence at which head office's series and this till's
/// differ, given that they differ at `differ`: a binary search over status
/// requests (`?at=`), about log2(differ) of them.
fn first_divergent(store: &Store, office: &HeadOffice, differ: u64) -> Result<u64, SyncError> {
    first_divergent_seq(0, differ, |seq| {
        let ack: Ack = office.get(&format!(
            "{UPLOAD_STATUS_PATH}?{UPLOAD_STATUS_AT_PARAM}={seq}"
        ))?;
        let server = ack.chain_at.filter(|p| p.seq == seq).map(|p| p.chain);
        Ok(server.is_some() && server == identity::local_chain_at(store.conn(), seq)?)
    })
}

/// Send one batch from the first divergent record so head office sees the
/// fork (it refuses it as `sync.series_conflict` and keeps it apart). Best
/// effort: the till has already stopped uploading either way.
fn report_divergence(store: &Store, office: &HeadOffice, first: u64, local_last: u64) {
    if first > local_last {
        return;
    }
    let Some(agreed) = office.agreed() else {
        return;
    };
    let Ok(Some(enrolled)) = enrolment(store.conn()) else {
        return;
    };
    let last = local_last.min(first + u64::from(agreed.limits.max_batch_records.max(1)) - 1);
    let sent = series::load_batch(
        store.conn(),
        agreed.version,
        &enrolled.terminal_id,
        &enrolled.store_id,
        first,
        last,
    )
    .and_then(|batch| office.encode(&batch))
    .and_then(|body| office.post_encoded::<Ack>(UPLOAD_PATH, body));
    // head office compares chains: it refuses these (sync.series_conflict)
    drop(sent);
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
fn check_url(server_url: &str) -> Result<(), SyncError> {
    super::client::check_url(server_url)
}

/// What a re-enrolment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reenrolment {
    /// The terminal id head office knew this till by until now.
    pub previous_terminal_id: String,
    /// The new enrolment.
    pub enrolment: Enrolment,
    /// Records head office holds under the previous terminal (archived on the till).
    pub archived_records: u64,
    /// Records that become the new terminal's series, from seq 1.
    pub records_to_upload: u64,
}

/// Re-enrol a till whose series forked from head office's (restored
/// backup, cloned disk) as a new terminal `new_terminal_id`, with a new
/// single-use `code`.
///
/// The records head office already holds under the previous terminal (the
/// part both series share, before the fork) are moved to
/// `sync_records_archive`; the till's own records from the fork on become
/// the new terminal's series, renumbered from 1 with their chain and
/// envelope length recomputed, and go up with the next round. The till's
/// own numbering and outbox stay as they are: head office files the new
/// records under the new terminal id.
pub fn reenrol(
    store: &mut Store,
    server_url: &str,
    code: &str,
    new_terminal_id: &str,
) -> Result<Reenrolment, SyncError> {
    let previous = enrolment(store.conn())?.ok_or(SyncError::NotEnrolled)?;
    let fork = identity::fork_state(store.conn())?.ok_or_else(|| SyncError::NotForked {
        terminal_id: previous.terminal_id.clone(),
    })?;
    if !kasa_sync_protocol::validate::is_valid_id(new_terminal_id)
        || new_terminal_id == previous.terminal_id
    {
        return Err(SyncError::BadTerminalId {
            terminal_id: new_terminal_id.to_owned(),
            previous: previous.terminal_id.clone(),
        });
    }
    check_url(server_url)?;
    let local_terminal_id = crate::settings::load(store.conn())?.terminal_id;
    loop {
        let tx = store.write_tx()?;
        let added = series::extend_series(&tx, &local_terminal_id)?;
        identity::fill_chains(&tx)?;
        tx.commit()?;
        if added == 0 {
            break;
        }
    }
    let office = HeadOffice::for_till(store.conn(), server_url, None)?;
    let reply: EnrolReply = office.post(
        "/enrol",
        &serde_json::json!({ "code": code.trim(), "terminal_id": new_terminal_id }),
    )?;
    if reply.store_id != previous.store_id || reply.tenant_id != previous.tenant_id {
        return Err(SyncError::StoreMismatch {
            code_store: reply.store_id,
            till_store: previous.store_id,
        });
    }
    let enrolled = Enrolment {
        server_url: server_url.trim_end_matches('/').to_owned(),
        tenant_id: reply.tenant_id,
        store_id: reply.store_id,
        terminal_id: reply.terminal_id,
        credential: reply.credential,
        enrolled_at: now_text(),
    };
    let kept = fork.first_divergent_seq.saturating_sub(1);
    let tx = store.write_tx()?;
    let now = now_text();
    tx.execute(
        "INSERT INTO sync_enrolment_history (server_url, tenant_id, store_id, terminal_id, enrolled_at,
            ended_at, reason, records_uploaded) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            previous.server_url,
            previous.tenant_id,
            previous.store_id,
            previous.terminal_id,
            previous.enrolled_at,
            now,
            fork.code,
            kept as i64
        ],
    )?;
    tx.execute(
        "INSERT INTO sync_records_archive (terminal_id, seq, outbox_seq, record_id, kind, document_type,
            created_at, payload, archived_at)
         SELECT ?1, seq, outbox_seq, record_id, kind, document_type, created_at, payload, ?2
           FROM sync_records WHERE seq <= ?3",
        params![previous.terminal_id, now, kept as i64],
    )?;
    tx.execute("DELETE FROM sync_records WHERE seq <= ?1", [kept as i64])?;
    renumber_series(&tx, kept, &previous.terminal_id, &enrolled.terminal_id)?;
    // what the new terminal will send is queued again, outbox rows included
    tx.execute(
        "UPDATE outbox_synced SET through_seq = MIN(through_seq,
            COALESCE((SELECT MIN(outbox_seq) FROM sync_records) - 1, through_seq)) WHERE id = 1",
        [],
    )?;
    tx.execute(
        "UPDATE sync_state SET confirmed_through = 0, server_acked_seq = 0, fork_code = NULL,
            fork_seq = NULL, fork_detected_at = NULL, fork_message = NULL, last_error_code = NULL,
            last_error_message = NULL, last_error_at = NULL WHERE id = 1",
        [],
    )?;
    tx.execute(
        "UPDATE sync_enrolment SET server_url = ?1, terminal_id = ?2, credential = ?3, enrolled_at = ?4
          WHERE id = 1",
        params![
            enrolled.server_url,
            enrolled.terminal_id,
            enrolled.credential,
            enrolled.enrolled_at
        ],
    )?;
    let to_upload = series::last_seq(&tx)?;
    tx.commit()?;
    Ok(Reenrolment {
        previous_terminal_id: previous.terminal_id,
        enrolment: enrolled,
        archived_records: kept,
        records_to_upload: to_upload,
    })
}

/// Renumber the series after its first `removed` records left it: seq
/// `n` becomes `n - removed`, each record's chain is recomputed from
/// genesis and its envelope length for the new sequence and terminal id.
fn renumber_series(
    tx: &rusqlite::Transaction<'_>,
    removed: u64,
    old_terminal_id: &str,
    new_terminal_id: &str,
) -> Result<(), SyncError> {
    const PARK: i64 = 1 << 52; // above any real sequence: no clash while renumbering
    tx.execute("UPDATE sync_records SET seq = seq + ?1", [PARK])?;
    tx.execute(
        "UPDATE sync_records SET seq = seq - ?1",
        [PARK + removed as i64],
    )?;
    let rows: Vec<(i64, String, String, Option<String>, String, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT seq, record_id, kind, document_type, payload, encoded_len FROM sync_records ORDER BY seq",
        )?;
        let mapped = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        mapped.collect::<rusqlite::Result<_>>()?
    };
    let digits = |n: u64| n.to_string().len() as i64;
    let id_change = new_terminal_id.len() as i64 - old_terminal_id.len() as i64;
    let mut chain = kasa_sync_protocol::SeriesHash::GENESIS;
    let mut update =
        tx.prepare("UPDATE sync_records SET chain = ?1, encoded_len = ?2 WHERE seq = ?3")?;
    for (seq, id, kind, document_type, payload, encoded_len) in rows {
        let bad = |detail: String| SyncError::OutboxUnreadable {
            outbox_seq: seq as u64,
            detail,
        };
        let id: uuid::Uuid = id.parse().map_err(|e| bad(format!("id {id:?}: {e}")))?;
        let kind = series::kind_from_code(&kind).ok_or_else(|| bad(format!("kind {kind:?}")))?;
        chain = identity::chain_next(&chain, &id, kind, document_type.as_deref(), &payload);
        let old_seq = seq as u64 + removed;
        let len = encoded_len - digits(old_seq) + digits(seq as u64) + id_change;
        update.execute(params![chain.0.as_slice(), len, seq])?;
    }
    Ok(())
}
