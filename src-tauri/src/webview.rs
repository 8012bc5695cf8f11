//! WebKitGTK settings for the till's one window.
//!
//! The till shows one local page that never navigates, so the browser
//! features a web browser needs cost memory and frames for nothing:
//!
//! - **Hardware acceleration off** (`HardwareAccelerationPolicy::Never`).
//!   With accelerated compositing WebKit paints through OpenGL; where no
//!   GPU driver is in use (Xvfb, the virtual machines and thin clients
//!   many tills are) that is Mesa's llvmpipe on the CPU, and the frame
//!   after a sale line is added took 70–230 ms once the line list
//!   scrolled (measured: scan → painted p99 201 ms composited, 30 ms
//!   not; BENCHMARKS.md). The composited web process also held ~95 MB
//!   more resident memory. A till with a real GPU can opt back in with
//!   `KASA_WEBVIEW_GPU=1` (WebKit's own default policy is then kept).
//! - **Cache model `DocumentViewer`**: no memory cache for other pages,
//!   no back/forward page cache — there is one page and no navigation.
//! - **No developer extras in release builds** (the inspector keeps
//!   its own state in the web process).
//!
//! Everything here is a WebKit setting on Linux; other platforms keep
//! their webview's defaults.

/// Apply the settings to the main window's webview (called once from
/// the app's setup hook). A failure is logged, not fatal: the till
/// still works with WebKit's defaults, only slower and larger.
pub fn configure<R: tauri::Runtime>(app: &tauri::App<R>) {
    use tauri::Manager;
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let gpu = std::env::var_os("KASA_WEBVIEW_GPU").is_some_and(|v| v == "1");
    if let Err(e) = window.with_webview(move |w| apply(&w, gpu)) {
        eprintln!("kasa-desktop: webview settings not applied ({e}); WebKit defaults are used");
    }
}

#[cfg(target_os = "linux")]
fn apply(w: &tauri::webview::PlatformWebview, gpu: bool) {
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };
    let view = w.inner();
    if let Some(context) = view.context() {
        context.set_cache_model(CacheModel::DocumentViewer);
    }
    if let Some(settings) = WebViewExt::settings(&view) {
        if !gpu {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
        settings.set_enable_page_cache(false);
        if !cfg!(debug_assertions) {
            settings.set_enable_developer_extras(false);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn apply(_: &tauri::webview::PlatformWebview, _: bool) {}
