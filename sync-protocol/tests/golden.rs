//! Frozen wire format: every message example must serialise byte for byte
//! as its file in `fixtures/sync/`, and every file there must parse and
//! print back identically.
//!
//! A failure here means the wire format changed. If that is intended (and
//! the protocol version was bumped where old peers would break), rewrite the
//! files with `KASA_UPDATE_GOLDENS=1 cargo test -p kasa-sync-protocol` and
//! review the diff.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use kasa_sync_protocol::examples;
use kasa_sync_protocol::{BodyEncoding, MasterDataPage, UploadBatch, decode_body};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/sync")
}

fn updating() -> bool {
    std::env::var_os("KASA_UPDATE_GOLDENS").is_some_and(|v| v == "1")
}

#[test]
fn every_example_matches_its_golden_file_byte_for_byte() {
    let dir = fixtures_dir();
    let mut failures = Vec::new();
    for example in examples::all().unwrap() {
        let path = dir.join(example.file_name);
        if updating() {
            fs::create_dir_all(&dir).unwrap();
            // write then rename, so a test reading the directory meanwhile
            // never sees half a file
            let tmp = path.with_extension("json.tmp");
            fs::write(&tmp, &example.pretty_json).unwrap();
            fs::rename(&tmp, &path).unwrap();
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(frozen) if frozen == example.pretty_json => {}
            Ok(frozen) => failures.push(format!(
                "{}: wire format changed\n--- frozen\n{frozen}\n--- now\n{}",
                example.file_name, example.pretty_json
            )),
            Err(err) => failures.push(format!("{}: {err}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(set KASA_UPDATE_GOLDENS=1 to rewrite if the change is intended)",
        failures.join("\n\n")
    );
}

#[test]
fn every_fixture_parses_and_prints_back_identically() {
    let dir = fixtures_dir();
    let examples = examples::all().unwrap();
    let known: BTreeSet<_> = examples.iter().map(|e| e.file_name.to_owned()).collect();
    let mut seen = BTreeSet::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".json") {
            continue;
        }
        assert!(
            known.contains(&name),
            "fixtures/sync/{name} is not produced by any example: remove it or add the example"
        );
        seen.insert(name);
    }
    assert_eq!(seen, known, "every example has a file");
    for example in &examples {
        let text = fs::read_to_string(dir.join(example.file_name)).unwrap();
        let again = (example.reserialise)(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", example.file_name));
        assert_eq!(
            again, text,
            "{} does not print back identically",
            example.file_name
        );
    }
}

#[test]
fn compact_wire_form_parses_to_the_same_message_as_the_fixture() {
    let dir = fixtures_dir();
    let text = fs::read_to_string(dir.join("upload_batch.json")).unwrap();
    let pretty: UploadBatch = serde_json::from_str(&text).unwrap();
    let compact = serde_json::to_vec(&pretty).unwrap();
    let gz = kasa_sync_protocol::body::gzip(&compact).unwrap();
    let from_gzip: UploadBatch = decode_body(&gz, BodyEncoding::Gzip, 1 << 20).unwrap();
    assert_eq!(from_gzip, examples::upload_batch());

    let text = fs::read_to_string(dir.join("master_data_page.json")).unwrap();
    let page: MasterDataPage = serde_json::from_str(&text).unwrap();
    assert_eq!(page, examples::master_data_page());
}

#[test]
fn reserialising_does_not_normalise_a_changed_fixture_back() {
    // If parsing and printing again hid a change, the round-trip test above
    // could not fail; show that a one-byte change survives it.
    let example = &examples::all().unwrap()[0];
    let tampered = example.pretty_json.replacen("T01", "T02", 1);
    assert_ne!(tampered, example.pretty_json);
    let reordered = (example.reserialise)(&tampered).unwrap();
    assert_ne!(reordered, example.pretty_json);
}
