//! The `kasa` command line, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Kasa till administration: set up a till, import the catalog, run shifts,
/// sell and return from scripts, receive and count stock, verify the journal.
#[derive(Debug, Parser)]
#[command(name = "kasa", version, max_term_width = 100, after_help = PIN_HELP)]
pub struct Cli {
    /// The till database (created by `init`); default $KASA_DB, else
    /// ./kasa.sqlite.
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How PINs are given, shown under `kasa --help`.
const PIN_HELP: &str = "PINs: without --pin, kasa reads $KASA_PIN (a manager's approval: \
$KASA_APPROVAL_PIN), else asks for it without echo when run at a terminal. `--pin -` reads \
the PIN from the first line of stdin. `--pin 1234` works for scripts, but the PIN then stays \
in the shell history and other users can see it in the process list.";

impl Cli {
    /// The database path: `--db`, else `$KASA_DB`, else `./kasa.sqlite`.
    pub fn db_path(&self) -> PathBuf {
        self.db
            .clone()
            .or_else(|| std::env::var_os("KASA_DB").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("./kasa.sqlite"))
    }
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up a new till database for a store and terminal.
    Init(InitArgs),
    /// Import catalog data, customers or users from CSV/JSON.
    Import {
        /// What to import.
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Manage users.
    User {
        /// Action.
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Open and close shifts, cash in/out, no-sale, X report.
    Shift {
        /// Action.
        #[command(subcommand)]
        action: ShiftCommand,
    },
    /// Complete a scripted sale (JSON file, or `-` for stdin).
    Sell {
        /// The sale script.
        file: PathBuf,
        /// Print the receipt after the sale is committed, e.g.
        /// `tcp://192.168.1.50:9100` or `file:///tmp/receipt.bin`. The
        /// address is checked before the sale; a printer problem never
        /// undoes the sale: the receipt stays queued.
        #[arg(long)]
        print: Option<String>,
    },
    /// Reprint the receipt of a stored sale or return, marked COPY:
    /// `kasa print-receipt 42 --printer tcp://192.168.1.50:9100`
    /// (`42`, `0000000042`, `SA-0000000042`; returns as `RE-0000000007`).
    PrintReceipt {
        /// Document number.
        number: String,
        /// Printer URI (`tcp://…`, `serial://…`, `usb://…`, `file://…`).
        #[arg(long)]
        printer: String,
    },
    /// The receipt print queue of this till: what waits for a printer.
    PrintQueue {
        /// Action.
        #[command(subcommand)]
        action: PrintQueueCommand,
    },
    /// Sell the same script again and again, printing each completed
    /// document number after its commit (for crash and load tests).
    #[command(hide = true)]
    SellLoop {
        /// The sale script.
        file: PathBuf,
        /// Stop after this many sales (0 = until killed).
        #[arg(long, default_value_t = 0)]
        count: u64,
    },
    /// Return goods (JSON file, or `-` for stdin).
    Return {
        /// The return script.
        file: PathBuf,
    },
    /// Parked sales.
    Parked {
        /// Action.
        #[command(subcommand)]
        action: ParkedCommand,
    },
    /// Receive a delivery (JSON file, or `-` for stdin).
    Receive {
        /// The delivery.
        file: PathBuf,
        /// The receiving user's PIN (see "PINs" in `kasa --help`).
        #[arg(long)]
        pin: Option<String>,
    },
    /// Purchase orders.
    Po {
        /// Action.
        #[command(subcommand)]
        action: PoCommand,
    },
    /// Stock counts.
    Count {
        /// Action.
        #[command(subcommand)]
        action: CountCommand,
    },
    /// Stock on hand, or rebuild the on-hand cache from movements.
    Stock(StockArgs),
    /// Shift reports.
    Report {
        /// Which report.
        #[command(subcommand)]
        which: ReportCommand,
    },
    /// What is waiting to be sent to head office.
    Outbox {
        /// Show at most this many records.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Sync with head office: `enrol`, `set-ca`, `status`, `now`.
    Sync {
        /// Action.
        #[command(subcommand)]
        action: SyncCommand,
    },
    /// The fiscal journal.
    Journal {
        /// Action.
        #[command(subcommand)]
        action: JournalCommand,
    },
    /// Hardware: `devices list`, `print-test`, `drawer open`,
    /// `printer status`, `scale read` (from kasa-drivers).
    #[command(flatten)]
    Device(kasa_drivers::cli::DeviceCommand),
}

/// `kasa print-queue …`.
#[derive(Debug, Subcommand)]
pub enum PrintQueueCommand {
    /// Every job: waiting, printed, failed.
    List,
    /// Print a waiting or failed job now (after what waits before it for
    /// the same printer).
    Retry {
        /// Job id (from `list`).
        job: u64,
    },
    /// Delete a waiting or failed job: it will not be printed.
    Drop {
        /// Job id (from `list`).
        job: u64,
    },
}

/// `kasa init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Store id.
    #[arg(long)]
    pub store: String,
    /// Terminal id.
    #[arg(long)]
    pub terminal: String,
    /// Currency (EUR, GEL, BGN).
    #[arg(long)]
    pub currency: Option<String>,
    /// VAT preset: bulgaria or georgia.
    #[arg(long)]
    pub vat: Option<String>,
    /// A store configuration file (e.g. fixtures/demo/store.json).
    #[arg(long)]
    pub demo_config: Option<PathBuf>,
}

/// `kasa import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// products.csv.
    Products {
        /// File.
        file: PathBuf,
    },
    /// price_tiers.csv.
    Prices {
        /// File.
        file: PathBuf,
    },
    /// promotions.json.
    Promotions {
        /// File.
        file: PathBuf,
    },
    /// customers.csv.
    Customers {
        /// File.
        file: PathBuf,
    },
    /// users.csv (`login,name,role,pin`).
    Users {
        /// File.
        file: PathBuf,
    },
}

/// `kasa user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// Login.
        #[arg(long)]
        login: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// cashier, manager or admin.
        #[arg(long)]
        role: String,
        /// The new user's 4–8 digit PIN (`-` = first line of stdin; else
        /// $KASA_PIN; else asked for without echo).
        #[arg(long)]
        pin: Option<String>,
    },
    /// List users.
    List,
    /// Show the audit log.
    Audit,
}

