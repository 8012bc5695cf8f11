//! `/metrics`: ingest counters and the per-terminal sync-lag gauges head
//! office alerts on when a till goes quiet.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;

use super::support::{Server, test_config};

/// The value of the one sample line starting with `series`.
fn sample(text: &str, series: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

pub async fn per_terminal_sync_lag_is_in_the_metrics(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut busy = server.till("acme", "S001", "T1").await;
    let _quiet = server.till("acme", "S001", "T2").await;
    for _ in 0..3 {
        busy.sell(false, &[("1001", "1")], &[("cash", "1.00")]);
    }
    let last = busy.last_seq();
    let batch = busy.batch(1, last);
    // the simulated till's clock is fixed in the past: its newest record is this old
    let newest = batch.records.iter().map(|r| r.created_at).max().unwrap();
    let record_age_s = (chrono::Utc::now() - newest).num_seconds();
    let r = server.upload(&busy, &batch).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // a restarted server (nothing counted in memory yet) still sees both tills
    let restarted = Server::start(db, test_config()).await;
    for server in [&server, &restarted] {
        let r = server.send(Method::GET, "/metrics", &[], Vec::new()).await;
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text"),
            "{:?}",
            r.headers
        );
        let text = r.text();
        let labels = |t: &str| format!(r#"{{tenant="acme",store="S001",terminal="{t}"}}"#);
        let held = |t: &str| sample(&text, &format!("kasa_terminal_held_through{}", labels(t)));
        assert_eq!(held("T1"), Some(i64::try_from(last).unwrap()), "{text}");
        assert_eq!(held("T2"), Some(0), "{text}");
        for t in ["T1", "T2"] {
            let seen = sample(
                &text,
                &format!("kasa_terminal_last_seen_age_seconds{}", labels(t)),
            );
            assert!(
                seen.is_some_and(|s| (0..60).contains(&s)),
                "{t}: {seen:?}\n{text}"
            );
        }
        let record_age = |t: &str| {
            sample(
                &text,
                &format!("kasa_terminal_last_record_age_seconds{}", labels(t)),
            )
        };
        assert!(
            record_age("T1").is_some_and(|s| (record_age_s..record_age_s + 60).contains(&s)),
            "{record_age_s}\n{text}"
        );
        assert_eq!(record_age("T2"), None, "T2 sent no record\n{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
    // the counters are this process's own: the restarted server has counted nothing yet
    for (server, ingested, enrolled) in [(&server, last, 2), (&restarted, 0, 0)] {
        let text = server
            .send(Method::GET, "/metrics", &[], Vec::new())
            .await
            .text();
        let counted = |name| sample(&text, name).map(|n| u64::try_from(n).unwrap());
        assert_eq!(
            counted("kasa_records_ingested_total"),
            Some(ingested),
            "{text}"
        );
        assert_eq!(counted("kasa_enrolments_total"), Some(enrolled), "{text}");
    }
}
