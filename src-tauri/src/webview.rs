//! WebKitGTK settings for the till's one window: no hardware
//! acceleration (`HardwareAccelerationPolicy::Never`).
//!
//! With accelerated compositing WebKit paints through OpenGL; where no
//! GPU driver is in use (Xvfb, the virtual machines and thin clients
//! many tills are) that is Mesa's llvmpipe on the CPU, and the frame
//! after a sale line is added took 70–230 ms once the line list
//! scrolled (measured: scan → painted p99 201–324 ms composited,
//! 12–17 ms not; BENCHMARKS.md). The composited web process also held
//! ~95 MB more resident memory. The till's screens are a table, a few
//! buttons and dialogs: the CPU paints them in a few milliseconds. A
//! till with a real GPU can opt back in with `KASA_WEBVIEW_GPU=1`
//! (WebKit's own default policy is then kept).
//!
//! [`crate::process_env`] also starts the processes with
//! `WEBKIT_DISABLE_COMPOSITING_MODE=1`, which is what makes the web
//! process start uncomposited (this setting arrives after the page has
//! started); the setting here keeps the policy when that re-exec is
//! turned off (`KASA_NO_REEXEC=1`).
//!
//! Not adopted: the `DocumentViewer` cache model and turning the page
//! cache off (not measured to help within the time given; one page,
//! no navigation); developer extras are already off in release builds
//! (wry enables them only with devtools).

/// Apply the settings to the main window's webview (called once from
/// the app's setup hook). A failure is logged, not fatal: the till
/// still works with WebKit's defaults, only slower and larger.
pub fn configure<R: tauri::Runtime>(app: &tauri::App<R>) {
    use tauri::Manager;
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let gpu = std::env::var_os("KASA_WEBVIEW_GPU").is_some_and(|v| v == "1");
    if gpu {
        return;
    }
    if let Err(e) = window.with_webview(apply) {
        eprintln!("kasa-desktop: webview settings not applied ({e}); WebKit defaults are used");
    }
}

#[cfg(target_os = "linux")]
fn apply(w: tauri::webview::PlatformWebview) {
    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
    if let Some(settings) = WebViewExt::settings(&w.inner()) {
        settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
    }
}

#[cfg(not(target_os = "linux"))]
fn apply(_: tauri::webview::PlatformWebview) {}
