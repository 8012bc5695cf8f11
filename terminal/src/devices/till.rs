//! A running till's devices, as the desktop app holds them for its whole
//! run: the saved choices, the print spool with its worker, and the serial
//! scanner and scale owners. Saving new choices checks who saves them
//! (`Permission::ConfigureDevices`, or a manager's approval), then applies
//! them at once: another scanner or scale stops the old owner and starts
//! the new one, without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use kasa_domain::permission::{ManagerApproval, Operator};
use kasa_drivers::printer::Receipt;

use super::DeviceError;
use super::config::DeviceConfig;
use super::serial::SerialDevices;
use super::spool::{PrintOutcome, TillSpool};
use super::status::{self, DeviceStatus, probe_timeouts};

/// The devices of a running till.
#[derive(Debug)]
pub struct TillDevices {
    /// The till's print spool (its worker prints in the background).
    pub spool: TillSpool,
    /// The serial scanner and scale owners.
    pub serial: SerialDevices,
    config: Mutex<DeviceConfig>,
    config_path: PathBuf,
}

impl TillDevices {
    /// Open the spool of the till at `db` with its worker (adopting the
    /// jobs of an older spool at `legacy_spool`, if there is one) and read
    /// the choices saved at `config_path`. Nothing starts until [`apply`].
    ///
    /// [`apply`]: TillDevices::apply
    pub fn open(
        db: &Path,
        config_path: &Path,
        legacy_spool: Option<&Path>,
    ) -> Result<TillDevices, DeviceError> {
        let spool = TillSpool::open_with_worker(db, probe_timeouts())?;
        if let Some(old) = legacy_spool {
            spool.adopt(old)?;
        }
        Ok(TillDevices {
            spool,
            serial: SerialDevices::default(),
            config: Mutex::new(DeviceConfig::load(config_path)),
            config_path: config_path.to_path_buf(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, DeviceConfig> {
        self.config.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The choices in use.
    pub fn config(&self) -> DeviceConfig {
        self.lock().clone()
    }

    /// Print on `uri` for this run only, without saving it (the demo
    /// printer simulator).
    pub fn use_printer_for_this_run(&self, uri: String) {
        self.lock().printer = Some(uri);
    }

    /// Check who saves, check and save `new`, then apply it. `approval` is
    /// a manager's, checked by PIN by the caller, for a user who may not
    /// change devices alone.
    pub fn save_config(
        &self,
        new: DeviceConfig,
        by: &Operator,
        approval: Option<&ManagerApproval>,
    ) -> Result<(), DeviceError> {
        {
            let mut config = self.lock();
            new.save(&self.config_path, by, approval)?;
            *config = new;
        }
        self.apply()
    }

    /// Start (or stop) the scanner and scale owners for the choices.
    pub fn apply(&self) -> Result<(), DeviceError> {
        let config = self.config();
        self.serial.set_scanner(config.scanner.as_deref())?;
        self.serial
            .set_scale(config.scale.as_deref(), config.scale_protocol()?)
    }

    /// Queue `receipt` for the configured printer; the spool's worker
    /// prints it after what waits before it. Never fails the caller's
    /// document: a problem is the outcome's error.
    pub fn print(&self, receipt: Receipt) -> PrintOutcome {
        match self.config().printer_uri() {
            Ok(uri) => self.spool.queue(&uri, receipt, false),
            Err(DeviceError::NotConfigured { .. }) => TillSpool::no_printer(),
            Err(e) => PrintOutcome::refused(&e),
        }
    }

    /// Probe the printer now.
    pub fn printer_status(&self) -> DeviceStatus {
        status::printer_status(&self.config(), self.spool.profile())
    }

    /// Every device's state: printer, drawer, scanner, scale.
    pub fn status(&self) -> Vec<DeviceStatus> {
        let config = self.config();
        let mut all = vec![
            status::printer_status(&config, self.spool.profile()),
            status::drawer_status(&config),
        ];
        all.extend(self.serial.status());
        all
    }

    /// Open the cash drawer the way it is configured.
    pub fn open_drawer(&self) -> Result<(), DeviceError> {
        status::open_drawer(&self.config())
    }
}

#[cfg(test)]
mod tests {
    use kasa_domain::ErrorCode;
    use kasa_domain::permission::Role;
    use kasa_drivers::printer::TextStyle;

    use super::*;
    use crate::devices::PrintState;

    #[test]
    fn a_cashier_saves_devices_only_with_a_managers_approval_and_receipts_go_to_the_printer() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kasa.db");
        let config_path = dir.path().join("devices.json");
        let devices = TillDevices::open(&db, &config_path, None).unwrap();
        let mut receipt = Receipt::new();
        receipt.text("Kasa", TextStyle::centered());
        assert_eq!(devices.print(receipt.clone()).state, PrintState::NoPrinter);

        let out = dir.path().join("receipt.bin");
        let choices = DeviceConfig {
            printer: Some(format!("file://{}", out.display())),
            ..DeviceConfig::default()
        };
        let cashier = Operator::new("ana", Role::Cashier);
        let err = devices
            .save_config(choices.clone(), &cashier, None)
            .unwrap_err();
        assert_eq!(err.code(), "permission.needs_manager");
        assert_eq!(devices.config(), DeviceConfig::default(), "nothing applied");
        let boris = ManagerApproval::new("boris", Role::Manager);
        devices
            .save_config(choices.clone(), &cashier, Some(&boris))
            .unwrap();
        assert_eq!(DeviceConfig::load(&config_path), choices);

        let outcome = devices.print(receipt);
        assert_eq!(outcome.state, PrintState::Queued);
        assert!(devices.spool.wait_printed(outcome.job.unwrap(), 10_000));
        assert!(
            std::fs::read(&out)
                .unwrap()
                .windows(4)
                .any(|w| w == b"Kasa")
        );
    }
}
