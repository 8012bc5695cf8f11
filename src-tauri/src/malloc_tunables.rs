//! glibc malloc tunables for the till process: the binary re-executes
//! itself once with `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072`.
//!
//! Why: every PIN check hashes with Argon2id, which allocates one
//! 19 MiB block. glibc's *dynamic* mmap threshold rises to the size of
//! any mmapped block that is freed, so after the first PIN the next
//! blocks come from the heap and stay resident after they are freed
//! (the trim threshold doubles with it). Measured: 59 MB of `[heap]` in
//! the till process right after login, 6 MB with a fixed threshold;
//! RSS after 500 sales 291 MB → 194 MB (BENCHMARKS.md). A fixed
//! threshold (glibc's own initial 128 KiB) turns the adjustment off:
//! big blocks are always mmapped and go back to the system when freed.
//!
//! Why a re-exec: glibc reads tunables once, before `main`. `mallopt`
//! would need unsafe FFI (denied in this workspace) and a launcher
//! script is skipped by everyone who starts the binary directly
//! (`cargo run`, the e2e WebDriver, a kiosk session file). `exec`
//! keeps the process id, arguments and `argv[0]`; it costs one more
//! program start (measured with the cold start in BENCHMARKS.md).
//! A tunable the user already set for the threshold is kept, and
//! `KASA_NO_REEXEC=1` turns this off.

/// The tunable, with glibc's initial threshold (128 KiB) made fixed.
pub const MMAP_THRESHOLD: &str = "glibc.malloc.mmap_threshold=131072";

/// `GLIBC_TUNABLES` with the fixed mmap threshold added, or `None`
/// when the current value already sets a threshold.
pub fn tunables_with_threshold(current: Option<&str>) -> Option<String> {
    match current.filter(|c| !c.is_empty()) {
        Some(c) if c.contains("glibc.malloc.mmap_threshold=") => None,
        Some(c) => Some(format!("{c}:{MMAP_THRESHOLD}")),
        None => Some(MMAP_THRESHOLD.to_string()),
    }
}

/// Re-execute this program with the tunable set, once, before any
/// thread starts. Returns (and the process goes on untuned) when the
/// tunable is already there, when turned off, or when `exec` fails.
pub fn reexec_with_fixed_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("KASA_NO_REEXEC").is_some_and(|v| v == "1") {
            return;
        }
        let current = std::env::var("GLIBC_TUNABLES").ok();
        let Some(tunables) = tunables_with_threshold(current.as_deref()) else {
            return;
        };
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        let err = command
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .exec();
        eprintln!("kasa-desktop: could not restart with malloc tunables ({err}); going on without");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_threshold_to_empty_or_other_tunables() {
        assert_eq!(tunables_with_threshold(None).as_deref(), Some(MMAP_THRESHOLD));
        assert_eq!(tunables_with_threshold(Some("")).as_deref(), Some(MMAP_THRESHOLD));
        assert_eq!(
            tunables_with_threshold(Some("glibc.malloc.arena_max=2")),
            Some(format!("glibc.malloc.arena_max=2:{MMAP_THRESHOLD}"))
        );
    }

    #[test]
    fn keeps_a_threshold_already_set_and_so_execs_only_once() {
        assert_eq!(tunables_with_threshold(Some("glibc.malloc.mmap_threshold=65536")), None);
        let once = tunables_with_threshold(None);
        assert_eq!(tunables_with_threshold(once.as_deref()), None);
    }
}
