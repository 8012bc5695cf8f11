use super::*;

fn fast() -> QueueConfig {
    QueueConfig {
        base_backoff_ms: 10,
        max_backoff_ms: 40,
        max_attempts: 3,
        timeouts: Timeouts {
            connect_ms: 300,
            write_ms: 300,
            read_ms: 300,
        },
    }
}

fn bytes(b: &[u8]) -> JobPayload {
    JobPayload::Bytes { bytes: b.to_vec() }
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let c = QueueConfig::default();
    let got: Vec<u64> = (1..=9).map(|n| c.backoff_ms(n)).collect();
    assert_eq!(
        got,
        [
            1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000
        ]
    );
    assert_eq!(c.backoff_ms(u32::MAX), 60_000);
}

#[test]
fn hex_round_trip() {
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(spool::from_hex(&spool::to_hex(&all)).unwrap(), all);
    assert!(spool::from_hex("abc").is_none());
    assert!(spool::from_hex("zz").is_none());
}

#[test]
fn jobs_survive_reopen_and_printing_goes_back_to_queued() {
    let dir = tempfile::tempdir().unwrap();
    let uri = DeviceUri::parse("tcp://127.0.0.1:9").unwrap();
    let id = {
        let q = PrintQueue::open(dir.path(), fast()).unwrap();
        let a = q
            .enqueue(&uri, default_profile(), bytes(b"one"), false)
            .unwrap();
        let b = q
            .enqueue(&uri, default_profile(), bytes(b"two"), true)
            .unwrap();
        assert_eq!((a, b), (1, 2));
        // Simulate a crash in the middle of sending job 2.
        let mut state = q.shared.lock();
        let mut job = state.jobs[&b].clone();
        job.state = JobState::Printing;
        q.shared.store(&mut state, job).unwrap();
        b
    };
    let q = PrintQueue::open(dir.path(), fast()).unwrap();
    let jobs = q.jobs();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1].id, id);
    assert_eq!(
        jobs[1].state,
        JobState::Queued,
        "interrupted job is printed again"
    );
    assert!(jobs[1].copy);
    assert_eq!(jobs[0].payload, bytes(b"one"));
    // New ids continue after the highest stored one.
    assert_eq!(
        q.enqueue(&uri, default_profile(), bytes(b"3"), false)
            .unwrap(),
        3
    );
}

#[test]
fn unreadable_job_file_is_moved_aside_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job-0000000007.json"), b"{ torn").unwrap();
    std::fs::write(dir.path().join("job-0000000008.json.tmp"), b"half").unwrap();
    let q = PrintQueue::open(dir.path(), fast()).unwrap();
    assert!(q.jobs().is_empty());
    assert!(dir.path().join("job-0000000007.json.corrupt").exists());
    assert!(!dir.path().join("job-0000000008.json.tmp").exists());
}

#[test]
fn file_printer_prints_rendered_bytes_and_copy_gets_the_banner() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    let uri = DeviceUri::parse(&format!("file://{}", out.display())).unwrap();
    let q = PrintQueue::open(&dir.path().join("spool"), fast()).unwrap();
    let mut receipt = Receipt::default();
    receipt.line("Хляб 1.20");
    let id = q
        .enqueue(
            &uri,
            default_profile(),
            JobPayload::Receipt {
                receipt: receipt.clone(),
            },
            false,
        )
        .unwrap();
    q.print_now(id).unwrap();
    assert!(matches!(q.job(id).unwrap().state, JobState::Printed { .. }));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        render(&receipt, &default_profile())
    );

    let copy = q.reprint(id).unwrap();
    q.print_now(copy).unwrap();
    let printed = std::fs::read(&out).unwrap();
    let banner = render(&copy_banner(), &default_profile());
    assert!(printed.starts_with(&banner));
    assert_eq!(
        &printed[banner.len()..],
        render(&receipt, &default_profile()).as_slice()
    );
    let cp866_kopie = CodePage::Cp866.encode("КОПИЕ");
    assert!(printed.windows(cp866_kopie.len()).any(|w| w == cp866_kopie));
    // A printed job cannot be printed again by accident.
    assert_eq!(q.print_now(id).unwrap_err().code(), "queue.wrong_state");
}

