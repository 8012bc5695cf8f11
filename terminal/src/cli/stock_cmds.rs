//! Stock commands: receive, purchase orders, counts. The work is in
//! `crate::stock` and the till session (`crate::till`); this wires PINs
//! and printing.

use std::path::Path;

use rust_decimal::Decimal;
use serde_json::json;

use super::args::{Cli, CountCommand, PoCommand};
use super::commands::{login, now, open, parse_json, till_as};
use super::read_input;
use super::render::Printer;
use crate::error::TerminalError;
use crate::stock::{self, count::CountScope, count::CountStart};
use crate::till::count::approve_count;

pub(super) fn receive(
    cli: &Cli,
    file: &Path,
    pin: Option<&str>,
    out: &Printer,
) -> Result<(), TerminalError> {
    let request = stock::parse_receive_request(&read_input(file)?)?;
    let outcome = till_as(cli, pin, "the receiving user's")?.receive(&request, now())?;
    out.show(&outcome, || {
        format!(
            "received {} — document {}\n",
            request.supplier, outcome.number
        )
    });
    Ok(())
}

pub(super) fn po(cli: &Cli, action: &PoCommand, out: &Printer) -> Result<(), TerminalError> {
    let mut store = open(cli)?;
    match action {
        PoCommand::Create { file } => {
            let order: stock::NewPurchaseOrder = parse_json("purchase order", &read_input(file)?)?;
            let id = stock::commands::purchase_order_create(&mut store, &order)?;
            out.show(&json!({ "id": id }), || format!("purchase order {id}\n"));
        }
    }
    Ok(())
}

pub(super) fn count(cli: &Cli, action: &CountCommand, out: &Printer) -> Result<(), TerminalError> {
    let mut store = open(cli)?;
    match action {
        CountCommand::Start {
            scope,
            items,
            blind,
            pin,
        } => {
            let user = login(&store, pin.as_deref(), "the counting user's")?;
            let list: Vec<String> = items
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let scope = match scope.as_str() {
                "full" => CountScope::Full,
                "groups" | "group" | "partial" => CountScope::Groups(list),
                "skus" | "sku" | "shelf" => CountScope::Skus(list),
                other => {
                    return Err(TerminalError::input(
                        "--scope",
                        format!("'{other}' — use full, groups or skus"),
                    ));
                }
            };
            let id = stock::count_start(
                &mut store,
                &CountStart {
                    location: None,
                    scope,
                    blind: *blind,
                    started_by: user.login,
                },
            )?;
            out.show(&json!({ "session": id }), || {
                format!("count session {id}\n")
            });
        }
        CountCommand::Add {
            session,
            device,
            sku,
            qty,
        } => {
            let qty: Decimal = qty.parse().map_err(|e| TerminalError::input("--qty", e))?;
            let added = stock::count_add(&mut store, session, device, sku, qty)?;
            out.show(&added, || {
                format!("{sku}: counted {} so far\n", added.counted)
            });
        }
        CountCommand::Review { session } => {
            let review = stock::count_review(&mut store, session)?;
            out.show(&review, || {
                serde_json::to_string_pretty(&review).unwrap_or_default() + "\n"
            });
        }
        CountCommand::Approve {
            session,
            pin,
            approval_pin,
        } => {
            let settings = crate::settings::load(store.conn())?;
            let user = login(&store, pin.as_deref(), "the approving user's")?;
            let approval = super::pin::approval_pin(approval_pin.as_deref())?;
            let session = stock::count::parse_session_id(session)?;
            let approved = approve_count(
                &mut store,
                &settings,
                &user.operator(),
                session,
                approval.as_deref(),
                now(),
            )?;
            out.show(&approved, || {
                format!("count approved — adjustment document {}\n", approved.number)
            });
        }
        CountCommand::Cancel { session } => {
            stock::commands::count_cancel(&mut store, session)?;
            out.show(&json!({ "cancelled": session }), || {
                format!("count session {session} cancelled\n")
            });
        }
    }
    Ok(())
}
