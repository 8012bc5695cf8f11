//! Returns, the shift and the drawer, receiving and counting — the till's
//! other screens, each checking who is logged in and its permission
//! through [`super::approval`].

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use kasa_domain::permission::Permission;
use kasa_domain::shift::TenderAmount;
use rust_decimal::Decimal;

use super::approval::{approve, with_manager};
use super::count::{self, CountedEntry, OpenCount};
use super::{LastReceipt, ReceiptKind, TillError, TillSession};
use crate::catalog::{self, ResolvedItem};
use crate::documents::CompletedDocument;
use crate::sale::SaleError;
use crate::sale::returns::{self, ReturnRequest, ReturnResult, ReturnableSale};
use crate::shift::{self, XReport};
use crate::stock::count::{CountApproved, CountInput, CountReview, CountScope, CountStart};
use crate::stock::{self, ReceiptOutcome, ReceiveRequest};
use kasa_domain::shift::ZReport;

impl TillSession {
    /// Check `permission` for the logged-in user (no manager's PIN: an
    /// action every role may do, checked against the table all the same).
    fn require(&self, permission: Permission, at: NaiveDateTime) -> Result<(), TillError> {
        let operator = self.user()?.operator();
        approve(
            self.store.conn(),
            Self::approval_request(&operator, None, None, at),
            permission,
        )?;
        Ok(())
    }

    /// What a scanned or typed code stands for.
    pub fn resolve(&self, code: &str) -> Result<ResolvedItem, TillError> {
        self.user()?;
        catalog::find_by_code(self.store.conn(), code.trim(), &self.settings.barcodes)?
            .ok_or_else(|| SaleError::UnknownCode(code.trim().to_string()).into())
    }

    /// The original sale `number` with what each line can still return.
    pub fn returnable_sale(&self, number: &str) -> Result<ReturnableSale, TillError> {
        self.user()?;
        Ok(returns::returnable_sale(
            self.store.conn(),
            &self.settings,
            number,
        )?)
    }