#[test]
fn offline_printer_keeps_the_job_queued_with_backoff_then_fails() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on: connection refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let uri = DeviceUri::parse(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let q = PrintQueue::open(dir.path(), fast()).unwrap();
    let id = q
        .enqueue(&uri, default_profile(), bytes(b"x"), false)
        .unwrap();
    let before = now_ms();
    assert_eq!(q.print_now(id).unwrap_err().code(), "printer.offline");
    let job = q.job(id).unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_ref().unwrap().code, "printer.offline");
    assert!(job.next_attempt_at_ms >= before + 10);
    q.print_now(id).unwrap_err();
    q.print_now(id).unwrap_err();
    let job = q.job(id).unwrap();
    assert!(matches!(job.state, JobState::Failed { ref error } if error.code == "printer.offline"));
    q.retry(id).unwrap();
    assert_eq!(q.job(id).unwrap().state, JobState::Queued);
    assert_eq!(q.job(id).unwrap().attempts, 0);
}

#[test]
fn bad_uri_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let q = PrintQueue::open(dir.path(), fast()).unwrap();
    let id = q
        .enqueue(
            &DeviceUri::parse("tcp://127.0.0.1:9").unwrap(),
            default_profile(),
            bytes(b"x"),
            false,
        )
        .unwrap();
    // Corrupt the stored printer name to something unparsable.
    {
        let mut state = q.shared.lock();
        let mut job = state.jobs[&id].clone();
        job.printer = "lpt1".into();
        q.shared.store(&mut state, job).unwrap();
    }
    assert_eq!(q.print_now(id).unwrap_err().code(), "device.invalid_uri");
    assert!(matches!(q.job(id).unwrap().state, JobState::Failed { .. }));
}

#[test]
fn due_jobs_keep_per_printer_order() {
    let job = |id: u64, printer: &str, next: u64, state: JobState| PrintJob {
        id,
        printer: printer.into(),
        profile: default_profile(),
        payload: bytes(b""),
        copy: false,
        created_at_ms: 0,
        attempts: 0,
        next_attempt_at_ms: next,
        state,
        last_error: None,
    };
    let mut jobs = BTreeMap::new();
    for j in [
        job(1, "tcp://a:9100", 500, JobState::Queued),
        job(2, "tcp://a:9100", 0, JobState::Queued),
        job(3, "tcp://b:9100", 0, JobState::Printed { printed_at_ms: 1 }),
        job(4, "tcp://b:9100", 0, JobState::Queued),
        job(
            5,
            "tcp://c:9100",
            0,
            JobState::Failed {
                error: JobError {
                    code: "x".into(),
                    message: "y".into(),
                },
            },
        ),
        job(6, "tcp://c:9100", 900, JobState::Queued),
    ] {
        jobs.insert(j.id, j);
    }
    let state = State {
        jobs,
        next_id: 7,
        shutdown: false,
    };
    assert_eq!(due_jobs(&state, 100), (vec![4], Some(500)));
    assert_eq!(due_jobs(&state, 600), (vec![1, 4], Some(900)));
}

#[test]
fn prune_removes_only_old_printed_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.bin");
    let uri = DeviceUri::parse(&format!("file://{}", out.display())).unwrap();
    let q = PrintQueue::open(&dir.path().join("spool"), fast()).unwrap();
    let printed = q
        .enqueue(&uri, default_profile(), bytes(b"a"), false)
        .unwrap();
    let waiting = q
        .enqueue(&uri, default_profile(), bytes(b"b"), false)
        .unwrap();
    q.print_now(printed).unwrap();
    assert_eq!(
        q.prune_printed(0).unwrap(),
        0,
        "nothing printed before the epoch"
    );
    assert_eq!(q.prune_printed(u64::MAX).unwrap(), 1);
    let left: Vec<u64> = q.jobs().iter().map(|j| j.id).collect();
    assert_eq!(left, vec![waiting]);
    drop(q);
    let q = PrintQueue::open(&dir.path().join("spool"), fast()).unwrap();
    assert_eq!(q.jobs().len(), 1, "pruned job is gone from disk too");
}

#[test]
fn storage_failure_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let q = PrintQueue::open(&spool, fast()).unwrap();
    std::fs::remove_dir_all(&spool).unwrap();
    let err = q
        .enqueue(
            &DeviceUri::parse("tcp://127.0.0.1:9").unwrap(),
            default_profile(),
            bytes(b"x"),
            false,
        )
        .unwrap_err();
    assert_eq!(err.code(), "queue.io");
    assert!(
        q.jobs().is_empty(),
        "a job that was not stored is not listed"
    );
}
