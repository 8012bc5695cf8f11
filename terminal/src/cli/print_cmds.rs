//! Receipts and the print queue: `sell --print`, `print-receipt`,
//! `print-queue list|retry|drop`. Every print goes through the till's one
//! spool (`crate::devices::spool`), so what waits for a printer is sent
//! first, oldest first; a printer problem never undoes a sale.

use kasa_drivers::transport::DeviceUri;
use serde_json::json;

use super::args::{Cli, PrintQueueCommand};
use super::commands::{now, open, parse_json};
use super::read_input;
use super::render::Printer;
use crate::devices::spool::SpoolJob;
use crate::devices::status::probe_timeouts;
use crate::devices::{DeviceError, PrintOutcome, PrintState, TillSpool};
use crate::error::TerminalError;
use crate::sale::{self, script::SaleScript};
use crate::settings;

fn device_error(e: DeviceError) -> TerminalError {
    use kasa_domain::ErrorCode;
    TerminalError::Device {
        code: e.code(),
        message: e.to_string(),
    }
}

/// A printer address, checked (syntax and kind of connection) before
/// anything is done with it.
fn printer_uri(text: &str) -> Result<DeviceUri, TerminalError> {
    DeviceUri::parse(text).map_err(|e| TerminalError::Device {
        code: e.code(),
        message: format!("{e}; nothing was done"),
    })
}

fn spool(cli: &Cli) -> Result<TillSpool, TerminalError> {
    // A till's spool is only opened for a till that exists.
    drop(open(cli)?);
    TillSpool::open(&cli.db_path(), probe_timeouts()).map_err(device_error)
}

/// `kasa sell FILE [--print URI]`: the printer address is checked before
/// the sale; the receipt is printed after the commit.
pub(super) fn sell(
    cli: &Cli,
    file: &std::path::Path,
    print: Option<&str>,
    out: &Printer,
) -> Result<(), TerminalError> {
    let printer = print.map(printer_uri).transpose()?;
    let mut store = open(cli)?;
    let settings = settings::load(store.conn())?;
    let script: SaleScript = parse_json("sale script", &read_input(file)?)?;
    let done = sale::script::run_sale_script(&mut store, &settings, &script, now())?;
    // The sale is committed; printing cannot change that.
    out.show(&done, || done.describe());
    if let (Some(printer), "completed") = (printer, done.status) {
        let receipt = sale::receipt::receipt_of(&settings, &done);
        let outcome = match TillSpool::open(&cli.db_path(), probe_timeouts()) {
            Ok(spool) => spool.print_now(&printer, receipt, false),
            Err(e) => {
                eprintln!(
                    "warning[{}]: {e} — the sale {} is complete; reprint it with `kasa print-receipt {}`",
                    kasa_domain::ErrorCode::code(&e),
                    done.number,
                    done.number
                );
                return Ok(());
            }
        };
        report_print(&outcome, &done.number);
    }
    Ok(())
}

fn report_print(outcome: &PrintOutcome, number: &str) {
    let job = outcome.job.unwrap_or_default();
    match (&outcome.state, &outcome.error) {
        (PrintState::Printed, _) => eprintln!("receipt printed (job {job})"),
        (_, Some(e)) => eprintln!(
            "warning[{}]: {} — the sale {number} is complete; the receipt is queued (job {job}) \
             and prints before the next one, or with `kasa print-queue retry {job}`",
            e.code, e.message
        ),
        (_, None) => eprintln!("the receipt is queued (job {job})"),
    }
}

/// `kasa print-receipt NUMBER --printer URI`: a copy of a stored sale or return.
pub(super) fn print_receipt(
    cli: &Cli,
    number: &str,
    printer: &str,
    out: &Printer,
) -> Result<(), TerminalError> {
    let printer = printer_uri(printer)?;
    let store = open(cli)?;
    let settings = settings::load(store.conn())?;
    let doc = sale::receipt::find_receipt_document(store.conn(), &settings, number)?;
    let spool = spool(cli)?;
    let outcome = spool.print_now(&printer, sale::receipt::receipt_of(&settings, &doc), true);
    let job = outcome.job.unwrap_or_default();
    match (outcome.state, outcome.error) {
        (PrintState::Printed, _) => {
            out.show(
                &json!({ "number": doc.number, "sale_number": doc.sale_number,
                         "job": job, "printed": true }),
                || format!("copy of {} printed (job {job})\n", doc.number),
            );
            Ok(())
        }
        (_, error) => {
            let (code, message) = error
                .map(|e| (e.code, e.message))
                .unwrap_or_else(|| ("queue.queued".to_string(), "not sent yet".to_string()));
            Err(TerminalError::Device {
                code: "printer.copy_not_printed",
                message: format!(
                    "the copy of {} was not printed: [{code}] {message} — it stays queued \
                     (job {job}); fix the printer, then `kasa print-queue retry {job}`",
                    doc.number
                ),
            })
        }
    }
}

fn job_line(j: &SpoolJob) -> String {
    format!(
        "{:>6}  {:<8} {:<5} {:>2} tries  {}{}\n",
        j.id,
        j.state,
        if j.copy { "copy" } else { "" },
        j.attempts,
        j.printer,
        j.error
            .as_ref()
            .map(|e| format!("  [{}] {}", e.code, e.message))
            .unwrap_or_default()
    )
}

/// `kasa print-queue list|retry|drop`.
pub(super) fn print_queue(
    cli: &Cli,
    action: &PrintQueueCommand,
    out: &Printer,
) -> Result<(), TerminalError> {
    let spool = spool(cli)?;
    match action {
        PrintQueueCommand::List => {
            let jobs = spool.jobs();
            out.show(&jobs, || {
                let waiting = jobs.iter().filter(|j| j.state != "printed").count();
                let mut s = format!("{waiting} print jobs waiting, {} in all\n", jobs.len());
                s.extend(jobs.iter().map(job_line));
                s
            });
            Ok(())
        }
        PrintQueueCommand::Retry { job } => {
            let outcome = spool.retry(*job).map_err(device_error)?;
            match (&outcome.state, &outcome.error) {
                (PrintState::Printed, _) => {
                    out.show(&outcome, || format!("job {job} printed\n"));
                    Ok(())
                }
                (_, error) => Err(TerminalError::Device {
                    code: "printer.not_printed",
                    message: format!(
                        "job {job} was not printed: {} — it stays queued; fix the printer and retry",
                        error
                            .as_ref()
                            .map(|e| format!("[{}] {}", e.code, e.message))
                            .unwrap_or_default()
                    ),
                }),
            }
        }
        PrintQueueCommand::Drop { job } => {
            spool.drop_job(*job).map_err(device_error)?;
            out.show(&json!({ "dropped": job }), || {
                format!("job {job} dropped: it will not be printed\n")
            });
            Ok(())
        }
    }
}