    /// Make a return as the logged-in user; without the receipt (or over
    /// the limits) a manager's `pin` approves it. The refund becomes the
    /// session's last receipt.
    pub fn make_return(
        &mut self,
        request: &ReturnRequest,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<ReturnResult, TillError> {
        let cashier = self.user()?.clone();
        let operator = cashier.operator();
        let settings = &self.settings;
        let done = with_manager(
            &mut self.store,
            Self::approval_request(&operator, pin, None, at),
            |store, approval| {
                returns::run_return_as(store, settings, &cashier, request, approval, at)
            },
        )?;
        let tender = request
            .tenders
            .first()
            .map(|t| t.kind.clone())
            .unwrap_or_else(|| "cash".to_string());
        self.last_receipt = Some(LastReceipt {
            kind: ReceiptKind::Return,
            document_id: done.id,
            number: done.number.clone(),
            total: done.total,
            change: done.cash_paid_out,
            cash_rounding: Money::ZERO,
            tenders: vec![(tender, done.total)],
            printed: None,
        });
        Ok(done)
    }

    /// Open the shift with the counted float.
    pub fn open_shift(
        &mut self,
        float: Money,
        at: NaiveDateTime,
    ) -> Result<CompletedDocument, TillError> {
        let user = self.user()?.clone();
        Ok(shift::open_shift(
            &mut self.store,
            &self.settings,
            &user,
            float,
            at,
        )?)
    }

    /// Cash into (`out_of_drawer = false`) or out of the drawer with a
    /// reason; cash out needs a manager for cashiers (`pin`).
    pub fn cash_movement(
        &mut self,
        out_of_drawer: bool,
        amount: Money,
        reason: &str,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<CompletedDocument, TillError> {
        let user = self.user()?.clone();
        let operator = user.operator();
        let settings = &self.settings;
        with_manager(
            &mut self.store,
            Self::approval_request(&operator, pin, None, at),
            |store, approval| {
                shift::cash_movement(
                    store,
                    settings,
                    &user,
                    shift::CashMovement {
                        out_of_drawer,
                        amount,
                        reason,
                    },
                    approval,
                    at,
                )
            },
        )
    }

    /// Open the drawer without a sale (allowed, logged and audited).
    pub fn no_sale(
        &mut self,
        reason: &str,
        at: NaiveDateTime,
    ) -> Result<CompletedDocument, TillError> {
        self.require(Permission::NoSale, at)?;
        let user = self.user()?.clone();
        Ok(shift::no_sale(
            &mut self.store,
            &self.settings,
            &user,
            reason,
            at,
        )?)
    }

    /// X report of the open shift (nothing is reset).
    pub fn x_report(&self, at: NaiveDateTime) -> Result<XReport, TillError> {
        self.user()?;
        Ok(shift::x_report(self.store.conn(), &self.settings, at)?)
    }

    /// Close the shift with the counted amounts per tender; refused while
    /// a sale with lines is open.
    pub fn close_shift(
        &mut self,
        counted: &[TenderAmount],
        blind: bool,
        at: NaiveDateTime,
    ) -> Result<ZReport, TillError> {
        let user = self.user()?.clone();
        if self.sale.as_ref().is_some_and(|s| s.line_count() > 0) {
            return Err(TillError::SaleOpen);
        }
        Ok(shift::close_shift(
            &mut self.store,
            &self.settings,
            &user,
            counted,
            blind,
            at,
        )?)
    }

    /// Receive a delivery as one document (needs [`Permission::Receive`]).
    pub fn receive(
        &mut self,
        request: &ReceiveRequest,
        at: NaiveDateTime,
    ) -> Result<ReceiptOutcome, TillError> {
        self.require(Permission::Receive, at)?;
        let author = self.user()?.login.clone();
        let tx = self.store.write_tx()?;
        let outcome = stock::receive_in(&tx, &self.settings, request, &author, at)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Start a count (`blind` hides the expected quantities) and make it
    /// this till's open count, also after a restart.
    pub fn count_start(
        &mut self,
        scope: CountScope,
        blind: bool,
        at: NaiveDateTime,
    ) -> Result<&OpenCount, TillError> {
        let started_by = self.user()?.login.clone();
        let name = count::scope_name(&scope);
        let tx = self.store.write_tx()?;
        let start = CountStart {
            location: None,
            scope,
            blind,
            started_by,
        };
        let id = stock::count::start_session(&tx, &self.settings, &start, at)?;
        count::remember(&tx, id)?;
        tx.commit()?;
        Ok(self.count.insert(OpenCount {
            id,
            blind,
            scope: name,
            entries: Vec::new(),
        }))
    }

    /// Count a scanned code, `times` what it stands for.
    pub fn count_add(
        &mut self,
        code: &str,
        times: Decimal,
        at: NaiveDateTime,
    ) -> Result<&OpenCount, TillError> {
        let item = self.resolve(code)?;
        let id = self.count.as_ref().ok_or(TillError::NoCount)?.id;
        let qty = item.qty * times;
        let input = CountInput {
            device: self.settings.terminal_id.clone(),
            sku: item.product.sku.clone(),
            qty,
            entry_no: None,
            corrects: None,
        };
        let tx = self.store.write_tx()?;
        let added = stock::count::add_count(&tx, id, &input, at)?;
        tx.commit()?;
        let open = self.count.as_mut().ok_or(TillError::NoCount)?;
        open.entries.insert(
            0,
            CountedEntry {
                entry_no: added.entry_no,
                sku: item.product.sku,
                name: item.product.name,
                qty,
                counted: added.counted,
                expected: added.expected,
            },
        );
        Ok(open)
    }

    /// Close counting and show the variance (value at cost).
    pub fn count_review(&mut self, at: NaiveDateTime) -> Result<CountReview, TillError> {
        self.user()?;
        let id = self.count.as_ref().ok_or(TillError::NoCount)?.id;
        let tx = self.store.write_tx()?;
        let review = stock::count::review_session(&tx, &self.settings, id, at)?;
        tx.commit()?;
        Ok(review)
    }

    /// Approve the reviewed count (a cashier needs a manager's `pin`): the
    /// variance is posted as adjustment movements, audited.
    pub fn count_approve(
        &mut self,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<CountApproved, TillError> {
        let operator = self.user()?.operator();
        let id = self.count.as_ref().ok_or(TillError::NoCount)?.id;
        let approved =
            count::approve_count(&mut self.store, &self.settings, &operator, id, pin, at)?;
        self.count = None;
        Ok(approved)
    }
}