/// `kasa shift …`.
#[derive(Debug, Subcommand)]
pub enum ShiftCommand {
    /// Open a shift with a counted float.
    Open {
        /// Float in the drawer.
        #[arg(long)]
        float: String,
        /// The opening user's PIN.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Put cash into the drawer.
    CashIn(CashArgs),
    /// Take cash out of the drawer (needs a manager).
    CashOut(CashArgs),
    /// Open the drawer without a sale (logged).
    NoSale {
        /// The user's PIN.
        #[arg(long)]
        pin: Option<String>,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// X report: the shift so far, no reset.
    X,
    /// Close the shift with the counted amounts; prints the Z report.
    Close {
        /// Counted per tender: `cash=512.30,card=800.00`.
        #[arg(long)]
        counted: String,
        /// Blind close: the expected amounts are not shown before counting.
        #[arg(long)]
        blind: bool,
        /// The closing user's PIN.
        #[arg(long)]
        pin: Option<String>,
    },
}

/// Cash in/out arguments.
#[derive(Debug, Args)]
pub struct CashArgs {
    /// Amount.
    #[arg(long)]
    pub amount: String,
    /// Reason.
    #[arg(long)]
    pub reason: String,
    /// The user's PIN.
    #[arg(long)]
    pub pin: Option<String>,
    /// A manager's PIN when the user may not do it alone (`-` = a line of
    /// stdin; else $KASA_APPROVAL_PIN).
    #[arg(long)]
    pub approval_pin: Option<String>,
}

/// `kasa parked …`.
#[derive(Debug, Subcommand)]
pub enum ParkedCommand {
    /// List parked sales.
    List,
}

/// `kasa count …`.
#[derive(Debug, Subcommand)]
pub enum CountCommand {
    /// Start a count session; prints its id.
    Start {
        /// `full`, `groups` (with --items) or `skus` (with --items).
        #[arg(long, default_value = "full")]
        scope: String,
        /// Comma-separated product groups or SKUs for a partial count.
        #[arg(long)]
        items: Option<String>,
        /// Blind count: counters do not see expected quantities.
        #[arg(long)]
        blind: bool,
        /// The starting user's PIN.
        #[arg(long)]
        pin: Option<String>,
    },
    /// Add a counted quantity from a device (several devices may count).
    Add {
        /// Count session id.
        session: String,
        /// Counting device (hand-held id).
        #[arg(long, default_value = "till")]
        device: String,
        /// Product SKU.
        #[arg(long)]
        sku: String,
        /// Quantity counted (added to what this device counted before).
        #[arg(long)]
        qty: String,
    },
    /// Close counting and show the variance.
    Review {
        /// Count session id.
        session: String,
    },
    /// Approve a count: posts adjustment movements (a manager, or a
    /// cashier with a manager's `--approval-pin`; audited).
    Approve {
        /// Count session id.
        session: String,
        /// The PIN of the user approving.
        #[arg(long)]
        pin: Option<String>,
        /// A manager's PIN when `--pin` is a cashier's.
        #[arg(long)]
        approval_pin: Option<String>,
    },
    /// Cancel a count without adjustments.
    Cancel {
        /// Count session id.
        session: String,
    },
}

/// `kasa po …`.
#[derive(Debug, Subcommand)]
pub enum PoCommand {
    /// Create a purchase order from JSON; prints its id.
    Create {
        /// The order (file or `-`).
        file: PathBuf,
    },
}

/// `kasa stock`.
#[derive(Debug, Args)]
pub struct StockArgs {
    /// One product.
    #[arg(long)]
    pub product: Option<String>,
    /// Rebuild.
    #[command(subcommand)]
    pub action: Option<StockCommand>,
}

/// `kasa stock rebuild`.
#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Rebuild the on-hand cache from the movements and compare.
    Rebuild,
    /// Check the on-hand cache against the movements without changing
    /// anything; exits non-zero (`stock.cache_differs`) when they differ.
    Verify,
}

/// `kasa report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// X report of the open shift.
    X,
    /// A stored Z report (the last one, or by number).
    Z {
        /// Z report number.
        #[arg(long)]
        number: Option<String>,
    },
}

