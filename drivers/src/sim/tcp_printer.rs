//! A TCP ESC/POS receipt printer simulator (raw port 9100 style).
//!
//! Runs on std threads: one accepts connections, one per connection reads
//! bytes. A *job* is everything received on one connection. The reader
//! parses commands as they arrive ([`super::decode::parse_one`]) so it can
//! answer `DLE EOT n` real-time status requests at command boundaries from
//! the simulator's current state; status requests are kept in
//! [`Job::bytes`] but not in [`Job::data`] (what would be printed).
//!
//! Switches for tests and demos: [`TcpPrinterSim::set_offline`] (new
//! connections are accepted and closed at once; open ones are closed),
//! paper near end / out, cover open, a fault, and
//! [`TcpPrinterSim::drop_connection_after`] (go offline mid-job after N
//! bytes). With a job directory each finished job is written as
//! `job-NNNN.bin` and `job-NNNN.txt` (decoded), and optionally
//! `job-NNNN.png` ([`super::png_preview`]).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::decode::{self, Command, Parsed};
use crate::printer::CodePage;
use crate::status::{PaperState, PrinterFault, PrinterStatus};
use crate::transport::DeviceUri;

/// What the simulator received on one connection.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: usize,
    /// Every byte received, in order.
    pub bytes: Vec<u8>,
    /// The bytes without `DLE EOT` status requests.
    pub data: Vec<u8>,
    /// Status requests answered, in order (n values).
    pub status_requests: Vec<u8>,
    /// The connection has ended.
    pub finished: bool,
    /// The simulator cut the connection (offline mid-job).
    pub cut_off: bool,
    pub accepted_at: Instant,
    /// When the last data byte arrived.
    pub last_data_at: Option<Instant>,
}

#[derive(Debug)]
struct SimState {
    status: PrinterStatus,
    offline: bool,
    drop_after_bytes: Option<usize>,
    jobs: Vec<Job>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<SimState>,
    changed: Condvar,
    stop: AtomicBool,
    code_page: CodePage,
    job_dir: Option<PathBuf>,
    png_width_dots: Option<u16>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Simulator options.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Code page used to decode jobs to text.
    pub code_page: CodePage,
    /// Where to write finished jobs (`job-NNNN.bin` / `.txt`).
    pub job_dir: Option<PathBuf>,
    /// Also write `job-NNNN.png` previews this many dots wide.
    pub png_width_dots: Option<u16>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            code_page: CodePage::Wpc1251,
            job_dir: None,
            png_width_dots: None,
        }
    }
}

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct TcpPrinterSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

const READY: PrinterStatus = PrinterStatus {
    online: true,
    cover_open: false,
    paper: PaperState::Ok,
    drawer_open: false,
    drawer_pin3_high: false,
    error: None,
};

impl TcpPrinterSim {
    /// Starts on 127.0.0.1, a free port.
    pub fn start() -> io::Result<Self> {
        Self::start_with("127.0.0.1:0", SimConfig::default())
    }

