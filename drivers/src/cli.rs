//! Device commands of the `kasa` CLI (the terminal's binary embeds
//! [`DeviceCommand`] and calls [`run`]):
//!
//! ```text
//! kasa devices list
//! kasa print-test --printer tcp://192.168.1.50:9100 [--width 58|80] [--code-page cp866|wpc1251]
//! kasa drawer open --printer tcp://192.168.1.50:9100 [--pin 2|5] [--on-ms 100] [--off-ms 500]
//! kasa printer status --printer tcp://192.168.1.50:9100
//! kasa scale read --device serial:///dev/ttyUSB0?baud=9600 [--protocol toledo|cas]
//! ```
//! `run` returns the text to print on success; errors carry stable codes
//! (`error[<code>]: <message>` is the terminal's job). A
//! [`DeviceCommandError`] keeps each device's own error: a scale that is
//! overloaded says `scale.overload` and what to do about it, not a generic
//! device error.

use clap::{Args, Subcommand, ValueEnum};

use crate::discovery;
use crate::drawer::{DrawerConnection, DrawerPulse, open_drawer};
use crate::error::DriverError;
use crate::printer::{
    BarcodeKind, CodePage, DrawerPin, PaperWidth, PrinterProfile, Receipt, ReceiptPrinter,
    TextStyle,
};
use crate::scale::{Scale, ScaleConfig, ScaleError, ScaleProtocol};
use crate::status::{PaperState, PrinterStatus};
use crate::transport::{DeviceUri, Timeouts};

