//! Turning the till core's values into the DTOs the UI shows.

use kasa_domain::money::{Currency, Money};
use kasa_domain::shift::ShiftReport;
use kasa_terminal::catalog::{self, ResolvedItem};
use kasa_terminal::documents::CompletedDocument;
use kasa_terminal::sale::SaleSession;
use kasa_terminal::sale::parked::ParkedSale;
use kasa_terminal::sale::returns::ReturnableSale;
use kasa_terminal::shift::ZView;
use kasa_terminal::stock::count::CountReview;
use kasa_terminal::till::{LastReceipt, OpenCount, PricedHit, TillSession};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::dto::{
    CountEntryView, CountReviewView, CountSessionView, CustomerView, DocumentDone, LineView,
    OriginalSaleView, ParkedView, PrintOutcome, ProductHitView, ReceiptView, ResolvedView,
    ReturnableLine, SaleView, SessionView, ShiftReportView, ShiftView, TenderAmount,
    TenderVarianceView, TenderView, UserView, VarianceView, ZReportView,
};
use crate::error::ApiResult;

/// Money as the UI shows it: the currency's scale, `"12.50"`.
pub fn money(m: Money, currency: Currency) -> String {
    m.to_fixed(currency)
}

/// A quantity without trailing zeros (`"2"`, `"1.234"`).
pub fn qty(q: Decimal) -> String {
    q.normalize().to_string()
}

/// A user.
pub fn user(u: &kasa_terminal::users::User) -> UserView {
    UserView {
        login: u.login.clone(),
        name: u.name.clone(),
        role: u.role.name().to_string(),
    }
}

fn rule_name(rule: &kasa_domain::pricing::PriceRule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v["rule"].as_str().map(str::to_string))
        .unwrap_or_else(|| "base".to_string())
}

/// The open sale, with totals and what is left to pay.
pub fn sale(conn: &Connection, session: &SaleSession, last_line_no: Option<u32>) -> SaleView {
    let s = &session.sale;
    let c = s.config.currency;
    let totals = s.totals();
    let lines = s
        .active_lines()
        .zip(&totals.lines)
        .map(|(l, t)| LineView {
            line_no: l.line_no,
            sku: l.product.sku.clone(),
            name: l.product.name.clone(),
            qty: qty(l.qty),
            unit: l.product.unit.to_string(),
            unit_price: money(l.unit_price, c),
            discount: money(
                t.line_discount + t.promotion_discount + t.receipt_discount,
                c,
            ),
            total: money(t.payable, c),
            rule: rule_name(&l.rule),
        })
        .collect();
    let (outstanding, cash_due, cash_rounding, change) = match s.settlement() {
        Ok(st) => {
            let (due, adj) = s.config.cash_rounding.apply(st.outstanding);
            (st.outstanding, due, adj, st.change)
        }
        Err(_) => (totals.total, totals.total, Money::ZERO, Money::ZERO),
    };
    let customer = s.customer.as_ref().map(|sc| {
        let name = catalog::customer(conn, &sc.code)
            .ok()
            .flatten()
            .map(|c| c.name)
            .unwrap_or_default();
        CustomerView {
            code: sc.code.clone(),
            name,
            group: sc.group.clone(),
            available_credit: money(sc.credit_limit - sc.balance, c),
        }
    });
    SaleView {
        id: session.id.to_string(),
        lines,
        subtotal: money(totals.subtotal, c),
        discount_total: money(totals.discount_total(), c),
        receipt_discount: money(totals.receipt_discounts, c),
        total: money(totals.total, c),
        vat_total: money(totals.vat.total_vat(), c),
        customer,
        tenders: s
            .tenders
            .iter()
            .map(|t| TenderView {
                kind: t.kind.name().to_string(),
                amount: money(t.amount, c),
                reference: t.reference.clone(),
            })
            .collect(),
        outstanding: money(outstanding, c),
        cash_due: money(cash_due, c),
        cash_rounding: money(cash_rounding, c),
        change: money(change, c),
        last_line_no,
    }
}

/// The open sale of the session (`till.no_sale` when none is open).
pub fn open_sale(till: &TillSession) -> ApiResult<SaleView> {
    let session = till.sale().ok_or(kasa_terminal::till::TillError::NoSale)?;
    Ok(sale(till.conn(), session, till.last_line_no()))
}

/// Who is logged in, the store and the shift.
pub fn session(till: &TillSession, demo: bool) -> ApiResult<SessionView> {
    let settings = till.settings();
    let shift = till.current_shift()?;
    Ok(SessionView {
        user: till.logged_in().map(user),
        shift: shift.map(|s| ShiftView {
            id: s.id.to_string(),
            opened_by: s.opened_by,
            opened_at: s.opened_at,
            float: money(s.float, settings.currency),
        }),
        store_id: settings.store_id.clone(),
        terminal_id: settings.terminal_id.clone(),
        currency: settings.currency.code().to_string(),
        discount_limit_percent: settings.discount_limit_percent.normalize().to_string(),
        demo,
    })
}

