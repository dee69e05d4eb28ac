//! Caller ID of outgoing calls (user's DID, anonymous, DID OUT prefixes), the whole outbound
//! decision, and aliases.
#![allow(clippy::unwrap_used)]

use pbx::dialplan::{
    alias_for_number, clean_display_name, plan_outbound, resolve_alias, AliasEntry,
    CallPermissionsConfig, DialPlan, DialPlanError, DidOut, DidOutConfig, DidOutRefusal,
    NumberClass, NumberPlan, OutboundPolicy, OutboundRequest, Presentation, Refusal, Selection,
    TrunkIdentity,
};
use serde_json::json;

const TENANT_DIDS: &[&str] = &["917374206", "+34917374207", "931112233"];

fn did_out(v: serde_json::Value) -> Result<DidOut, DialPlanError> {
    let config: DidOutConfig = serde_json::from_value(v).unwrap();
    DidOut::compile(&config, TENANT_DIDS.iter().copied(), &NumberPlan::spain())
}

fn did(n: &str) -> Presentation {
    Presentation::Did(n.into())
}

fn sales() -> DidOut {
    did_out(json!({ "rules": [
        { "prefix": "*81", "present": { "did": "917374206" }, "extensions": ["10", "11"],
          "description": "sales line" },
        { "prefix": "*81", "present": { "did": "931112233" }, "extensions": ["20"],
          "description": "Barcelona office, same code" },
        { "prefix": "*82", "present": { "did": "917374207" }, "extensions": ["10"] },
        { "prefix": "#31#", "present": "anonymous", "all_extensions": true },
        { "present": { "did": "931112233" }, "extensions": ["21"],
          "description": "21 always presents Barcelona" }
    ] }))
    .unwrap()
}

#[test]
fn did_out_selection_table() {
    let d = sales();
    let own = did("917374207");
    let ok = |number: &str, presentation: Presentation, rule: Option<usize>| {
        Ok(Selection {
            number: number.into(),
            presentation,
            rule,
        })
    };
    let refused = Err(DidOutRefusal {
        status: 403,
        reason: "Forbidden - caller ID not allowed",
    });
    let table: &[(&str, &str, Result<Selection, DidOutRefusal>)] = &[
        (
            "10",
            "*81655974643",
            ok("655974643", did("917374206"), Some(0)),
        ),
        (
            "11",
            "*81 655 974 643",
            ok(" 655 974 643", did("917374206"), Some(0)),
        ),
        (
            "20",
            "*81655974643",
            ok("655974643", did("931112233"), Some(1)),
        ),
        (
            "10",
            "*82655974643",
            ok("655974643", did("917374207"), Some(2)),
        ),
        ("11", "*82655974643", refused.clone()),
        ("30", "*81655974643", refused.clone()),
        (
            "30",
            "#31#655974643",
            ok("655974643", Presentation::Anonymous, Some(3)),
        ),
        ("10", "655974643", ok("655974643", own.clone(), None)),
        (
            "21",
            "655974643",
            ok("655974643", did("931112233"), Some(4)),
        ),
        ("21", "*81655974643", refused.clone()),
        (
            "10",
            "*81",
            Err(DidOutRefusal {
                status: 484,
                reason: "Address Incomplete",
            }),
        ),
        // A star code that is no DID OUT prefix is left alone (the number check refuses it).
        ("10", "*99655974643", ok("*99655974643", own.clone(), None)),
    ];
    for (ext, dialled, expected) in table {
        assert_eq!(&d.select(ext, &own, dialled), expected, "{ext} {dialled}");
    }
}

#[test]
fn did_out_config_errors() {
    let one = |rule: serde_json::Value| did_out(json!({ "rules": [rule] })).unwrap_err();
    for prefix in ["81", "0", "*8a", "*123456789", " *81"] {
        let e = one(json!({ "prefix": prefix, "present": "anonymous", "all_extensions": true }));
        assert!(
            matches!(e, DialPlanError::BadPrefix { index: 0, .. }),
            "{prefix}: {e}"
        );
    }
    let e =
        one(json!({ "prefix": "*81", "present": { "did": "915550000" }, "extensions": ["10"] }));
    assert_eq!(
        e.to_string(),
        "did_out.rules[0].present.did: \"915550000\" is not a DID of this tenant"
    );
    let e = one(json!({ "prefix": "*81", "present": { "did": "+34-917374206" } }));
    assert!(matches!(e, DialPlanError::NotDigits { .. }), "{e}");
    // Either spelling of a DID matches the other.
    for spelling in ["+34917374206", "917374207", "0034931112233"] {
        let ok = did_out(json!({ "rules": [
            { "prefix": "*81", "present": { "did": spelling }, "all_extensions": true } ] }));
        assert!(ok.is_ok(), "{spelling}");
    }
    let e = one(json!({ "prefix": "*81", "present": "anonymous", "extensions": ["10", "sales"] }));
    assert!(matches!(e, DialPlanError::BadExtension { .. }), "{e}");
    let e = did_out(json!({ "rules": [
        { "prefix": "*8", "present": "anonymous", "all_extensions": true },
        { "prefix": "*81", "present": { "did": "917374206" }, "all_extensions": true }
    ] }))
    .unwrap_err();
    assert!(
        matches!(
            e,
            DialPlanError::OverlappingPrefix {
                index: 1,
                other: 0,
                ..
            }
        ),
        "{e}"
    );
    // Typos in the JSON are refused by the parser.
    assert!(serde_json::from_value::<DidOutConfig>(json!({ "rule": [] })).is_err());
    assert!(serde_json::from_value::<DidOutConfig>(
        json!({ "rules": [ { "prefix": "*81", "present": "hidden" } ] })
    )
    .is_err());
}

