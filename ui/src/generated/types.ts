// Generated from the Rust DTOs of kasa-desktop by ts-rs. Do not edit.
// Regenerate: KASA_UPDATE_BINDINGS=1 cargo test -p kasa-desktop generated_types

export type ApiError = { 
/**
 * Stable code, `area.snake_case`.
 */
code: string, 
/**
 * What happened and what to do, in English (the UI translates the
 * codes it knows).
 */
message: string, 
/**
 * The permission a manager must grant (`void_line`, `void_sale`, …).
 */
permission: string | null, };

export type UserView = { login: string, name: string, 
/**
 * `cashier`, `manager`, `admin`.
 */
role: string, };

export type ShiftView = { id: string, opened_by: string, opened_at: string, float: string, };

export type SessionView = { user: UserView | null, shift: ShiftView | null, store_id: string, terminal_id: string, currency: string, 
/**
 * Discount percent above which a manager must approve.
 */
discount_limit_percent: string, 
/**
 * Whether the till was started with `--demo` (PINs are shown on the
 * login screen).
 */
demo: boolean, };

export type LineView = { line_no: number, sku: string, name: string, qty: string, 
/**
 * `piece`, `kg`, `l`, `m`.
 */
unit: string, unit_price: string, 
/**
 * Line + promotion + share of receipt discounts.
 */
discount: string, total: string, 
/**
 * The price rule that won (`base`, `promotion`, `step`, `manual`…).
 */
rule: string, };

export type TenderView = { kind: string, amount: string, reference: string | null, };

export type CustomerView = { code: string, name: string, group: string | null, available_credit: string, };

export type SaleView = { id: string, lines: Array<LineView>, 
/**
 * Lines before discounts.
 */
subtotal: string, discount_total: string, 
/**
 * Receipt discounts only.
 */
receipt_discount: string, total: string, vat_total: string, customer: CustomerView | null, tenders: Array<TenderView>, 
/**
 * Still to pay (0 when paid).
 */
outstanding: string, 
/**
 * What is due in cash for the rest, after cash rounding.
 */
cash_due: string, 
/**
 * Cash rounding of the cash due (signed).
 */
cash_rounding: string, change: string, 
/**
 * The last line added (for the scan feedback).
 */
last_line_no: number | null, };

export type ProductHitView = { sku: string, name: string, unit: string, plu: number | null, 
/**
 * Today's price for one unit, when it can be priced.
 */
price: string | null, };

export type PrintOutcome = { 
/**
 * Print-queue job id (`None` when no printer is configured).
 */
job_id: bigint | null, 
/**
 * `queued`, `printing`, `printed`, `failed`, `no_printer`.
 */
state: string, message: string | null, };

export type ReceiptView = { document_id: string, number: string, 
/**
 * `sale`, `return`, `void`.
 */
kind: string, total: string, change: string, cash_rounding: string, tenders: Array<TenderView>, 
/**
 * The receipt as the printer prints it (decoded from the ESC/POS bytes).
 */
text: Array<string>, print: PrintOutcome, };

export type ParkedView = { id: string, parked_at: string, cashier: string, label: string | null, lines: number, };

export type ReturnableLine = { line_no: number, sku: string, name: string, sold_qty: string, 
/**
 * Taken back by earlier returns of this sale.
 */
returned_qty: string, 
/**
 * What can still be returned (sold − returned).
 */
returnable_qty: string, unit_price: string, total: string, };

export type OriginalSaleView = { number: string, completed_at: string, total: string, lines: Array<ReturnableLine>, };

export type ReturnLineInput = { 
/**
 * Line of the original receipt (with a receipt).
 */
line_no: number | null, 
/**
 * Product code (without a receipt).
 */
code: string | null, qty: string, };

export type ReturnInput = { 
/**
 * Original receipt number; `null` = without receipt (manager).
 */
original: string | null, lines: Array<ReturnLineInput>, 
/**
 * Refund tender kind (`cash`, `card`…).
 */
tender: string, reason: string | null, approval_pin: string | null, };

export type TenderAmount = { kind: string, amount: string, };

export type ShiftReportView = { opened_by: string, opened_at: string, float: string, sales_count: number, sales_total: string, returns_count: number, returns_total: string, voids_count: number, no_sale_count: number, cash_in_total: string, cash_out_total: string, 
/**
 * Empty in a blind close.
 */
expected: Array<TenderAmount>, 
/**
 * The report as text.
 */
text: string, };

export type TenderVarianceView = { kind: string, expected: string | null, counted: string, variance: string | null, };

export type ZReportView = { number: string, blind: boolean, tenders: Array<TenderVarianceView>, total_variance: string | null, report: ShiftReportView, };

