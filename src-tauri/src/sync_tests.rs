//! The app's sync against a real head office: `kasa-server` in-process over
//! SQLite on a loopback port, a real demo till database, the real loop.

use std::time::Duration;

use kasa_domain::money::Money;
use kasa_server::report::ReportKind;
use kasa_terminal::store::Store;
use kasa_terminal::sync::background::LoopState;
use kasa_terminal::sync::{BackoffPolicy, SyncOptions};

use super::*;
use crate::demo_head_office::{ADMIN_TOKEN_FILE, DemoHeadOffice};

/// Rounds only when kicked: the interval is far longer than any wait here,
/// so a round that happens was started by a kick.
fn kicked_only() -> BackoffPolicy {
    BackoffPolicy {
        interval_ms: 600_000,
        base_ms: 600_000,
        max_ms: 600_000,
    }
}

const WAIT: Duration = Duration::from_secs(30);

fn demo_till(dir: &Path) -> PathBuf {
    let db = dir.join("kasa.db");
    crate::demo::seed(&db).unwrap();
    db
}

/// Open a shift on `store` (writes a document to the outbox).
fn write_a_document(store: &mut Store) {
    let now = chrono::Utc::now().naive_utc();
    let settings = kasa_terminal::settings::load(store.conn()).unwrap();
    let user = kasa_terminal::users::login_by_pin(store.conn(), "1111", now).unwrap();
    let float = Money::parse("100").unwrap();
    kasa_terminal::shift::open_shift(store, &settings, &user, float, now).unwrap();
}

fn held_through(office: &DemoHeadOffice) -> u64 {
    let rows: serde_json::Value =
        serde_json::from_str(&office.report(ReportKind::Terminals).unwrap()).unwrap();
    rows.as_array()
        .and_then(|r| r.first())
        .and_then(|t| t["held_through"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_till_that_is_not_enrolled_runs_no_loop_until_it_is_enrolled() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_till(dir.path());
    let sync = TillSync::new(&db, SyncOptions::default(), kicked_only());
    assert!(!sync.start_if_enrolled().unwrap());
    assert!(!sync.is_running());
    let store = Store::open(&db).unwrap();
    let view = sync.view(store.conn()).unwrap();
    assert_eq!(view.state, "not_enrolled");
    assert!(!view.online && !view.running && !view.enrolled);
    assert_eq!(
        view.last_error_code, None,
        "not being enrolled is no failed round"
    );
    let err = sync.sync_now(Duration::from_secs(1)).unwrap_err();
    assert_eq!(err.code, "sync.not_enrolled");

    // the Sync screen's "Enrol with head office": address + code
    let office = DemoHeadOffice::start(dir.path()).unwrap();
    let code = office.enrolment_code("S001").unwrap();
    let refused = sync.enrol("https://", &code).unwrap_err();
    assert_eq!(refused.code, "sync.unsupported_url");
    assert!(!sync.is_running());
    sync.enrol(&office.url(), &code).unwrap();
    assert!(sync.is_running(), "enrolling starts the loop");
    sync.sync_now(WAIT).unwrap();
    let view = sync.view(store.conn()).unwrap();
    assert_eq!(view.state, "online", "{view:?}");
    assert_eq!(view.server_url.as_deref(), Some(office.url().as_str()));
    assert!(sync.stop());
    office.stop();
}

#[test]
fn the_demo_head_office_enrols_the_till_and_a_document_reaches_it_after_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_till(dir.path());
    let office = DemoHeadOffice::start(dir.path()).unwrap();
    office.connect_till(&db).unwrap();

    let token = dir.path().join("head-office").join(ADMIN_TOKEN_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the admin token is readable by its owner only"
        );
    }
    assert_eq!(std::fs::read_to_string(&token).unwrap().len(), 64);

    let sync = TillSync::new(&db, SyncOptions::default(), kicked_only());
    assert!(sync.start_if_enrolled().unwrap());
    let first = sync.wait_for_rounds(1, WAIT).unwrap();
    assert!(
        first.online,
        "the first round reached head office: {first:?}"
    );

    // the till's own connection, watched like the app's
    let mut till = Store::open(&db).unwrap();
    sync.watch_outbox(till.conn());
    sync.after_command();
    assert_eq!(
        sync.loop_state().unwrap().rounds,
        first.rounds,
        "a command that wrote no document does not kick"
    );
    write_a_document(&mut till);
    sync.after_command();
    let after: LoopState = sync.wait_for_rounds(first.rounds + 1, WAIT).unwrap();
    assert!(after.online, "{after:?}");

    let view = sync.view(till.conn()).unwrap();
    assert_eq!(view.state, "online");
    assert_eq!(view.queued, 0, "{view:?}");
    assert!(view.last_sync_at.is_some());
    let status = kasa_terminal::sync::status(till.conn(), chrono::Utc::now()).unwrap();
    assert!(status.local_last_seq > 0);
    assert_eq!(held_through(&office), status.local_last_seq);

    // the publisher waits on the loop most of the time; stopping still joins it
    let (sent, published) = std::sync::mpsc::channel();
    sync.spawn_publisher(move |view| {
        let _ = sent.send(view.clone());
    });
    let first_view = published.recv_timeout(WAIT).unwrap();
    assert_eq!(first_view.state, "online");
    assert!(sync.stop(), "the loop was stopped and joined");
    assert!(!sync.is_running());
    assert!(!sync.stop(), "nothing left to stop");
    office.stop();
}

