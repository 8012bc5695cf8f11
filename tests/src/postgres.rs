//! A fresh PostgreSQL database per test, in the cluster named by
//! `KASA_TEST_POSTGRES_URL` (start one with `scripts/pg-test-cluster.sh
//! start`). Without the variable the PostgreSQL variant of a test is skipped
//! with a visible notice — except in CI (`CI=true`), where that is a failure.

use std::io::Write as _;

/// The connection string of a new, empty database in the test cluster, or
/// `None` (after a notice on stderr) when no cluster is configured outside CI.
/// The database name starts with `prefix`.
pub async fn fresh_database(prefix: &str) -> Option<String> {
    let url = match std::env::var("KASA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !in_ci,
                "KASA_TEST_POSTGRES_URL is unset in CI: start a cluster with scripts/pg-test-cluster.sh start"
            );
            // written straight to stderr so the test harness does not swallow it
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: PostgreSQL variant SKIPPED (KASA_TEST_POSTGRES_URL unset; run scripts/pg-test-cluster.sh start)"
            );
            return None;
        }
    };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to KASA_TEST_POSTGRES_URL: {e}"));
    tokio::spawn(connection);
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    let (base, _) = url
        .rsplit_once('/')
        .expect("KASA_TEST_POSTGRES_URL ends in /<database>");
    Some(format!("{base}/{name}"))
}
