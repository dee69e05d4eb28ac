//! The daemon's command line as a newcomer and an operator meet it: first start with
//! an empty data folder, clean shutdown, tenant document import/export.

use serde_json::Value;

use e2e::daemon::{binary, run_subcommand};
use e2e::sip_client::{Register, SipClient};
use e2e::{tenant, Daemon, HarnessError, Result};

#[test]
fn first_start_prints_demo_credentials_that_register() -> Result<()> {
    let daemon = Daemon::start_empty()?;
    let lines = daemon.stdout_lines();
    // `extension 10  username ext2019110  password <pw>`
    let credentials: Vec<(String, String, String)> = lines
        .iter()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["extension", ext, "username", user, "password", pw] => {
                    Some((ext.to_string(), user.to_string(), pw.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    let extensions: Vec<&str> = credentials.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(extensions, ["10", "11"], "stdout was: {lines:#?}");
    for (ext, user, password) in &credentials {
        assert_eq!(user, &format!("ext{}{ext}", tenant::TENANT_ID));
        let mut phone = SipClient::new(daemon.sip)?;
        let reg = Register {
            contact: Some(format!("<sip:{user}@{}>", phone.local)),
            expires: Some(120),
        };
        let (_, response) = phone.register_with(user, password, "MD5", &reg)?;
        assert_eq!(
            response.code, 200,
            "printed credentials of {ext} refused:\n{}",
            response.raw
        );
    }
    assert!(
        lines.iter().any(|l| l.starts_with("centralita ready sip=")),
        "{lines:#?}"
    );
    Ok(())
}

#[test]
fn sigterm_shuts_down_cleanly() -> Result<()> {
    let daemon = Daemon::start()?;
    let status = daemon.stop()?;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    Ok(())
}

fn export(bin: &std::path::Path, data: &std::path::Path) -> Result<Value> {
    let text = run_subcommand(
        bin,
        "export",
        &[
            "--data".into(),
            data.into(),
            tenant::TENANT_ID.to_string().into(),
        ],
    )?;
    serde_json::from_str(&text).map_err(|_| HarnessError::BadJson {
        what: "`centralita export` output".to_string(),
        text,
    })
}

fn import(bin: &std::path::Path, data: &std::path::Path, doc: &std::path::Path) -> Result<String> {
    run_subcommand(bin, "import", &["--data".into(), data.into(), doc.into()])
}

#[test]
fn export_then_import_is_the_identity() -> Result<()> {
    let bin = binary()?;
    let dir = tempfile::tempdir().map_err(HarnessError::io("temp dir"))?;
    let (first, second) = (dir.path().join("a"), dir.path().join("b"));
    let doc = dir.path().join("tenant.json");
    std::fs::write(&doc, tenant::document().to_string()).map_err(HarnessError::io("write doc"))?;
    import(&bin, &first, &doc)?;
    let exported = export(&bin, &first)?;

    let again = dir.path().join("exported.json");
    std::fs::write(&again, exported.to_string()).map_err(HarnessError::io("write export"))?;
    import(&bin, &second, &again)?;
    assert_eq!(
        export(&bin, &second)?,
        exported,
        "import(export(x)) changed the tenant"
    );
    // Re-applying the same document to the same folder changes nothing either.
    import(&bin, &first, &again)?;
    assert_eq!(export(&bin, &first)?, exported);
    Ok(())
}

#[test]
fn bad_document_is_refused_whole_with_its_problems_located() -> Result<()> {
    let bin = binary()?;
    let dir = tempfile::tempdir().map_err(HarnessError::io("temp dir"))?;
    let data = dir.path().join("data");
    let good = dir.path().join("good.json");
    std::fs::write(&good, tenant::document().to_string()).map_err(HarnessError::io("write doc"))?;
    import(&bin, &data, &good)?;
    let before = export(&bin, &data)?;

    // Same tenant, plus a renamed user (a change that must NOT land) and a user whose
    // extension collides with extension 10.
    let mut bad = tenant::document();
    if let Some(users) = bad.get_mut("users").and_then(Value::as_array_mut) {
        if let Some(first) = users.first_mut() {
            first["full_name"] = Value::from("Renamed");
        }
        let mut clash = users.first().cloned().unwrap_or(Value::Null);
        clash["id"] = Value::from("u-clash");
        clash["email"] = Value::from("clash@example.com");
        users.push(clash);
    }
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad.to_string()).map_err(HarnessError::io("write bad doc"))?;
    match import(&bin, &data, &bad_path) {
        Ok(out) => panic!("a document with a duplicate extension was accepted: {out}"),
        Err(HarnessError::Subcommand { stderr, .. }) => {
            let clash_index = tenant::USERS.len();
            assert!(
                stderr.contains(&format!("users[{clash_index}]")),
                "the problem report does not say where the clash is:\n{stderr}"
            );
        }
        Err(other) => return Err(other),
    }
    assert_eq!(
        export(&bin, &data)?,
        before,
        "a refused import changed the data"
    );
    Ok(())
}
