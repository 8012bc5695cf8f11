//! The protocol's promise, checked on a model: a till that keeps writing
//! records and a head office that only stores what passes
//! [`validate_batch`] and [`split_against_held`], connected by a network
//! that drops, duplicates and delays requests and loses acks, end with the
//! server holding exactly the till's records, each once, in order — as
//! long as the till follows [`plan_upload`] and retries.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use uuid::Uuid;

use crate::limits::Limits;
use crate::plan::{OutboxEntry, plan_upload};
use crate::test_support::{STORE, TERMINAL, context, record};
use crate::upload::{Ack, Record, RecordKind, UploadBatch};
use crate::validate::{BatchContext, split_against_held, validate_batch};
use crate::version::ProtocolVersion;

/// xorshift64*: a tiny deterministic generator driven by the proptest seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Server {
    held: Vec<Record>,
    ids: HashSet<Uuid>,
    /// Side effects keyed by record id: how many times each was applied.
    applied: HashMap<Uuid, u32>,
}

impl Server {
    fn status(&self) -> Ack {
        Ack {
            terminal_id: TERMINAL.to_owned(),
            highest_contiguous_seq: self.held.len() as u64,
            duplicates: 0,
            applied: 0,
            chain_head: None,
            chain_at: None,
        }
    }

    /// What a server handler does: validate, split, store new records once.
    fn ingest(&mut self, batch: &UploadBatch, ctx: &BatchContext<'_>) -> Option<Ack> {
        validate_batch(batch, ctx).ok()?;
        let split = split_against_held(batch, self.held.len() as u64).ok()?;
        let mut ack = self.status();
        ack.duplicates = split.already_held as u32;
        for record in &batch.records[split.new_from..] {
            if self.ids.insert(record.id) {
                *self.applied.entry(record.id).or_default() += 1;
                self.held.push(record.clone());
                ack.applied += 1;
            } else {
                ack.duplicates += 1;
            }
        }
        ack.highest_contiguous_seq = self.held.len() as u64;
        Some(ack)
    }
}

struct Terminal {
    written: Vec<Record>,
    /// Outbox rows not yet marked synced (the tail of `written`).
    unconfirmed_from: u64,
    last_ack: u64,
}

impl Terminal {
    fn write(&mut self, dice: &mut Dice) {
        let seq = self.written.len() as u64 + 1;
        let kind = RecordKind::ALL[dice.below(4) as usize];
        self.written
            .push(record(seq, 77, kind, dice.below(400) as usize));
    }

    fn outbox(&self) -> Vec<OutboxEntry> {
        self.written[(self.unconfirmed_from - 1) as usize..]
            .iter()
            .map(|r| OutboxEntry {
                seq: r.seq,
                encoded_len: r.encoded_len(),
            })
            .collect()
    }

    /// Plan from the last ack, mark confirmed rows, return the next batch.
    fn next_batch(&mut self, limits: &Limits) -> Option<UploadBatch> {
        let plan = plan_upload(
            self.written.len() as u64,
            &self.outbox(),
            self.last_ack,
            limits,
        )
        .expect("a consistent till and server always yield a plan");
        self.unconfirmed_from = plan.confirm_through + 1;
        let next = plan.batches.first()?;
        let records = self.written[(next.first_seq - 1) as usize..next.last_seq as usize].to_vec();
        Some(UploadBatch::from_records(
            ProtocolVersion::CURRENT,
            TERMINAL,
            STORE,
            records,
        ))
    }
}

fn run(seed: u64, rounds: usize) {
    let mut dice = Dice(seed | 1);
    let limits = Limits {
        max_batch_records: 1 + dice.below(9) as u32,
        max_batch_bytes: 2_000 + dice.below(6_000),
        ..Limits::default()
    };
    let mut ctx = context();
    ctx.limits = limits;
    let mut server = Server::default();
    let mut till = Terminal {
        written: Vec::new(),
        unconfirmed_from: 1,
        last_ack: 0,
    };
    let mut in_flight: Vec<UploadBatch> = Vec::new();

    let mut round = |till: &mut Terminal, server: &mut Server, dice: &mut Dice, lossy: bool| {
        if lossy {
            for _ in 0..dice.below(4) {
                till.write(dice);
            }
            // a delayed copy of an old request arrives
            if !in_flight.is_empty() && dice.chance(20) {
                let old = in_flight.swap_remove(dice.below(in_flight.len() as u64) as usize);
                let _ = server.ingest(&old, &ctx);
            }
            // the till restarted and asks for the status
            if dice.chance(10) {
                till.last_ack = server.status().highest_contiguous_seq;
            }
        }
        let Some(batch) = till.next_batch(&limits) else {
            return;
        };
        if lossy && dice.chance(25) {
            in_flight.push(batch); // request lost (for now)
            return;
        }
        let ack = server
            .ingest(&batch, &ctx)
            .expect("planned batches are accepted");
        if lossy && dice.chance(15) {
            let _ = server.ingest(&batch, &ctx); // duplicated on the way
        }
        if lossy && dice.chance(25) {
            in_flight.push(batch); // ack lost; the till will resend
            return;
        }
        till.last_ack = ack.highest_contiguous_seq;
    };

    for _ in 0..rounds {
        round(&mut till, &mut server, &mut dice, true);
    }
    // the network heals: the till catches up
    let mut guard = 0;
    while server.held.len() < till.written.len() || till.last_ack < till.written.len() as u64 {
        round(&mut till, &mut server, &mut dice, false);
        guard += 1;
        assert!(guard < 10_000, "catch-up does not terminate");
    }

    assert_eq!(
        server.held, till.written,
        "server holds exactly the till's series"
    );
    assert_eq!(server.applied.len(), till.written.len());
    assert!(
        server.applied.values().all(|&n| n == 1),
        "a side effect applied twice"
    );
    let plan = plan_upload(
        till.written.len() as u64,
        &till.outbox(),
        till.last_ack,
        &limits,
    )
    .unwrap();
    assert!(plan.is_idle());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_record_arrives_exactly_once_despite_the_network(seed in any::<u64>()) {
        run(seed, 60);
    }
}

#[test]
fn a_batch_from_another_terminal_changes_nothing() {
    let mut server = Server::default();
    let ctx = context();
    let mut batch = UploadBatch::from_records(
        ProtocolVersion::CURRENT,
        "T02",
        STORE,
        vec![record(1, 1, RecordKind::Audit, 0)],
    );
    batch.records[0].terminal_id = "T02".to_owned();
    assert!(server.ingest(&batch, &ctx).is_none());
    assert!(server.held.is_empty());
}
