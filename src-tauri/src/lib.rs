//! # kasa-desktop
//!
//! The thin Tauri 2 shell of the till. It registers long-lived state once
//! ([`state::AppState`]: the store behind a mutex, the devices), exposes
//! the till's use cases as commands ([`commands`], each DTO in →
//! `kasa_terminal` call → DTO out) and publishes typed events
//! (`device-status`, `sync-status`, `scanner-input`; see
//! [`dto::EventName`]) and runs the till's sync with head office
//! ([`sync`]; in `--demo` with a head office in-process,
//! [`demo_head_office`]). Errors cross as `{code, message, permission}`
//! ([`error::ApiError`]). The UI is the `ui/` Vite build, embedded.

pub mod args;
pub mod commands;
pub mod demo;
pub mod demo_head_office;
pub mod devices;
pub mod dto;
pub mod error;
pub mod last_receipt;
pub mod process_env;
pub mod receipt;
pub mod state;
pub mod sync;
pub mod views;
pub mod webview;
#[cfg(test)]
mod wedge_parity;

use tauri::{Emitter, Manager};

use crate::dto::EventName;

/// Start syncing: in `--demo` first the in-process head office (enrolling
/// the till on the first run), then the loop if the till is enrolled. Runs
/// on a thread of its own so the window never waits for it.
fn spawn_sync_start(app: tauri::AppHandle, demo: bool) {
    let spawned = std::thread::Builder::new()
        .name("kasa-sync-start".into())
        .spawn(move || {
            let state = app.state::<state::AppState>();
            if demo {
                let started = demo_head_office::DemoHeadOffice::start(&state.data_dir)
                    .and_then(|office| office.connect_till(&state.db_path()).map(|()| office));
                match started {
                    Ok(office) => {
                        eprintln!(
                            "kasa-desktop: demo head office at {} (admin token in {})",
                            office.url(),
                            office
                                .dir()
                                .join(demo_head_office::ADMIN_TOKEN_FILE)
                                .display()
                        );
                        *state.head_office.lock().unwrap_or_else(|p| p.into_inner()) = Some(office);
                    }
                    Err(e) => {
                        eprintln!("kasa-desktop: error[{}]: {}", e.code, e.message);
                        state.sync.set_local_error(Some(e));
                    }
                }
            }
            if let Err(e) = state.sync.start_if_enrolled() {
                eprintln!("kasa-desktop: error[{}]: {}", e.code, e.message);
                state.sync.set_local_error(Some(e));
            }
        });
    if let Err(e) = spawned {
        eprintln!("kasa-desktop: cannot start syncing: {e}");
    }
}

/// On exit: stop the sync loop after its round, then the demo head office.
fn stop_sync(app: &tauri::AppHandle) {
    let state = app.state::<state::AppState>();
    if state.sync.stop() {
        eprintln!("kasa-desktop: sync stopped");
    }
    let office = state
        .head_office
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(office) = office {
        // its runtime is shut down off the event loop's thread
        let _ = std::thread::spawn(move || office.stop()).join();
    }
}

/// Start the app with the process's arguments.
pub fn run() {
    process_env::reexec_with_till_env();
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
    let sync = state.sync.clone();
    let demo = args.demo;
    let scanner = args.scanner.clone();
    let result = tauri::Builder::default()
        .manage(state)
        .setup(move |app| {
            webview::configure(app);
            let handle = app.handle().clone();
            devices::spawn_status_thread(handle.clone(), devices);
            let events = handle.clone();
            sync.spawn_publisher(move |view| {
                let _ = events.emit(EventName::SyncStatus.as_str(), view);
            });
            spawn_sync_start(handle.clone(), demo);
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
            commands::system::sync_now,
            commands::system::sync_enrol,
            commands::system::printer_status,
            commands::devices::device_settings,
            commands::devices::save_devices,
            commands::devices::device_test_print,
            commands::devices::device_open_drawer,
            commands::devices::read_scale,
            commands::devices::scan_weighed,
        ])
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                stop_sync(handle);
            }
        }),
        Err(e) => {
            eprintln!("error[desktop.tauri]: the window could not start: {e}");
            std::process::exit(1);
        }
    }
}
