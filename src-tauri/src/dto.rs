//! The data that crosses IPC, and the TypeScript the UI is compiled
//! against.
//!
//! Money and quantities cross as decimal strings (`"12.50"`, `"1.234"`):
//! never floats, and the UI never does money arithmetic — totals, change
//! and rounding come from the till core. The TypeScript in
//! `ui/src/generated/types.ts` is generated from these types with ts-rs
//! ([`typescript_bindings`]); the test `generated_types_match_the_rust_dtos`
//! fails when the committed file drifts (regenerate with
//! `KASA_UPDATE_BINDINGS=1 cargo test -p kasa-desktop generated_types`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ApiError;

/// A logged-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UserView {
    pub login: String,
    pub name: String,
    /// `cashier`, `manager`, `admin`.
    pub role: String,
}

/// The open shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ShiftView {
    pub id: String,
    pub opened_by: String,
    pub opened_at: String,
    pub float: String,
}

/// Who is at the till, what store, what shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SessionView {
    pub user: Option<UserView>,
    pub shift: Option<ShiftView>,
    pub store_id: String,
    pub terminal_id: String,
    pub currency: String,
    /// Discount percent above which a manager must approve.
    pub discount_limit_percent: String,
    /// Whether the till was started with `--demo` (PINs are shown on the
    /// login screen).
    pub demo: bool,
}

/// One line of the open sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LineView {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub qty: String,
    /// `piece`, `kg`, `l`, `m`.
    pub unit: String,
    pub unit_price: String,
    /// Line + promotion + share of receipt discounts.
    pub discount: String,
    pub total: String,
    /// The price rule that won (`base`, `promotion`, `step`, `manual`…).
    pub rule: String,
}

/// A payment already added to the open sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TenderView {
    pub kind: String,
    pub amount: String,
    pub reference: Option<String>,
}

/// The customer attached to the sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CustomerView {
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub available_credit: String,
}

/// The open sale as the till screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SaleView {
    pub id: String,
    pub lines: Vec<LineView>,
    /// Lines before discounts.
    pub subtotal: String,
    pub discount_total: String,
    /// Receipt discounts only.
    pub receipt_discount: String,
    pub total: String,
    pub vat_total: String,
    pub customer: Option<CustomerView>,
    pub tenders: Vec<TenderView>,
    /// Still to pay (0 when paid).
    pub outstanding: String,
    /// What is due in cash for the rest, after cash rounding.
    pub cash_due: String,
    /// Cash rounding of the cash due (signed).
    pub cash_rounding: String,
    pub change: String,
    /// The last line added (for the scan feedback).
    pub last_line_no: Option<u32>,
}

/// A search hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProductHitView {
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub plu: Option<u32>,
    /// Today's price for one unit, when it can be priced.
    pub price: Option<String>,
}

/// What the printer did with a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintOutcome {
    /// Print-queue job id (`None` when no printer is configured).
    pub job_id: Option<u64>,
    /// `queued`, `printing`, `printed`, `failed`, `no_printer`.
    pub state: String,
    pub message: Option<String>,
}

/// A completed sale or return, with its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReceiptView {
    pub document_id: String,
    pub number: String,
    /// `sale`, `return`, `void`.
    pub kind: String,
    pub total: String,
    pub change: String,
    pub cash_rounding: String,
    pub tenders: Vec<TenderView>,
    /// The receipt as the printer prints it (decoded from the ESC/POS bytes).
    pub text: Vec<String>,
    pub print: PrintOutcome,
}

/// A parked sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ParkedView {
    pub id: String,
    pub parked_at: String,
    pub cashier: String,
    pub label: Option<String>,
    pub lines: u32,
}

/// One line of an original sale, for returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ReturnableLine {
    pub line_no: u32,
    pub sku: String,
    pub name: String,
    pub sold_qty: String,
    /// Taken back by earlier returns of this sale.
    pub returned_qty: String,
    /// What can still be returned (sold − returned).
    pub returnable_qty: String,
    pub unit_price: String,
    pub total: String,
}

/// An original sale found for a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OriginalSaleView {
    pub number: String,
    pub completed_at: String,
    pub total: String,
    pub lines: Vec<ReturnableLine>,
}

/// One line to return.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct ReturnLineInput {
    /// Line of the original receipt (with a receipt).
    pub line_no: Option<u32>,
    /// Product code (without a receipt).
    pub code: Option<String>,
    pub qty: String,
}

