//! The sale screen and payment: ring up, change lines, discounts, voids,
//! park / recall, customer, tenders and completing the sale. Actions a
//! manager may have to approve take the manager's PIN and run through
//! [`super::approval::with_manager`].

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use kasa_domain::permission::ManagerApproval;
use kasa_domain::pricing::{PriceRequest, price_line};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::approval::with_manager;
use super::{LastReceipt, ReceiptKind, TillError, TillSession};
use crate::catalog;
use crate::sale::parked::{self, ParkedSale};
use crate::sale::{self, Discount, SaleError, SaleResult, SaleSession, TenderRequest};
use crate::settings::TillSettings;
use crate::store::Store;

/// A product found by search, with today's price (when it has one).
#[derive(Debug, Clone, PartialEq)]
pub struct PricedHit {
    /// The product.
    pub product: catalog::ProductRow,
    /// Its price for one unit now.
    pub price: Option<Money>,
}

impl TillSession {
    /// Start a sale for the logged-in user when none is open.
    fn ensure_sale(&mut self, at: NaiveDateTime) -> Result<&mut SaleSession, TillError> {
        if self.sale.is_none() {
            let user = self.user()?.clone();
            let session = SaleSession::start(self.store.conn(), &self.settings, user, None, at)?;
            self.last_line_no = None;
            self.sale = Some(session);
        }
        self.sale.as_mut().ok_or(TillError::NoSale)
    }

    /// Run `action` on the open sale through the approval path.
    fn on_sale<T>(
        &mut self,
        pin: Option<&str>,
        at: NaiveDateTime,
        mut action: impl FnMut(
            &Store,
            &TillSettings,
            &mut SaleSession,
            Option<&ManagerApproval>,
        ) -> Result<T, SaleError>,
    ) -> Result<T, TillError> {
        let operator = self.user()?.operator();
        let TillSession {
            store,
            settings,
            sale,
            ..
        } = self;
        let session = sale.as_mut().ok_or(TillError::NoSale)?;
        let request = Self::approval_request(&operator, pin, Some(session.id), at);
        with_manager(store, request, |store, approval| {
            action(store, settings, session, approval)
        })
    }

    /// Scan or type a code (barcode, in-store weight barcode, PLU, SKU);
    /// `qty` multiplies it. Starts a sale when none is open.
    pub fn ring_up(
        &mut self,
        code: &str,
        qty: Option<Decimal>,
        at: NaiveDateTime,
    ) -> Result<u32, TillError> {
        self.ensure_sale(at)?;
        let line_no = self.on_sale(None, at, |store, settings, s, _| {
            s.ring_up(store.conn(), settings, code.trim(), qty, at)
        })?;
        self.last_line_no = Some(line_no);
        Ok(line_no)
    }

