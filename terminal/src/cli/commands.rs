//! One function per command: open the store, call the use case, print.

use std::io::Write;

use chrono::Utc;
use kasa_domain::ErrorCode;
use kasa_domain::money::Money;
use kasa_domain::permission::Role;
use serde_json::json;

use super::args::*;
use super::pin::{approval_pin, user_pin};
use super::render::Printer;
use super::stdout::Stdout;
use super::{open_file, read_input};
use crate::catalog;
use crate::documents::journal::{self, ExportFormat};
use crate::documents::{DocumentError, outbox};
use crate::error::TerminalError;
use crate::sale::{self, returns::ReturnScript, script::SaleScript};
use crate::settings::{self, TillSettings, vat_preset};
use crate::shift;
use crate::stock;
use crate::store::Store;
use crate::till::TillSession;
use crate::users;

pub(crate) fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

/// Open the till database, which must exist (see [`Store::open_existing`]).
pub(crate) fn open(cli: &Cli) -> Result<Store, TerminalError> {
    Ok(Store::open_existing(cli.db_path())?)
}

/// Log in the user whose PIN comes from `--pin`, the environment or a
/// prompt (see `super::pin`); `who` names them in the prompt.
pub(crate) fn login(
    store: &Store,
    flag: Option<&str>,
    who: &str,
) -> Result<users::User, TerminalError> {
    let pin = user_pin(flag, who)?;
    Ok(users::login_by_pin(store.conn(), &pin, now())?)
}

pub(crate) fn parse_money(what: &str, text: &str) -> Result<Money, TerminalError> {
    Money::parse(text).map_err(|e| TerminalError::input(what, e))
}

