//! Turning the till core's values into the DTOs the UI shows.

use kasa_domain::money::{Currency, Money};
use kasa_terminal::catalog;
use kasa_terminal::sale::SaleSession;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::dto::{CustomerView, LineView, SaleView, TenderView, UserView};

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
