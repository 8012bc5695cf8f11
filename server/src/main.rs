//! `kasa-server` — the head-office binary.
//!
//! ```text
//! kasa-server [--config FILE] [--database SPEC] serve [--listen ADDR]
//! kasa-server migrate
//! kasa-server tenant create ID --name NAME
//! kasa-server store create --tenant ID ID --name NAME
//! kasa-server enrol-code --tenant ID --store ID [--ttl-minutes N]
//! kasa-server terminal list --tenant ID [--format text|json]
//! kasa-server terminal revoke ID --tenant ID --store ID [--by NAME]
//! kasa-server report sales|stock|terminals|journal --tenant ID [--format json|csv] [--from DAY] [--to DAY] [--store ID]
//! ```
//! `--database` is `sqlite:PATH` (default `sqlite:kasa-server.db`) or
//! `postgres://user@host:port/db`; also `KASA_SERVER_DATABASE`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kasa_server::report::{Format, ReportFilter, ReportKind, report};
use kasa_server::{AppState, ServerConfig, db};

#[derive(Debug, Parser)]
#[command(
    name = "kasa-server",
    version,
    about = "Kasa head office: sync server, reports, master-data publishing"
)]
struct Cli {
    /// JSON configuration file.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database: sqlite:PATH or postgres://… (overrides config and KASA_SERVER_DATABASE).
    #[arg(long, global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (migrates first).
    Serve {
        /// host:port to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// PEM certificate chain (with --tls-key: HTTPS only).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Tenants.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Stores.
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Make a single-use enrolment code for a store (printed once).
    EnrolCode {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        store: String,
        /// Minutes until it expires (default from config: 1440).
        #[arg(long)]
        ttl_minutes: Option<u64>,
    },
    /// Terminals: list them, revoke a lost, stolen or replaced one.
    Terminal {
        #[command(subcommand)]
        action: TerminalAction,
    },
    /// Print a report.
    Report {
        /// sales, stock, terminals or journal.
        kind: String,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        store: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TenantAction {
    /// Create a tenant.
    Create {
        id: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum TerminalAction {
    /// Every terminal of a tenant: enrolled, last seen, lag, revoked.
    List {
        #[arg(long)]
        tenant: String,
        /// text (a table) or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Revoke a terminal: its credential is refused from now on (records
    /// it sent stay). Idempotent. A replacement enrols as a new terminal.
    Revoke {
        /// The terminal's id.
        id: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        store: String,
        /// Who is revoking, for the record (default: the OS user).
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum StoreAction {
    /// Create a store of a tenant.
    Create {
        id: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
    },
}

fn init_logs(config: &ServerConfig) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

fn api_error(e: kasa_server::ApiError) -> anyhow::Error {
    anyhow::anyhow!("error[{}]: {}", e.code, e.message)
}

async fn terminal_command(
    database: &dyn db::Database,
    action: TerminalAction,
) -> anyhow::Result<()> {
    use kasa_server::app::terminals::{revoke_terminal, terminal_statuses};
    match action {
        TerminalAction::List { tenant, format } => {
            let rows = terminal_statuses(database, &tenant, now_ms())
                .await
                .map_err(api_error)?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
                "text" => {
                    println!(
                        "{:<16} {:<12} {:<21} {:<21} {:>9} {:>10}  revoked",
                        "terminal", "store", "enrolled", "last seen", "lag s", "held"
                    );
                    let dash = || "-".to_owned();
                    for row in rows {
                        println!(
                            "{:<16} {:<12} {:<21} {:<21} {:>9} {:>10}  {}",
                            row.terminal_id,
                            row.store_id,
                            row.enrolled_at.unwrap_or_else(dash),
                            row.last_seen.unwrap_or_else(dash),
                            row.lag_seconds.map_or_else(dash, |s| s.to_string()),
                            row.held_through,
                            match (row.revoked_at, row.revoked_by) {
                                (Some(at), Some(by)) => format!("{at} by {by}"),
                                _ => dash(),
                            }
                        );
                    }
                }
                other => anyhow::bail!("unknown format \"{other}\": use text or json"),
            }
        }
        TerminalAction::Revoke {
            id,
            tenant,
            store,
            by,
        } => {
            let user = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown user".to_owned());
            let reply = revoke_terminal(database, &tenant, &store, &id, &format!("{user} (CLI)"))
                .await
                .map_err(api_error)?;
            if reply.newly_revoked {
                println!(
                    "terminal {id} of store {store} revoked at {}; its records stay. Enrol a replacement as a new terminal with a new code (kasa-server enrol-code)",
                    reply.revoked_at
                );
            } else {
                println!(
                    "terminal {id} of store {store} was already revoked at {} by {}; nothing changed",
                    reply.revoked_at, reply.revoked_by
                );
            }
        }
    }
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = ServerConfig::load(cli.config.as_deref())?;
    if let Some(database) = cli.database {
        config.database = database;
    }
    init_logs(&config);
    let database = db::open(&config.database)
        .await
        .with_context(|| format!("cannot open database {}", config.database))?;
    let version = database.migrate().await?;
    match cli.command {
        Command::Migrate => println!("schema version {version} ({})", database.backend()),
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
        } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if tls_cert.is_some() {
                config.tls_cert = tls_cert;
                config.tls_key = tls_key;
            }
            let tls = match (config.tls_cert.clone(), config.tls_key.clone()) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => anyhow::bail!("TLS needs both a certificate and a key (tls_cert and tls_key)"),
            };
            let listener = std::net::TcpListener::bind(&config.listen)
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let local = listener.local_addr()?;
            if config.metrics_token.is_none() && !local.ip().is_loopback() {
                tracing::warn!(listen = %local, "/metrics is open on a non-loopback address: set metrics_token (or KASA_SERVER_METRICS_TOKEN)");
            }
            tracing::info!(listen = %local, tls = tls.is_some(), backend = database.backend(), admin_api = config.admin_token.is_some(), "kasa-server ready");
            let state = AppState::new(database, config);
            match tls {
                Some((cert, key)) => {
                    kasa_server::serve_tls(listener, state, &cert, &key, shutdown_signal()).await?
                }
                None => {
                    listener.set_nonblocking(true)?;
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    kasa_server::serve(listener, state, shutdown_signal()).await?
                }
            }
        }
        Command::Tenant {
            action: TenantAction::Create { id, name },
        } => {
            database.create_tenant(&id, &name, now_ms()).await?;
            println!("tenant {id} created");
        }
        Command::Store {
            action: StoreAction::Create { id, tenant, name },
        } => {
            database.create_store(&tenant, &id, &name, now_ms()).await?;
            println!("store {id} of tenant {tenant} created");
        }
        Command::EnrolCode {
            tenant,
            store,
            ttl_minutes,
        } => {
            let ttl = ttl_minutes.unwrap_or(config.enrolment_code_ttl_minutes);
            let issued =
                kasa_server::app::admin::issue_code(database.as_ref(), &tenant, &store, ttl)
                    .await
                    .map_err(api_error)?;
            println!(
                "{}\nvalid until {} — single use; type it into the till's enrolment screen",
                issued.code, issued.expires_at
            );
        }
        Command::Terminal { action } => terminal_command(database.as_ref(), action).await?,
        Command::Report {
            kind,
            tenant,
            format,
            from,
            to,
            store,
        } => {
            let kind: ReportKind = kind.parse().map_err(anyhow::Error::msg)?;
            let format: Format = format.parse().map_err(anyhow::Error::msg)?;
            let filter = ReportFilter {
                from_day: from,
                to_day: to,
                store_id: store,
            };
            print!(
                "{}",
                report(database.as_ref(), &tenant, kind, &filter, format, now_ms()).await?
            );
        }
    }
    Ok(())
}
