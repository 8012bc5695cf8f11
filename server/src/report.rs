//! Head-office reports, shared by the admin API and `kasa-server report`:
//! sales summary, stock per store, terminals with their lag, journal status,
//! as JSON or CSV (for spreadsheets). Money and quantities are written as
//! decimal strings, never floats.

use std::str::FromStr;

use serde::Serialize;

use crate::db::{Database, DbError};
use crate::projection::JournalStatus;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Sales per store / day / terminal / tender.
    Sales,
    /// Stock per store and SKU.
    Stock,
    /// Terminals, last contact and what is held.
    Terminals,
    /// Journal verification per terminal.
    Journal,
}

impl FromStr for ReportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sales" => Ok(ReportKind::Sales),
            "stock" => Ok(ReportKind::Stock),
            "terminals" => Ok(ReportKind::Terminals),
            "journal" => Ok(ReportKind::Journal),
            other => Err(format!(
                "unknown report \"{other}\": use sales, stock, terminals or journal"
            )),
        }
    }
}

/// JSON or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A JSON array of rows.
    #[default]
    Json,
    /// CSV with a header row.
    Csv,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(format!("unknown format \"{other}\": use json or csv")),
        }
    }
}

/// Filters of a report.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// First day (sales), `YYYY-MM-DD`; default the earliest.
    pub from_day: Option<String>,
    /// Last day (sales), inclusive; default the latest.
    pub to_day: Option<String>,
    /// One store (stock).
    pub store_id: Option<String>,
}

/// A terminal row with its lag.
#[derive(Debug, Clone, Serialize)]
pub struct TerminalLagRow {
    /// Store.
    pub store_id: String,
    /// Terminal.
    pub terminal_id: String,
    /// Highest contiguous sequence held.
    pub held_through: u64,
    /// Last authenticated contact (RFC 3339), empty if never.
    pub last_seen: Option<String>,
    /// Seconds since that contact: the sync lag head office can see.
    pub seconds_since_seen: Option<i64>,
    /// `created_at` of the newest record held (RFC 3339).
    pub newest_record: Option<String>,
}

/// Journal status flattened for CSV.
#[derive(Debug, Clone, Serialize)]
pub struct JournalStatusRow {
    /// Store.
    pub store_id: String,
    /// Terminal.
    pub terminal_id: String,
    /// `empty`, `verified`, `broken` or `unverifiable`.
    pub status: JournalStatus,
    /// Entries received.
    pub entries_received: u64,
    /// Entries verified.
    pub entries_verified: u64,
    /// Last verified journal seq.
    pub last_verified_seq: u64,
    /// Its hash.
    pub last_verified_hash: Option<String>,
    /// Seq of the first broken entry.
    pub broken_seq: Option<u64>,
    /// Code of the break.
    pub broken_code: Option<String>,
    /// What the break means.
    pub broken_message: Option<String>,
}

fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

const SALES_COLUMNS: &[&str] = &[
    "store_id",
    "day",
    "terminal_id",
    "tender",
    "documents",
    "amount",
];
const STOCK_COLUMNS: &[&str] = &["store_id", "sku", "qty"];
const TERMINAL_COLUMNS: &[&str] = &[
    "store_id",
    "terminal_id",
    "held_through",
    "last_seen",
    "seconds_since_seen",
    "newest_record",
];
const JOURNAL_COLUMNS: &[&str] = &[
    "store_id",
    "terminal_id",
    "status",
    "entries_received",
    "entries_verified",
    "last_verified_seq",
    "last_verified_hash",
    "broken_seq",
    "broken_code",
    "broken_message",
];