#[test]
fn trunk_identity_per_presentation() {
    let spain = NumberPlan::spain();
    assert_eq!(
        did("917374206").trunk_identity(&spain, None),
        TrunkIdentity {
            from_display: None,
            from_user: "917374206".into(),
            anonymous: false,
            privacy: None,
            asserted: Some("917374206".into()),
        }
    );
    assert_eq!(
        Presentation::Anonymous.trunk_identity(&spain, Some("917374206")),
        TrunkIdentity {
            from_display: Some("Anonymous"),
            from_user: "anonymous".into(),
            anonymous: true,
            privacy: Some("id"),
            asserted: Some("917374206".into()),
        }
    );
    assert_eq!(
        Presentation::Anonymous
            .trunk_identity(&spain, None)
            .asserted,
        None
    );
    // A "DID" that is not a number is withheld, never written into a URI.
    let junk = did("91x>;evil").trunk_identity(&spain, Some("sip:<x>"));
    assert!(junk.anonymous);
    assert_eq!(junk.asserted, None);
    let e164: pbx::dialplan::NumberingConfig =
        serde_json::from_value(json!({ "trunk_format": "e164" })).unwrap();
    let e164 = NumberPlan::compile(&e164).unwrap();
    assert_eq!(
        did("917374206").trunk_identity(&e164, None).from_user,
        "+34917374206"
    );
}

fn request<'a>(ext: &'a str, own: &'a Presentation, dialled: &'a str) -> OutboundRequest<'a> {
    OutboundRequest {
        extension: ext,
        internal_only: false,
        caller_id: own,
        dialled,
        tenant_identity: Some("917374206"),
    }
}

#[test]
fn whole_outbound_decision() {
    let plan = DialPlan::default();
    let d = sales();
    let own = did("917374207");

    // The user's own DID.
    let call = plan_outbound(&plan, Some(&d), &request("10", &own, "655 974 643")).unwrap();
    assert_eq!(call.number, "655974643");
    assert_eq!(call.class, NumberClass::Mobile);
    assert_eq!(call.presentation, own);
    assert_eq!(call.identity.from_user, "917374207");
    assert_eq!(call.did_out_rule, None);

    // DID OUT prefix: stripped, DID presented, number still checked.
    let call = plan_outbound(&plan, Some(&d), &request("10", &own, "*81+34917000111")).unwrap();
    assert_eq!(
        (
            call.number.as_str(),
            call.identity.from_user.as_str(),
            call.did_out_rule
        ),
        ("917000111", "917374206", Some(0))
    );

    // Anonymous by prefix: the user's own DID is the asserted identity.
    let call = plan_outbound(&plan, Some(&d), &request("30", &own, "#31#917000111")).unwrap();
    assert_eq!(call.identity.privacy, Some("id"));
    assert_eq!(call.identity.asserted.as_deref(), Some("917374207"));

    // Anonymous user without a DID: the tenant's identity is asserted.
    let anon = Presentation::Anonymous;
    let call = plan_outbound(&plan, None, &request("30", &anon, "917000111")).unwrap();
    assert_eq!(call.identity.from_user, "anonymous");
    assert_eq!(call.identity.asserted.as_deref(), Some("917374206"));

    // Refusals: DID OUT, permissions, internal-only.
    assert_eq!(
        plan_outbound(&plan, Some(&d), &request("30", &own, "*81917000111")),
        Err(Refusal {
            class: None,
            status: 403,
            reason: "Forbidden - caller ID not allowed".into(),
        })
    );
    assert_eq!(
        plan_outbound(
            &plan,
            Some(&d),
            &request("10", &own, "*81 0044 20 7946 0958")
        ),
        Err(Refusal {
            class: Some(NumberClass::International),
            status: 403,
            reason: "Forbidden - international calls not allowed".into(),
        })
    );
    let mut r = request("10", &own, "917000111");
    r.internal_only = true;
    assert_eq!(
        plan_outbound(&plan, Some(&d), &r).unwrap_err().reason,
        "Forbidden - internal calls only"
    );

    // Without the DID OUT module its prefixes mean nothing.
    assert_eq!(
        plan_outbound(&plan, None, &request("10", &own, "*81917000111"))
            .unwrap_err()
            .status,
        404
    );
}