/// `kasa sync …`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Enrol this till with head office using a single-use code (stores the credential).
    Enrol {
        /// Head office base URL, e.g. `https://hq.example.com:8080`.
        #[arg(long)]
        server: String,
        /// The enrolment code head office printed.
        #[arg(long)]
        code: String,
        /// PEM file of head office's own CA, trusted besides the system's
        /// roots (kept in the till's database; see `kasa sync set-ca`).
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
    },
    /// Re-enrol a till whose series forked from head office's (restored
    /// backup, cloned disk) as a new terminal; its records from the fork on
    /// become the new terminal's series.
    #[command(name = "re-enrol")]
    Reenrol {
        /// Head office base URL.
        #[arg(long)]
        server: String,
        /// A new enrolment code for this till's store.
        #[arg(long)]
        code: String,
        /// The new terminal id at head office (e.g. `T01B`).
        #[arg(long = "as", value_name = "TERMINAL_ID")]
        terminal: String,
    },
    /// Trust head office's own CA (PEM file) besides the system's roots, or `--clear` it.
    SetCa {
        /// The CA certificate (PEM).
        #[arg(
            value_name = "FILE",
            required_unless_present = "clear",
            conflicts_with = "clear"
        )]
        file: Option<PathBuf>,
        /// Trust only the system's roots again.
        #[arg(long)]
        clear: bool,
    },
    /// Records queued, age of the oldest, last success and last error.
    Status,
    /// Run one sync round now; exits non-zero with the error code on failure.
    Now {
        /// Send at most this many records per request (default: the protocol's limit);
        /// smaller batches suit a slow or unreliable link.
        #[arg(long, value_name = "N")]
        max_batch_records: Option<u32>,
    },
}

/// `kasa journal …`.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Verify the hash chain and the grand totals.
    Verify,
    /// Export every entry.
    Export {
        /// jsonl or csv.
        #[arg(long, value_enum, default_value_t = ExportFormatArg::Jsonl)]
        format: ExportFormatArg,
        /// Output file (default stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    /// JSON lines.
    Jsonl,
    /// CSV.
    Csv,
}
