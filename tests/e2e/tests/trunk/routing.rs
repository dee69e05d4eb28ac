//! The routing simulator (`centralita route`) and rule validation at import.

use super::*;

#[test]
fn route_cli_explains_saturday_night() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(
        &mut doc,
        json!([
            rule(
                1,
                json!({ "weekday": "[1-5]", "start": "08:00", "end": "18:00",
                            "description": "office hours" }),
                "u10"
            ),
            rule(
                2,
                json!({ "weekday": "6", "start": "20:00", "end": "23:00",
                            "prefix": "Sabado: ", "description": "saturday night" }),
                "u11"
            ),
        ]),
    );
    trunk::apply(&mut daemon, &doc)?;
    let route = |at: &str| {
        daemon.subcommand(
            "route",
            &[
                "--did".into(),
                DID_MAIN.into(),
                "--from".into(),
                "699111222".into(),
                "--at".into(),
                at.into(),
            ],
        )
    };
    let saturday = route("2026-12-26T21:00")?;
    eprintln!("{saturday}");
    let lines: Vec<&str> = saturday.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rule 1") && l.contains("no")),
        "rule 1 must be shown as not matching: {saturday}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rule 2") && l.contains("MATCHES")),
        "{saturday}"
    );
    assert!(saturday.contains("weekday 6"), "{saturday}");
    assert!(saturday.contains("Sabado: "), "{saturday}");
    // The same time on a Monday matches nothing: 480.
    let monday = route("2026-12-28T21:00")?;
    eprintln!("{monday}");
    assert!(monday.contains("no rule matches"), "{monday}");
    assert!(monday.contains("480"), "{monday}");
    Ok(())
}

#[test]
fn route_cli_manual_examples_and_a_window_over_midnight() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(
        &mut doc,
        json!([
            rule(
                1,
                json!({ "year": "202[1-5]", "description": "years" }),
                "u10"
            ),
            rule(
                2,
                json!({ "month": "(03|06)", "day": "0[5-9]|1[0-9]|2[0-5]",
                            "description": "spring days" }),
                "u11"
            ),
            rule(
                3,
                json!({ "start": "20:00", "end": "08:00", "description": "night" }),
                "u12"
            ),
        ]),
    );
    trunk::apply(&mut daemon, &doc)?;
    let route = |at: &str| -> Result<String> {
        daemon.subcommand(
            "route",
            &[
                "--did".into(),
                DID_MAIN.into(),
                "--from".into(),
                "699111222".into(),
                "--at".into(),
                at.into(),
            ],
        )
    };
    let matched = |text: &str| -> Option<String> {
        text.lines()
            .find(|l| l.contains("MATCHES"))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_string)
    };
    for (at, want) in [
        ("2024-07-01T12:00", Some("1")),
        ("2026-03-10T12:00", Some("2")),
        ("2026-06-25T12:00", Some("2")),
        ("2026-03-26T12:00", None),
        ("2026-03-26T02:00", Some("3")),
        ("2026-03-26T20:00", Some("3")),
        ("2026-03-26T08:00", Some("3")),
        ("2026-03-26T08:01", None),
        ("2026-03-26T19:59", None),
    ] {
        let text = route(at)?;
        assert_eq!(matched(&text).as_deref(), want, "at {at}:\n{text}");
        if want.is_none() {
            assert!(text.contains("480"), "at {at}:\n{text}");
        }
    }
    Ok(())
}

#[test]
fn invalid_rule_pattern_is_refused_at_import_with_its_location() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(
        &mut doc,
        json!([rule(1, json!({ "month": "(03|06" }), "u11")]),
    );
    let refused = trunk::apply(&mut daemon, &doc);
    let Err(e2e::HarnessError::Subcommand { stderr, .. }) = refused else {
        panic!("a document with the pattern (03|06 was not refused: {refused:?}");
    };
    assert!(stderr.contains("rules[0].month"), "{stderr}");
    assert!(stderr.contains("(03|06"), "{stderr}");
    assert!(daemon.is_running());
    Ok(())
}
