//! Stock commands: receive, purchase orders, counts. The work is in
//! `crate::stock`; this wires PINs and printing.

use std::path::Path;

use kasa_domain::permission::{Permission, authorize};
use rust_decimal::Decimal;
use serde_json::json;

use super::args::{Cli, CountCommand, PoCommand};
use super::commands::{login, now, open, parse_json};
use super::read_input;
use super::render::Printer;
use crate::error::TerminalError;
use crate::stock::{self, count::CountScope, count::CountStart};
use crate::users::{self, UserError};

pub(super) fn receive(
    cli: &Cli,
    file: &Path,
    pin: Option<&str>,
    out: &Printer,
) -> Result<(), TerminalError> {
    let mut store = open(cli)?;
    let user = login(&store, pin, "the receiving user's")?;
    let request = stock::parse_receive_request(&read_input(file)?)?;
    let outcome = stock::receive(&mut store, &request, &user.login)?;
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
        CountCommand::Approve { session, pin } => {
            let user = login(&store, pin.as_deref(), "the approving manager's")?;
            let operator = user.operator();
            authorize(&operator, Permission::ApproveCount, None).map_err(UserError::from)?;
            let approved = stock::count_approve(&mut store, session, &operator)?;
            users::audit(
                store.conn(),
                &users::AuditEntry {
                    at: now(),
                    actor: &user.login,
                    action: "count.approve",
                    approved_by: Some(&user.login),
                    document_id: Some(approved.document_id),
                    detail: json!({ "session": session }),
                },
            )
            .map_err(UserError::from)?;
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
