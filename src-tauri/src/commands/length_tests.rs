//! Every Tauri command stays a thin shell: lock the till, one call, a DTO —
//! at most [`MAX_COMMAND_LINES`] lines from `pub fn` to its closing brace,
//! as rustfmt lays it out. A command that grows past that has logic that
//! belongs in `kasa_terminal`.

use std::path::Path;

/// The longest a command may be.
const MAX_COMMAND_LINES: usize = 15;

/// `(file, command, lines)` of every command in `source`.
fn command_lengths(file: &str, source: &str) -> Vec<(String, String, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].trim_start().starts_with("#[tauri::command") {
            i += 1;
            continue;
        }
        let start = (i..lines.len())
            .find(|&j| lines[j].starts_with("pub fn ") || lines[j].starts_with("pub async fn "))
            .expect("a command attribute is followed by its function");
        let end = (start..lines.len())
            .find(|&j| lines[j] == "}")
            .expect("a command ends with a closing brace in column 0");
        let name = lines[start]
            .split(['(', '<'])
            .next()
            .unwrap_or_default()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        out.push((file.to_string(), name, end - start + 1));
        i = end + 1;
    }
    out
}

#[test]
fn commands_stay_short() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let is_test = path.file_name().is_some_and(|n| n == "length_tests.rs");
        if path.extension().is_some_and(|e| e == "rs") && !is_test {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            all.extend(command_lengths(
                &name,
                &std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    assert!(all.len() >= 40, "every command file was read: {all:?}");
    let long: Vec<_> = all
        .iter()
        .filter(|(_, _, n)| *n > MAX_COMMAND_LINES)
        .collect();
    assert!(
        long.is_empty(),
        "commands longer than {MAX_COMMAND_LINES} lines (move the logic into kasa_terminal): {long:?}"
    );
}

#[test]
fn the_scan_measures_what_it_should() {
    let source = "#[tauri::command(async)]\npub fn a(x: u32) -> u32 {\n    x\n}\n\n\
                  #[tauri::command]\npub async fn b() {\n    let y = 1;\n    let z = 2;\n}\n";
    assert_eq!(
        command_lengths("f.rs", source),
        vec![
            ("f.rs".to_string(), "a".to_string(), 3),
            ("f.rs".to_string(), "b".to_string(), 4)
        ]
    );
}
