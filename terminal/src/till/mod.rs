//! One till session: who is logged in, the open sale, the count this till
//! is working on and the last receipt — the state behind the till's
//! screens, shared by the desktop (which keeps one [`TillSession`] behind a
//! lock) and the `kasa` CLI (which logs in for one command).
//!
//! - Every action checks who is logged in ([`TillError::NotLoggedIn`]) and
//!   its permission here, not only in the UI: through the one approval path
//!   of [`approval`] (own role → allowed; otherwise a manager's PIN, checked
//!   and audited; without one, the action's `*.needs_manager` error naming
//!   the permission).
//! - The PIN typed at login is checked and dropped: actions run as the
//!   logged-in [`User`]; only a manager's PIN travels with the action that
//!   needs it.
//! - Nothing here decides whether a document exists: every write is one
//!   SQLite transaction of the module that owns it (`crate::sale`,
//!   `crate::shift`, `crate::stock`). An open sale is parked at logout; the
//!   open count is in the database ([`count`]) and found again at login.
//! - Files: `selling.rs` (the sale screen and payment), `desk.rs` (returns,
//!   shift, receiving, counting), `approval.rs`, `count.rs`, `error.rs`.

pub mod approval;
pub mod count;
mod desk;
mod error;
mod selling;

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use rusqlite::Connection;
use serde::Serialize;
use uuid::Uuid;

pub use count::{CountedEntry, OpenCount};
pub use error::TillError;
pub use selling::PricedHit;

use crate::sale::SaleSession;
use crate::settings::TillSettings;
use crate::shift::{self, OpenShift};
use crate::store::Store;
use crate::users::{self, User};

/// What the last receipt of the session was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// A completed sale.
    Sale,
    /// A return.
    Return,
}

impl ReceiptKind {
    /// `sale` or `return`.
    pub fn name(self) -> &'static str {
        match self {
            ReceiptKind::Sale => "sale",
            ReceiptKind::Return => "return",
        }
    }
}

/// What became of a receipt's print, as whoever printed it reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrintedCopy {
    /// The receipt as printed, line by line (the on-screen preview).
    pub text: Vec<String>,
    /// The print-queue job (`None` when no printer is configured).
    pub job_id: Option<u64>,
    /// `queued`, `printing`, `printed`, `failed`, `no_printer`.
    pub state: String,
    /// Why it failed, if it did.
    pub message: Option<String>,
}

/// The last sale or return completed in this session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastReceipt {
    /// Sale or return.
    pub kind: ReceiptKind,
    /// Document id.
    pub document_id: Uuid,
    /// Document number.
    pub number: String,
    /// Total (refund for a return).
    pub total: Money,
    /// Change given (cash paid out for a return).
    pub change: Money,
    /// Cash rounding applied.
    pub cash_rounding: Money,
    /// Tenders `(kind, amount)`.
    pub tenders: Vec<(String, Money)>,
    /// The print, once the printing side reported it.
    pub printed: Option<PrintedCopy>,
}

/// The till's session (see the module docs).
#[derive(Debug)]
pub struct TillSession {
    store: Store,
    settings: TillSettings,
    user: Option<User>,
    sale: Option<SaleSession>,
    last_line_no: Option<u32>,
    count: Option<OpenCount>,
    last_receipt: Option<LastReceipt>,
}

impl TillSession {
    /// A session on `store` with nobody logged in.
    pub fn new(store: Store, settings: TillSettings) -> TillSession {
        TillSession {
            store,
            settings,
            user: None,
            sale: None,
            last_line_no: None,
            count: None,
            last_receipt: None,
        }
    }

    /// Open the till database at `path` (settings from `kasa init`).
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<TillSession, TillError> {
        let store = Store::open(path)?;
        let settings = crate::settings::load(store.conn())?;
        Ok(TillSession::new(store, settings))
    }

    /// Log in with a PIN (the lockout rule is [`users::login_by_pin`]'s);
    /// the count this till has open, if any, is loaded with it.
    pub fn login(&mut self, pin: &str, at: NaiveDateTime) -> Result<&User, TillError> {
        let user = users::login_by_pin(self.store.conn(), pin, at)?;
        self.count = count::load_open_count(self.store.conn(), &self.settings.terminal_id)?;
        Ok(self.user.insert(user))
    }

    /// Log out. An open sale with lines is parked (label `logout`) so
    /// nothing is lost; the open count stays in the database.
    pub fn logout(&mut self, at: NaiveDateTime) -> Result<(), TillError> {
        if let Some(sale) = self.sale.take()
            && sale.line_count() > 0
        {
            crate::sale::parked::park(self.store.conn(), &sale, Some("logout"), at)?;
        }
        self.last_line_no = None;
        self.user = None;
        self.count = None;
        Ok(())
    }

    /// The logged-in user, or [`TillError::NotLoggedIn`].
    pub fn user(&self) -> Result<&User, TillError> {
        self.user.as_ref().ok_or(TillError::NotLoggedIn)
    }

    /// The logged-in user, if any.
    pub fn logged_in(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store's connection.
    pub fn conn(&self) -> &Connection {
        self.store.conn()
    }

    /// The till's settings.
    pub fn settings(&self) -> &TillSettings {
        &self.settings
    }

    /// The open sale, if any.
    pub fn sale(&self) -> Option<&SaleSession> {
        self.sale.as_ref()
    }

    /// The line touched last (the UI highlights it).
    pub fn last_line_no(&self) -> Option<u32> {
        self.last_line_no
    }

    /// The count this till is working on.
    pub fn count(&self) -> Option<&OpenCount> {
        self.count.as_ref()
    }

    /// The last sale or return of this session.
    pub fn last_receipt(&self) -> Option<&LastReceipt> {
        self.last_receipt.as_ref()
    }

    /// Record what the printing side did with the last receipt.
    pub fn record_print(&mut self, printed: PrintedCopy) {
        if let Some(last) = &mut self.last_receipt {
            last.printed = Some(printed);
        }
    }

    /// The logged-in user as an operator, with a manager's approval of
    /// `permission` when their own role does not allow it (through the one
    /// approval path: checked and audited).
    pub fn approval_for(
        &self,
        permission: kasa_domain::permission::Permission,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<
        (
            kasa_domain::permission::Operator,
            Option<kasa_domain::permission::ManagerApproval>,
        ),
        TillError,
    > {
        let operator = self.user()?.operator();
        let request = approval::ApprovalRequest {
            operator: &operator,
            pin,
            document_id: None,
            at,
        };
        let approval = approval::approve(self.conn(), request, permission)?;
        Ok((operator, approval))
    }

    /// The print-queue job of the last receipt, for a reprint.
    pub fn last_print_job(&self) -> Result<u64, TillError> {
        self.user()?;
        let last = self.last_receipt.as_ref().ok_or(TillError::NoReceipt)?;
        last.printed
            .as_ref()
            .and_then(|p| p.job_id)
            .ok_or(TillError::NotQueued)
    }

    /// The open shift of this terminal, if any.
    pub fn current_shift(&self) -> Result<Option<OpenShift>, TillError> {
        Ok(shift::current_shift(self.store.conn(), &self.settings)?)
    }

    fn approval_request<'a>(
        operator: &'a kasa_domain::permission::Operator,
        pin: Option<&'a str>,
        document_id: Option<Uuid>,
        at: NaiveDateTime,
    ) -> approval::ApprovalRequest<'a> {
        approval::ApprovalRequest {
            operator,
            pin,
            document_id,
            at,
        }
    }
}

#[cfg(test)]
mod tests;
