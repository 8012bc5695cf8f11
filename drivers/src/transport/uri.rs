//! Device URIs: how devices are named in configuration and on the CLI.
//!
//! | URI | Meaning |
//! |-----|---------|
//! | `tcp://HOST[:PORT]` | raw TCP ("JetDirect"), port defaults to 9100; IPv6 as `tcp://[::1]:9100` |
//! | `serial:///dev/ttyUSB0[?baud=9600&parity=none&flow=none&data_bits=8&stop_bits=1]` | serial port; `serial://COM3` for a port name without a path |
//! | `usb://VID:PID` | USB printer-class device by vendor and product id, 4 hex digits each (`usb://04b8:0e15`) |
//! | `file:///PATH[?mode=truncate\|append]` | plain file (tests, previews); `truncate` (default) creates or empties the file on open, `append` creates it or appends to it |
//! | `dev:///dev/usb/lp0` | a character device written to directly (kernel `usblp`, parallel port) |
//!
//! Serial options: `baud` (any positive integer, default 9600), `parity`
//! `none|even|odd` (default none), `flow` `none|hardware|software` (default
//! none; hardware = RTS/CTS, software = XON/XOFF), `data_bits` `5..=8`
//! (default 8), `stop_bits` `1|2` (default 1). Unknown options are errors,
//! so a typo never silently falls back to a default. Paths are taken
//! literally (no percent-decoding); a path containing `?` cannot be named.
//! [`DeviceUri`]'s `Display` writes the canonical form, which parses back to
//! the same value.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::DriverError;

/// Default raw-printing TCP port (HP JetDirect / Epson / Star network cards).
pub const DEFAULT_TCP_PORT: u16 = 9100;

/// A parsed device address. See the module docs for the syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceUri {
    Tcp {
        host: String,
        port: u16,
    },
    Serial {
        port: String,
        settings: SerialSettings,
    },
    Usb {
        vendor_id: u16,
        product_id: u16,
    },
    File {
        path: PathBuf,
        mode: FileMode,
    },
    Dev {
        path: PathBuf,
    },
}

/// How `file://` opens its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FileMode {
    /// Create the file or empty an existing one (one job per file).
    #[default]
    Truncate,
    /// Create the file or append to it (a running log of jobs).
    Append,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FlowControl {
    #[default]
    None,
    /// RTS/CTS.
    Hardware,
    /// XON/XOFF.
    Software,
}

/// Line settings of a serial port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SerialSettings {
    pub baud: u32,
    pub parity: Parity,
    pub flow: FlowControl,
    /// 5..=8.
    pub data_bits: u8,
    /// 1 or 2.
    pub stop_bits: u8,
}

impl Default for SerialSettings {
    fn default() -> Self {
        SerialSettings {
            baud: 9600,
            parity: Parity::None,
            flow: FlowControl::None,
            data_bits: 8,
            stop_bits: 1,
        }
    }
}

impl DeviceUri {
    /// Parses a device URI (same as `str::parse`).
    pub fn parse(text: &str) -> Result<Self, DriverError> {
        text.parse()
    }

    /// The URI scheme (`tcp`, `serial`, `usb`, `file`, `dev`).
    pub fn scheme(&self) -> &'static str {
        match self {
            DeviceUri::Tcp { .. } => "tcp",
            DeviceUri::Serial { .. } => "serial",
            DeviceUri::Usb { .. } => "usb",
            DeviceUri::File { .. } => "file",
            DeviceUri::Dev { .. } => "dev",
        }
    }
}

fn invalid(uri: &str, reason: impl Into<String>) -> DriverError {
    DriverError::InvalidUri {
        uri: uri.to_string(),
        reason: reason.into(),
    }
}

impl FromStr for DeviceUri {
    type Err = DriverError;

