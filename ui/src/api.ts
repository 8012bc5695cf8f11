// Typed calls into the Rust shell. Every command returns a DTO or rejects
// with an ApiError {code, message, permission}.
import type * as T from "./generated/types";

type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;
type Listen = (event: string, cb: (e: { payload: unknown }) => void) => Promise<() => void>;

declare global {
  interface Window {
    __TAURI__?: { core: { invoke: Invoke }; event: { listen: Listen } };
  }
}

function tauri() {
  const t = window.__TAURI__;
  if (!t) throw { code: "desktop.no_shell", message: "the Kasa shell is not available", permission: null };
  return t;
}

export function isApiError(e: unknown): e is T.ApiError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export function needsManager(e: unknown): e is T.ApiError {
  return isApiError(e) && e.code.endsWith("needs_manager");
}

async function call<R>(cmd: string, args: Record<string, unknown> = {}): Promise<R> {
  try {
    return (await tauri().core.invoke(cmd, args)) as R;
  } catch (e) {
    if (isApiError(e)) throw e;
    throw { code: "desktop.ipc", message: String(e), permission: null } satisfies T.ApiError;
  }
}

export const api = {
  session: () => call<T.SessionView>("session"),
  login: (pin: string) => call<T.SessionView>("login", { pin }),
  logout: () => call<T.SessionView>("logout"),
  uiReady: () => call<number>("ui_ready"),
  wedgeThresholds: () => call<T.WedgeThresholdsView>("wedge_thresholds"),
  currentSale: () => call<T.SaleView | null>("current_sale"),
  scan: (code: string, qty: string | null) => call<T.SaleView>("scan", { code, qty }),
  search: (text: string, limit: number) => call<T.ProductHitView[]>("search", { text, limit }),
  setQuantity: (line_no: number, qty: string, approval_pin: string | null) =>
    call<T.SaleView>("set_quantity", { line_no, qty, approval_pin }),
  discountLine: (line_no: number, percent: string, approval_pin: string | null) =>
    call<T.SaleView>("discount_line", { line_no, percent, amount: null, approval_pin }),
  discountReceipt: (percent: string, approval_pin: string | null) =>
    call<T.SaleView>("discount_receipt", { percent, amount: null, approval_pin }),
  overridePrice: (line_no: number, price: string, approval_pin: string | null) =>
    call<T.SaleView>("override_price", { line_no, price, approval_pin }),
  voidLine: (line_no: number, approval_pin: string | null) => call<T.SaleView>("void_line", { line_no, approval_pin }),
  voidSale: (approval_pin: string | null) => call<string>("void_sale", { approval_pin }),
  park: (label: string | null) => call<string>("park", { label }),
  listParked: () => call<T.ParkedView[]>("list_parked"),
  recall: (id: string) => call<T.SaleView>("recall", { id }),
  setCustomer: (code: string | null) => call<T.SaleView>("set_customer", { code }),
  addTender: (kind: string, amount: string | null, reference: string | null) =>
    call<T.SaleView>("add_tender", { kind, amount, reference }),
  removeTender: (index: number) => call<T.SaleView>("remove_tender", { index }),
  completeSale: () => call<T.ReceiptView>("complete_sale"),
  lastReceipt: () => call<T.ReceiptView | null>("last_receipt"),
  reprintLast: () => call<T.PrintOutcome>("reprint_last"),
  findSale: (number: string) => call<T.OriginalSaleView>("find_sale", { number }),
  makeReturn: (input: T.ReturnInput) => call<T.ReceiptView>("make_return", { input }),
  openShift: (float: string) => call<T.DocumentDone>("open_shift", { float }),
  cashMovement: (out: boolean, amount: string, reason: string, approval_pin: string | null) =>
    call<T.DocumentDone>("cash_movement", { out, amount, reason, approval_pin }),
  noSale: (reason: string) => call<T.DocumentDone>("no_sale", { reason }),
  xReport: () => call<T.ShiftReportView>("x_report"),
  closeShift: (counted: T.TenderAmount[], blind: boolean) => call<T.ZReportView>("close_shift", { counted, blind }),
  resolveCode: (code: string) => call<T.ResolvedView>("resolve_code", { code }),
  countStart: (blind: boolean, groups: string[], skus: string[]) =>
    call<T.CountSessionView>("count_start", { blind, groups, skus }),
  countCurrent: () => call<T.CountSessionView | null>("count_current"),
  countAdd: (code: string, qty_text: string | null) => call<T.CountSessionView>("count_add", { code, qty_text }),
  countReview: () => call<T.CountReviewView>("count_review"),
  countApprove: (approval_pin: string | null) => call<T.DocumentDone>("count_approve", { approval_pin }),
  receive: (input: T.ReceiveInput) => call<T.DocumentDone>("receive", { input }),
  syncStatus: () => call<T.SyncStatusView>("sync_status"),
  syncNow: () => call<T.SyncStatusView>("sync_now"),
  syncEnrol: (server_url: string, code: string) => call<T.SyncStatusView>("sync_enrol", { server_url, code }),
  printerStatus: () => call<T.DeviceStatusView>("printer_status"),
  deviceSettings: () => call<T.DeviceSettingsView>("device_settings"),
  saveDevices: (choices: T.DeviceChoicesView, approval_pin: string | null) =>
    call<T.DeviceSettingsView>("save_devices", { choices, approval_pin }),
  deviceTestPrint: () => call<T.PrintOutcome>("device_test_print"),
  deviceOpenDrawer: () => call<null>("device_open_drawer"),
  readScale: () => call<T.WeightView>("read_scale"),
  scanWeighed: (code: string) => call<T.SaleView>("scan_weighed", { code }),
};

export function listen<P>(event: T.EventName, cb: (payload: P) => void): void {
  const t = window.__TAURI__;
  if (!t) return;
  void t.event.listen(event, (e) => cb(e.payload as P));
}