#[test]
fn aliases() {
    let aliases = vec![
        AliasEntry {
            alias: "10".into(),
            number: "655974643".into(),
            display_name: "Stefano".into(),
        },
        AliasEntry {
            alias: "200".into(),
            number: "+34 917 374 206".into(),
            display_name: "Oficina \"Madrid\" <b>".into(),
        },
    ];
    let a = resolve_alias(&aliases, "10").unwrap();
    assert_eq!(
        (a.number.as_str(), a.display_name.as_str()),
        ("655974643", "Stefano")
    );
    assert_eq!(resolve_alias(&aliases, " 200 ").unwrap().alias, "200");
    assert!(resolve_alias(&aliases, "1").is_none());
    assert!(resolve_alias(&aliases, "100").is_none());

    let spain = NumberPlan::spain();
    assert_eq!(
        alias_for_number(&aliases, &spain, "+34655974643").map(|a| a.display_name.as_str()),
        Some("Stefano")
    );
    assert_eq!(
        alias_for_number(&aliases, &spain, "917374206").map(|a| a.alias.as_str()),
        Some("200")
    );
    assert!(alias_for_number(&aliases, &spain, "600000000").is_none());
    assert!(alias_for_number(&aliases, &spain, "not a number").is_none());

    // The alias's real number goes through the same permissions as if dialled.
    let plan = DialPlan::default();
    let own = did("917374207");
    let call = plan_outbound(&plan, None, &request("11", &own, &a.number)).unwrap();
    assert_eq!(call.class, NumberClass::Mobile);
}

#[test]
fn display_names_are_cleaned_not_mangled() {
    for (raw, clean) in [
        ("Stefano", "Stefano"),
        ("  José   Pérez ", "José Pérez"),
        ("O'Brien \"Bob\" <b>", "O'Brien \"Bob\" <b>"),
        ("evil\r\nVia: x", "evil Via: x"),
        ("tab\there\u{0}x", "tab herex"),
        ("\u{202E}gnp.exe\u{200B}", "gnp.exe"),
        ("", ""),
    ] {
        assert_eq!(clean_display_name(raw), clean, "{raw:?}");
    }
    assert_eq!(clean_display_name(&"ñ".repeat(500)).chars().count(), 64);
}

#[test]
fn policy_from_module_configs() {
    // As the daemon reads them from `modules[]` of the tenant document.
    let modules = json!([
        { "name": "call-permissions", "enabled": true,
          "config": { "extensions": { "10": { "allow": ["international"] } },
                      "max_outbound_calls": 2 } },
        { "name": "did-out", "enabled": true,
          "config": { "rules": [ { "prefix": "*81", "present": { "did": "917374206" },
                                   "extensions": ["10"] } ] } }
    ]);
    let config = |name: &str| {
        modules
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name && m["enabled"] == true)
            .map(|m| m["config"].clone())
    };
    let permissions: CallPermissionsConfig =
        serde_json::from_value(config("call-permissions").unwrap()).unwrap();
    let did_out: DidOutConfig = serde_json::from_value(config("did-out").unwrap()).unwrap();
    let policy = OutboundPolicy::compile(
        Some(&permissions),
        Some(&did_out),
        TENANT_DIDS.iter().copied(),
    )
    .unwrap();
    assert_eq!(policy.plan.permissions.max_outbound_calls(), Some(2));
    let own = Presentation::Anonymous;
    let call = policy
        .plan_call(&request("10", &own, "*81 0044 20 7946 0958"))
        .unwrap();
    assert_eq!(
        (call.number.as_str(), call.identity.from_user.as_str()),
        ("00442079460958", "917374206")
    );

    // Neither module installed: defaults, prefixes mean nothing.
    let bare = OutboundPolicy::compile(None, None, TENANT_DIDS.iter().copied()).unwrap();
    assert_eq!(
        bare.plan_call(&request("10", &own, "0044 20 7946 0958"))
            .unwrap_err()
            .status,
        403
    );
    // A DID OUT rule for someone else's number fails the whole load.
    let foreign: DidOutConfig = serde_json::from_value(json!({ "rules": [
        { "prefix": "*81", "present": { "did": "915550000" }, "all_extensions": true } ] }))
    .unwrap();
    assert!(OutboundPolicy::compile(None, Some(&foreign), TENANT_DIDS.iter().copied()).is_err());
}

#[test]
fn trunk_headers_as_printed() {
    let spain = NumberPlan::spain();
    let anon = Presentation::Anonymous.trunk_identity(&spain, Some("+34 917 374 206"));
    assert_eq!(
        anon.from_name_addr("sip.provider.example").to_string(),
        "\"Anonymous\" <sip:anonymous@anonymous.invalid>"
    );
    assert_eq!(
        anon.asserted_name_addr("sip.provider.example")
            .unwrap()
            .to_string(),
        "<sip:917374206@sip.provider.example>"
    );
    assert_eq!(anon.privacy, Some("id"));
    let shown = did("917374206").trunk_identity(&spain, None);
    assert_eq!(
        shown.from_name_addr("sip.provider.example").to_string(),
        "<sip:917374206@sip.provider.example>"
    );
    // The printed headers parse back (the SIP printer and parser agree).
    let from = shown.from_name_addr("sip.provider.example").to_string();
    assert_eq!(
        sip::header::NameAddr::parse(&from)
            .unwrap()
            .uri
            .user
            .as_deref(),
        Some("917374206")
    );
}
