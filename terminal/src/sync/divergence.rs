//! Comparing this till's series with head office's before anything is
//! marked synced ([`super::identity`]): the verdict, the refill of a head
//! office that went back, and where two series part.

use kasa_sync_protocol::http::{UPLOAD_PATH, UPLOAD_STATUS_AT_PARAM, UPLOAD_STATUS_PATH};
use kasa_sync_protocol::{Ack, SeriesPoint, SeriesVerdict, compare_series, first_divergent_seq};

use super::client::HeadOffice;
use super::round::enrolment;
use super::{SyncError, identity, series};
use crate::store::Store;

/// Compare head office's chain with this till's before anything is
/// confirmed (see [`identity`]). Returns how many records go again because
/// head office was behind; a fork is recorded and returned as the error.
pub(super) fn check_series(
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
pub(super) fn first_divergent(
    store: &Store,
    office: &HeadOffice,
    differ: u64,
) -> Result<u64, SyncError> {
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
