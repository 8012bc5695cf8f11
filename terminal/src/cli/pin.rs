//! Where a PIN comes from, so it need not sit on the command line (where
//! the shell history keeps it and `ps` shows it to every user):
//!
//! 1. `--pin -`: the next line of stdin (a script pipes it in);
//! 2. `--pin 1234`: as given (scripts that accept the risk);
//! 3. no `--pin`: `$KASA_PIN` (`$KASA_APPROVAL_PIN` for a manager's approval);
//! 4. else, at a terminal, asked for without echo (the `rpassword` crate:
//!    it switches the terminal's echo off and on again portably, including
//!    when reading from `/dev/tty` while stdin is a pipe, which is easy to
//!    get subtly wrong by hand).
//!
//! Without any of them the command stops with `auth.pin_required`.

use std::io::{BufRead, IsTerminal};

use crate::error::TerminalError;

/// The environment variable of the user's PIN.
pub const PIN_ENV: &str = "KASA_PIN";
/// The environment variable of a manager's approval PIN.
pub const APPROVAL_PIN_ENV: &str = "KASA_APPROVAL_PIN";

/// The PIN of the user doing the command; `who` names them in the prompt.
pub(crate) fn user_pin(flag: Option<&str>, who: &str) -> Result<String, TerminalError> {
    if let Some(pin) = given(flag, PIN_ENV)? {
        return Ok(pin);
    }
    if std::io::stdin().is_terminal() {
        let pin = rpassword::prompt_password(format!("{who} PIN: ")).map_err(|source| {
            TerminalError::Io {
                path: "the terminal".to_string(),
                source,
            }
        })?;
        return Ok(pin.trim().to_string());
    }
    Err(TerminalError::PinRequired {
        env: PIN_ENV,
        who: who.to_string(),
    })
}

/// A manager's approval PIN, when one is given (never asked for: a
/// command that needs one says so with `permission.needs_manager`).
pub(crate) fn approval_pin(flag: Option<&str>) -> Result<Option<String>, TerminalError> {
    given(flag, APPROVAL_PIN_ENV)
}

fn given(flag: Option<&str>, env: &str) -> Result<Option<String>, TerminalError> {
    match flag {
        Some("-") => stdin_line().map(Some),
        Some(pin) => Ok(Some(pin.to_string())),
        None => Ok(std::env::var(env).ok().filter(|p| !p.is_empty())),
    }
}

fn stdin_line() -> Result<String, TerminalError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| TerminalError::Io {
            path: "stdin".to_string(),
            source,
        })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