    fn from_str(uri: &str) -> Result<Self, Self::Err> {
        let uri_trimmed = uri.trim();
        let (scheme, rest) = uri_trimmed
            .split_once("://")
            .ok_or_else(|| invalid(uri, "missing `scheme://` (tcp, serial, usb, file, dev)"))?;
        let (body, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let options = parse_query(uri, query)?;
        let no_options = |scheme: &str| -> Result<(), DriverError> {
            match options.first() {
                Some((k, _)) => Err(invalid(uri, format!("{scheme}:// takes no option `{k}`"))),
                None => Ok(()),
            }
        };
        match scheme.to_ascii_lowercase().as_str() {
            "tcp" => {
                no_options("tcp")?;
                parse_tcp(uri, body)
            }
            "serial" => parse_serial(uri, body, &options),
            "usb" => {
                no_options("usb")?;
                parse_usb(uri, body)
            }
            "file" => {
                let path = absolute_path(uri, body)?;
                let mut mode = FileMode::Truncate;
                for (k, v) in &options {
                    match (*k, *v) {
                        ("mode", "truncate") => mode = FileMode::Truncate,
                        ("mode", "append") => mode = FileMode::Append,
                        ("mode", other) => {
                            return Err(invalid(
                                uri,
                                format!("mode must be truncate or append, not `{other}`"),
                            ));
                        }
                        (other, _) => {
                            return Err(invalid(uri, format!("file:// has no option `{other}`")));
                        }
                    }
                }
                Ok(DeviceUri::File { path, mode })
            }
            "dev" => {
                no_options("dev")?;
                Ok(DeviceUri::Dev {
                    path: absolute_path(uri, body)?,
                })
            }
            other => Err(invalid(
                uri,
                format!("unknown scheme `{other}` (use tcp, serial, usb, file or dev)"),
            )),
        }
    }
}

fn parse_query<'a>(
    uri: &str,
    query: Option<&'a str>,
) -> Result<Vec<(&'a str, &'a str)>, DriverError> {
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(&str, &str)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| invalid(uri, format!("option `{pair}` must be key=value")))?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(invalid(uri, format!("option `{k}` given twice")));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn absolute_path(uri: &str, body: &str) -> Result<PathBuf, DriverError> {
    if !body.starts_with('/') || body.len() < 2 {
        return Err(invalid(
            uri,
            "needs an absolute path after `://` (three slashes: file:///tmp/x)",
        ));
    }
    Ok(PathBuf::from(body))
}

fn parse_tcp(uri: &str, body: &str) -> Result<DeviceUri, DriverError> {
    let body = body.strip_suffix('/').unwrap_or(body);
    if body.is_empty() {
        return Err(invalid(uri, "missing host"));
    }
    let (host, port_text) = if let Some(rest) = body.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| invalid(uri, "IPv6 address needs a closing `]`"))?;
        match after {
            "" => (host, None),
            p if p.starts_with(':') => (host, Some(&p[1..])),
            _ => return Err(invalid(uri, "unexpected text after `]`")),
        }
    } else {
        match body.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (body, None),
        }
    };
    if host.is_empty() || host.contains('/') || host.contains(':') && !body.starts_with('[') {
        return Err(invalid(
            uri,
            "host must be a name or address (IPv6 in brackets)",
        ));
    }
    let port = match port_text {
        None => DEFAULT_TCP_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(invalid(uri, format!("port `{p}` must be 1..65535"))),
            Ok(n) => n,
        },
    };
    Ok(DeviceUri::Tcp {
        host: host.to_string(),
        port,
    })
}

