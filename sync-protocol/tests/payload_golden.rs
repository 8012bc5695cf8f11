//! Frozen record payloads: every example of `kasa_sync_protocol::payload::examples`
//! must serialise byte for byte as its file in `fixtures/sync/payloads/`,
//! and every file there must pass the payload contract.
//!
//! Rewrite with `KASA_UPDATE_GOLDENS=1 cargo test -p kasa-sync-protocol`
//! when a change is intended, and review the diff.

use std::fs;
use std::path::PathBuf;

use kasa_sync_protocol::payload::{examples, read_record};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/sync/payloads")
}

#[test]
fn every_payload_example_matches_its_golden_file_and_passes_the_contract() {
    let updating = std::env::var_os("KASA_UPDATE_GOLDENS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let examples = examples::all();
    for example in &examples {
        let pretty = serde_json::to_string_pretty(&example.payload).unwrap() + "\n";
        let path = dir().join(example.file_name);
        if updating {
            fs::create_dir_all(dir()).unwrap();
            let tmp = path.with_extension("json.tmp");
            fs::write(&tmp, &pretty).unwrap();
            fs::rename(&tmp, &path).unwrap();
        }
        match fs::read_to_string(&path) {
            Ok(frozen) if frozen == pretty => {}
            Ok(frozen) => failures.push(format!(
                "{}: payload changed\n--- frozen\n{frozen}\n--- now\n{pretty}",
                example.file_name
            )),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
        let frozen = fs::read_to_string(&path).unwrap_or_default();
        if let Err(e) = read_record(example.kind, example.document_type, &frozen) {
            failures.push(format!(
                "{}: refused by the contract: {e}",
                example.file_name
            ));
        }
    }
    let files = fs::read_dir(dir()).map(|d| d.count()).unwrap_or(0);
    if files != examples.len() {
        failures.push(format!(
            "{files} files in fixtures/sync/payloads but {} examples",
            examples.len()
        ));
    }
    assert!(
        failures.is_empty(),
        "{}\n(set KASA_UPDATE_GOLDENS=1 to rewrite if the change is intended)",
        failures.join("\n\n")
    );
}
