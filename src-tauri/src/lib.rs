//! # kasa-desktop
//!
//! The thin Tauri 2 shell of the till. It registers long-lived state once
//! ([`state::AppState`]: the store behind a mutex, the devices), exposes
//! the till's use cases as commands ([`commands`], each DTO in →
//! `kasa_terminal` call → DTO out) and publishes typed events
//! (`device-status`, `sync-status`, `scanner-input`; see
//! [`dto::EventName`]). Errors cross as `{code, message, permission}`
//! ([`error::ApiError`]). The UI is the `ui/` Vite build, embedded.

pub mod args;
pub mod commands;
pub mod demo;
pub mod devices;
pub mod dto;
pub mod error;
pub mod receipt;
pub mod state;
pub mod views;
#[cfg(test)]
mod wedge_parity;

use std::time::Duration;

use tauri::{Emitter, Manager};

use crate::dto::EventName;

/// Publish the sync status every 5 s when it changes (a read-only
/// connection of its own, so it never waits on a sale).
fn spawn_sync_status_thread(app: tauri::AppHandle, db: std::path::PathBuf) {
    let spawned = std::thread::Builder::new()
        .name("kasa-sync-status".into())
        .spawn(move || {
            let mut last = None;
            loop {
                let status = rusqlite::Connection::open_with_flags(
                    &db,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .map_err(error::ApiError::from)
                .and_then(|c| commands::system::sync_status_of(&c));
                if let Ok(s) = status
                    && last.as_ref() != Some(&s)
                {
                    let _ = app.emit(EventName::SyncStatus.as_str(), &s);
                    last = Some(s);
                }
                std::thread::sleep(Duration::from_secs(5));
            }
        });
    if let Err(e) = spawned {
        eprintln!("kasa-desktop: cannot start the sync status thread: {e}");
    }
}

/// Start the app with the process's arguments.
pub fn run() {
    let started = std::time::Instant::now();
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let state = match state::AppState::open(&args.data_dir, args.demo, started) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error[{}]: {}", e.code, e.message);
            std::process::exit(1);
        }
    };
    let devices = state.devices.clone();
    let db = state.data_dir.join("kasa.db");
    let scanner = args.scanner.clone();
    let result = tauri::Builder::default()
        .manage(state)
        .setup(move |app| {
            let handle = app.handle().clone();
            devices::spawn_status_thread(handle.clone(), devices);
            spawn_sync_status_thread(handle.clone(), db);
            if let Some(uri) = scanner {
                devices::spawn_serial_scanner(handle, uri);
            }
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.set_focus();
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session::session,
            commands::session::login,
            commands::session::logout,
            commands::session::wedge_thresholds,
            commands::session::ui_ready,
            commands::sale::current_sale,
            commands::sale::scan,
            commands::sale::search,
            commands::sale::set_quantity,
            commands::sale::discount_line,
            commands::sale::discount_receipt,
            commands::sale::override_price,
            commands::sale::void_line,
            commands::sale::void_sale,
            commands::sale::park,
            commands::sale::list_parked,
            commands::sale::recall,
            commands::sale::set_customer,
            commands::payment::add_tender,
            commands::payment::remove_tender,
            commands::payment::complete_sale,
            commands::payment::last_receipt,
            commands::payment::reprint_last,
            commands::returns::find_sale,
            commands::returns::make_return,
            commands::shift::open_shift,
            commands::shift::cash_movement,
            commands::shift::no_sale,
            commands::shift::x_report,
            commands::shift::close_shift,
            commands::stock::resolve_code,
            commands::stock::count_start,
            commands::stock::count_current,
            commands::stock::count_add,
            commands::stock::count_review,
            commands::stock::count_approve,
            commands::stock::receive,
            commands::system::sync_status,
            commands::system::devices,
            commands::system::printer_status,
            commands::system::set_printer,
            commands::system::test_print,
            commands::system::open_drawer,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("error[desktop.tauri]: the window could not start: {e}");
        std::process::exit(1);
    }
}