/// Dispatch a command.
pub fn run(cli: Cli) -> Result<(), TerminalError> {
    let out = Printer { json: cli.json };
    match &cli.command {
        Command::Init(a) => init(&cli, a, &out),
        Command::Import { what } => import(&cli, what, &out),
        Command::User { action } => user(&cli, action, &out),
        Command::Shift { action } => shift_cmd(&cli, action, &out),
        Command::Sell { file, print } => {
            super::print_cmds::sell(&cli, file, print.as_deref(), &out)
        }
        Command::PrintReceipt { number, printer } => {
            super::print_cmds::print_receipt(&cli, number, printer, &out)
        }
        Command::PrintQueue { action } => super::print_cmds::print_queue(&cli, action, &out),
        Command::SellLoop { file, count } => sell_loop(&cli, file, *count),
        Command::Return { file } => {
            let mut store = open(&cli)?;
            let settings = settings::load(store.conn())?;
            let script: ReturnScript = parse_json("return script", &read_input(file)?)?;
            let done = sale::returns::run_return_script(&mut store, &settings, &script, now())?;
            out.show(&done, || done.describe());
            Ok(())
        }
        Command::Parked { action } => match action {
            ParkedCommand::List => {
                let store = open(&cli)?;
                let parked = sale::parked::list_parked(store.conn())?;
                out.show(&parked, || {
                    let mut s = String::new();
                    for p in &parked {
                        s.push_str(&format!(
                            "{}  {}  {}  {} lines\n",
                            p.id, p.parked_at, p.cashier, p.lines
                        ));
                    }
                    if parked.is_empty() {
                        s.push_str("no parked sales\n");
                    }
                    s
                });
                Ok(())
            }
        },
        Command::Receive { file, pin } => {
            super::stock_cmds::receive(&cli, file, pin.as_deref(), &out)
        }
        Command::Po { action } => super::stock_cmds::po(&cli, action, &out),
        Command::Count { action } => super::stock_cmds::count(&cli, action, &out),
        Command::Stock(a) => stock_cmd(&cli, a, &out),
        Command::Report { which } => report(&cli, which, &out),
        Command::Journal { action } => journal_cmd(&cli, action, &out),
        Command::Outbox { limit } => {
            let store = open(&cli)?;
            let queued = outbox::queued_count(store.conn()).map_err(DocumentError::from)?;
            let records = outbox::pending(store.conn(), 0, *limit).map_err(DocumentError::from)?;
            let value = json!({ "queued": queued, "records": records });
            out.show(&value, || {
                let mut s = format!("{queued} records queued for head office\n");
                for r in &records {
                    s.push_str(&format!(
                        "{:>6} {:<4} {} {} {}\n",
                        r.seq,
                        r.kind,
                        r.payload["number"].as_str().unwrap_or(""),
                        r.record_id,
                        r.status
                    ));
                }
                s
            });
            Ok(())
        }
        Command::Sync { action } => super::sync_cmds::sync(&cli, action, &out),
        Command::Device(cmd) => {
            let text = kasa_drivers::cli::run(cmd.clone()).map_err(|e| TerminalError::Device {
                code: e.code(),
                message: e.to_string(),
            })?;
            out.show(&json!({ "result": text }), || {
                if text.ends_with('\n') {
                    text.clone()
                } else {
                    format!("{text}\n")
                }
            });
            Ok(())
        }
    }
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, TerminalError> {
    serde_json::from_str(text).map_err(|e| TerminalError::input(what, e))
}

fn init(cli: &Cli, a: &InitArgs, out: &Printer) -> Result<(), TerminalError> {
    let mut s = TillSettings::new(&a.store, &a.terminal);
    if let Some(path) = &a.demo_config {
        s.apply_config_file(path)?;
    }
    if let Some(c) = &a.currency {
        s.currency = c
            .parse()
            .map_err(|e| TerminalError::input("--currency", e))?;
        s.cash_rounding = kasa_domain::money::CashRounding::none(s.currency);
    }
    if let Some(v) = &a.vat {
        s.vat = vat_preset(v)?;
        s.vat_preset = v.clone();
    }
    // The one command that creates the database.
    let store = Store::open(cli.db_path())?;
    s.save_new(store.conn())?;
    out.show(&s, || {
        format!(
            "initialised {} for store {} terminal {} ({}, VAT {}, {:?} prices)\n",
            cli.db_path().display(),
            s.store_id,
            s.terminal_id,
            s.currency,
            s.vat_preset,
            s.price_mode
        )
    });
    Ok(())
}

fn import(cli: &Cli, what: &ImportCommand, out: &Printer) -> Result<(), TerminalError> {
    let mut store = open(cli)?;
    let settings = settings::load(store.conn())?;
    let json = cli.json;
    let progress = |p: catalog::ImportProgress| {
        if !json && (p.done || p.rows_read.is_multiple_of(50_000)) {
            eprint!(
                "\r{} rows read, {} imported, {} rejected{}",
                p.rows_read,
                p.rows_imported,
                p.rows_rejected,
                if p.done { "\n" } else { "" }
            );
        }
    };
    let report = match what {
        ImportCommand::Products { file } => {
            let options = catalog::ImportOptions {
                vat: settings.vat.clone(),
                ..catalog::ImportOptions::default()
            };
            catalog::import_products_with(&mut store, open_file(file)?, &options, progress)?
        }
        ImportCommand::Prices { file } => {
            catalog::import_price_tiers(&mut store, open_file(file)?, progress)?
        }
        ImportCommand::Promotions { file } => {
            catalog::import_promotions(&mut store, open_file(file)?, progress)?
        }
        ImportCommand::Customers { file } => {
            catalog::import_customers(&mut store, open_file(file)?, progress)?
        }
        ImportCommand::Users { file } => return import_users(&mut store, file, out),
    };
    let rejected: Vec<_> = report
        .rejected
        .iter()
        .map(|r| json!({"line": r.line, "key": r.key, "code": r.code, "message": r.message}))
        .collect();
    let value = json!({
        "rows_read": report.rows_read,
        "inserted": report.inserted,
        "updated": report.updated,
        "rejected_total": report.rejected_total,
        "rejected": rejected,
    });
    out.show(&value, || {
        let mut s = format!(
            "{} rows read: {} inserted, {} updated, {} rejected\n",
            report.rows_read, report.inserted, report.updated, report.rejected_total
        );
        for r in report.rejected.iter().take(20) {
            s.push_str(&format!(
                "  line {} [{}] {}: {}\n",
                r.line, r.code, r.key, r.message
            ));
        }
        s
    });
    Ok(())
}

fn import_users(
    store: &mut Store,
    file: &std::path::Path,
    out: &Printer,
) -> Result<(), TerminalError> {
    let (rows, rejected) = catalog::parse_users(open_file(file)?)?;
    let mut added = Vec::new();
    let mut refused = Vec::new();
    for r in rejected {
        refused.push(json!({"line": r.line, "key": r.key, "code": r.code, "message": r.message}));
    }
    for row in rows {
        match users::add_user(
            store.conn(),
            &row.login,
            &row.name,
            row.role,
            &row.pin,
            now(),
        ) {
            Ok(u) => added.push(u.login),
            Err(e) => refused.push(json!({
                "line": row.line, "key": row.login, "code": e.code(), "message": e.to_string()
            })),
        }
    }
    let value = json!({"added": added, "rejected": refused});
    out.show(&value, || {
        let mut s = format!("{} users added, {} rejected\n", added.len(), refused.len());
        for r in &refused {
            s.push_str(&format!("  {r}\n"));
        }
        s
    });
    Ok(())
}

fn user(cli: &Cli, action: &UserCommand, out: &Printer) -> Result<(), TerminalError> {
    let store = open(cli)?;
    match action {
        UserCommand::Add {
            login,
            name,
            role,
            pin,
        } => {
            let role: Role =
                role.parse()
                    .map_err(|e: kasa_domain::permission::PermissionError| {
                        TerminalError::from(users::UserError::from(e))
                    })?;
            let pin = user_pin(pin.as_deref(), &format!("{login}'s new"))?;
            let u = users::add_user(store.conn(), login, name, role, &pin, now())?;
            out.show(&u, || {
                format!("added {} ({}, {})\n", u.login, u.name, u.role)
            });
        }
        UserCommand::List => {
            let list = users::list_users(store.conn())?;
            out.show(&list, || {
                list.iter()
                    .map(|u| format!("{:<12} {:<8} {}\n", u.login, u.role.name(), u.name))
                    .collect()
            });
        }
        UserCommand::Audit => {
            let log = users::audit_log(store.conn()).map_err(users::UserError::from)?;
            out.show(&log, || {
                log.iter()
                    .map(|r| {
                        format!(
                            "{} {:<10} {:<22} {} {} {}\n",
                            r.at,
                            r.actor,
                            r.action,
                            r.approved_by
                                .as_deref()
                                .map(|a| format!("approved by {a}"))
                                .unwrap_or_default(),
                            r.document_id.as_deref().unwrap_or(""),
                            r.detail
                        )
                    })
                    .collect()
            });
        }
    }
    Ok(())
}

/// The till session of one CLI command: the store, logged in with `pin`.
/// The till session of the user whose PIN comes from `--pin`, the
/// environment or a prompt (see `super::pin`); `who` names them in the prompt.
pub(crate) fn till_as(
    cli: &Cli,
    pin: Option<&str>,
    who: &str,
) -> Result<TillSession, TerminalError> {
    let store = open(cli)?;
    let settings = settings::load(store.conn())?;
    let pin = user_pin(pin, who)?;
    let mut till = TillSession::new(store, settings);
    till.login(&pin, now())?;
    Ok(till)
}

fn shift_cmd(cli: &Cli, action: &ShiftCommand, out: &Printer) -> Result<(), TerminalError> {
    let at = now();
    match action {
        ShiftCommand::Open { float, pin } => {
            let float = parse_money("--float", float)?;
            let mut till = till_as(cli, pin.as_deref(), "the opening user's")?;
            let done = till.open_shift(float, at)?;
            let login = &till.user()?.login;
            out.show(&done, || {
                format!("shift opened by {login} with float {float}\n")
            });
        }
        ShiftCommand::CashIn(a) | ShiftCommand::CashOut(a) => {
            let amount = parse_money("--amount", &a.amount)?;
            let out_of_drawer = matches!(action, ShiftCommand::CashOut(_));
            let mut till = till_as(cli, a.pin.as_deref(), "your")?;
            let approval = approval_pin(a.approval_pin.as_deref())?;
            let done =
                till.cash_movement(out_of_drawer, amount, &a.reason, approval.as_deref(), at)?;
            out.show(&done, || {
                format!(
                    "cash {} {} ({}) — document {}\n",
                    if out_of_drawer { "out" } else { "in" },
                    amount,
                    a.reason,
                    done.number
                )
            });
        }
        ShiftCommand::NoSale { pin, reason } => {
            let done = till_as(cli, pin.as_deref(), "your")?.no_sale(reason, at)?;
            out.show(&done, || {
                format!("drawer opened (no sale) — document {}\n", done.number)
            });
        }
        ShiftCommand::X => {
            let store = open(cli)?;
            let settings = settings::load(store.conn())?;
            let report = shift::x_report(store.conn(), &settings, at)?;
            out.show(&report, || report.describe());
        }
        ShiftCommand::Close {
            counted,
            blind,
            pin,
        } => {
            let counted = shift::parse_counted(counted)?;
            let z = till_as(cli, pin.as_deref(), "the closing user's")?
                .close_shift(&counted, *blind, at)?;
            let view = shift::ZView::of(&z, *blind);
            out.show(&view, || view.describe());
        }
    }
    Ok(())
}

fn report(cli: &Cli, which: &ReportCommand, out: &Printer) -> Result<(), TerminalError> {
    let store = open(cli)?;
    let settings = settings::load(store.conn())?;
    match which {
        ReportCommand::X => {
            let report = shift::x_report(store.conn(), &settings, now())?;
            out.show(&report, || report.describe());
        }
        ReportCommand::Z { number } => {
            let z = shift::stored_z_report(store.conn(), &settings, number.as_deref())?;
            let view = shift::ZView::of(&z, false);
            out.show(&view, || view.describe());
        }
    }
    Ok(())
}

fn stock_cmd(cli: &Cli, a: &StockArgs, out: &Printer) -> Result<(), TerminalError> {
    let mut store = open(cli)?;
    match a.action {
        Some(StockCommand::Rebuild) => {
            let filter = stock::StockFilter::default();
            let before = stock::list_stock(store.conn(), &filter)?;
            let summary = stock::rebuild(store.conn_mut())?;
            let after = stock::list_stock(store.conn(), &filter)?;
            let same = before == after;
            let value = json!({"summary": summary, "cache_was_consistent": same});
            out.show(&value, || {
                format!(
                    "rebuilt {} positions and {} batches from {} movements; the cache {}\n",
                    summary.positions,
                    summary.batches,
                    summary.movements,
                    if same {
                        "was already identical"
                    } else {
                        "differed and was corrected"
                    }
                )
            });
        }
        Some(StockCommand::Verify) => {
            let diffs = stock::stock_verify(&store)?;
            out.show(&diffs, || {
                let mut s = String::new();
                for d in &diffs {
                    s.push_str(&format!(
                        "{:<14} {:<6} {:<12} {}\n",
                        d.sku,
                        d.location,
                        d.batch.as_deref().unwrap_or("-"),
                        d.detail
                    ));
                }
                if diffs.is_empty() {
                    s.push_str("stock OK: the on-hand cache equals the sum of the movements\n");
                }
                s
            });
            if let Some(first) = diffs.first() {
                return Err(TerminalError::StockCacheDiffers {
                    count: diffs.len(),
                    first: format!("{} at {}: {}", first.sku, first.location, first.detail),
                });
            }
        }
        None => {
            let currency = crate::settings::load(store.conn())?.currency;
            let filter = stock::StockFilter {
                sku: a.product.clone(),
                ..stock::StockFilter::default()
            };
            let levels = stock::list_stock(store.conn(), &filter)?;
            out.show(&levels, || {
                let mut s = format!(
                    "{:<14} {:<6} {:>12} {:>10} {:>10}\n",
                    "sku", "loc", "qty", "avg cost", "last cost"
                );
                for l in &levels {
                    s.push_str(&format!(
                        "{:<14} {:<6} {:>12} {:>10} {:>10}{}\n",
                        l.sku,
                        l.location,
                        l.qty.normalize().to_string(),
                        l.avg_cost.to_fixed(currency),
                        l.last_purchase_cost
                            .map(|c| c.to_fixed(currency))
                            .unwrap_or_else(|| "-".to_string()),
                        if l.qty.is_sign_negative() && !l.qty.is_zero() {
                            "  NEGATIVE"
                        } else {
                            ""
                        }
                    ));
                }
                s
            });
        }
    }
    Ok(())
}

fn journal_cmd(cli: &Cli, action: &JournalCommand, out: &Printer) -> Result<(), TerminalError> {
    let store = open(cli)?;
    match action {
        JournalCommand::Verify => {
            let report = journal::verify(store.conn())?;
            out.show(&report, || {
                format!(
                    "journal OK: {} entries, head hash {}\n",
                    report.entries, report.head_hash
                )
            });
        }
        JournalCommand::Export { format, out: path } => {
            let format = match format {
                ExportFormatArg::Jsonl => ExportFormat::JsonLines,
                ExportFormatArg::Csv => ExportFormat::Csv,
            };
            let n = match path {
                Some(p) => {
                    let mut f = std::fs::File::create(p).map_err(|source| TerminalError::Io {
                        path: p.display().to_string(),
                        source,
                    })?;
                    let n = journal::export(store.conn(), format, &mut f)?;
                    f.sync_all().map_err(|source| TerminalError::Io {
                        path: p.display().to_string(),
                        source,
                    })?;
                    n
                }
                None => {
                    let mut lock = Stdout::lock();
                    let n = journal::export(store.conn(), format, &mut lock)?;
                    lock.flush().map_err(|source| TerminalError::Io {
                        path: "stdout".to_string(),
                        source,
                    })?;
                    n
                }
            };
            eprintln!("{n} journal entries exported");
        }
    }
    Ok(())
}

fn sell_loop(cli: &Cli, file: &std::path::Path, count: u64) -> Result<(), TerminalError> {
    let mut store = open(cli)?;
    let settings = settings::load(store.conn())?;
    let script: SaleScript = parse_json("sale script", &read_input(file)?)?;
    // Log in once: the loop measures selling, not PIN hashing.
    let people = sale::script::ScriptPeople::resolve(store.conn(), &script, now())?;
    let mut done_count = 0u64;
    loop {
        let done =
            sale::script::run_sale_script_as(&mut store, &settings, &script, &people, now())?;
        // Printed only after the commit: every number printed is durable.
        let mut lock = Stdout::lock();
        let _ = writeln!(lock, "{}", done.number);
        let _ = lock.flush();
        done_count += 1;
        if count != 0 && done_count >= count {
            return Ok(());
        }
    }
}