/// Rows as JSON, or as CSV whose header row is written even when there are
/// no rows (a spreadsheet import then still sees the columns).
fn render<T: Serialize>(rows: &[T], format: Format, columns: &[&str]) -> Result<String, DbError> {
    match format {
        Format::Json => serde_json::to_string(rows).map_err(|e| DbError::Backend(e.to_string())),
        Format::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            writer
                .write_record(columns)
                .map_err(|e| DbError::Backend(format!("csv: {e}")))?;
            for row in rows {
                writer
                    .serialize(row)
                    .map_err(|e| DbError::Backend(format!("csv: {e}")))?;
            }
            let bytes = writer
                .into_inner()
                .map_err(|e| DbError::Backend(format!("csv: {e}")))?;
            String::from_utf8(bytes).map_err(|e| DbError::Backend(e.to_string()))
        }
    }
}

/// Build a report as text in the asked format.
pub async fn report(
    db: &dyn Database,
    tenant_id: &str,
    kind: ReportKind,
    filter: &ReportFilter,
    format: Format,
    now_ms: i64,
) -> Result<String, DbError> {
    match kind {
        ReportKind::Sales => {
            let from = filter.from_day.as_deref().unwrap_or("0000-01-01");
            let to = filter.to_day.as_deref().unwrap_or("9999-12-31");
            render(&db.sales(tenant_id, from, to).await?, format, SALES_COLUMNS)
        }
        ReportKind::Stock => render(
            &db.stock(tenant_id, filter.store_id.as_deref()).await?,
            format,
            STOCK_COLUMNS,
        ),
        ReportKind::Terminals => {
            let rows: Vec<TerminalLagRow> = db
                .terminals(tenant_id)
                .await?
                .into_iter()
                .map(|t| TerminalLagRow {
                    store_id: t.store_id,
                    terminal_id: t.terminal_id,
                    held_through: t.held_through,
                    last_seen: t.last_seen_ms.and_then(rfc3339),
                    seconds_since_seen: t.last_seen_ms.map(|s| (now_ms - s).max(0) / 1000),
                    newest_record: t.newest_record_ms.and_then(rfc3339),
                })
                .collect();
            render(&rows, format, TERMINAL_COLUMNS)
        }
        ReportKind::Journal => {
            let rows: Vec<JournalStatusRow> = db
                .journals(tenant_id)
                .await?
                .into_iter()
                .map(|j| JournalStatusRow {
                    store_id: j.store_id,
                    terminal_id: j.terminal_id,
                    status: j.state.status,
                    entries_received: j.state.entries_received,
                    entries_verified: j.state.entries_verified,
                    last_verified_seq: j.state.last_verified_seq,
                    last_verified_hash: j.state.last_verified_hash,
                    broken_seq: j.state.broken.as_ref().map(|b| b.seq),
                    broken_code: j.state.broken.as_ref().map(|b| b.code.clone()),
                    broken_message: j.state.broken.map(|b| b.message),
                })
                .collect();
            render(&rows, format, JOURNAL_COLUMNS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{SalesRow, StockRow};

    #[test]
    fn csv_header_matches_the_row_fields_and_is_written_without_rows() {
        let rows = vec![StockRow {
            store_id: "S001".into(),
            sku: "1,001".into(),
            qty: "-1.5".parse().unwrap(),
        }];
        assert_eq!(
            render(&rows, Format::Csv, STOCK_COLUMNS).unwrap(),
            "store_id,sku,qty\nS001,\"1,001\",-1.5\n"
        );
        assert_eq!(
            render::<SalesRow>(&[], Format::Csv, SALES_COLUMNS).unwrap(),
            "store_id,day,terminal_id,tender,documents,amount\n"
        );
        assert_eq!(
            render::<SalesRow>(&[], Format::Json, SALES_COLUMNS).unwrap(),
            "[]"
        );
        // the column lists follow the structs' field order
        let sales = SalesRow {
            store_id: "S".into(),
            day: "d".into(),
            terminal_id: "T".into(),
            tender: "cash".into(),
            documents: 1,
            amount: "1".parse().unwrap(),
        };
        let keys: Vec<String> = serde_json::to_value(&sales)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut expected: Vec<String> = SALES_COLUMNS.iter().map(|c| c.to_string()).collect();
        expected.sort();
        let mut got = keys;
        got.sort();
        assert_eq!(got, expected);
    }
}