/// A return to make.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct ReturnInput {
    /// Original receipt number; `null` = without receipt (manager).
    pub original: Option<String>,
    pub lines: Vec<ReturnLineInput>,
    /// Refund tender kind (`cash`, `card`…).
    pub tender: String,
    pub reason: Option<String>,
    pub approval_pin: Option<String>,
}

/// Expected or counted amount of one tender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TenderAmount {
    pub kind: String,
    pub amount: String,
}

/// X report (or the figures of a Z report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ShiftReportView {
    pub opened_by: String,
    pub opened_at: String,
    pub float: String,
    pub sales_count: u32,
    pub sales_total: String,
    pub returns_count: u32,
    pub returns_total: String,
    pub voids_count: u32,
    pub no_sale_count: u32,
    pub cash_in_total: String,
    pub cash_out_total: String,
    /// Empty in a blind close.
    pub expected: Vec<TenderAmount>,
    /// The report as text.
    pub text: String,
}

/// Per-tender variance of a close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TenderVarianceView {
    pub kind: String,
    pub expected: Option<String>,
    pub counted: String,
    pub variance: Option<String>,
}

/// The Z report of a closed shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ZReportView {
    pub number: String,
    pub blind: bool,
    pub tenders: Vec<TenderVarianceView>,
    pub total_variance: Option<String>,
    pub report: ShiftReportView,
}

/// A finished cash-in / cash-out / no-sale / shift-open document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DocumentDone {
    pub document_id: String,
    pub number: String,
}

/// A count session in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CountSessionView {
    pub id: String,
    pub blind: bool,
    /// `full`, `groups`, `skus`.
    pub scope: String,
    pub status: String,
    pub entries: Vec<CountEntryView>,
}

/// One counted scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CountEntryView {
    pub entry_no: u64,
    pub sku: String,
    pub name: String,
    pub qty: String,
    /// Running total of this product in the session.
    pub counted: String,
    /// Hidden (null) in a blind count.
    pub expected: Option<String>,
}

/// One variance line of a count review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VarianceView {
    pub sku: String,
    pub expected: String,
    pub counted: String,
    pub variance: String,
    pub value: String,
}

/// The review of a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CountReviewView {
    pub session: String,
    pub lines: Vec<VarianceView>,
    pub total_value: String,
}

/// One received line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct ReceiveLineInput {
    /// Barcode, PLU or SKU.
    pub code: String,
    pub qty: String,
    pub unit_cost: Option<String>,
}

/// A delivery to receive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct ReceiveInput {
    pub supplier: String,
    pub delivery_note: Option<String>,
    pub lines: Vec<ReceiveLineInput>,
}

/// A product resolved from a code (receiving, counting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ResolvedView {
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// What the code stands for (packaging multiplier or weight).
    pub qty: String,
}

/// The till's sync with head office: the `sync-status` event's payload and
/// the Sync screen (see `crate::sync::view_of`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncStatusView {
    /// The last round reached head office and completed.
    pub online: bool,
    /// Records (documents, stock movements, journal entries) head office
    /// has not acknowledged yet.
    pub queued: u32,
    /// When the oldest unsynced document was written (UTC).
    pub oldest_unsynced_at: Option<String>,
    /// The last round that completed (UTC).
    pub last_sync_at: Option<String>,
    /// The last error's message (cleared by a completed round).
    pub last_error: Option<String>,
    /// `online`, `offline`, `never_synced` or `not_enrolled`.
    pub state: String,
    /// The till holds a credential from head office.
    pub enrolled: bool,
    /// Head office's address.
    pub server_url: Option<String>,
    /// This till's terminal id at head office.
    pub terminal_id: Option<String>,
    /// Documents not yet fully acknowledged.
    pub documents_queued: u32,
    /// Age of the oldest unsynced document, seconds.
    pub oldest_unsynced_age_seconds: Option<u32>,
    /// The last round attempted (UTC).
    pub last_attempt_at: Option<String>,
    /// The last error's code (`sync.offline`, `auth.invalid`, …).
    pub last_error_code: Option<String>,
    /// When it happened (UTC).
    pub last_error_at: Option<String>,
    /// The background loop runs (enrolled tills only).
    pub running: bool,
    /// Rounds the loop ran since the app started.
    pub rounds: u32,
    /// Failed rounds in a row (the loop backs off).
    pub consecutive_failures: u32,
}

/// One device and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DeviceStatusView {
    /// `printer`, `drawer`, `scanner`, `scale`.
    pub device: String,
    /// `ready`, `offline`, `paper_out`, `cover_open`, `error`, `not_configured`.
    pub state: String,
    pub uri: Option<String>,
    pub detail: Option<String>,
}

