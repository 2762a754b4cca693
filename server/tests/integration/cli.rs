//! The `vigil` binary as an operator meets it: clear one-line errors, never a panic.

use std::process::Command;

use crate::support::served::Served;

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
fn help_never_prints_secrets_from_the_environment() {
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(args)
            .env(
                "VIGIL_DATABASE_URL",
                "postgres://vigil:db-secret-42@db.internal/vigil",
            )
            .env("VIGIL_METRICS_TOKEN", "metrics-secret-42")
            .env(
                "VIGIL_SMTP_URL",
                "smtps://mail:smtp-secret-42@mail.example.com",
            )
            .env("VIGIL_ADMIN_PASSWORD", "admin-secret-42")
            .env("VIGIL_OIDC_CLIENT_SECRET", "oidc-secret-42")
            .output()
            .expect("vigil runs");
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("VIGIL_DATABASE_URL"), "{help}");
        assert!(!help.contains("secret-42"), "{args:?}: {help}");
    }
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
fn a_wrong_smtp_relay_or_sender_is_a_one_line_error_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/vigil.db", dir.path().display());
    for (url, from, expected) in [
        (
            "carrier-pigeon://coop",
            "status@example.com",
            "the SMTP URL is not valid",
        ),
        (
            "smtp://127.0.0.1:25",
            "not an address",
            "the sender address",
        ),
    ] {
        let output = vigil(&[
            "serve",
            "--database-url",
            &db,
            "--listen",
            "127.0.0.1:0",
            "--smtp-url",
            url,
            "--mail-from",
            from,
        ]);
        assert_one_line_error(&output, expected);
    }
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
    use migrations::MigratorTrait;
    let every = migrations::Migrator::migrations().len();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("applied {every} migration(s)")),
        "{stdout}"
    );
    let again = vigil(&["migrate", "--database-url", &url]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"));
}

