//! kasa-server story tests: the real server in-process on port 0, driven
//! over HTTP, each story run against SQLite and against PostgreSQL
//! (`KASA_TEST_POSTGRES_URL`, see scripts/pg-test-cluster.sh).

mod support;

#[path = "server/endpoints.rs"]
mod endpoints;
#[path = "server/hostile.rs"]
mod hostile;
#[path = "server/metrics.rs"]
mod metrics;
#[path = "server/openapi.rs"]
mod openapi;
#[path = "server/projections.rs"]
mod projections;
#[path = "server/publish.rs"]
mod publish;
#[path = "server/revocation.rs"]
mod revocation;
#[path = "server/series.rs"]
mod series;
#[path = "server/uploads.rs"]
mod uploads;

use endpoints::*;
use hostile::*;
use metrics::*;
use projections::*;
use publish::*;
use revocation::*;
use series::*;
use uploads::*;

/// Generate `sqlite_<story>` and `postgres_<story>` tests.
macro_rules! story {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = super::support::sqlite().await;
                super::$name(db.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = super::support::postgres().await {
                    super::$name(db.db.clone()).await;
                }
            }
        }
    };
}

story!(enrolment_codes_are_single_use_and_expire);
story!(uploads_are_idempotent_and_acknowledge_the_contiguous_sequence);
story!(bad_batches_are_refused_with_their_code_and_store_nothing);
story!(tenants_and_stores_are_isolated);
story!(projections_are_exact_after_retries_and_journal_breaks_are_found);
story!(master_data_is_published_and_pulled_by_cursor_in_pages);
story!(bad_changes_are_refused_at_publish_and_store_nothing);
story!(concurrent_resends_are_applied_once);
story!(a_lossy_network_still_delivers_each_record_once);
story!(overlapping_batches_are_stored_in_sequence_order);
story!(stored_payloads_are_the_text_that_was_sent);
story!(a_revoked_terminal_is_refused_and_keeps_what_it_sent);
story!(a_revocation_made_elsewhere_applies_to_a_running_server);
story!(acknowledgements_carry_the_chain_to_1_1_tills_only);
story!(a_different_record_at_a_held_sequence_is_a_conflict_kept_apart);
story!(hostile_records_are_refused_naming_the_record_and_store_nothing);
story!(record_ids_are_unique_per_tenant);
story!(per_terminal_sync_lag_is_in_the_metrics);