/// A device found by discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DiscoveredDevice {
    /// `serial` or `usb_printer`.
    pub kind: String,
    pub uri: String,
    pub label: String,
}

/// A print-queue job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintJobView {
    pub id: u64,
    pub state: String,
    pub copy: bool,
    pub error: Option<String>,
}

/// The saved device choices (Devices screen; in and out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeviceChoicesView {
    /// Receipt printer URI (`null` = none).
    pub printer: Option<String>,
    /// Serial scanner URI.
    pub scanner: Option<String>,
    /// `none`, `printer` (pulse through the printer) or `serial`.
    pub drawer_kind: String,
    /// The serial drawer's port.
    pub drawer_uri: Option<String>,
    /// The bytes that open the serial drawer, in hex (`07`).
    pub drawer_open_hex: Option<String>,
    /// Serial scale URI.
    pub scale: Option<String>,
    /// `toledo` or `cas`.
    pub scale_protocol: String,
}

/// The Devices screen: choices, each device's state, discovery, jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DeviceSettingsView {
    pub choices: DeviceChoicesView,
    /// `printer`, `drawer`, `scanner`, `scale`.
    pub devices: Vec<DeviceStatusView>,
    pub discovered: Vec<DiscoveredDevice>,
    pub discovery_error: Option<String>,
    pub jobs: Vec<PrintJobView>,
}

/// A stable weight read from the scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WeightView {
    /// Kilograms, 3 decimals (`"1.234"`).
    pub kg: String,
    /// Readings it took to settle.
    pub readings: u32,
}

/// Serial-scanner input, emitted as the `scanner-input` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ScannerInput {
    pub code: String,
    /// `serial`.
    pub source: String,
}

/// Keyboard-wedge thresholds (from `kasa_drivers::wedge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WedgeThresholdsView {
    pub min_scan_len: u32,
    pub max_mean_gap_ms: u32,
    pub max_gap_ms: u32,
    pub terminator_timeout_ms: u32,
    pub accept_unterminated: bool,
}

/// Event names, typed on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum EventName {
    DeviceStatus,
    SyncStatus,
    ScannerInput,
}

impl EventName {
    /// The event's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::DeviceStatus => "device-status",
            EventName::SyncStatus => "sync-status",
            EventName::ScannerInput => "scanner-input",
        }
    }
}

macro_rules! bindings {
    ($($t:ty),* $(,)?) => {
        /// The TypeScript declarations of every DTO, as committed in
        /// `ui/src/generated/types.ts`.
        pub fn typescript_bindings() -> String {
            let mut out = String::from(
                "// Generated from the Rust DTOs of kasa-desktop by ts-rs. Do not edit.\n\
                 // Regenerate: KASA_UPDATE_BINDINGS=1 cargo test -p kasa-desktop generated_types\n\n",
            );
            $(
                out.push_str("export ");
                out.push_str(&<$t as TS>::decl());
                out.push_str("\n\n");
            )*
            out
        }
    };
}

bindings!(
    ApiError,
    UserView,
    ShiftView,
    SessionView,
    LineView,
    TenderView,
    CustomerView,
    SaleView,
    ProductHitView,
    PrintOutcome,
    ReceiptView,
    ParkedView,
    ReturnableLine,
    OriginalSaleView,
    ReturnLineInput,
    ReturnInput,
    TenderAmount,
    ShiftReportView,
    TenderVarianceView,
    ZReportView,
    DocumentDone,
    CountSessionView,
    CountEntryView,
    VarianceView,
    CountReviewView,
    ReceiveLineInput,
    ReceiveInput,
    ResolvedView,
    SyncStatusView,
    DeviceStatusView,
    DiscoveredDevice,
    PrintJobView,
    ScannerInput,
    WedgeThresholdsView,
    EventName,
    DeviceChoicesView,
    DeviceSettingsView,
    WeightView,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated/types.ts")
    }

    #[test]
    fn generated_types_match_the_rust_dtos() {
        let fresh = typescript_bindings();
        let path = committed_path();
        if std::env::var_os("KASA_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/generated/types.ts is out of date with the Rust DTOs — run \
             KASA_UPDATE_BINDINGS=1 cargo test -p kasa-desktop generated_types and commit it"
        );
    }

    #[test]
    fn every_event_name_is_declared_in_the_bindings() {
        let ts = typescript_bindings();
        for e in [
            EventName::DeviceStatus,
            EventName::SyncStatus,
            EventName::ScannerInput,
        ] {
            assert!(
                ts.contains(&format!("\"{}\"", e.as_str())),
                "{}",
                e.as_str()
            );
        }
    }
}
