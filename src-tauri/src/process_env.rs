//! The environment the till process and its WebKit processes start
//! with: the binary re-executes itself once with two variables added.
//!
//! - `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072`. Every PIN
//!   check hashes with Argon2id, which allocates one 19 MiB block.
//!   glibc's *dynamic* mmap threshold rises to the size of any mmapped
//!   block that is freed, so after the first PIN the next blocks come
//!   from the heap and stay resident after they are freed (the trim
//!   threshold doubles with it). Measured: 59 MB of `[heap]` in the till
//!   process right after login, 6 MB with a fixed threshold; RSS after
//!   500 sales 266 MB → 189–199 MB (BENCHMARKS.md). A fixed threshold
//!   (glibc's own initial 128 KiB) turns the adjustment off: big blocks
//!   are always mmapped and go back to the system when freed.
//! - `WEBKIT_DISABLE_COMPOSITING_MODE=1` (see [`crate::webview`] for why
//!   the till paints without accelerated compositing). The setting
//!   applied there takes effect only after the page has started in
//!   composited mode, and the web process then keeps ~15 MB it
//!   allocated for it (196 → 181 MB measured); the variable makes both
//!   processes start without it. `KASA_WEBVIEW_GPU=1` leaves it out.
//!
//! Why a re-exec: glibc reads tunables once, before `main`, and WebKit
//! reads its variables in processes it starts; `mallopt` or `set_var`
//! would need unsafe code (denied in this workspace), and a launcher
//! script is skipped by everyone who starts the binary directly
//! (`cargo run`, the e2e WebDriver, a kiosk session file). `exec` keeps
//! the process id, the arguments and `argv[0]`; it costs one more
//! program start (~50 ms measured, BENCHMARKS.md). A value the user set
//! is kept, and `KASA_NO_REEXEC=1` turns this off.

/// The tunable, with glibc's initial threshold (128 KiB) made fixed.
pub const MMAP_THRESHOLD: &str = "glibc.malloc.mmap_threshold=131072";

/// The variables to add, given the current environment (`get`): empty
/// when everything is already in place, so the process execs at most once.
pub fn additions(get: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    let mut add = Vec::new();
    match get("GLIBC_TUNABLES").filter(|c| !c.is_empty()) {
        Some(c) if c.contains("glibc.malloc.mmap_threshold=") => {}
        Some(c) => add.push(("GLIBC_TUNABLES", format!("{c}:{MMAP_THRESHOLD}"))),
        None => add.push(("GLIBC_TUNABLES", MMAP_THRESHOLD.to_string())),
    }
    let gpu = get("KASA_WEBVIEW_GPU").is_some_and(|v| v == "1");
    if !gpu && get("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        add.push(("WEBKIT_DISABLE_COMPOSITING_MODE", "1".to_string()));
    }
    add
}

/// Re-execute this program with [`additions`], once, before any thread
/// starts. Returns (and the process goes on as it is) when nothing is
/// missing, when turned off, or when `exec` fails.
pub fn reexec_with_till_env() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("KASA_NO_REEXEC").is_some_and(|v| v == "1") {
            return;
        }
        let add = additions(|k| std::env::var(k).ok());
        if add.is_empty() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        let err = command.args(args).envs(add).exec();
        eprintln!(
            "kasa-desktop: could not restart with the till's environment ({err}); going on without"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn additions_in(env: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        additions(|k| env.get(k).cloned())
    }

    #[test]
    fn adds_the_threshold_and_the_compositing_switch_to_an_empty_environment() {
        assert_eq!(
            additions_in(&[]),
            vec![
                ("GLIBC_TUNABLES", MMAP_THRESHOLD.to_string()),
                ("WEBKIT_DISABLE_COMPOSITING_MODE", "1".to_string())
            ]
        );
    }

    #[test]
    fn appends_to_other_tunables_and_keeps_what_the_user_set() {
        assert_eq!(
            additions_in(&[
                ("GLIBC_TUNABLES", "glibc.malloc.arena_max=2"),
                ("WEBKIT_DISABLE_COMPOSITING_MODE", "0")
            ]),
            vec![(
                "GLIBC_TUNABLES",
                format!("glibc.malloc.arena_max=2:{MMAP_THRESHOLD}")
            )]
        );
        assert!(
            additions_in(&[
                ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536"),
                ("KASA_WEBVIEW_GPU", "1")
            ])
            .is_empty()
        );
    }

    #[test]
    fn after_one_exec_nothing_is_missing() {
        let first = additions_in(&[]);
        let after: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(additions_in(&after).is_empty());
    }
}
