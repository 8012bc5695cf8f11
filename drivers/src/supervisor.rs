//! Device supervision: one thread owns each device (an actor); others send
//! it commands over a channel. The owner connects, reconnects after failures
//! with exponential backoff, probes the device while idle, and publishes
//! every *change* of state on a [`StatusBus`] (a tokio broadcast channel
//! for async subscribers such as the UI, plus a snapshot and a blocking wait
//! for synchronous code).
//!
//! A device plugs in by implementing [`SupervisedDevice`]; the printer,
//! scale and scanner owners are in [`devices`].
//!
//! ## Rules
//! - While disconnected, the owner retries `connect` after
//!   `min(reconnect_base_ms × 2^(failures−1), reconnect_max_ms)` (defaults
//!   250 ms doubling to 10 s); commands arriving meanwhile are rejected at
//!   once with the last connection error (the caller — e.g. the print queue —
//!   decides whether to keep them), so nobody waits on a dead device.
//! - While connected, the owner handles commands as they come and calls
//!   `probe` after `probe_interval_ms` without commands.
//! - An error that means the device is gone (`Offline`, `NotFound`,
//!   `Timeout`, `PermissionDenied`) disconnects and publishes
//!   [`DeviceState::Offline`]; paper out / cover open / a device fault are
//!   published as their own states and the connection is kept.

pub mod devices;

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::error::DriverError;

/// What a device is doing, as the till shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum DeviceState {
    /// Not connected yet.
    Starting,
    Online,
    /// Works, but the paper roll is nearly empty.
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    /// Unreachable; the text says why.
    Offline(String),
    /// Reachable but reporting a fault.
    Error(String),
}

/// A state change of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceStatus {
    pub device: String,
    pub state: DeviceState,
}

/// Maps a driver error to the state it shows, and whether it means the
/// connection is gone.
pub fn state_of_error(e: &DriverError) -> (DeviceState, bool) {
    match e {
        DriverError::PaperOut { .. } => (DeviceState::PaperOut, false),
        DriverError::CoverOpen { .. } => (DeviceState::CoverOpen, false),
        DriverError::Device(reason) => (DeviceState::Error(reason.clone()), false),
        other => (DeviceState::Offline(other.to_string()), true),
    }
}

#[derive(Debug, Default)]
struct Latest {
    states: BTreeMap<String, DeviceState>,
}

/// Where status changes are published.
#[derive(Debug, Clone)]
pub struct StatusBus {
    tx: broadcast::Sender<DeviceStatus>,
    latest: Arc<(Mutex<Latest>, Condvar)>,
}

impl Default for StatusBus {
    fn default() -> Self {
        Self::new(64)
    }
}

impl StatusBus {
    /// A bus keeping up to `capacity` unread changes per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self {
            tx,
            latest: Arc::new((Mutex::new(Latest::default()), Condvar::new())),
        }
    }

    /// A receiver of every change from now on (async `recv` or `blocking_recv`).
    pub fn subscribe(&self) -> broadcast::Receiver<DeviceStatus> {
        self.tx.subscribe()
    }

    /// Publishes `state` for `device` if it differs from the last one.
    pub fn publish(&self, device: &str, state: DeviceState) {
        let (lock, cond) = &*self.latest;
        let mut latest = lock.lock().unwrap_or_else(|p| p.into_inner());
        if latest.states.get(device) == Some(&state) {
            return;
        }
        latest.states.insert(device.to_string(), state.clone());
        // No subscribers is fine: the snapshot still has it.
        let _ = self.tx.send(DeviceStatus {
            device: device.to_string(),
            state,
        });
        cond.notify_all();
    }

    /// The last state of every device.
    pub fn snapshot(&self) -> Vec<DeviceStatus> {
        let (lock, _) = &*self.latest;
        let latest = lock.lock().unwrap_or_else(|p| p.into_inner());
        latest
            .states
            .iter()
            .map(|(device, state)| DeviceStatus {
                device: device.clone(),
                state: state.clone(),
            })
            .collect()
    }

    /// The last state of `device`.
    pub fn state(&self, device: &str) -> Option<DeviceState> {
        let (lock, _) = &*self.latest;
        let latest = lock.lock().unwrap_or_else(|p| p.into_inner());
        latest.states.get(device).cloned()
    }

    /// Blocks up to `timeout_ms` until `device`'s state satisfies `done`;
    /// returns the state last seen.
    pub fn wait_for(
        &self,
        device: &str,
        timeout_ms: u64,
        done: impl Fn(&DeviceState) -> bool,
    ) -> Option<DeviceState> {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let (lock, cond) = &*self.latest;
        let mut latest = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let current = latest.states.get(device).cloned();
            let now = Instant::now();
            if current.as_ref().is_some_and(&done) || now >= deadline {
                return current;
            }
            latest = cond
                .wait_timeout(latest, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// A device the supervisor can own.
pub trait SupervisedDevice: Send + 'static {
    /// Commands for this device (each carries its own reply channel).
    type Command: Send + 'static;
    /// Name used on the status bus (e.g. the URI).
    fn name(&self) -> String;
    /// Opens the device; the state to publish when it worked.
    fn connect(&mut self) -> Result<DeviceState, DriverError>;
    /// Closes it (after a failure or on shutdown).
    fn disconnect(&mut self);
    /// Idle health check (or idle work, e.g. reading scans).
    fn probe(&mut self) -> Result<DeviceState, DriverError>;
    /// Carries out a command and answers on its reply channel. The error is
    /// returned too, so the supervisor can update the state.
    fn handle(&mut self, command: Self::Command) -> Result<(), DriverError>;
    /// Answers a command that cannot run (device offline).
    fn reject(&mut self, command: Self::Command, error: DriverError);
}

/// Supervisor timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisorConfig {
    pub probe_interval_ms: u64,
    pub reconnect_base_ms: u64,
    pub reconnect_max_ms: u64,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            probe_interval_ms: 2_000,
            reconnect_base_ms: 250,
            reconnect_max_ms: 10_000,
        }
    }
}