#[test]
fn a_later_run_on_a_taken_port_moves_the_till_to_the_new_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_till(dir.path());
    let office = DemoHeadOffice::start(dir.path()).unwrap();
    office.connect_till(&db).unwrap();
    let first_url = office.url();
    let token_file = dir.path().join("head-office").join(ADMIN_TOKEN_FILE);
    let token = std::fs::read_to_string(&token_file);
    office.stop();
    #[cfg(unix)]
    {
        // a copied or restored file with loose permissions is made private again
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    // someone else holds the old port now
    let squatter = std::net::TcpListener::bind(first_url.trim_start_matches("http://")).unwrap();
    let office = DemoHeadOffice::start(dir.path()).unwrap();
    assert_ne!(office.url(), first_url);
    office.connect_till(&db).unwrap();
    let store = Store::open(&db).unwrap();
    let enrolled = kasa_terminal::sync::enrolment(store.conn())
        .unwrap()
        .unwrap();
    assert_eq!(enrolled.server_url, office.url());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("head-office").join(ADMIN_TOKEN_FILE)).unwrap(),
        token.unwrap(),
        "the admin token is kept across runs"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let sync = TillSync::new(&db, SyncOptions::default(), kicked_only());
    assert!(sync.start_if_enrolled().unwrap());
    let state = sync.wait_for_rounds(1, WAIT).unwrap();
    assert!(
        state.online,
        "the same credential works at the new address: {state:?}"
    );
    sync.stop();
    drop(squatter);
}

#[test]
// `..default()` keeps the test compiling when the loop's state grows fields
#[allow(clippy::needless_update)]
fn the_view_takes_online_from_the_loop_and_hides_a_local_error_once_online() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_till(dir.path());
    let store = Store::open(&db).unwrap();
    let mut status = kasa_terminal::sync::status(store.conn(), chrono::Utc::now()).unwrap();
    status.enrolled = true;
    status.last_attempt_at = Some("2026-11-21T08:00:00Z".into());
    let local = ApiError::new("desktop.demo_head_office", "cannot start");

    let offline = LoopState {
        rounds: 2,
        failures: 2,
        online: false,
        last_error_code: Some("sync.offline".into()),
        ..LoopState::default()
    };
    let v = view_of(&status, Some(&offline), Some(&local));
    assert_eq!((v.state.as_str(), v.online), ("offline", false));
    assert_eq!(
        v.last_error_code.as_deref(),
        Some("desktop.demo_head_office")
    );
    assert_eq!(v.consecutive_failures, 2);

    let online = LoopState {
        rounds: 3,
        failures: 0,
        online: true,
        last_error_code: None,
        ..LoopState::default()
    };
    let v = view_of(&status, Some(&online), Some(&local));
    assert_eq!((v.state.as_str(), v.online), ("online", true));
    assert_eq!(v.last_error_code, None);

    // no loop: never online, whatever an earlier run stored
    status.online = true;
    let v = view_of(&status, None, None);
    assert!(!v.online && !v.running);
}