fn parse_serial(uri: &str, body: &str, options: &[(&str, &str)]) -> Result<DeviceUri, DriverError> {
    if body.is_empty() || body == "/" {
        return Err(invalid(
            uri,
            "missing port (serial:///dev/ttyUSB0 or serial://COM3)",
        ));
    }
    let mut s = SerialSettings::default();
    for (k, v) in options {
        match *k {
            "baud" => {
                s.baud = match v.parse::<u32>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return Err(invalid(
                            uri,
                            format!("baud `{v}` must be a positive integer"),
                        ));
                    }
                }
            }
            "parity" => {
                s.parity = match *v {
                    "none" => Parity::None,
                    "even" => Parity::Even,
                    "odd" => Parity::Odd,
                    _ => {
                        return Err(invalid(
                            uri,
                            format!("parity `{v}` must be none, even or odd"),
                        ));
                    }
                }
            }
            "flow" => {
                s.flow = match *v {
                    "none" => FlowControl::None,
                    "hardware" => FlowControl::Hardware,
                    "software" => FlowControl::Software,
                    _ => {
                        return Err(invalid(
                            uri,
                            format!("flow `{v}` must be none, hardware or software"),
                        ));
                    }
                }
            }
            "data_bits" => {
                s.data_bits = match v.parse::<u8>() {
                    Ok(n @ 5..=8) => n,
                    _ => {
                        return Err(invalid(
                            uri,
                            format!("data_bits `{v}` must be 5, 6, 7 or 8"),
                        ));
                    }
                }
            }
            "stop_bits" => {
                s.stop_bits = match v.parse::<u8>() {
                    Ok(n @ 1..=2) => n,
                    _ => return Err(invalid(uri, format!("stop_bits `{v}` must be 1 or 2"))),
                }
            }
            other => {
                return Err(invalid(
                    uri,
                    format!(
                        "serial:// has no option `{other}` (baud, parity, flow, data_bits, stop_bits)"
                    ),
                ));
            }
        }
    }
    Ok(DeviceUri::Serial {
        port: body.to_string(),
        settings: s,
    })
}

fn parse_usb(uri: &str, body: &str) -> Result<DeviceUri, DriverError> {
    let body = body.strip_suffix('/').unwrap_or(body);
    let (v, p) = body
        .split_once(':')
        .ok_or_else(|| invalid(uri, "expected usb://VID:PID in hex, e.g. usb://04b8:0e15"))?;
    let hex = |t: &str, what: &str| -> Result<u16, DriverError> {
        if t.is_empty() || t.len() > 4 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid(uri, format!("{what} `{t}` must be 1-4 hex digits")));
        }
        u16::from_str_radix(t, 16).map_err(|e| invalid(uri, e.to_string()))
    };
    Ok(DeviceUri::Usb {
        vendor_id: hex(v, "vendor id")?,
        product_id: hex(p, "product id")?,
    })
}