/// `vigil migrate` killed (SIGKILL) again and again on one fresh database, each time a
/// few milliseconds later than the last, so that kills land between the statements of
/// its migrations: each next run carries on from where the last stopped, never fails on a
/// half-applied migration, and the last one finds nothing left to apply. (Before every
/// migration ran in a transaction on SQLite, this left "duplicate column name" behind
/// within the first few kills.)
#[test]
fn a_migration_killed_midway_is_applied_whole_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/vigil.db", dir.path().display());
    let mut wait = std::time::Duration::from_millis(5);
    let mut kills = 0;
    loop {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["migrate", "--database-url", &url])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(wait);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap();
        }
        let output = child.wait_with_output().unwrap();
        // Killed, or finished (perhaps just before the kill); never an error.
        assert!(
            output.status.success() || output.status.code().is_none(),
            "after {kills} kill(s): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if finished || output.status.success() {
            break;
        }
        kills += 1;
        assert!(kills < 400, "migrate never finished");
        wait += std::time::Duration::from_millis(3);
    }
    assert!(kills > 0, "migrate finished before the first kill");
    let again = vigil(&["migrate", "--database-url", &url]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// `vigil backup` while another process writes: the copy is whole (integrity checked),
/// opens as a current Vigil database and holds what was committed before it began; it
/// never overwrites a file, and sends PostgreSQL to its own tools.
#[test]
fn a_backup_taken_while_another_process_writes_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/vigil.db", dir.path().display());
    let seeded = vigil(&["seed", "--incidents", "300", "--database-url", &url]);
    assert!(seeded.status.success());
    let mut writer = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["seed", "--incidents", "4000", "--seed", "2"])
        .args(["--database-url", &url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let to = dir.path().join("backup.db");
    let to = to.to_str().unwrap();
    let backup = vigil(&["backup", "--to", to, "--database-url", &url]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(String::from_utf8_lossy(&backup.stdout).contains("integrity checked"));
    assert!(writer.wait().unwrap().success());

    let copy = format!("sqlite://{to}");
    let current = vigil(&["migrate", "--database-url", &copy]);
    assert!(String::from_utf8_lossy(&current.stdout).contains("applied 0 migration(s)"));
    let incidents = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sea_orm::{ConnectionTrait, Statement};
            let db = sea_orm::Database::connect(&copy).await.unwrap();
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM incidents",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
        });
    assert!(incidents >= 300, "{incidents}");

    assert_one_line_error(
        &vigil(&["backup", "--to", to, "--database-url", &url]),
        "exists already",
    );
    let elsewhere = dir.path().join("other.db");
    let elsewhere = elsewhere.to_str().unwrap();
    assert_one_line_error(
        &vigil(&[
            "backup",
            "--to",
            elsewhere,
            "--database-url",
            "postgres://vigil:db-secret@127.0.0.1:5432/vigil",
        ]),
        "pg_dump",
    );
    let missing = format!("sqlite://{}/missing/vigil.db", dir.path().display());
    assert_one_line_error(
        &vigil(&["backup", "--to", elsewhere, "--database-url", &missing]),
        "there is no database",
    );
    assert!(!std::path::Path::new(elsewhere).exists());
    // A file name is a file name, whatever a URL would make of it.
    let odd = dir.path().join("nightly?mode=rwc#1.db");
    let backup = vigil(&[
        "backup",
        "--to",
        odd.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(odd.is_file());
    assert!(!dir.path().join("nightly").exists());
}

/// Signs in and out against the real binary with debug logging on, then reads the log:
/// no password, password hash or session id may appear in it.
#[test]
fn secrets_never_reach_the_logs() {
    use std::io::Read;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/vigil.db", dir.path().display());
    let password = "a very secret passphrase";
    let created = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "user",
            "create",
            "--admin",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--database-url",
            &url,
        ])
        .env("VIGIL_ADMIN_PASSWORD", password)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let mut served = Served::spawn(&url, &[], true);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cookie = runtime.block_on(async {
        let base = served.url("");
        let client = crate::support::new_client();
        served.ready().await;
        let res = client
            .post(format!("{base}/rpc/sign_in"))
            .header("accept", "application/json")
            .form(&[
                ("email", "ops@example.com"),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        client.get(format!("{base}/account")).send().await.unwrap();
        client
            .post(format!("{base}/rpc/sign_in"))
            .form(&[("email", "ops@example.com"), ("password", "wrong guess!")])
            .send()
            .await
            .unwrap();
        client
            .post(format!("{base}/rpc/sign_out"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        cookie
    });
    let session_id = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("vigil_session=")
        .to_owned();

    served.kill();
    let mut log = String::new();
    served
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();

    assert!(log.contains("/rpc/sign_in"), "debug logging was on:\n{log}");
    assert!(!log.contains(password), "password in the log");
    assert!(!log.contains("wrong guess!"), "failed password in the log");
    assert!(!log.contains("$argon2"), "password hash in the log");
    assert!(!log.contains(&session_id), "session id in the log");
}

#[test]
fn user_commands_create_list_and_reset_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/vigil.db", dir.path().display());
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
        command
            .args(args)
            .args(["--database-url", &url])
            .env_remove("VIGIL_ADMIN_PASSWORD");
        if let Some(password) = password {
            command.env("VIGIL_ADMIN_PASSWORD", password);
        }
        command.stdin(std::process::Stdio::null()).output().unwrap()
    };

    let created = run(
        &[
            "user",
            "create",
            "--email",
            "Lead@Example.com",
            "--name",
            "Lead",
            "--admin",
        ],
        Some("first password!"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        String::from_utf8_lossy(&created.stdout)
            .contains("created lead@example.com (Lead) as admin")
    );

    let short = run(
        &["user", "create", "--email", "b@example.com", "--name", "B"],
        Some("short"),
    );
    assert_one_line_error(&short, "password: Use at least 10 characters.");
    let duplicate = run(
        &[
            "user",
            "create",
            "--email",
            "lead@example.com",
            "--name",
            "Twin",
        ],
        Some("long enough pw"),
    );
    assert_one_line_error(&duplicate, "A user with this email already exists.");
    let missing = run(
        &["user", "create", "--email", "c@example.com", "--name", "C"],
        None,
    );
    assert_one_line_error(&missing, "no password given");

    let listed = run(&["user", "list"], None);
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing.contains("lead@example.com")
            && listing.contains("admin")
            && listing.contains("active"),
        "{listing}"
    );

    let reset = run(
        &["user", "set-password", "--email", "lead@example.com"],
        Some("second password!"),
    );
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let unknown = run(
        &["user", "set-password", "--email", "nobody@example.com"],
        Some("second password!"),
    );
    assert_one_line_error(&unknown, "No user with email nobody@example.com.");
}

/// SIGTERM ends the process promptly even while a browser holds a live incident stream.
#[test]
fn shutdown_does_not_wait_for_open_event_streams() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/vigil.db", dir.path().display());
    let created = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "user",
            "create",
            "--admin",
            "--email",
            "ic@example.com",
            "--name",
            "IC",
            "--database-url",
            &url,
        ])
        .env("VIGIL_ADMIN_PASSWORD", "a long admin password")
        .output()
        .unwrap();
    assert!(created.status.success());
    let mut served = Served::spawn(&url, &[], false);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _stream = runtime.block_on(async {
        let base = served.url("");
        let client = crate::support::new_client();
        served.ready().await;
        let call = |path: &str, form: Vec<(&str, String)>| {
            client
                .post(format!("{base}{path}"))
                .header("accept", "application/json")
                .form(&form)
                .send()
        };
        call(
            "/rpc/sign_in",
            vec![
                ("email", "ic@example.com".into()),
                ("password", "a long admin password".into()),
            ],
        )
        .await
        .unwrap();
        let created = call("/rpc/create_service", vec![("form[name]", "Edge".into())])
            .await
            .unwrap();
        assert_eq!(created.status(), 200);
        let services: serde_json::Value = call("/rpc/list_services", vec![])
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let service = &services[0];
        let declared = call(
            "/rpc/declare_incident",
            vec![
                ("form[title]", "Edge down".into()),
                ("form[severity_id]", "1".into()),
                ("form[service_ids][]", service["id"].to_string()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(declared.status(), 200);
        let mut stream = client
            .get(format!("{base}/incidents/INC-1/events"))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        stream.chunk().await.unwrap();
        stream
    });

    let started = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            assert!(status.success(), "clean exit: {status}");
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn single_sign_on_settings_that_cannot_work_stop_the_server_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/vigil.db", dir.path().display());
    let serve = |extra: &[&str]| {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--database-url", &db];
        args.extend_from_slice(extra);
        vigil(&args)
    };
    assert_one_line_error(
        &serve(&["--oidc-issuer", "https://id.example.com"]),
        "--oidc-issuer needs --oidc-client-id",
    );
    assert_one_line_error(
        &serve(&[
            "--oidc-issuer",
            "https://id.example.com",
            "--oidc-client-id",
            "v",
            "--oidc-roles",
            "admins",
        ]),
        "--oidc-roles",
    );
    assert_one_line_error(
        &serve(&[
            "--oidc-issuer",
            "https://id.example.com",
            "--oidc-client-id",
            "v",
            "--oidc-id",
            "Bad Id",
        ]),
        "provider id",
    );
    assert_one_line_error(
        &serve(&[
            "--oidc-issuer",
            "https://id.example.com",
            "--oidc-client-id",
            "v",
            "--password-sign-in",
            "break-glass",
        ]),
        "--break-glass-email",
    );
    assert_one_line_error(
        &serve(&[
            "--password-sign-in",
            "break-glass",
            "--break-glass-email",
            "a@b.io",
        ]),
        "needs a single sign-on provider",
    );
    let file = dir.path().join("providers.json");
    std::fs::write(
        &file,
        r#"[{"id": "x", "name": "X", "issuer": "https://x", "client_id": "c", "colour": 1}]"#,
    )
    .unwrap();
    assert_one_line_error(
        &serve(&["--oidc-providers-file", file.to_str().unwrap()]),
        "not a list of providers",
    );
}