export type DocumentDone = { document_id: string, number: string, };

export type CountSessionView = { id: string, blind: boolean, 
/**
 * `full`, `groups`, `skus`.
 */
scope: string, status: string, entries: Array<CountEntryView>, };

export type CountEntryView = { entry_no: bigint, sku: string, name: string, qty: string, 
/**
 * Running total of this product in the session.
 */
counted: string, 
/**
 * Hidden (null) in a blind count.
 */
expected: string | null, };

export type VarianceView = { sku: string, expected: string, counted: string, variance: string, value: string, };

export type CountReviewView = { session: string, lines: Array<VarianceView>, total_value: string, };

export type ReceiveLineInput = { 
/**
 * Barcode, PLU or SKU.
 */
code: string, qty: string, unit_cost: string | null, };

export type ReceiveInput = { supplier: string, delivery_note: string | null, lines: Array<ReceiveLineInput>, };

export type ResolvedView = { sku: string, name: string, unit: string, 
/**
 * What the code stands for (packaging multiplier or weight).
 */
qty: string, };

export type SyncStatusView = { 
/**
 * The last round reached head office and completed.
 */
online: boolean, 
/**
 * Records (documents, stock movements, journal entries) head office
 * has not acknowledged yet.
 */
queued: number, 
/**
 * When the oldest unsynced document was written (UTC).
 */
oldest_unsynced_at: string | null, 
/**
 * The last round that completed (UTC).
 */
last_sync_at: string | null, 
/**
 * The last error's message (cleared by a completed round).
 */
last_error: string | null, 
/**
 * `online`, `offline`, `never_synced` or `not_enrolled`.
 */
state: string, 
/**
 * The till holds a credential from head office.
 */
enrolled: boolean, 
/**
 * Head office's address.
 */
server_url: string | null, 
/**
 * This till's terminal id at head office.
 */
terminal_id: string | null, 
/**
 * Documents not yet fully acknowledged.
 */
documents_queued: number, 
/**
 * Age of the oldest unsynced document, seconds.
 */
oldest_unsynced_age_seconds: number | null, 
/**
 * The last round attempted (UTC).
 */
last_attempt_at: string | null, 
/**
 * The last error's code (`sync.offline`, `auth.invalid`, …).
 */
last_error_code: string | null, 
/**
 * When it happened (UTC).
 */
last_error_at: string | null, 
/**
 * The background loop runs (enrolled tills only).
 */
running: boolean, 
/**
 * Rounds the loop ran since the app started.
 */
rounds: number, 
/**
 * Failed rounds in a row (the loop backs off).
 */
consecutive_failures: number, };

export type DeviceStatusView = { 
/**
 * `printer`, `drawer`, `scanner`, `scale`.
 */
device: string, 
/**
 * `ready`, `offline`, `paper_out`, `cover_open`, `error`, `not_configured`.
 */
state: string, uri: string | null, detail: string | null, };

export type DiscoveredDevice = { 
/**
 * `serial` or `usb_printer`.
 */
kind: string, uri: string, label: string, };

export type PrintJobView = { id: bigint, state: string, copy: boolean, error: string | null, };

export type ScannerInput = { code: string, 
/**
 * `serial`.
 */
source: string, };

export type WedgeThresholdsView = { min_scan_len: number, max_mean_gap_ms: number, max_gap_ms: number, terminator_timeout_ms: number, accept_unterminated: boolean, };

export type EventName = "device-status" | "sync-status" | "scanner-input";

export type DeviceChoicesView = { 
/**
 * Receipt printer URI (`null` = none).
 */
printer: string | null, 
/**
 * Serial scanner URI.
 */
scanner: string | null, 
/**
 * `none`, `printer` (pulse through the printer) or `serial`.
 */
drawer_kind: string, 
/**
 * The serial drawer's port.
 */
drawer_uri: string | null, 
/**
 * The bytes that open the serial drawer, in hex (`07`).
 */
drawer_open_hex: string | null, 
/**
 * Serial scale URI.
 */
scale: string | null, 
/**
 * `toledo` or `cas`.
 */
scale_protocol: string, };

export type DeviceSettingsView = { choices: DeviceChoicesView, 
/**
 * `printer`, `drawer`, `scanner`, `scale`.
 */
devices: Array<DeviceStatusView>, discovered: Array<DiscoveredDevice>, discovery_error: string | null, jobs: Array<PrintJobView>, };

export type WeightView = { 
/**
 * Kilograms, 3 decimals (`"1.234"`).
 */
kg: string, 
/**
 * Readings it took to settle.
 */
readings: number, };

