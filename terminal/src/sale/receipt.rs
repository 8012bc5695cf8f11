//! The printed receipt of a completed sale, and printing it AFTER the
//! commit.
//!
//! [`print_receipt`] puts the receipt into the drivers' persistent print
//! queue (a spool directory beside the database, `<db>.print-queue/`) and
//! tries the printer once. A printer that is offline, out of paper or
//! missing never undoes or blocks the sale: the sale was committed before,
//! the job stays queued and the caller only reports it.

use std::path::{Path, PathBuf};

use kasa_domain::money::Money;
use kasa_drivers::printer::{Receipt, TextStyle};
use kasa_drivers::queue::{JobPayload, PrintQueue, QueueConfig, default_profile};
use kasa_drivers::transport::DeviceUri;

use super::SaleResult;
use crate::settings::TillSettings;

fn fixed(m: Money) -> String {
    format!("{:.2}", m.0)
}

/// The receipt of a completed sale.
pub fn receipt_of(settings: &TillSettings, sale: &SaleResult) -> Receipt {
    let mut r = Receipt::new();
    r.text(settings.tenant.clone(), TextStyle::heading());
    r.text(
        format!(
            "{} / {}   № {}",
            settings.store_id, settings.terminal_id, sale.number
        ),
        TextStyle::centered(),
    );
    r.separator();
    for l in &sale.lines {
        r.line(l.name.clone());
        r.row(
            format!("  {} x {}", l.qty.normalize(), fixed(l.unit_price)),
            fixed(l.total),
        );
        if !l.discount.is_zero() {
            r.row("  discount", format!("-{}", fixed(l.discount)));
        }
    }
    r.separator();
    r.row_styled(
        vec!["TOTAL".to_string(), fixed(sale.total)],
        TextStyle::bold(),
    );
    for g in &sale.vat {
        r.row(
            format!("VAT {} {}%", g.class, g.rate_percent.normalize()),
            fixed(g.vat),
        );
    }
    for (kind, amount) in &sale.tenders {
        r.row(kind.clone(), fixed(*amount));
    }
    if !sale.cash_rounding.is_zero() {
        r.row("cash rounding", fixed(sale.cash_rounding));
    }
    if !sale.change.is_zero() {
        r.row("change", fixed(sale.change));
    }
    r.separator();
    r.text(sale.id.to_string(), TextStyle::centered());
    r
}

/// The spool directory of the print queue of the database at `db`.
pub fn queue_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".print-queue");
    db.with_file_name(name)
}

/// What became of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PrintOutcome {
    /// Print job id.
    pub job: u64,
    /// Printed now.
    pub printed: bool,
    /// Why not, when not: `(code, message)`.
    pub error: Option<(String, String)>,
}

/// Queue the receipt for `printer` and try once now. Never fails the sale:
/// errors are returned in the outcome (the job stays queued for a retry or
/// `reprint`).
pub fn print_receipt(db: &Path, printer: &str, receipt: Receipt) -> PrintOutcome {
    let fail = |code: &str, message: String| PrintOutcome {
        job: 0,
        printed: false,
        error: Some((code.to_string(), message)),
    };
    let uri = match DeviceUri::parse(printer) {
        Ok(u) => u,
        Err(e) => return fail(e.code(), e.to_string()),
    };
    let queue = match PrintQueue::open(&queue_dir(db), QueueConfig::default()) {
        Ok(q) => q,
        Err(e) => return fail(e.code(), e.to_string()),
    };
    let job = match queue.enqueue(
        &uri,
        default_profile(),
        JobPayload::Receipt { receipt },
        false,
    ) {
        Ok(id) => id,
        Err(e) => return fail(e.code(), e.to_string()),
    };
    match queue.print_now(job) {
        Ok(()) => PrintOutcome {
            job,
            printed: true,
            error: None,
        },
        Err(e) => PrintOutcome {
            job,
            printed: false,
            error: Some((e.code().to_string(), e.to_string())),
        },
    }
}
