//! `kasa sync …`: enrol with head office (optionally trusting its own CA),
//! set or clear that CA, show the status, run one round. The work is in
//! `crate::sync`; sync errors keep their own codes (`sync.offline`,
//! `sync.tls_untrusted`, …) and exit 2.

use chrono::Utc;
use kasa_domain::ErrorCode;

use super::args::{Cli, SyncCommand};
use super::commands::open;
use super::render::Printer;
use crate::error::TerminalError;
use crate::sync;

pub(super) fn sync(cli: &Cli, action: &SyncCommand, out: &Printer) -> Result<(), TerminalError> {
    // sync errors keep their own codes (`sync.offline`, `sync.server_ahead`, …)
    let failed = |e: sync::SyncError| TerminalError::Device {
        code: e.code(),
        message: e.to_string(),
    };
    let mut store = open(cli)?;
    match action {
        SyncCommand::Enrol {
            server,
            code,
            ca_cert,
        } => {
            if let Some(file) = ca_cert {
                // stored first: enrolment already talks TLS; it stays set if enrolment fails
                let ca = sync::CaCertificate::from_file(file).map_err(failed)?;
                sync::set_ca(store.conn(), &ca).map_err(failed)?;
            }
            let enrolled = sync::enrol(&mut store, server, code).map_err(failed)?;
            out.show(&enrolled, || {
                format!(
                    "enrolled with {} as terminal {} of store {} (tenant {})\n",
                    enrolled.server_url,
                    enrolled.terminal_id,
                    enrolled.store_id,
                    enrolled.tenant_id
                )
            });
        }
        SyncCommand::Reenrol {
            server,
            code,
            terminal,
        } => {
            let done = sync::reenrol(&mut store, server, code, terminal).map_err(failed)?;
            out.show(&done, || {
                format!(
                    "re-enrolled with {} as terminal {} of store {} (was {}): {} records stay with {} at \
                     head office, {} records are this terminal's series and go up with the next sync\n",
                    done.enrolment.server_url,
                    done.enrolment.terminal_id,
                    done.enrolment.store_id,
                    done.previous_terminal_id,
                    done.archived_records,
                    done.previous_terminal_id,
                    done.records_to_upload
                )
            });
        }
        SyncCommand::SetCa { file, clear } => match (file, clear) {
            (Some(file), false) => {
                let ca = sync::CaCertificate::from_file(file).map_err(failed)?;
                sync::set_ca(store.conn(), &ca).map_err(failed)?;
                let count = ca.certificates().len();
                out.show(&serde_json::json!({ "ca_cert": file, "certificates": count }), || {
                    format!(
                        "head office's CA from {} is trusted ({count} certificate(s)), besides the system's roots\n",
                        file.display()
                    )
                });
            }
            _ => {
                let cleared = sync::clear_ca(store.conn()).map_err(failed)?;
                out.show(&serde_json::json!({ "cleared": cleared }), || {
                    "only the system's CA roots are trusted for head office\n".to_owned()
                });
            }
        },
        SyncCommand::Status => {
            let status = sync::status(store.conn(), Utc::now()).map_err(failed)?;
            out.show(&status, || sync::describe_status(&status));
        }
        SyncCommand::Now { max_batch_records } => {
            let mut options = sync::SyncOptions::default();
            if let Some(max) = max_batch_records {
                options.max_batch_records = *max;
            }
            let report = sync::sync_round(&mut store, &options).map_err(failed)?;
            out.show(&report, || {
                let refilled = if report.refilled > 0 {
                    format!(
                        "head office had lost {} records (restored from a backup): sent again; ",
                        report.refilled
                    )
                } else {
                    String::new()
                };
                format!(
                    "{refilled}synced: {} batches, {} records applied, {} already held, head office holds up to seq {}; \
                     {} master-data changes in {} pages\n",
                    report.batches,
                    report.applied,
                    report.duplicates,
                    report.server_acked_seq,
                    report.changes,
                    report.pages
                )
            });
        }
    }
    Ok(())
}
