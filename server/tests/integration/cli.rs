//! The `vigil` binary as an operator meets it: clear one-line errors, never a panic.

use std::process::Command;

fn vigil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env_remove("VIGIL_DATABASE_URL")
        .output()
        .expect("vigil runs")
}

fn assert_one_line_error(output: &std::process::Output, expected: &str) {
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error_lines: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error_lines.len(), 1, "{stderr}");
    assert!(error_lines[0].contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_documents_every_option() {
    let output = vigil(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--database-url",
        "--listen",
        "--site-root",
        "--log-format",
        "--log",
        "migrate",
        "serve",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
    for env in [
        "VIGIL_DATABASE_URL",
        "VIGIL_LISTEN",
        "VIGIL_SITE_ROOT",
        "VIGIL_LOG_FORMAT",
    ] {
        assert!(help.contains(env), "{env} missing from:\n{help}");
    }
}

#[test]
fn an_unsupported_database_url_is_a_one_line_error() {
    let output = vigil(&[
        "migrate",
        "--database-url",
        "mysql://root:secret@localhost/vigil",
    ]);
    assert_one_line_error(&output, "unsupported database URL");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("secret"));
}

#[test]
fn an_unwritable_data_directory_is_a_one_line_error() {
    let output = vigil(&[
        "migrate",
        "--database-url",
        "sqlite:///proc/vigil-data/vigil.db",
    ]);
    assert_one_line_error(&output, "cannot create the data directory /proc/vigil-data");
}

#[test]
fn migrate_creates_and_migrates_a_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/vigil.db", dir.path().display());
    let output = vigil(&["migrate", "--database-url", &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("applied 4 migration(s)"));
    let again = vigil(&["migrate", "--database-url", &url]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"));
}
