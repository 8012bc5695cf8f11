//! A TCP proxy that injects network faults between a terminal and head
//! office, for the sync tests: connections dropped before the request
//! arrives, requests delivered twice, responses delayed, responses cut in
//! the middle (after the server committed — the classic "timeout, then
//! resend" that must not duplicate anything).
//!
//! It works on bytes, below HTTP, so it is faithful to what a flaky shop
//! network does. Each accepted connection draws one [`Fault`] from a seeded
//! RNG, so a failing seed replays the same faults. [`FaultCounts`] says
//! what was injected, so a test can check faults really happened.
//!
//! ```no_run
//! # async fn demo(server: std::net::SocketAddr) -> std::io::Result<()> {
//! use kasa_tests::fault_proxy::{FaultPlan, FaultProxy};
//! let proxy = FaultProxy::start(server, FaultPlan { seed: 7, ..FaultPlan::lossy() }).await?;
//! // point the terminal at proxy.addr() instead of the server
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded untouched.
    Pass,
    /// Closed as soon as the client sent something; nothing reaches the server.
    Drop,
    /// Everything the client sends is also sent on a second connection to
    /// the server (whose answers are thrown away): each request is applied twice.
    Duplicate,
    /// Each chunk in either direction waits this long.
    Delay {
        /// Delay per chunk.
        delay_ms: u64,
    },
    /// The response is cut after this many bytes and both sides are closed.
    CutResponse {
        /// Bytes of the response the client gets.
        after_bytes: usize,
    },
}

/// Chances (in percent, summing to ≤ 100) of each fault per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Seed of the per-connection draws.
    pub seed: u64,
    /// Percent of connections dropped.
    pub drop_percent: u8,
    /// Percent of connections duplicated.
    pub duplicate_percent: u8,
    /// Percent of connections delayed.
    pub delay_percent: u8,
    /// Largest delay per chunk.
    pub max_delay_ms: u64,
    /// Percent of connections whose response is cut.
    pub cut_percent: u8,
    /// Responses are cut somewhere in `1..=max_cut_bytes`.
    pub max_cut_bytes: usize,
}

impl FaultPlan {
    /// No faults.
    pub fn clean() -> Self {
        Self {
            seed: 0,
            drop_percent: 0,
            duplicate_percent: 0,
            delay_percent: 0,
            max_delay_ms: 0,
            cut_percent: 0,
            max_cut_bytes: 1,
        }
    }

    /// A bad network: 15 % dropped, 15 % duplicated, 10 % delayed up to
    /// 50 ms, 20 % cut mid-response.
    pub fn lossy() -> Self {
        Self {
            seed: 0,
            drop_percent: 15,
            duplicate_percent: 15,
            delay_percent: 10,
            max_delay_ms: 50,
            cut_percent: 20,
            max_cut_bytes: 300,
        }
    }

    fn draw(&self, rng: &mut StdRng) -> Fault {
        let roll: u8 = rng.random_range(0..100);
        let mut edge = self.drop_percent;
        if roll < edge {
            return Fault::Drop;
        }
        edge = edge.saturating_add(self.duplicate_percent);
        if roll < edge {
            return Fault::Duplicate;
        }
        edge = edge.saturating_add(self.delay_percent);
        if roll < edge {
            return Fault::Delay {
                delay_ms: rng.random_range(0..=self.max_delay_ms),
            };
        }
        edge = edge.saturating_add(self.cut_percent);
        if roll < edge {
            return Fault::CutResponse {
                after_bytes: rng.random_range(1..=self.max_cut_bytes.max(1)),
            };
        }
        Fault::Pass
    }
}

/// How many connections got each fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Untouched.
    pub passed: u64,
    /// Dropped.
    pub dropped: u64,
    /// Duplicated.
    pub duplicated: u64,
    /// Delayed.
    pub delayed: u64,
    /// Cut mid-response (counted when the cut happened).
    pub cut: u64,
}

