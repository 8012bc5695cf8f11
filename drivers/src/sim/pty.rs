//! A connected pair of pseudo-terminals made by `socat`, for serial device
//! simulators: the simulator opens one end, the driver under test the other.
//!
//! [`PtyPair::spawn`] starts `socat -d -d pty,raw,echo=0,link=A
//! pty,raw,echo=0,link=B` and waits (on socat's own "starting data transfer
//! loop" notice, not a sleep) until both links exist. Dropping the pair kills
//! socat; [`PtyPair::unplug`] does so explicitly, which is what unplugging a
//! USB-serial adapter looks like to the driver (reads fail with EIO).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::error::DriverError;

/// How long socat may take to set up both ends.
const SPAWN_TIMEOUT_MS: u64 = 5_000;

/// Two connected ptys, alive while this value lives.
#[derive(Debug)]
pub struct PtyPair {
    child: Option<Child>,
    dir: PathBuf,
    device_end: PathBuf,
    host_end: PathBuf,
}

impl PtyPair {
    /// Spawns socat and waits until both ends exist.
    pub fn spawn() -> Result<Self, DriverError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kasa-pty-{}-{unique}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| DriverError::Device(format!("creating {}: {e}", dir.display())))?;
        let mut pair = PtyPair {
            child: None,
            device_end: dir.join("device"),
            host_end: dir.join("host"),
            dir,
        };
        pair.replug()?;
        Ok(pair)
    }

    /// (Re)starts socat with the same two link paths — plugging the
    /// simulated adapter back in after [`PtyPair::unplug`].
    pub fn replug(&mut self) -> Result<(), DriverError> {
        self.unplug();
        let mut child = Command::new("socat")
            .arg("-d")
            .arg("-d")
            .arg(format!("pty,raw,echo=0,link={}", self.device_end.display()))
            .arg(format!("pty,raw,echo=0,link={}", self.host_end.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| DriverError::Device(format!("starting socat (is it installed?): {e}")))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| DriverError::Device("socat stderr not captured".into()))?;
        let (ready_tx, ready_rx) = mpsc::channel();
        // Keeps draining socat's log so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("starting data transfer loop") {
                    let _ = ready_tx.send(());
                }
            }
        });
        self.child = Some(child);
        match ready_rx.recv_timeout(Duration::from_millis(SPAWN_TIMEOUT_MS)) {
            Ok(()) if self.device_end.exists() && self.host_end.exists() => Ok(()),
            _ => {
                self.unplug();
                Err(DriverError::Device(
                    "socat did not create the pty pair within 5 s".into(),
                ))
            }
        }
    }

    /// The end a simulated device opens.
    pub fn device_end(&self) -> &Path {
        &self.device_end
    }

    /// The end the driver under test opens (the "serial port").
    pub fn host_end(&self) -> &Path {
        &self.host_end
    }

    /// `serial://<host end>` with the given query (e.g. `"?baud=9600"`).
    pub fn host_uri(&self, query: &str) -> String {
        format!("serial://{}{query}", self.host_end.display())
    }

    /// Kills socat: both ends disappear, like an unplugged adapter.
    pub fn unplug(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.device_end);
        let _ = std::fs::remove_file(&self.host_end);
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        self.unplug();
        let _ = std::fs::remove_dir(&self.dir);
    }
}
