//! # kasa-drivers
//!
//! Hardware only; knows nothing of sales. Turns a receipt document into
//! ESC/POS bytes, moves bytes to and from devices over TCP, serial, USB and
//! files, and reports what the devices say. Simulators for tests and demos.

pub mod cli;
pub mod discovery;
pub mod drawer;
pub mod error;
pub mod printer;
pub mod queue;
pub mod scale;
pub mod scanner;
pub mod sim;
pub mod status;
pub mod supervisor;
pub mod transport;
pub mod wedge;
