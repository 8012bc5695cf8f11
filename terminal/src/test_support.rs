//! [`TestTill`]: a real till in a temp directory for tests and benchmarks
//! (cargo feature `test-support`; never in a release build).
//!
//! One way to set a till up — open the store, save its settings (`kasa
//! init`), import a catalog, add users, open a shift — through the same
//! functions the CLI and the desktop call, so a test starts from what a shop
//! would have:
//!
//! ```no_run
//! use kasa_terminal::test_support::TestTill;
//! // the demo store (fixtures/demo: settings, ~2,000 products, cashier 1111,
//! // manager 9999, admin 0000) with a shift open on a 100.00 float
//! let mut till = TestTill::demo();
//! let cashier = till.login("1111");
//! ```

use std::path::PathBuf;

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use kasa_domain::permission::Role;
use rust_decimal::Decimal;

use crate::catalog;
use crate::settings::TillSettings;
use crate::store::Store;
use crate::users::{self, User};

const DEMO_STORE_JSON: &str = include_str!("../../fixtures/demo/store.json");
const DEMO_PRODUCTS: &str = include_str!("../../fixtures/demo/products.csv");
const DEMO_USERS: &[u8] = include_bytes!("../../fixtures/demo/users.csv");

/// A till on a SQLite file in its own temp directory (removed on drop).
#[derive(Debug)]
pub struct TestTill {
    /// The till's SQLite file.
    pub path: PathBuf,
    /// The open store.
    pub store: Store,
    /// The settings saved at set-up.
    pub settings: TillSettings,
    /// The temp directory holding it (for files a test writes beside it).
    pub dir: tempfile::TempDir,
}

/// What [`TestTill::setup`] builds; each step is optional.
#[derive(Debug, Clone)]
#[must_use]
pub struct TestTillSetup {
    store_id: String,
    terminal_id: String,
    config: Option<serde_json::Value>,
    products_csv: Option<String>,
    users: Vec<(String, String, Role, String)>,
    demo_users: bool,
    shift: Option<(String, Money)>,
}

impl TestTill {
    /// A till of `store_id` / `terminal_id` to set up step by step.
    pub fn setup(store_id: &str, terminal_id: &str) -> TestTillSetup {
        TestTillSetup {
            store_id: store_id.to_owned(),
            terminal_id: terminal_id.to_owned(),
            config: None,
            products_csv: None,
            users: Vec::new(),
            demo_users: false,
            shift: None,
        }
    }

    /// The demo store (S001 / T01) with a shift opened by the demo cashier
    /// (PIN 1111) on a 100.00 float.
    pub fn demo() -> TestTill {
        TestTill::setup("S001", "T01")
            .demo_store()
            .shift_opened_by("1111", Money(Decimal::new(10_000, 2)))
            .build()
    }

    /// The user a PIN logs in.
    pub fn login(&self, pin: &str) -> User {
        users::login_by_pin(self.store.conn(), pin, now())
            .unwrap_or_else(|e| panic!("test till: PIN {pin} does not log in: {e}"))
    }

    /// Close the database and open it again, as a restarted till would.
    pub fn reopen(&mut self) {
        let path = self.path.clone();
        // the old connection closes when replaced
        self.store = Store::open(&path).expect("test till: reopen the store");
    }
}

impl TestTillSetup {
    /// The demo store: its settings (`fixtures/demo/store.json`), its
    /// products and its users (cashier 1111, manager 9999, admin 0000).
    pub fn demo_store(mut self) -> Self {
        let config = serde_json::from_str(DEMO_STORE_JSON).expect("fixtures/demo/store.json");
        self.config = Some(config);
        self.products_csv = Some(DEMO_PRODUCTS.to_owned());
        self.demo_users = true;
        self
    }

    /// Import this `products.csv` (every row must be accepted).
    pub fn products_csv(mut self, csv: &str) -> Self {
        self.products_csv = Some(csv.to_owned());
        self
    }

    /// Add a user.
    pub fn user(mut self, login: &str, name: &str, role: Role, pin: &str) -> Self {
        self.users
            .push((login.to_owned(), name.to_owned(), role, pin.to_owned()));
        self
    }

    /// Open a shift as the user with `pin`, on `float`.
    pub fn shift_opened_by(mut self, pin: &str, float: Money) -> Self {
        self.shift = Some((pin.to_owned(), float));
        self
    }

    /// Build it; panics with the step that failed (a test set-up error).
    pub fn build(self) -> TestTill {
        let dir = tempfile::tempdir().expect("test till: temp dir");
        let path = dir.path().join("till.sqlite");
        let mut store = Store::open(&path).expect("test till: open the store");
        let mut settings = TillSettings::new(&self.store_id, &self.terminal_id);
        if let Some(config) = &self.config {
            settings
                .apply_config(config)
                .expect("test till: store configuration");
        }
        settings
            .save_new(store.conn())
            .expect("test till: save settings");
        if let Some(csv) = &self.products_csv {
            let options = catalog::ImportOptions {
                vat: settings.vat.clone(),
                ..catalog::ImportOptions::default()
            };
            let report =
                catalog::import_products_with(&mut store, csv.as_bytes(), &options, |_| {})
                    .expect("test till: import products");
            assert_eq!(
                report.rejected_total, 0,
                "test till: rejected products {:?}",
                report.rejected
            );
        }
        let mut users = self.users;
        if self.demo_users {
            let (rows, bad) = catalog::parse_users(DEMO_USERS).expect("fixtures/demo/users.csv");
            assert!(bad.is_empty(), "fixtures/demo/users.csv: {bad:?}");
            users.extend(rows.into_iter().map(|r| (r.login, r.name, r.role, r.pin)));
        }
        for (login, name, role, pin) in &users {
            users::add_user(store.conn(), login, name, *role, pin, now())
                .unwrap_or_else(|e| panic!("test till: add user {login}: {e}"));
        }
        if let Some((pin, float)) = &self.shift {
            let user = users::login_by_pin(store.conn(), pin, now())
                .unwrap_or_else(|e| panic!("test till: PIN {pin} does not log in: {e}"));
            crate::shift::open_shift(&mut store, &settings, &user, *float, now())
                .expect("test till: open the shift");
        }
        TestTill {
            path,
            store,
            settings,
            dir,
        }
    }
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_till_sells_what_the_demo_store_holds() {
        let till = TestTill::demo();
        let cashier = till.login("1111");
        assert_eq!(cashier.login, "cashier");
        assert_eq!(till.login("9999").role, Role::Manager);
        assert!(
            !catalog::search(till.store.conn(), "хляб", 5)
                .unwrap()
                .is_empty()
        );
        let shift = crate::shift::current_shift(till.store.conn(), &till.settings).unwrap();
        assert!(shift.is_some(), "the demo till has a shift open");
    }

    #[test]
    fn a_bare_till_has_settings_and_nothing_else() {
        let mut till = TestTill::setup("S009", "T09").build();
        till.reopen();
        let settings = crate::settings::load(till.store.conn()).unwrap();
        assert_eq!(
            (settings.store_id.as_str(), settings.terminal_id.as_str()),
            ("S009", "T09")
        );
        assert!(
            catalog::search(till.store.conn(), "хляб", 5)
                .unwrap()
                .is_empty()
        );
        assert!(
            crate::shift::current_shift(till.store.conn(), &till.settings)
                .unwrap()
                .is_none()
        );
    }
}