    /// Change a line's quantity (lowering it may need a manager).
    pub fn set_quantity(
        &mut self,
        line_no: u32,
        qty: Decimal,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<(), TillError> {
        self.on_sale(pin, at, |store, settings, s, a| {
            s.set_quantity(store.conn(), settings, line_no, qty, a, at)
        })?;
        self.last_line_no = Some(line_no);
        Ok(())
    }

    /// Discount one line (over the limit needs a manager).
    pub fn discount_line(
        &mut self,
        line_no: u32,
        discount: Discount,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<(), TillError> {
        self.on_sale(pin, at, |_, _, s, a| s.discount_line(line_no, discount, a))
    }

    /// Discount the whole receipt (over the limit needs a manager).
    pub fn discount_receipt(
        &mut self,
        discount: Discount,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<(), TillError> {
        self.on_sale(pin, at, |_, _, s, a| s.discount_receipt(discount, a))
    }

    /// Type a price for a line (needs a manager).
    pub fn override_price(
        &mut self,
        line_no: u32,
        price: Money,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<(), TillError> {
        self.on_sale(pin, at, |_, _, s, a| s.override_price(line_no, price, a))
    }

    /// Remove a line (needs a manager unless configured otherwise).
    pub fn void_line(
        &mut self,
        line_no: u32,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<(), TillError> {
        self.on_sale(pin, at, |_, _, s, a| s.void_line(line_no, a))
    }

    /// Void the whole open sale (needs a manager when it has lines): a
    /// journaled `VoidSale` document.
    pub fn void_sale(
        &mut self,
        pin: Option<&str>,
        at: NaiveDateTime,
    ) -> Result<SaleResult, TillError> {
        let operator = self.user()?.operator();
        let session = self.sale.clone().ok_or(TillError::NoSale)?;
        let request = Self::approval_request(&operator, pin, Some(session.id), at);
        let settings = &self.settings;
        let done = with_manager(&mut self.store, request, |store, approval| {
            sale::void_sale(store, settings, session.clone(), approval, at)
        })?;
        self.sale = None;
        self.last_line_no = None;
        Ok(done)
    }

    /// Park the open sale; returns its id.
    pub fn park(&mut self, label: Option<&str>, at: NaiveDateTime) -> Result<Uuid, TillError> {
        self.user()?;
        let session = self.sale.as_ref().ok_or(TillError::NoSale)?;
        let id = parked::park(self.store.conn(), session, label, at)?;
        self.sale = None;
        self.last_line_no = None;
        Ok(id)
    }

    /// Parked sales, oldest first.
    pub fn parked(&self) -> Result<Vec<ParkedSale>, TillError> {
        self.user()?;
        Ok(parked::list_parked(self.store.conn())?)
    }

    /// Recall a parked sale (the open one, if it has lines, is parked first).
    pub fn recall(&mut self, id: Uuid, at: NaiveDateTime) -> Result<(), TillError> {
        self.user()?;
        if let Some(open) = self.sale.take()
            && open.line_count() > 0
        {
            parked::park(self.store.conn(), &open, None, at)?;
        }
        self.sale = Some(parked::recall(self.store.conn(), id)?);
        self.last_line_no = None;
        Ok(())
    }

    /// Attach a customer (by code or card) to the sale; `None` or blank
    /// detaches. Starts a sale when none is open.
    pub fn set_customer(&mut self, code: Option<&str>, at: NaiveDateTime) -> Result<(), TillError> {
        self.ensure_sale(at)?;
        let customer = match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(sale::sale_customer(self.store.conn(), c)?),
            None => None,
        };
        let session = self.sale.as_mut().ok_or(TillError::NoSale)?;
        session
            .sale
            .set_customer(customer)
            .map_err(SaleError::from)?;
        Ok(())
    }

    /// Add a payment; `amount: None` pays what is left (cash: cash-rounded).
    pub fn add_tender(&mut self, request: TenderRequest) -> Result<(), TillError> {
        self.user()?;
        let session = self.sale.as_mut().ok_or(TillError::NoSale)?;
        Ok(session.add_tender(request)?)
    }

    /// Remove the tender at `index` (a mistyped amount).
    pub fn remove_tender(&mut self, index: usize) -> Result<(), TillError> {
        self.user()?;
        let session = self.sale.as_mut().ok_or(TillError::NoSale)?;
        session.sale.remove_tender(index).map_err(SaleError::from)?;
        Ok(())
    }

    /// Complete the paid sale (one durable transaction); it becomes the
    /// session's last receipt, for the printing side to print.
    pub fn complete_sale(&mut self, at: NaiveDateTime) -> Result<SaleResult, TillError> {
        self.user()?;
        let session = self.sale.clone().ok_or(TillError::NoSale)?;
        let done = sale::complete_sale(&mut self.store, &self.settings, session, at)?;
        self.sale = None;
        self.last_line_no = None;
        self.last_receipt = Some(LastReceipt {
            kind: ReceiptKind::Sale,
            document_id: done.id,
            number: done.number.clone(),
            total: done.total,
            change: done.change,
            cash_rounding: done.cash_rounding,
            tenders: done.tenders.clone(),
            printed: None,
        });
        Ok(done)
    }

    /// Search products by name, code or PLU, each with today's price for
    /// one unit. `limit` is kept between 1 and 50.
    pub fn search(
        &self,
        text: &str,
        limit: usize,
        at: NaiveDateTime,
    ) -> Result<Vec<PricedHit>, TillError> {
        self.user()?;
        let conn = self.store.conn();
        let s = &self.settings;
        let hits = catalog::search(conn, text, limit.clamp(1, 50))?;
        Ok(hits
            .into_iter()
            .map(|h| {
                let price = catalog::pricing_inputs(conn, &h.product.sku, &s.store_id, None)
                    .ok()
                    .and_then(|inputs| {
                        let request = PriceRequest {
                            store: &s.store_id,
                            customer_group: None,
                            qty: Decimal::ONE,
                            at,
                        };
                        price_line(&inputs, &request, s.currency).ok()
                    })
                    .map(|q| q.unit_price);
                PricedHit {
                    product: h.product,
                    price,
                }
            })
            .collect())
    }
}