    pub fn start_with(addr: impl ToSocketAddrs, config: SimConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        if let Some(dir) = &config.job_dir {
            std::fs::create_dir_all(dir)?;
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(SimState {
                status: READY,
                offline: false,
                drop_after_bytes: None,
                jobs: Vec::new(),
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            code_page: config.code_page,
            job_dir: config.job_dir,
            png_width_dots: config.png_width_dots,
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = std::thread::Builder::new()
            .name("kasa-printer-sim".into())
            .spawn(move || accept_loop(listener, accept_shared))?;
        Ok(TcpPrinterSim {
            addr,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `tcp://127.0.0.1:PORT`.
    pub fn uri(&self) -> DeviceUri {
        DeviceUri::Tcp {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
        }
    }

    fn update(&self, f: impl FnOnce(&mut SimState)) {
        let mut s = self.shared.lock();
        f(&mut s);
        self.shared.changed.notify_all();
    }

    /// Unreachable printer: connections are closed at once.
    pub fn set_offline(&self, offline: bool) {
        self.update(|s| s.offline = offline);
    }

    pub fn set_paper(&self, paper: PaperState) {
        self.update(|s| {
            s.status.paper = paper;
            s.status.online =
                !s.status.cover_open && paper != PaperState::Out && s.status.error.is_none();
        });
    }

    pub fn set_cover_open(&self, open: bool) {
        self.update(|s| {
            s.status.cover_open = open;
            s.status.online =
                !open && s.status.paper != PaperState::Out && s.status.error.is_none();
        });
    }

    pub fn set_drawer_open(&self, open: bool) {
        self.update(|s| {
            s.status.drawer_open = open;
            s.status.drawer_pin3_high = open;
        });
    }

    pub fn set_fault(&self, fault: Option<PrinterFault>) {
        self.update(|s| {
            s.status.error = fault;
            s.status.online =
                fault.is_none() && !s.status.cover_open && s.status.paper != PaperState::Out;
        });
    }

    /// After `bytes` data bytes of a job the connection is cut and the
    /// printer goes offline (`None` turns this off).
    pub fn drop_connection_after(&self, bytes: Option<usize>) {
        self.update(|s| s.drop_after_bytes = bytes);
    }

    pub fn status(&self) -> PrinterStatus {
        self.shared.lock().status
    }

    /// All jobs so far (including status-only connections).
    pub fn jobs(&self) -> Vec<Job> {
        self.shared.lock().jobs.clone()
    }

    /// The most recent job, if any (cheap: clones one job).
    pub fn last_job(&self) -> Option<Job> {
        self.shared.lock().jobs.last().cloned()
    }

    /// Forgets finished jobs (long-running demos and benchmarks); job ids
    /// keep counting.
    pub fn clear_finished_jobs(&self) {
        let mut s = self.shared.lock();
        for job in s.jobs.iter_mut().filter(|j| j.finished) {
            job.bytes = Vec::new();
            job.data = Vec::new();
        }
    }

    /// Jobs that carried printable data.
    pub fn print_jobs(&self) -> Vec<Job> {
        self.jobs()
            .into_iter()
            .filter(|j| !j.data.is_empty())
            .collect()
    }

    /// Waits until `pred` holds on the jobs, up to `timeout`; returns them.
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&[Job]) -> bool) -> Option<Vec<Job>> {
        let deadline = Instant::now() + timeout;
        let mut s = self.shared.lock();
        loop {
            if pred(&s.jobs) {
                return Some(s.jobs.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            s = self
                .shared
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits until `n` jobs with data have finished.
    pub fn wait_for_print_jobs(&self, n: usize, timeout: Duration) -> Option<Vec<Job>> {
        self.wait_until(timeout, |jobs| {
            jobs.iter()
                .filter(|j| !j.data.is_empty() && j.finished)
                .count()
                >= n
        })
        .map(|jobs| jobs.into_iter().filter(|j| !j.data.is_empty()).collect())
    }

    /// Decoded text of a job.
    pub fn job_text(&self, job: &Job) -> Vec<String> {
        decode::to_text(&job.data, self.shared.code_page)
    }

    /// Stops accepting and closes the listener.
    pub fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for TcpPrinterSim {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let offline = shared.lock().offline;
        if offline {
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        let id = {
            let mut s = shared.lock();
            let id = s.jobs.len() + 1;
            s.jobs.push(Job {
                id,
                bytes: Vec::new(),
                data: Vec::new(),
                status_requests: Vec::new(),
                finished: false,
                cut_off: false,
                accepted_at: Instant::now(),
                last_data_at: None,
            });
            id
        };
        let conn_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("kasa-printer-sim-{id}"))
            .spawn(move || serve(stream, id, conn_shared));
        if spawned.is_err() {
            tracing::warn!("printer simulator could not start a connection thread");
        }
    }
}

fn serve(mut stream: TcpStream, id: usize, shared: Arc<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_nodelay(true);
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut cut_off = false;
    loop {
        if shared.stop.load(Ordering::SeqCst) || shared.lock().offline {
            cut_off = true;
            break;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => break,
        };
        pending.extend_from_slice(&buf[..n]);
        let mut answers = Vec::new();
        {
            let mut s = shared.lock();
            let status = s.status;
            let drop_after = s.drop_after_bytes;
            let job = &mut s.jobs[id - 1];
            job.bytes.extend_from_slice(&buf[..n]);
            let mut used = 0;
            while let Parsed::Command(cmd, len) = decode::parse_one(&pending[used..]) {
                match cmd {
                    Command::StatusRequest(q @ 1..=4) => {
                        job.status_requests.push(q);
                        answers.push(status.to_answers()[usize::from(q - 1)]);
                    }
                    _ => {
                        job.data.extend_from_slice(&pending[used..used + len]);
                        job.last_data_at = Some(Instant::now());
                    }
                }
                used += len;
            }
            pending.drain(..used);
            if let Some(limit) = drop_after
                && job.data.len() + pending.len() >= limit
            {
                job.data.extend_from_slice(&pending);
                job.data.truncate(limit);
                cut_off = true;
                s.offline = true;
            }
            shared.changed.notify_all();
        }
        if cut_off {
            break;
        }
        if !answers.is_empty() && stream.write_all(&answers).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    // Write the job files before marking the job finished, so a waiter
    // that sees `finished` also finds the files.
    let data = shared.lock().jobs[id - 1].data.clone();
    if let Some(dir) = &shared.job_dir
        && !data.is_empty()
    {
        let base = dir.join(format!("job-{id:04}"));
        let text = decode::to_text(&data, shared.code_page).join("\n") + "\n";
        if std::fs::write(base.with_extension("bin"), &data).is_err()
            || std::fs::write(base.with_extension("txt"), text).is_err()
        {
            tracing::warn!(
                "printer simulator could not write job {id} to {}",
                dir.display()
            );
        }
        if let Some(width) = shared.png_width_dots {
            let png = super::png_preview::to_png(&data, shared.code_page, width);
            if std::fs::write(base.with_extension("png"), png).is_err() {
                tracing::warn!("printer simulator could not write job {id} preview");
            }
        }
    }
    let mut s = shared.lock();
    let job = &mut s.jobs[id - 1];
    job.finished = true;
    job.cut_off = cut_off;
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_status_from_its_state() {
        let sim = TcpPrinterSim::start().unwrap();
        sim.set_paper(PaperState::NearEnd);
        sim.set_drawer_open(true);
        let mut s = TcpStream::connect(sim.addr()).unwrap();
        s.write_all(&[0x10, 0x04, 1, 0x10, 0x04, 4]).unwrap();
        let mut got = [0u8; 2];
        s.read_exact(&mut got).unwrap();
        assert_eq!(got, [0x12 | 0x04, 0x12 | 0x0C]);
        drop(s);
        let jobs = sim
            .wait_until(Duration::from_secs(5), |j| j.len() == 1 && j[0].finished)
            .unwrap();
        assert_eq!(jobs[0].status_requests, [1, 4]);
        assert!(jobs[0].data.is_empty());
    }
}
