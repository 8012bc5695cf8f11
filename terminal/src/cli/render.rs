//! Printing results as text or JSON.

use serde::Serialize;

use super::stdout;

/// Prints a command's result.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// `--json` was given.
    pub json: bool,
}

impl Printer {
    /// Print `value` as pretty JSON with `--json`, else the text `human()`.
    pub fn show<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        let text = if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(s) => s + "\n",
                Err(e) => {
                    eprintln!("error[output.json]: cannot print the result as JSON: {e}");
                    return;
                }
            }
        } else {
            human()
        };
        if let Err(e) = stdout::print(&text) {
            eprintln!("error[io.failed]: cannot write the result to stdout: {e}");
        }
    }
}
