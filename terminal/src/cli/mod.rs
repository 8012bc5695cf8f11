//! The `kasa` admin CLI: parse → call a till function → print.
//!
//! Thin by design: every command calls one public function of this crate
//! and prints its result, as text by default or JSON with `--json`. Errors
//! print `error[<code>]: <message>` on stderr; the process exits 2 for
//! user errors (wrong PIN, bad input, over-return, no database at `--db`…)
//! and 1 for internal faults (database, disk). Every command but `init`
//! needs an existing till database and creates nothing. A closed stdout
//! (`kasa … | head`) ends the command quietly ([`stdout`]); PINs need not be
//! on the command line ([`pin`]).

pub mod args;
mod commands;
pub mod pin;
mod print_cmds;
mod render;
mod stdout;
mod stock_cmds;
mod sync_cmds;

use std::io::Read;
use std::path::Path;

use kasa_domain::ErrorCode;

pub use args::Cli;
pub use stdout::EXIT_CLOSED_PIPE;

use crate::error::TerminalError;

/// Exit code of a user error.
pub const EXIT_USER_ERROR: i32 = 2;
/// Exit code of an internal fault.
pub const EXIT_INTERNAL: i32 = 1;

/// Run a parsed command line; returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    match commands::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error[{}]: {}", e.code(), e);
            if e.is_internal() {
                EXIT_INTERNAL
            } else {
                EXIT_USER_ERROR
            }
        }
    }
}

/// Read a file, or stdin for `-`.
pub(crate) fn read_input(path: &Path) -> Result<String, TerminalError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| TerminalError::Io {
                path: "stdin".to_string(),
                source,
            })?;
    } else {
        text = std::fs::read_to_string(path).map_err(|source| TerminalError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(text)
}

/// Open a file for reading.
pub(crate) fn open_file(path: &Path) -> Result<std::fs::File, TerminalError> {
    std::fs::File::open(path).map_err(|source| TerminalError::Io {
        path: path.display().to_string(),
        source,
    })
}
