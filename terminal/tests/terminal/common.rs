//! Shared helpers: a temp till set up through the `kasa` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kasa_domain::barcode::gtin_check_digit;
use serde_json::Value;

/// The `kasa` binary under test.
pub fn kasa_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kasa")
}

/// A full EAN-13 from its first 12 digits.
pub fn ean13(first12: &str) -> String {
    format!("{first12}{}", gtin_check_digit(first12).unwrap())
}

/// An in-store weight barcode `21 IIIII WWWWW C` (common layout).
pub fn weight_code(item5: &str, grams: u32) -> String {
    ean13(&format!("21{item5}{grams:05}"))
}

/// Barcodes used by the small catalog.
pub fn bread_ean() -> String {
    ean13("380000000001")
}
/// Milk.
pub fn milk_ean() -> String {
    ean13("380000000002")
}
/// A box of 12 milk.
pub fn milk_box_ean() -> String {
    ean13("380000000012")
}
/// Wine.
pub fn wine_ean() -> String {
    ean13("380000000003")
}

/// A small Bulgarian grocery catalog (Cyrillic names, 3 VAT classes,
/// a weighed product with PLU 101, a packaging barcode).
pub fn small_catalog_csv() -> String {
    format!(
        "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent\n\
         BREAD,Хляб Добруджа,Хлебни,Добруджа,piece,standard,1.80,1.20,{bread},,ACTIVE,false,\n\
         MILK,Прясно мляко 3%,Млечни,Верея,piece,standard,2.50,1.70,{milk};{milkbox}*12,,ACTIVE,false,\n\
         WINE,Вино Мавруд,Напитки,Асеновградско,piece,standard,12.00,7.00,{wine},,ACTIVE,false,\n\
         APPLES,Ябълки,Плодове,,kg,standard,3.20,2.00,,101,ACTIVE,false,\n\
         BOOK,Книга,Книги,,piece,reduced,15.00,9.00,,,ACTIVE,false,\n\
         OLD,Стар артикул,Разни,,piece,standard,5.00,3.00,,,ARCHIVED,false,\n",
        bread = bread_ean(),
        milk = milk_ean(),
        milkbox = milk_box_ean(),
        wine = wine_ean(),
    )
}

/// A till in a temp dir, driven through the `kasa` binary.
pub struct Till {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Till {
    /// `kasa init` only.
    pub fn empty() -> Till {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("till.sqlite");
        let till = Till { dir, db };
        till.ok(&["init", "--store", "S001", "--terminal", "T01"]);
        till
    }

    /// Init, the small catalog, users ana (cashier 1111), vera (cashier
    /// 2222), boris (manager 9999), and an open shift with float 100.00.
    pub fn ready() -> Till {
        let till = Till::empty();
        let csv = till.write("products.csv", &small_catalog_csv());
        till.ok(&["import", "products", csv.to_str().unwrap()]);
        till.ok(&[
            "user", "add", "--login", "ana", "--name", "Ана", "--role", "cashier", "--pin", "1111",
        ]);
        till.ok(&[
            "user", "add", "--login", "vera", "--name", "Вера", "--role", "cashier", "--pin",
            "2222",
        ]);
        till.ok(&[
            "user",
            "add",
            "--login",
            "boris",
            "--name",
            "Борис",
            "--role",
            "manager",
            "--pin",
            "9999",
        ]);
        till.ok(&["shift", "open", "--float", "100.00", "--pin", "1111"]);
        till
    }

    /// Write a file in the till's dir.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Run `kasa --db <db> args…`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(kasa_bin())
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .unwrap()
    }

    /// Run with stdin.
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = Command::new(kasa_bin())
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let written = child.stdin.take().unwrap().write_all(input.as_bytes());
        // kasa may refuse and exit before it reads its input (a bad --print address)
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        child.wait_with_output().unwrap()
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kasa {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run with `--json` and parse stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Run and require failure; returns (exit code, the error code in
    /// `error[<code>]`, stderr).
    pub fn err(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.run(args);
        failure(out, args)
    }

    /// Sell a scripted sale (JSON) through stdin; returns the result JSON.
    pub fn sell(&self, script: &Value) -> Value {
        let out = self.run_stdin(&["--json", "sell", "-"], &script.to_string());
        assert!(
            out.status.success(),
            "sell {script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A sale that must fail; returns (exit code, error code, stderr).
    pub fn sell_err(&self, script: &Value) -> (i32, String, String) {
        let out = self.run_stdin(&["sell", "-"], &script.to_string());
        failure(out, &["sell"])
    }

    /// A return; result JSON.
    pub fn ret(&self, script: &Value) -> Value {
        let out = self.run_stdin(&["--json", "return", "-"], &script.to_string());
        assert!(
            out.status.success(),
            "return {script} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A return that must fail.
    pub fn ret_err(&self, script: &Value) -> (i32, String, String) {
        let out = self.run_stdin(&["return", "-"], &script.to_string());
        failure(out, &["return"])
    }

    /// Open the database directly (read checks, tampering).
    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).unwrap()
    }
}

fn failure(out: Output, args: &[&str]) -> (i32, String, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "kasa {args:?} should fail");
    let code = stderr
        .split("error[")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap_or_default()
        .to_string();
    (out.status.code().unwrap_or(-1), code, stderr)
}

/// Numbers of the documents of a type, ascending.
pub fn numbers(conn: &rusqlite::Connection, doc_type: &str) -> Vec<u64> {
    let mut stmt = conn
        .prepare("SELECT number FROM documents WHERE doc_type = ?1 ORDER BY number")
        .unwrap();
    stmt.query_map([doc_type], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|n| n.unwrap().parse::<u64>().unwrap())
        .collect()
}

/// Assert 1..=n with no gap and no duplicate.
pub fn assert_gapless(numbers: &[u64]) {
    for (i, n) in numbers.iter().enumerate() {
        assert_eq!(
            *n,
            i as u64 + 1,
            "numbers must be 1..=n without gaps: {numbers:?}"
        );
    }
}

/// Path helper.
pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