impl fmt::Display for DeviceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceUri::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            DeviceUri::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            DeviceUri::Serial { port, settings: s } => {
                let parity = match s.parity {
                    Parity::None => "none",
                    Parity::Even => "even",
                    Parity::Odd => "odd",
                };
                let flow = match s.flow {
                    FlowControl::None => "none",
                    FlowControl::Hardware => "hardware",
                    FlowControl::Software => "software",
                };
                write!(
                    f,
                    "serial://{port}?baud={}&parity={parity}&flow={flow}&data_bits={}&stop_bits={}",
                    s.baud, s.data_bits, s.stop_bits
                )
            }
            DeviceUri::Usb {
                vendor_id,
                product_id,
            } => write!(f, "usb://{vendor_id:04x}:{product_id:04x}"),
            DeviceUri::File { path, mode } => match mode {
                FileMode::Truncate => write!(f, "file://{}", path.display()),
                FileMode::Append => write!(f, "file://{}?mode=append", path.display()),
            },
            DeviceUri::Dev { path } => write!(f, "dev://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> DeviceUri {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_every_scheme() {
        assert_eq!(
            ok("tcp://192.168.1.50"),
            DeviceUri::Tcp {
                host: "192.168.1.50".into(),
                port: 9100
            }
        );
        assert_eq!(
            ok("tcp://printer.local:9101"),
            DeviceUri::Tcp {
                host: "printer.local".into(),
                port: 9101
            }
        );
        assert_eq!(
            ok("tcp://[::1]:9100"),
            DeviceUri::Tcp {
                host: "::1".into(),
                port: 9100
            }
        );
        assert_eq!(
            ok("tcp://[fe80::1]"),
            DeviceUri::Tcp {
                host: "fe80::1".into(),
                port: 9100
            }
        );
        assert_eq!(
            ok(
                "serial:///dev/ttyUSB0?baud=19200&parity=even&flow=hardware&data_bits=7&stop_bits=2"
            ),
            DeviceUri::Serial {
                port: "/dev/ttyUSB0".into(),
                settings: SerialSettings {
                    baud: 19200,
                    parity: Parity::Even,
                    flow: FlowControl::Hardware,
                    data_bits: 7,
                    stop_bits: 2
                }
            }
        );
        assert_eq!(
            ok("serial:///dev/ttyS0"),
            DeviceUri::Serial {
                port: "/dev/ttyS0".into(),
                settings: SerialSettings::default()
            }
        );
        assert_eq!(ok("serial://COM3?flow=software").scheme(), "serial");
        assert_eq!(
            ok("usb://04b8:0e15"),
            DeviceUri::Usb {
                vendor_id: 0x04b8,
                product_id: 0x0e15
            }
        );
        assert_eq!(
            ok("USB://04B8:0E15"),
            DeviceUri::Usb {
                vendor_id: 0x04b8,
                product_id: 0x0e15
            }
        );
        assert_eq!(
            ok("file:///tmp/r.bin"),
            DeviceUri::File {
                path: "/tmp/r.bin".into(),
                mode: FileMode::Truncate
            }
        );
        assert_eq!(
            ok("file:///tmp/r.bin?mode=append"),
            DeviceUri::File {
                path: "/tmp/r.bin".into(),
                mode: FileMode::Append
            }
        );
        assert_eq!(
            ok("dev:///dev/usb/lp0"),
            DeviceUri::Dev {
                path: "/dev/usb/lp0".into()
            }
        );
    }

    #[test]
    fn rejects_bad_uris_with_a_reason() {
        let bad = [
            "192.168.1.50:9100",
            "http://printer",
            "tcp://",
            "tcp://host:0",
            "tcp://host:99999",
            "tcp://host:abc",
            "tcp://::1:9100",
            "tcp://host?timeout=5",
            "serial://",
            "serial:///dev/ttyS0?baud=fast",
            "serial:///dev/ttyS0?baud=0",
            "serial:///dev/ttyS0?parity=mark",
            "serial:///dev/ttyS0?flow=rts",
            "serial:///dev/ttyS0?data_bits=9",
            "serial:///dev/ttyS0?stop_bits=3",
            "serial:///dev/ttyS0?bauds=9600",
            "serial:///dev/ttyS0?baud=9600&baud=19200",
            "serial:///dev/ttyS0?baud",
            "usb://04b8",
            "usb://04b8:xyz",
            "usb://104b8:0e15",
            "usb://04b8:0e15?iface=0",
            "file://relative/path",
            "file:///tmp/x?mode=rw",
            "file:///tmp/x?perm=1",
            "dev://lp0",
        ];
        for b in bad {
            let e = DeviceUri::parse(b).expect_err(b);
            assert_eq!(e.code(), "device.invalid_uri", "{b}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "tcp://10.0.0.7:9100",
            "tcp://[::1]:9100",
            "serial:///dev/ttyUSB0?baud=115200&parity=odd&flow=software&data_bits=8&stop_bits=1",
            "serial://COM3?baud=9600&parity=none&flow=none&data_bits=8&stop_bits=1",
            "usb://0519:0003",
            "file:///tmp/a.bin",
            "file:///tmp/a.bin?mode=append",
            "dev:///dev/usb/lp0",
        ] {
            let u = ok(s);
            assert_eq!(u.to_string(), s);
            assert_eq!(ok(&u.to_string()), u);
        }
    }
}