#[derive(Debug, Default)]
struct Counters {
    passed: AtomicU64,
    dropped: AtomicU64,
    duplicated: AtomicU64,
    delayed: AtomicU64,
    cut: AtomicU64,
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    counters: Arc<Counters>,
    plan: Arc<Mutex<(FaultPlan, StdRng)>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Listen on 127.0.0.1 (a free port) and forward to `upstream`.
    pub async fn start(upstream: SocketAddr, plan: FaultPlan) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let plan = Arc::new(Mutex::new((plan, StdRng::seed_from_u64(plan.seed))));
        let (c, p) = (counters.clone(), plan.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fault = {
                    let mut guard = p.lock().unwrap_or_else(|e| e.into_inner());
                    let (plan, rng) = &mut *guard;
                    plan.draw(rng)
                };
                tokio::spawn(handle(client, upstream, fault, c.clone()));
            }
        });
        Ok(Self {
            addr,
            counters,
            plan,
            task,
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Change the plan for connections accepted from now on (e.g. heal the network).
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) =
            (plan, StdRng::seed_from_u64(plan.seed));
    }

    /// Faults injected so far.
    pub fn counts(&self) -> FaultCounts {
        let c = &self.counters;
        FaultCounts {
            passed: c.passed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            duplicated: c.duplicated.load(Ordering::Relaxed),
            delayed: c.delayed.load(Ordering::Relaxed),
            cut: c.cut.load(Ordering::Relaxed),
        }
    }
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    counters: Arc<Counters>,
) {
    if fault == Fault::Drop {
        let mut first = [0u8; 1];
        let _ = client.read(&mut first).await;
        counters.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let twin = if fault == Fault::Duplicate {
        TcpStream::connect(upstream).await.ok()
    } else {
        None
    };
    match fault {
        Fault::Pass => counters.passed.fetch_add(1, Ordering::Relaxed),
        Fault::Duplicate => counters.duplicated.fetch_add(1, Ordering::Relaxed),
        Fault::Delay { .. } => counters.delayed.fetch_add(1, Ordering::Relaxed),
        Fault::CutResponse { .. } | Fault::Drop => 0,
    };
    let delay_ms = match fault {
        Fault::Delay { delay_ms } => delay_ms,
        _ => 0,
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let twin_write = twin.map(|twin| {
        let (mut twin_read, twin_write) = twin.into_split();
        // the twin's answers are read and thrown away so the server is never blocked on them
        tokio::spawn(async move {
            let mut sink = vec![0u8; 16 * 1024];
            while matches!(twin_read.read(&mut sink).await, Ok(n) if n > 0) {}
        });
        twin_write
    });
    let upstream_task = tokio::spawn(client_to_server(
        client_read,
        server_write,
        twin_write,
        delay_ms,
    ));
    let cut = match fault {
        Fault::CutResponse { after_bytes } => Some(after_bytes),
        _ => None,
    };
    if server_to_client(server_read, client_write, delay_ms, cut).await {
        counters.cut.fetch_add(1, Ordering::Relaxed);
    }
    upstream_task.abort();
}

async fn client_to_server(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut twin: Option<OwnedWriteHalf>,
    delay_ms: u64,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        if let Some(t) = twin.as_mut()
            && t.write_all(&buf[..n]).await.is_err()
        {
            twin = None;
        }
    }
    let _ = to.shutdown().await;
}

/// Returns whether the response was cut.
async fn server_to_client(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    delay_ms: u64,
    cut: Option<usize>,
) -> bool {
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = cut;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        if let Some(remaining) = left {
            let take = remaining.min(n);
            let _ = to.write_all(&buf[..take]).await;
            if take < n || remaining == n {
                let _ = to.shutdown().await;
                return true;
            }
            left = Some(remaining - take);
        } else if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_plan_and_the_seed() {
        let plan = FaultPlan {
            seed: 42,
            ..FaultPlan::lossy()
        };
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..1000).map(|_| plan.draw(&mut rng)).collect::<Vec<_>>()
        };
        let faults = draw(42);
        assert_eq!(faults, draw(42), "same seed, same faults");
        let share = |f: fn(&Fault) -> bool| faults.iter().filter(|x| f(x)).count();
        let dropped = share(|f| *f == Fault::Drop);
        let cut = share(|f| matches!(f, Fault::CutResponse { .. }));
        assert!((100..200).contains(&dropped), "{dropped}");
        assert!((140..260).contains(&cut), "{cut}");
        let mut rng = StdRng::seed_from_u64(1);
        assert!((0..100).all(|_| FaultPlan::clean().draw(&mut rng) == Fault::Pass));
    }

    #[tokio::test]
    async fn cuts_duplicates_and_drops_over_real_sockets() {
        // an upstream that counts requests (lines) and answers each with 100 bytes
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        let seen = Arc::new(AtomicU64::new(0));
        let seen_by_server = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = upstream.accept().await {
                let seen = seen_by_server.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    if matches!(s.read(&mut buf).await, Ok(n) if n > 0) {
                        seen.fetch_add(1, Ordering::Relaxed);
                        let _ = s.write_all(&[b'x'; 100]).await;
                    }
                });
            }
        });
        let roundtrip = |addr: SocketAddr| async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"hello\n").await.unwrap();
            let mut got = Vec::new();
            let _ = c.read_to_end(&mut got).await;
            got.len()
        };
        let cut = FaultProxy::start(
            upstream_addr,
            FaultPlan {
                cut_percent: 100,
                max_cut_bytes: 10,
                ..FaultPlan::clean()
            },
        )
        .await
        .unwrap();
        let got = roundtrip(cut.addr()).await;
        assert!((1..=10).contains(&got), "{got}");
        assert_eq!(cut.counts().cut, 1);

        let before = seen.load(Ordering::Relaxed);
        let dup = FaultProxy::start(
            upstream_addr,
            FaultPlan {
                duplicate_percent: 100,
                ..FaultPlan::clean()
            },
        )
        .await
        .unwrap();
        assert_eq!(roundtrip(dup.addr()).await, 100);
        // the twin request reaches the server too; wait for it by polling the counter
        for _ in 0..200 {
            if seen.load(Ordering::Relaxed) == before + 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(seen.load(Ordering::Relaxed), before + 2);

        let before = seen.load(Ordering::Relaxed);
        let drop = FaultProxy::start(
            upstream_addr,
            FaultPlan {
                drop_percent: 100,
                ..FaultPlan::clean()
            },
        )
        .await
        .unwrap();
        assert_eq!(roundtrip(drop.addr()).await, 0);
        assert_eq!(
            seen.load(Ordering::Relaxed),
            before,
            "a dropped request reached the server"
        );
        drop.set_plan(FaultPlan::clean());
        assert_eq!(roundtrip(drop.addr()).await, 100);
        assert_eq!(
            drop.counts(),
            FaultCounts {
                passed: 1,
                dropped: 1,
                ..FaultCounts::default()
            }
        );
    }
}