impl SupervisorConfig {
    pub fn reconnect_delay_ms(&self, failures: u32) -> u64 {
        let shift = failures.saturating_sub(1).min(62);
        self.reconnect_base_ms
            .saturating_mul(1u64 << shift)
            .min(self.reconnect_max_ms)
    }
}

enum Message<C> {
    Command(C),
    Shutdown,
}

/// The caller's side of a supervised device. Dropping it stops the owner.
#[derive(Debug)]
pub struct DeviceHandle<C: Send + 'static> {
    name: String,
    tx: mpsc::Sender<Message<C>>,
    bus: StatusBus,
    thread: Option<JoinHandle<()>>,
}

impl<C: Send + 'static> std::fmt::Debug for Message<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Command(_) => "Command",
            Message::Shutdown => "Shutdown",
        })
    }
}

impl<C: Send + 'static> DeviceHandle<C> {
    /// Sends a command to the owner thread.
    pub fn send(&self, command: C) -> Result<(), DriverError> {
        self.tx
            .send(Message::Command(command))
            .map_err(|_| DriverError::Device(format!("{}: device owner has stopped", self.name)))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's last published state.
    pub fn state(&self) -> DeviceState {
        self.bus.state(&self.name).unwrap_or(DeviceState::Starting)
    }
}

impl<C: Send + 'static> Drop for DeviceHandle<C> {
    fn drop(&mut self) {
        let _ = self.tx.send(Message::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the owner thread of `device`.
pub fn supervise<D: SupervisedDevice>(
    device: D,
    bus: &StatusBus,
    config: SupervisorConfig,
) -> DeviceHandle<D::Command> {
    let name = device.name();
    let (tx, rx) = mpsc::channel();
    bus.publish(&name, DeviceState::Starting);
    let thread_bus = bus.clone();
    let thread = std::thread::spawn(move || owner_loop(device, &rx, &thread_bus, config));
    DeviceHandle {
        name,
        tx,
        bus: bus.clone(),
        thread: Some(thread),
    }
}

fn owner_loop<D: SupervisedDevice>(
    mut device: D,
    rx: &mpsc::Receiver<Message<D::Command>>,
    bus: &StatusBus,
    config: SupervisorConfig,
) {
    let name = device.name();
    let mut connected = false;
    let mut failures: u32 = 0;
    loop {
        if !connected {
            match device.connect() {
                Ok(state) => {
                    connected = true;
                    failures = 0;
                    bus.publish(&name, state);
                }
                Err(e) => {
                    failures += 1;
                    let reason = e.to_string();
                    bus.publish(&name, DeviceState::Offline(e.to_string()));
                    let until =
                        Instant::now() + Duration::from_millis(config.reconnect_delay_ms(failures));
                    // Wait out the backoff, answering commands with the error.
                    loop {
                        let left = until.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        match rx.recv_timeout(left) {
                            Ok(Message::Command(c)) => {
                                device.reject(
                                    c,
                                    DriverError::Offline {
                                        device: name.clone(),
                                        detail: reason.clone(),
                                    },
                                );
                            }
                            Ok(Message::Shutdown) | Err(RecvTimeoutError::Disconnected) => return,
                            Err(RecvTimeoutError::Timeout) => break,
                        }
                    }
                    continue;
                }
            }
        }
        let outcome = match rx.recv_timeout(Duration::from_millis(config.probe_interval_ms)) {
            Ok(Message::Command(c)) => device.handle(c).map(|()| None),
            Ok(Message::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                device.disconnect();
                return;
            }
            Err(RecvTimeoutError::Timeout) => device.probe().map(Some),
        };
        match outcome {
            Ok(Some(state)) => bus.publish(&name, state),
            Ok(None) => {}
            Err(e) => {
                let (state, gone) = state_of_error(&e);
                if gone {
                    device.disconnect();
                    connected = false;
                }
                bus.publish(&name, state);
            }
        }
    }
}

#[cfg(test)]
mod tests;
