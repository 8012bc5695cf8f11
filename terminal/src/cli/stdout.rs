//! Standard output that ends the command quietly when its reader has gone
//! (`kasa journal export | head`): a closed pipe is not an error of the
//! till, so instead of a panic or an error message the process exits with
//! 141 (128 + SIGPIPE, what a shell shows for a command stopped by a closed
//! pipe). Every write to stdout of the CLI goes through [`Stdout`]; output
//! is only written after the work it reports is committed.

use std::io::{self, Write};

/// Exit code after the reader of stdout went away.
pub const EXIT_CLOSED_PIPE: i32 = 141;

/// Locked stdout that stops the process on a closed pipe.
pub(crate) struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    pub(crate) fn lock() -> Stdout {
        Stdout(io::stdout().lock())
    }
}

fn stop_on_closed_pipe<T>(result: io::Result<T>) -> io::Result<T> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(EXIT_CLOSED_PIPE),
        other => other,
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stop_on_closed_pipe(self.0.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        stop_on_closed_pipe(self.0.flush())
    }
}

/// Write `text` to stdout and flush it.
pub(crate) fn print(text: &str) -> io::Result<()> {
    let mut out = Stdout::lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
