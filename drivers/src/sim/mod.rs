//! (in progress)
pub mod decode;
pub mod png_preview;
pub mod pty;
pub mod serial_scale;
pub mod serial_scanner;
pub mod tcp_printer;
