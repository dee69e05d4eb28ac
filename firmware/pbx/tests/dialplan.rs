//! The outbound dial plan through its public API, with module configs written as the tenant
//! document carries them (JSON in `modules[].config`).
#![allow(clippy::unwrap_used)]

use pbx::dialplan::{
    CallPermissionsConfig, Caller, Decision, DialPlan, DialPlanError, NumberClass, Refusal,
};
use serde_json::json;

fn plan(config: serde_json::Value) -> DialPlan {
    let config: CallPermissionsConfig = serde_json::from_value(config).unwrap();
    DialPlan::compile(&config).unwrap()
}

fn caller(extension: &str) -> Caller<'_> {
    Caller {
        extension,
        internal_only: false,
    }
}

fn internal_only(extension: &str) -> Caller<'_> {
    Caller {
        extension,
        internal_only: true,
    }
}

fn allow(class: NumberClass, normalized: &str) -> Decision {
    Decision::Allow {
        class,
        normalized: normalized.into(),
    }
}

fn deny(class: Option<NumberClass>, status: u16, reason: &str) -> Decision {
    Decision::Deny {
        class,
        status,
        reason: reason.into(),
    }
}

use NumberClass::*;

/// A new extension on a box with no call-permissions module at all.
#[test]
fn defaults_for_a_new_extension() {
    let plan = DialPlan::default();
    let table: &[(&str, Decision)] = &[
        ("112", allow(Emergency, "112")),
        ("061", allow(Emergency, "061")),
        ("917374206", allow(National, "917374206")),
        ("+34 917 374 206", allow(National, "917374206")),
        ("900 100 200", allow(National, "900100200")),
        ("655974643", allow(Mobile, "655974643")),
        ("0034655974643", allow(Mobile, "655974643")),
        (
            "0044 20 7946 0958",
            deny(
                Some(International),
                403,
                "Forbidden - international calls not allowed",
            ),
        ),
        (
            "+1 212 555 0100",
            deny(
                Some(International),
                403,
                "Forbidden - international calls not allowed",
            ),
        ),
        (
            "806123456",
            deny(Some(Premium), 403, "Forbidden - premium calls not allowed"),
        ),
        (
            "11888",
            deny(Some(Premium), 403, "Forbidden - premium calls not allowed"),
        ),
        (
            "91737420",
            deny(None, 484, "Address Incomplete - number not in dial plan"),
        ),
        ("bob", deny(None, 404, "Not Found")),
        ("9\r\nX-Evil: 1", deny(None, 404, "Not Found")),
        (
            &"6".repeat(300),
            deny(None, 404, "Not Found - number too long"),
        ),
    ];
    for (dialled, expected) in table {
        assert_eq!(&plan.decide(caller("10"), dialled), expected, "{dialled:?}");
    }
}

#[test]
fn internal_only_users_call_nothing_outside_but_emergency() {
    let plan = DialPlan::default();
    let only = "Forbidden - internal calls only";
    for (dialled, expected) in [
        ("917374206", deny(Some(National), 403, only)),
        ("655974643", deny(Some(Mobile), 403, only)),
        ("0044 20 7946 0958", deny(Some(International), 403, only)),
        // Nothing about the plan leaks to a phone that may not call out.
        ("91737420", deny(None, 403, only)),
        ("bob", deny(None, 403, only)),
        ("112", allow(Emergency, "112")),
    ] {
        assert_eq!(
            plan.decide(internal_only("20"), dialled),
            expected,
            "{dialled}"
        );
    }
    assert_eq!(plan.decide_internal(internal_only("20")), Ok(()));

    let strict = plan_with(json!({ "emergency_when_internal_only": false }));
    assert_eq!(
        strict.decide(internal_only("20"), "112"),
        deny(Some(Emergency), 403, only)
    );
    assert_eq!(strict.decide(caller("20"), "112"), allow(Emergency, "112"));
}

fn plan_with(v: serde_json::Value) -> DialPlan {
    plan(v)
}

