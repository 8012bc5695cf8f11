//! Raw TCP ("port 9100") transport over `std::net::TcpStream`.
//!
//! Every resolved address is tried in turn within `connect_ms` each. An
//! unresolvable host is `UnknownHost` (a name, not a cable, is wrong);
//! refused/unreachable is `Offline`. Nagle is
//! switched off so a short status query goes out at once.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use super::{Timeouts, Transport, duration_ms};
use crate::error::DriverError;

#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    device: String,
    timeouts: Timeouts,
}

impl TcpTransport {
    pub fn connect(host: &str, port: u16, timeouts: Timeouts) -> Result<Self, DriverError> {
        let device = if host.contains(':') {
            format!("tcp://[{host}]:{port}")
        } else {
            format!("tcp://{host}:{port}")
        };
        let addrs: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| DriverError::UnknownHost {
                device: device.clone(),
                host: host.to_string(),
                detail: e.to_string(),
            })?
            .collect();
        let mut last = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, duration_ms(timeouts.connect_ms)) {
                Ok(stream) => {
                    let map =
                        |e: std::io::Error| DriverError::from_io(&device, "configuring", 0, &e);
                    stream.set_nodelay(true).map_err(map)?;
                    stream
                        .set_write_timeout(Some(duration_ms(timeouts.write_ms)))
                        .map_err(map)?;
                    return Ok(TcpTransport {
                        stream,
                        device,
                        timeouts,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(e) => DriverError::from_io(&device, "connecting", timeouts.connect_ms, &e),
            None => DriverError::UnknownHost {
                device: device.clone(),
                host: host.to_string(),
                detail: "the name has no address".into(),
            },
        })
    }
}

impl Transport for TcpTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.stream
            .write_all(bytes)
            .map_err(|e| DriverError::from_io(&self.device, "writing", self.timeouts.write_ms, &e))
    }

    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
        self.stream
            .set_read_timeout(Some(duration_ms(timeout_ms)))
            .map_err(|e| DriverError::from_io(&self.device, "configuring", 0, &e))?;
        match self.stream.read(buf) {
            Ok(0) if !buf.is_empty() => Err(DriverError::Offline {
                device: self.device.clone(),
                detail: "connection closed by the device".into(),
            }),
            Ok(n) => Ok(n),
            Err(e) => Err(DriverError::from_io(
                &self.device,
                "reading",
                timeout_ms,
                &e,
            )),
        }
    }

    fn flush(&mut self) -> Result<(), DriverError> {
        self.stream
            .flush()
            .map_err(|e| DriverError::from_io(&self.device, "flushing", self.timeouts.write_ms, &e))
    }

    fn device(&self) -> String {
        self.device.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn refused_connection_is_offline() {
        // Bind then drop to get a port nothing listens on.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = TcpTransport::connect("127.0.0.1", port, Timeouts::default()).unwrap_err();
        assert_eq!(err.code(), "printer.offline", "{err}");
    }

    #[test]
    fn an_unknown_host_name_is_said_as_such_not_as_a_cable() {
        let err =
            TcpTransport::connect("no-such-host.invalid", 9100, Timeouts::default()).unwrap_err();
        assert_eq!(err.code(), "device.unknown_host", "{err}");
        let message = err.to_string();
        assert!(
            message.contains("`no-such-host.invalid`") && message.contains("could not be found"),
            "{message}"
        );
        assert!(!message.contains("cable"), "{message}");
    }

    #[test]
    fn bytes_go_both_ways_and_silence_is_a_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = [0u8; 3];
            s.read_exact(&mut got).unwrap();
            s.write_all(&[0x16]).unwrap();
            // Wait for the client to close.
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).unwrap();
            got
        });
        let mut t = TcpTransport::connect("127.0.0.1", port, Timeouts::default()).unwrap();
        t.write_all(&[0x10, 0x04, 0x01]).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(t.read(&mut buf, 2_000).unwrap(), 1);
        assert_eq!(buf[0], 0x16);
        let err = t.read(&mut buf, 30).unwrap_err();
        assert_eq!(err.code(), "device.timeout", "{err}");
        drop(t);
        assert_eq!(server.join().unwrap(), [0x10, 0x04, 0x01]);
    }

    #[test]
    fn peer_close_is_offline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || drop(listener.accept().unwrap()));
        let mut t = TcpTransport::connect("127.0.0.1", port, Timeouts::default()).unwrap();
        server.join().unwrap();
        let err = t.read(&mut [0u8; 4], 2_000).unwrap_err();
        assert_eq!(err.code(), "printer.offline", "{err}");
    }
}
