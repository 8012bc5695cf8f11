//! A till syncing with head office over https (rustls on both sides): a
//! private CA given to the till with `kasa sync enrol --ca-cert` /
//! `kasa sync set-ca`, a certificate the till does not trust refused with
//! `sync.tls_untrusted` before anything is sent, and the tokio sync loop
//! spawned on a runtime the app already has.

#[path = "sync/support.rs"]
mod support;

use std::time::Duration;

use kasa_domain::ErrorCode;
use kasa_terminal::sync::{self, BackoffPolicy, SyncLoop, SyncOptions};
use support::{Backend, HeadOffice, TestPki, Till, assert_till_delivered_once, kasa};

#[test]
fn a_till_syncs_over_https_with_head_offices_private_ca_and_refuses_an_untrusted_one() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let pki = TestPki::new("ACME head office CA");
    let https = office.serve_tls(&pki);
    let mut till = Till::new("S001", "H01");
    till.sell(5);
    let code = office.code("S001");

    // the system's roots do not know the private CA: refused before any request
    let err = sync::enrol(till.store(), &https.url(), &code).unwrap_err();
    assert_eq!(err.code(), "sync.tls_untrusted", "{err}");
    assert!(err.to_string().contains("kasa sync set-ca"), "{err}");
    assert!(sync::enrolment(till.store().conn()).unwrap().is_none());

    // with the CA: the same code still works (nothing reached head office before)
    let ca = pki.ca.to_str().unwrap();
    till.restart();
    assert_eq!(
        kasa(
            &till,
            &[
                "sync",
                "enrol",
                "--server",
                &https.url(),
                "--code",
                &code,
                "--ca-cert",
                ca
            ]
        ),
        0
    );
    till.restart();
    let report = till.round().unwrap();
    assert!(report.applied > 0 && report.batches > 0, "{report:?}");
    assert_till_delivered_once(&office, &till);
    let status = till.status();
    assert!(status.online, "{status:?}");
    let text = sync::describe_status(&status);
    assert!(
        text.contains("trusted CA    ") && text.contains(ca),
        "{text}"
    );

    // an impostor with a certificate of another CA at a new address: nothing is sent
    let impostor_pki = TestPki::new("Somebody else's CA");
    let impostor = office.serve_tls(&impostor_pki);
    sync::set_server_url(till.store(), &impostor.url()).unwrap();
    till.sell(3);
    let held_before = office.held(&till);
    let err = till.round().unwrap_err();
    assert_eq!(err.code(), "sync.tls_untrusted", "{err}");
    assert!(!err.is_transient());
    assert_eq!(
        office.held(&till),
        held_before,
        "nothing reached head office"
    );
    let status = till.status();
    assert!(
        status.records_queued > 0 && status.documents_queued == 3,
        "{status:?}"
    );
    assert_eq!(
        status.last_error_code.as_deref(),
        Some("sync.tls_untrusted")
    );
    assert!(!status.online);

    // back to the real head office: the queued sales follow
    sync::set_server_url(till.store(), &https.url()).unwrap();
    till.round().unwrap();
    assert_till_delivered_once(&office, &till);

    // clearing the CA makes head office untrusted again
    assert_eq!(kasa(&till, &["sync", "set-ca", "--clear"]), 0);
    till.restart();
    assert_eq!(till.round().unwrap_err().code(), "sync.tls_untrusted");
}

#[test]
fn a_ca_file_that_is_not_a_certificate_is_refused_and_nothing_is_stored() {
    let mut till = Till::new("S001", "H02");
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let missing = dir.path().join("missing.pem");
    for file in [&not_pem, &missing] {
        let err = sync::CaCertificate::from_file(file).unwrap_err();
        assert_eq!(err.code(), "sync.ca_cert_invalid", "{err}");
        assert_eq!(
            kasa(&till, &["sync", "set-ca", file.to_str().unwrap()]),
            kasa_terminal::cli::EXIT_USER_ERROR
        );
    }
    till.restart();
    assert!(till.status().extra_ca.is_none());
}

#[test]
fn the_sync_loop_runs_on_the_apps_runtime_over_https() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let pki = TestPki::new("ACME head office CA");
    let https = office.serve_tls(&pki);
    let mut till = Till::new("S002", "H03");
    sync::set_ca(
        till.store().conn(),
        &sync::CaCertificate::from_file(&pki.ca).unwrap(),
    )
    .unwrap();
    let code = office.code("S002");
    sync::enrol(till.store(), &https.url(), &code).unwrap();
    till.sell(4);
    // the desktop app's runtime (multi-threaded, time enabled)
    let app_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let policy = BackoffPolicy {
        interval_ms: 60_000,
        base_ms: 20,
        max_ms: 200,
    };
    let running = SyncLoop::spawn(
        app_runtime.handle(),
        &till.path,
        SyncOptions::default(),
        policy,
    );
    let state = running.wait_for_rounds(1, Duration::from_secs(60));
    assert!(state.online, "{state:?}");
    till.sell(2);
    running.kick();
    let state = running.wait_for_rounds(2, Duration::from_secs(60));
    assert_eq!((state.rounds, state.online), (2, true), "{state:?}");
    running.stop();
    assert_till_delivered_once(&office, &till);
}