/// A product found by search.
pub fn product_hit(hit: PricedHit, currency: Currency) -> ProductHitView {
    let p = hit.product;
    ProductHitView {
        sku: p.sku,
        name: p.name,
        unit: p.unit.to_string(),
        plu: p.plu,
        price: hit.price.map(|m| money(m, currency)),
    }
}

/// A parked sale.
pub fn parked(p: ParkedSale) -> ParkedView {
    ParkedView {
        id: p.id.to_string(),
        parked_at: p.parked_at,
        cashier: p.cashier,
        label: p.label,
        lines: p.lines as u32,
    }
}

/// The last receipt of the session, with what the printer did with it.
pub fn receipt(r: &LastReceipt, currency: Currency) -> ReceiptView {
    let printed = r.printed.clone().unwrap_or_default();
    ReceiptView {
        document_id: r.document_id.to_string(),
        number: r.number.clone(),
        kind: r.kind.name().to_string(),
        total: money(r.total, currency),
        change: money(r.change, currency),
        cash_rounding: money(r.cash_rounding, currency),
        tenders: r
            .tenders
            .iter()
            .map(|(kind, amount)| TenderView {
                kind: kind.clone(),
                amount: money(*amount, currency),
                reference: None,
            })
            .collect(),
        text: printed.text,
        print: PrintOutcome {
            job_id: printed.job_id,
            state: printed.state,
            message: printed.message,
        },
    }
}

/// An original sale with what each line can still return.
pub fn original_sale(sale: ReturnableSale, c: Currency) -> OriginalSaleView {
    OriginalSaleView {
        number: sale.number,
        completed_at: sale.completed_at.format("%Y-%m-%d %H:%M").to_string(),
        total: money(sale.total, c),
        lines: sale
            .lines
            .into_iter()
            .map(|l| ReturnableLine {
                line_no: l.line_no,
                sku: l.sku,
                name: l.name,
                sold_qty: qty(l.sold),
                returned_qty: qty(l.returned),
                returnable_qty: qty(l.returnable),
                unit_price: money(l.unit_price, c),
                total: money(l.payable, c),
            })
            .collect(),
    }
}

/// A completed document: id and number.
pub fn done(d: CompletedDocument) -> DocumentDone {
    DocumentDone {
        document_id: d.id.to_string(),
        number: d.number,
    }
}

/// An X or Z report's figures.
pub fn report(r: &ShiftReport, opened_by: &str, text: String, c: Currency) -> ShiftReportView {
    ShiftReportView {
        opened_by: opened_by.to_string(),
        opened_at: r
            .opened_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        float: money(r.float, c),
        sales_count: r.sales_count,
        sales_total: money(r.sales_total, c),
        returns_count: r.returns_count,
        returns_total: money(r.returns_total, c),
        voids_count: r.voided_sales,
        no_sale_count: r.no_sale_count,
        cash_in_total: money(r.cash_in, c),
        cash_out_total: money(r.cash_out, c),
        expected: r
            .tenders
            .iter()
            .map(|t| TenderAmount {
                kind: t.kind.name().to_string(),
                amount: money(t.expected, c),
            })
            .collect(),
        text,
    }
}

/// A Z report as the person closing may see it (blind: no expected).
pub fn z_report(z: &ZView, c: Currency) -> ZReportView {
    ZReportView {
        number: z.number.clone(),
        blind: z.blind,
        tenders: z
            .tenders
            .iter()
            .map(|t| TenderVarianceView {
                kind: t.kind.name().to_string(),
                expected: t.expected.map(|m| money(m, c)),
                counted: money(t.counted, c),
                variance: t.variance.map(|m| money(m, c)),
            })
            .collect(),
        total_variance: z.total_variance.map(|m| money(m, c)),
        report: report(&z.report, &z.closed_by, z.describe(), c),
    }
}

/// What a code stands for.
pub fn resolved(item: &ResolvedItem) -> ResolvedView {
    ResolvedView {
        sku: item.product.sku.clone(),
        name: item.product.name.clone(),
        unit: item.product.unit.to_string(),
        qty: qty(item.qty),
    }
}

/// The count this till is working on.
pub fn count(c: &OpenCount) -> CountSessionView {
    CountSessionView {
        id: c.id.to_string(),
        blind: c.blind,
        scope: c.scope.to_string(),
        status: "open".to_string(),
        entries: c
            .entries
            .iter()
            .map(|e| CountEntryView {
                entry_no: e.entry_no,
                sku: e.sku.clone(),
                name: e.name.clone(),
                qty: qty(e.qty),
                counted: qty(e.counted),
                expected: e.expected.map(qty),
            })
            .collect(),
    }
}

/// A count's variance review, valued at cost.
pub fn count_review(review: &CountReview, c: Currency) -> CountReviewView {
    CountReviewView {
        session: review.session.to_string(),
        lines: review
            .lines
            .iter()
            .map(|l| VarianceView {
                sku: l.sku.clone(),
                expected: qty(l.expected),
                counted: qty(l.counted),
                variance: qty(l.variance),
                value: money(l.value, c),
            })
            .collect(),
        total_value: money(review.total_value, c),
    }
}
