//! A running `kasa sell-loop` (the same scripted sale again and again, each
//! number printed after its commit), for the SIGKILL tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use serde_json::json;

use crate::common::{Till, bread_ean, kasa_bin, milk_ean, weight_code};

/// The sale the SIGKILL tests ring on [`Till::ready`]: five lines (one
/// weighed, one of two units) paid by cash and card. Returns the script's
/// path.
pub fn five_line_sale(till: &Till) -> PathBuf {
    let script = json!({
        "cashier_pin": "1111",
        "lines": [
            {"barcode": bread_ean()},
            {"barcode": milk_ean(), "qty": "2"},
            {"barcode": weight_code("00101", 1250)},
            {"sku": "WINE"},
            {"sku": "BOOK"}
        ],
        "tenders": [{"kind": "cash", "amount": "5.00"}, {"kind": "card"}]
    });
    till.write("sale.json", &script.to_string())
}

/// The child and the sale numbers it has printed so far.
pub struct SellLoop {
    child: Child,
    /// Numbers as the child prints them.
    pub numbers: Receiver<u64>,
    reader: JoinHandle<()>,
}

impl SellLoop {
    /// Start selling `script` on `till`, `count` sales (0 = until killed).
    pub fn start(till: &Till, script: &Path, count: u64) -> SellLoop {
        let mut child = Command::new(kasa_bin())
            .arg("--db")
            .arg(&till.db)
            .args(["sell-loop", "--count", &count.to_string()])
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, numbers) = mpsc::channel::<u64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(n) = line.trim().parse::<u64>() {
                    let _ = tx.send(n);
                }
            }
        });
        SellLoop {
            child,
            numbers,
            reader,
        }
    }

    /// True while the child runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGKILL the child (harmless if it has just exited: it stays a zombie
    /// until waited) and collect the numbers it printed that were not
    /// received yet, with its exit status.
    pub fn kill(mut self) -> (ExitStatus, Vec<u64>) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let status = self.child.wait().unwrap();
        self.reader.join().unwrap();
        (status, self.numbers.try_iter().collect())
    }
}
