//! Command line: `kasa-desktop [--data-dir <dir>] [--demo] [--scanner <uri>]`.

use std::path::PathBuf;

/// What the app was started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// Where the store, print queue and device choices live.
    pub data_dir: PathBuf,
    /// Seed the demo store when empty and print to the simulator.
    pub demo: bool,
    /// A serial scanner to read (`serial:///dev/ttyACM0?baud=9600`).
    pub scanner: Option<String>,
}

/// The default data directory: `$XDG_DATA_HOME/kasa` or `~/.local/share/kasa`.
fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(x).join("kasa");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/kasa"),
        None => PathBuf::from("kasa-data"),
    }
}

impl Args {
    /// Parse the arguments after the program name. Without `--data-dir`,
    /// `$KASA_DATA_DIR`, then the XDG data directory.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut data_dir: Option<PathBuf> = None;
        let mut out = Args {
            data_dir: PathBuf::new(),
            demo: false,
            scanner: None,
        };
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--demo" => out.demo = true,
                "--data-dir" => {
                    data_dir = Some(PathBuf::from(
                        it.next().ok_or("--data-dir needs a directory")?,
                    ))
                }
                "--scanner" => out.scanner = Some(it.next().ok_or("--scanner needs a URI")?),
                other if other.starts_with("--data-dir=") => {
                    data_dir = Some(PathBuf::from(&other["--data-dir=".len()..]))
                }
                "-h" | "--help" => {
                    return Err(
                        "usage: kasa-desktop [--data-dir <dir>] [--demo] [--scanner <serial-uri>]"
                            .to_string(),
                    );
                }
                // WebKitWebDriver starts the app with its own flags
                // (`--automation`); they are not ours to refuse.
                other => eprintln!("kasa-desktop: ignoring argument '{other}'"),
            }
        }
        out.data_dir = data_dir
            .or_else(|| std::env::var_os("KASA_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(default_data_dir);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Args, String> {
        Args::parse(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn reads_data_dir_demo_and_scanner() {
        let a = parse(&[
            "--data-dir",
            "/tmp/x",
            "--demo",
            "--scanner",
            "serial:///dev/ttyS0",
        ])
        .unwrap();
        assert_eq!(a.data_dir, PathBuf::from("/tmp/x"));
        assert!(a.demo);
        assert_eq!(a.scanner.as_deref(), Some("serial:///dev/ttyS0"));
        assert_eq!(
            parse(&["--data-dir=/y"]).unwrap().data_dir,
            PathBuf::from("/y")
        );
    }

    #[test]
    fn refuses_incomplete_arguments_and_ignores_foreign_flags() {
        assert!(parse(&["--data-dir"]).is_err());
        assert!(parse(&["--automation"]).is_ok());
        assert!(!parse(&[]).unwrap().demo);
    }
}