#[test]
fn per_extension_allow_and_deny_over_the_default() {
    let plan = plan(json!({
        "extensions": {
            "10": { "allow": ["international"] },
            "11": { "allow": ["premium", "international"], "deny": ["mobile"] },
            "12": { "deny": ["national", "mobile", "local"] }
        }
    }));
    let intl = "00442079460958";
    let table: &[(&str, &str, Decision)] = &[
        ("10", intl, allow(International, intl)),
        (
            "10",
            "806123456",
            deny(Some(Premium), 403, "Forbidden - premium calls not allowed"),
        ),
        ("11", "806123456", allow(Premium, "806123456")),
        (
            "11",
            "655974643",
            deny(Some(Mobile), 403, "Forbidden - mobile calls not allowed"),
        ),
        ("11", "917374206", allow(National, "917374206")),
        (
            "12",
            "917374206",
            deny(
                Some(National),
                403,
                "Forbidden - national calls not allowed",
            ),
        ),
        // Emergency stays allowed whatever else is denied.
        ("12", "112", allow(Emergency, "112")),
        // Unlisted extensions keep the default.
        (
            "13",
            intl,
            deny(
                Some(International),
                403,
                "Forbidden - international calls not allowed",
            ),
        ),
        ("13", "655974643", allow(Mobile, "655974643")),
    ];
    for (ext, dialled, expected) in table {
        assert_eq!(
            &plan.decide(caller(ext), dialled),
            expected,
            "{ext} {dialled}"
        );
    }
    assert_eq!(
        plan.decide_internal(caller("12")),
        Ok(()),
        "internal stays allowed unless denied"
    );
}

#[test]
fn default_classes_local_area_and_internal_deny() {
    let plan = plan(json!({
        "default_classes": ["internal", "emergency", "local"],
        "numbering": { "extra_classes": [ { "pattern": "91[0-9]{7}", "class": "local",
                                             "description": "Madrid" } ] },
        "extensions": { "30": { "deny": ["internal"] } }
    }));
    assert_eq!(
        plan.decide(caller("10"), "917374206"),
        allow(Local, "917374206")
    );
    assert_eq!(
        plan.decide(caller("10"), "937374206"),
        deny(
            Some(National),
            403,
            "Forbidden - national calls not allowed"
        )
    );
    assert_eq!(
        plan.decide_internal(caller("30")),
        Err(Refusal {
            class: Some(Internal),
            status: 403,
            reason: "Forbidden - internal calls not allowed".into(),
        })
    );
}

#[test]
fn trunk_format_from_config() {
    let plan = plan(json!({ "numbering": { "trunk_format": "e164" },
                            "extensions": { "10": { "allow": ["international"] } } }));
    assert_eq!(
        plan.decide(caller("10"), "917 37 42 06"),
        allow(National, "+34917374206")
    );
    assert_eq!(
        plan.decide(caller("10"), "0044 20 7946 0958"),
        allow(International, "+442079460958")
    );
    assert_eq!(plan.decide(caller("10"), "112"), allow(Emergency, "112"));
}

#[test]
fn cap_comes_from_the_config() {
    assert_eq!(DialPlan::default().permissions.max_outbound_calls(), None);
    let p = plan(json!({ "max_outbound_calls": 4 }));
    assert_eq!(p.permissions.max_outbound_calls(), Some(4));
}

#[test]
fn bad_configs_are_refused() {
    let parse = |v: serde_json::Value| serde_json::from_value::<CallPermissionsConfig>(v);
    // Unknown fields and classes are typos: refused by the parser.
    assert!(parse(json!({ "extension": {} })).is_err());
    assert!(parse(json!({ "default_classes": ["toll-free"] })).is_err());
    assert!(
        parse(json!({ "extensions": { "10": { "allow": ["premium"], "block": [] } } })).is_err()
    );
    // Compilation catches the rest, naming the field.
    let compile = |v| DialPlan::compile(&parse(v).unwrap()).unwrap_err();
    let e =
        compile(json!({ "numbering": { "classes": [ { "pattern": "(", "class": "mobile" } ] } }));
    assert!(
        matches!(
            e,
            DialPlanError::ClassPattern {
                list: "classes",
                index: 0,
                ..
            }
        ),
        "{e}"
    );
    let e = compile(json!({ "extensions": { "12": { "deny": ["emergency"] } } }));
    assert_eq!(
        e.to_string(),
        "extensions.12.deny: emergency numbers cannot be denied"
    );
    let e = compile(json!({ "extensions": { "ten": {} } }));
    assert!(matches!(e, DialPlanError::BadExtension { .. }), "{e}");
    let e = compile(json!({ "numbering": { "country_code": "+34" } }));
    assert_eq!(
        e.to_string(),
        "numbering.country_code: \"+34\" must be decimal digits, at most 3"
    );
}

#[test]
fn empty_config_is_the_default() {
    let from_json = plan(json!({}));
    let default = DialPlan::default();
    for n in [
        "112",
        "917374206",
        "655974643",
        "0044123456",
        "806123456",
        "x",
    ] {
        assert_eq!(
            from_json.decide(caller("10"), n),
            default.decide(caller("10"), n),
            "{n}"
        );
    }
    let round_trip: CallPermissionsConfig =
        serde_json::from_value(serde_json::to_value(CallPermissionsConfig::default()).unwrap())
            .unwrap();
    assert_eq!(round_trip, CallPermissionsConfig::default());
}
