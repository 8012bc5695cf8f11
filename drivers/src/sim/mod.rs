//! (in progress)
pub mod pty;
pub mod serial_scale;
pub mod serial_scanner;
pub mod decode;
pub mod tcp_printer;
