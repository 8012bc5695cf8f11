//! The till's devices, one set per till for the `kasa` CLI and the desktop
//! app alike: the saved choices ([`config`]), the receipt printer's one
//! print spool ([`spool`], with the one [`PrintOutcome`]), what a device
//! reports now ([`status`]), the serial scanner and scale owners
//! ([`serial`]), the on-screen receipt preview ([`preview`]), and all of
//! them together for a running till ([`till`], the desktop app's).
//!
//! Hardware itself is `kasa_drivers`; this layer knows the till: where its
//! spool lives (beside the database, so every program that opens the till
//! prints through the same queue, in order), who may change the devices
//! (`Permission::ConfigureDevices`), and how a device problem is said to a
//! shop. A device problem never undoes or blocks a sale.

pub mod config;
pub mod preview;
pub mod serial;
pub mod spool;
pub mod status;
pub mod till;

use kasa_domain::ErrorCode;
use kasa_domain::permission::PermissionDenied;
use kasa_drivers::error::DriverError;
use kasa_drivers::queue::QueueError;

pub use config::{DeviceConfig, DrawerChoice};
pub use spool::{PrintFailure, PrintOutcome, PrintState, TillSpool};
pub use status::DeviceStatus;
pub use till::TillDevices;

/// Errors of the till's devices, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The hardware refused or is missing (`printer.offline`, `device.not_found`…).
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The print spool (`queue.no_such_job`, `queue.io`…).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A device the action needs is not chosen (`devices.no_printer`…).
    #[error("{message}")]
    NotConfigured {
        /// `devices.no_printer`, `devices.no_drawer`, `devices.no_scale`.
        code: &'static str,
        /// What to do.
        message: String,
    },
    /// A setting that cannot be used (drawer bytes, drawer port).
    #[error("{0}")]
    InvalidSetting(String),
    /// The device choices could not be saved.
    #[error(
        "cannot save the device settings to {path} ({detail}) — check the data directory's permissions"
    )]
    Save {
        /// The settings file.
        path: String,
        /// The OS error.
        detail: String,
    },
    /// The scale gave no usable weight (`scale.unstable`, `scale.offline`…);
    /// the message offers to type the weight.
    #[error("{message}")]
    Scale {
        /// The scale's code.
        code: &'static str,
        /// What to do.
        message: String,
    },
    /// The user may not change the devices.
    #[error(transparent)]
    Denied(#[from] PermissionDenied),
}

impl ErrorCode for DeviceError {
    fn code(&self) -> &'static str {
        match self {
            DeviceError::Driver(e) => e.code(),
            DeviceError::Queue(e) => e.code(),
            DeviceError::NotConfigured { code, .. } => code,
            DeviceError::InvalidSetting(_) => "input.invalid",
            DeviceError::Save { .. } => "devices.save_failed",
            DeviceError::Scale { code, .. } => code,
            DeviceError::Denied(e) => e.code(),
        }
    }
}

impl From<kasa_drivers::scale::ScaleError> for DeviceError {
    fn from(e: kasa_drivers::scale::ScaleError) -> Self {
        serial::scale_error(&e)
    }
}