/// Hardware commands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum DeviceCommand {
    /// Find serial ports and USB printers.
    Devices {
        #[command(subcommand)]
        action: DevicesAction,
    },
    /// Print a test page (Cyrillic, columns, barcode, QR, cut).
    PrintTest(PrintTestArgs),
    /// Cash drawer.
    Drawer {
        #[command(subcommand)]
        action: DrawerAction,
    },
    /// Receipt printer.
    Printer {
        #[command(subcommand)]
        action: PrinterAction,
    },
    /// Scale.
    Scale {
        #[command(subcommand)]
        action: ScaleAction,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum DevicesAction {
    /// List serial ports and USB printers with their device URIs.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct PrintTestArgs {
    /// Printer URI, e.g. tcp://192.168.1.50:9100.
    #[arg(long)]
    pub printer: String,
    #[arg(long, value_enum, default_value_t = WidthArg::W80)]
    pub width: WidthArg,
    #[arg(long, value_enum, default_value_t = CodePageArg::Cp866)]
    pub code_page: CodePageArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WidthArg {
    #[value(name = "58")]
    W58,
    #[value(name = "80")]
    W80,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodePageArg {
    Cp866,
    Wpc1251,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PinArg {
    #[value(name = "2")]
    Pin2,
    #[value(name = "5")]
    Pin5,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// Mettler-Toledo 8213/8217 demand mode ("W" → weight).
    Toledo,
    /// CAS / A&D continuous 18-byte records.
    Cas,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum DrawerAction {
    /// Pulse the drawer through the printer.
    Open {
        #[arg(long)]
        printer: String,
        #[arg(long, value_enum, default_value_t = PinArg::Pin2)]
        pin: PinArg,
        #[arg(long, default_value_t = 100)]
        on_ms: u16,
        #[arg(long, default_value_t = 500)]
        off_ms: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum PrinterAction {
    /// Real-time status (DLE EOT): online, cover, paper, drawer, faults.
    Status {
        #[arg(long)]
        printer: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ScaleAction {
    /// Read a stable weight.
    Read {
        #[arg(long)]
        device: String,
        #[arg(long, value_enum, default_value_t = ProtocolArg::Toledo)]
        protocol: ProtocolArg,
    },
}

fn profile(width: WidthArg, code_page: CodePageArg) -> PrinterProfile {
    let width = match width {
        WidthArg::W58 => PaperWidth::Mm58,
        WidthArg::W80 => PaperWidth::Mm80,
    };
    let code_page = match code_page {
        CodePageArg::Cp866 => CodePage::Cp866,
        CodePageArg::Wpc1251 => CodePage::Wpc1251,
    };
    PrinterProfile::new(width, code_page)
}

/// The test page.
pub fn test_page() -> Result<Receipt, DriverError> {
    let mut r = Receipt::new();
    r.text("KASA", TextStyle::heading())
        .text("Test page / Тестова страница", TextStyle::centered())
        .separator()
        .row("Хляб бял 500 г", "1.20")
        .row3("Сирене 0.452 кг", "x 12.90", "5.83")
        .separator()
        .row_styled(
            vec!["ОБЩО / TOTAL".into(), "7.03".into()],
            TextStyle::bold(),
        );
    let bad = |e: crate::printer::receipt::ReceiptError| DriverError::Device(e.to_string());
    r.barcode(BarcodeKind::Ean13, "400638133393").map_err(bad)?;
    r.qr("https://kasa.example/test", 4).map_err(bad)?;
    r.feed(1).cut();
    Ok(r)
}

fn describe_status(uri: &str, s: &PrinterStatus) -> String {
    let paper = match s.paper {
        PaperState::Ok => "ok",
        PaperState::NearEnd => "near end",
        PaperState::Out => "out",
    };
    let fault = s.error.map_or("none", |f| f.describe());
    format!(
        "printer {uri}\n  online: {}\n  cover: {}\n  paper: {paper}\n  drawer: {}\n  fault: {fault}\n",
        if s.online { "yes" } else { "no" },
        if s.cover_open { "open" } else { "closed" },
        if s.drawer_open { "open" } else { "closed" },
    )
}

/// Why a device command failed: a transport/printer error, or the scale's
/// own (overload, unstable, under zero, …), each with its stable code and
/// its advice.
#[derive(Debug, thiserror::Error)]
pub enum DeviceCommandError {
    /// Transport, printer or drawer.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The scale.
    #[error(transparent)]
    Scale(#[from] ScaleError),
}

impl DeviceCommandError {
    /// Stable code (`printer.offline`, `scale.overload`, …).
    pub fn code(&self) -> &'static str {
        match self {
            DeviceCommandError::Driver(e) => e.code(),
            DeviceCommandError::Scale(e) => e.code(),
        }
    }
}

/// Runs a device command; returns what to print.
pub fn run(cmd: DeviceCommand) -> Result<String, DeviceCommandError> {
    let timeouts = Timeouts::default();
    match cmd {
        DeviceCommand::Devices {
            action: DevicesAction::List,
        } => Ok(discovery::describe(&discovery::discover()?)),
        DeviceCommand::PrintTest(args) => {
            let uri = DeviceUri::parse(&args.printer)?;
            let profile = profile(args.width, args.code_page);
            let mut printer = ReceiptPrinter::open(&uri, profile, timeouts)?;
            printer.print(&test_page()?)?;
            Ok(format!("printed a test page on {uri}\n"))
        }
        DeviceCommand::Drawer {
            action:
                DrawerAction::Open {
                    printer,
                    pin,
                    on_ms,
                    off_ms,
                },
        } => {
            let uri = DeviceUri::parse(&printer)?;
            let pin = match pin {
                PinArg::Pin2 => DrawerPin::Pin2,
                PinArg::Pin5 => DrawerPin::Pin5,
            };
            let connection = DrawerConnection::ThroughPrinter {
                printer: uri.clone(),
                pulse: DrawerPulse { pin, on_ms, off_ms },
            };
            open_drawer(&connection, timeouts)?;
            Ok(format!("drawer pulse sent through {uri}\n"))
        }
        DeviceCommand::Printer {
            action: PrinterAction::Status { printer },
        } => {
            let uri = DeviceUri::parse(&printer)?;
            let mut p =
                ReceiptPrinter::open(&uri, profile(WidthArg::W80, CodePageArg::Cp866), timeouts)?;
            let status = p.status()?;
            Ok(describe_status(&uri.to_string(), &status))
        }
        DeviceCommand::Scale {
            action: ScaleAction::Read { device, protocol },
        } => {
            let uri = DeviceUri::parse(&device)?;
            let config = ScaleConfig {
                protocol: match protocol {
                    ProtocolArg::Toledo => ScaleProtocol::ToledoDemand,
                    ProtocolArg::Cas => ScaleProtocol::CasContinuous,
                },
                ..ScaleConfig::default()
            };
            let mut scale = Scale::open(&uri, config)?;
            let stable = scale.read_stable()?;
            Ok(format!(
                "{} kg{}\n",
                stable.weight.kg_text(),
                if stable.net { " net" } else { "" }
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::sim::tcp_printer::TcpPrinterSim;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: DeviceCommand,
    }

    fn parse(args: &[&str]) -> Result<DeviceCommand, clap::Error> {
        let mut all = vec!["kasa"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).map(|c| c.cmd)
    }

    #[test]
    fn parses_the_documented_commands() {
        assert_eq!(
            parse(&["devices", "list"]).unwrap(),
            DeviceCommand::Devices {
                action: DevicesAction::List
            }
        );
        assert_eq!(
            parse(&["drawer", "open", "--printer", "tcp://p:9100", "--pin", "5"]).unwrap(),
            DeviceCommand::Drawer {
                action: DrawerAction::Open {
                    printer: "tcp://p:9100".into(),
                    pin: PinArg::Pin5,
                    on_ms: 100,
                    off_ms: 500
                }
            }
        );
        assert!(parse(&["drawer", "open", "--printer", "x", "--pin", "3"]).is_err());
        assert_eq!(
            parse(&[
                "scale",
                "read",
                "--device",
                "serial:///dev/ttyS0",
                "--protocol",
                "cas"
            ])
            .unwrap(),
            DeviceCommand::Scale {
                action: ScaleAction::Read {
                    device: "serial:///dev/ttyS0".into(),
                    protocol: ProtocolArg::Cas
                }
            }
        );
        assert!(matches!(
            parse(&["print-test", "--printer", "file:///tmp/x", "--width", "58"]).unwrap(),
            DeviceCommand::PrintTest(PrintTestArgs {
                width: WidthArg::W58,
                ..
            })
        ));
        assert!(
            parse(&["printer", "status"]).is_err(),
            "--printer is required"
        );
    }

    #[test]
    fn print_test_drawer_and_status_against_the_simulator() {
        let sim = TcpPrinterSim::start().unwrap();
        let uri = sim.uri().to_string();
        let out = run(parse(&["print-test", "--printer", &uri]).unwrap()).unwrap();
        assert!(out.contains("printed a test page"));
        let jobs = sim
            .wait_for_print_jobs(1, std::time::Duration::from_secs(2))
            .unwrap();
        let expected = crate::printer::render(
            &test_page().unwrap(),
            &profile(WidthArg::W80, CodePageArg::Cp866),
        );
        assert_eq!(jobs[0].data, expected);

        run(parse(&["drawer", "open", "--printer", &uri, "--pin", "5"]).unwrap()).unwrap();
        let jobs = sim
            .wait_for_print_jobs(2, std::time::Duration::from_secs(2))
            .unwrap();
        assert_eq!(jobs[1].data, [0x1B, 0x70, 1, 50, 250]);

        sim.set_drawer_open(true);
        sim.set_cover_open(true);
        let status = run(parse(&["printer", "status", "--printer", &uri]).unwrap()).unwrap();
        assert!(status.contains("cover: open"), "{status}");
        assert!(status.contains("drawer: open"), "{status}");
        assert!(status.contains("online: no"), "{status}");

        // Printing on a printer with its cover open is refused, typed.
        let err = run(parse(&["print-test", "--printer", &uri]).unwrap()).unwrap_err();
        assert_eq!(err.code(), "printer.cover_open");
    }

    #[test]
    fn bad_uri_is_a_typed_error() {
        let err = run(parse(&["printer", "status", "--printer", "lpt1"]).unwrap()).unwrap_err();
        assert_eq!(err.code(), "device.invalid_uri");
    }
}
