//! A bad document is refused with every problem and where it is.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use store::document::{Destination, Queue, QueueMember, Strategy, User};
use store::{validate_document, StoreError};

fn user(id: &str, ext: &str) -> User {
    let mut u = minimal().users[0].clone();
    u.id = id.into();
    u.extension = ext.into();
    u.full_name = format!("User {id}");
    u
}

fn queue(name: &str, number: &str) -> Queue {
    Queue {
        id: format!("q-{name}"),
        name: name.into(),
        number: number.into(),
        strategy: Strategy::RingAll,
        max_waiting: 0,
        step_seconds: 15,
        max_wait_seconds: None,
        wrapup_seconds: 0,
        auto_answer: false,
        ring_in_use: false,
        play_music_on_hold: true,
        music_on_hold: None,
        sticky_agent: false,
        show_name_in_caller_id: false,
        members: vec![],
        unanswered: Destination::Hangup,
        after_agent: None,
    }
}

#[test]
fn extension_clashing_with_a_queue() {
    let (_dir, mut store) = temp_store();
    let mut doc = minimal();
    doc.users.push(user("u12", "12"));
    doc.users.push(user("u13", "10"));
    doc.queues.push(queue("Ventas", "10"));
    let problems = refused(&mut store, &doc);
    assert!(
        problems.contains(&r#"users[0].extension: 10 is already queue "Ventas""#.to_owned()),
        "{problems:#?}"
    );
    assert!(
        problems.contains(&r#"users[3].extension: 10 is already queue "Ventas""#.to_owned()),
        "{problems:#?}"
    );
}

#[test]
fn every_problem_is_listed_with_its_path() {
    let mut doc = example();
    doc.schema = 2;
    doc.tenant.id = 123;
    doc.tenant.created = "2024-02-30".into();
    doc.tenant.timezone = "Europe Madrid".into();
    doc.users[0].email = "nope".into();
    doc.users[0].caller_id = Some("d-missing".into());
    doc.users[1].extension = "*21".into();
    doc.users[1].ring_seconds = 0;
    doc.users.push(user("u10", "7000"));
    doc.dids[0].rules[0].month = "(03|06".into();
    doc.dids[0].rules[1].start = "25:00".into();
    doc.dids[0].rules[1].order = 1;
    doc.dids[0].rules[2].destination = Destination::Queue("q-nope".into());
    doc.dids[1].number = doc.dids[0].number.clone();
    doc.queues[0].members.push(QueueMember {
        user: "ghost".into(),
        priority: 1,
    });
    doc.ivrs[0].options.insert("#".into(), Destination::Hangup);
    doc.ivrs[0].prompt = "p-gone".into();
    doc.voicemail_boxes[0].pin = "12".into();
    doc.prompts[0].file = "../../etc/shadow".into();
    doc.aliases[0].alias = "400".into();
    doc.allow_list[0].netmask = 40;
    doc.modules[1].name = "did-routing".into();
    if let Some(p) = doc.provider.as_mut() {
        p.domain = "bad domain".into();
        if let Some(s) = p.secondary.as_mut() {
            s.outbound_proxy = Some("sip:proxy.example:99999".into());
        }
    }
    let expected = [
        "schema: unsupported version 2 (this firmware reads 1)",
        "tenant.id: 123 must have at least 5 digits",
        "tenant.created: \"2024-02-30\" is not a date (YYYY-MM-DD)",
        "tenant.timezone: \"Europe Madrid\" is not a known time zone (an IANA name like Europe/Madrid)",
        "users[0].email: \"nope\" is not an email address",
        "users[0].caller_id: no DID with id \"d-missing\"",
        "users[1].extension: \"*21\" is not allowed: numbers starting with * are feature codes",
        "users[1].ring_seconds: 0 must be 1 to 600",
        "users[2].id: duplicate id \"u10\" (also users[0])",
        "users[2].extension: 7000 is already IVR \"Entrada_Prueba\"",
        "dids[0].rules[1].order: 1 is already rules[0]",
        "dids[0].rules[1].start: \"25:00\" is not a time (HH:MM, 00:00 to 23:59)",
        "dids[0].rules[2].destination: no queue with id \"q-nope\"",
        "dids[1].number: 917374206 is already dids[0]",
        "queues[0].members[2].user: no user with id \"ghost\"",
        "ivrs[0].prompt: no prompt with id \"p-gone\"",
        "ivrs[0].options.#: \"#\" is not a digit 0 to 9",
        "voicemail_boxes[0].pin: must be 4 to 12 digits",
        "prompts[0].file: \"../../etc/shadow\" must be a relative path inside the data folder",
        "aliases[0].alias: 400 is already queue \"Ventas\"",
        "allow_list[0].address: netmask 40 is too long for IPv4 (0 to 32)",
        "modules[1].name: \"did-routing\" is already modules[0]",
        "provider.domain: \"bad domain\" is not a host or host:port",
        "provider.secondary.outbound_proxy: \"sip:proxy.example:99999\" is not a host or host:port",
    ];
    let problems: Vec<String> = validate_document(&doc)
        .iter()
        .map(|p| p.to_string())
        .collect();
    for e in expected {
        assert!(
            problems.iter().any(|p| p == e),
            "missing {e:?} in {problems:#?}"
        );
    }
    let regex = problems
        .iter()
        .find(|p| p.starts_with("dids[0].rules[0].month: "))
        .unwrap();
    assert!(regex.contains("not a valid pattern"), "{regex}");

    // The import refuses with the same list, and the error prints one problem per line.
    let (_dir, mut store) = temp_store();
    let err = store.import_document(&doc).unwrap_err();
    assert!(matches!(err, StoreError::InvalidDocument { .. }));
    let text = err.to_string();
    assert_eq!(text.lines().count(), problems.len(), "{text}");
    assert!(text
        .lines()
        .any(|l| l == "users[0].email: \"nope\" is not an email address"));
    assert_eq!(store.tenant_count().unwrap(), 0, "nothing half-imported");
}

#[test]
fn extension_limit() {
    let (_dir, mut store) = temp_store();
    let mut doc = minimal();
    doc.tenant.max_extensions = 1;
    let problems = refused(&mut store, &doc);
    assert_eq!(
        problems,
        vec!["users: 2 extensions exceed the tenant's limit of 1 (tenant.max_extensions)"]
    );
}

#[test]
fn sip_username_unique_on_the_box() {
    let (_dir, mut store) = temp_store();
    store.import_document(&minimal()).unwrap();
    // Tenant 201911 extension 0 spells ext2019110, like tenant 20191 extension 10.
    let mut other = minimal();
    other.tenant.id = 201911;
    other.users[0].extension = "0".into();
    other.users[1].extension = "5".into();
    let problems = refused(&mut store, &other);
    assert_eq!(
        problems,
        vec!["users[0].extension: SIP username ext2019110 is already used by tenant 20191 extension 10"]
    );
}

#[test]
fn did_number_unique_on_the_box() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let mut other = example();
    other.tenant.id = 30000;
    other.api_keys.clear();
    let problems = refused(&mut store, &other);
    assert!(
        problems.contains(&"dids[0].number: 917374206 already belongs to tenant 20191".to_owned()),
        "{problems:#?}"
    );
}

#[test]
fn forwarding_loops_are_refused() {
    let mut doc = example();
    doc.dids[0].forward = Some(Destination::Did("d-fax".into()));
    // d-fax already forwards to d-main.
    doc.users[0].forward_always = Some(Destination::Extension("u11".into()));
    doc.users[1].forward_always = Some(Destination::Extension("u10".into()));
    doc.users[0].forward_busy = Some(Destination::Extension("u10".into()));
    let problems: Vec<String> = validate_document(&doc)
        .iter()
        .map(|p| p.to_string())
        .collect();
    for expected in [
        "dids[0].forward: forwards in a loop: d-main → d-fax → d-main",
        "dids[1].forward: forwards in a loop: d-fax → d-main → d-fax",
        "users[0].forward_always: forwards in a loop: u10 → u11 → u10",
        "users[1].forward_always: forwards in a loop: u11 → u10 → u11",
        "users[0].forward_busy: a user cannot forward to their own extension",
    ] {
        assert!(
            problems.iter().any(|p| p == expected),
            "missing {expected:?} in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), 5, "{problems:#?}");
}
