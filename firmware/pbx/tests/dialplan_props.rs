//! Properties of the dial plan over random input: whatever a phone sends, no panic, a status
//! line that stays clean, and normalisation that is stable.
#![allow(clippy::unwrap_used)]

use pbx::dialplan::{
    Caller, Decision, DialPlan, NumberPlan, NumberingConfig, Presentation, TrunkFormat,
};
use proptest::prelude::*;

/// Numbers shaped like what phones send: optional `+`/`00`, digits, separators sprinkled in.
fn phone_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("+"), Just("00"), Just("+34"), Just("0034")],
        proptest::collection::vec(
            prop_oneof![
                8 => (0u8..10).prop_map(|d| char::from(b'0' + d)),
                1 => prop_oneof![Just(' '), Just('-'), Just('.'), Just('('), Just(')')],
            ],
            0..20,
        ),
    )
        .prop_map(|(head, body)| format!("{head}{}", body.into_iter().collect::<String>()))
}

fn caller(internal_only: bool) -> Caller<'static> {
    Caller {
        extension: "10",
        internal_only,
    }
}

fn reason_is_clean(d: &Decision) -> bool {
    match d {
        Decision::Allow { .. } => true,
        Decision::Deny { status, reason, .. } => {
            (400..700).contains(status)
                && reason.bytes().all(|b| (0x20..0x7f).contains(&b))
                && reason.len() < 80
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_input_gets_a_clean_decision(s in any::<String>(), internal_only in any::<bool>()) {
        let plan = DialPlan::default();
        prop_assert!(reason_is_clean(&plan.decide(caller(internal_only), &s)));
    }

    #[test]
    fn phone_like_input_gets_a_clean_decision(s in phone_like(), internal_only in any::<bool>()) {
        let plan = DialPlan::default();
        let d = plan.decide(caller(internal_only), &s);
        prop_assert!(reason_is_clean(&d));
        if let Decision::Allow { normalized, .. } = d {
            prop_assert!(normalized.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    /// Normalising twice changes nothing, and separators never change the result.
    #[test]
    fn normalisation_is_stable(s in phone_like()) {
        let plan = NumberPlan::spain();
        if let Ok(n) = plan.normalize(&s) {
            prop_assert_eq!(plan.normalize(&n), Ok(n.clone()));
            let bare: String = s.chars().filter(|c| *c == '+' || c.is_ascii_digit()).collect();
            prop_assert_eq!(plan.normalize(&bare), Ok(n));
        }
    }

    /// What the trunk gets in E.164 reads back as the same number and class.
    #[test]
    fn e164_round_trips(s in phone_like()) {
        let config = NumberingConfig { trunk_format: TrunkFormat::E164, ..NumberingConfig::default() };
        let plan = NumberPlan::compile(&config).unwrap();
        if let Ok(a) = plan.analyse(&s) {
            let back = plan.normalize(&a.trunk).unwrap();
            prop_assert_eq!(&back, &a.national);
            prop_assert_eq!(plan.classify(&back), Some(a.class));
        }
    }

    /// The presented identity never carries anything but digits, `+` or the anonymous user.
    #[test]
    fn identity_users_are_plain(did in "[0-9]{1,15}", fallback in any::<Option<String>>()) {
        let plan = NumberPlan::spain();
        for p in [Presentation::Did(did.clone()), Presentation::Anonymous] {
            let id = p.trunk_identity(&plan, Some(did.as_str()));
            prop_assert!(id.from_user == "anonymous" || id.from_user.bytes().all(|b| b.is_ascii_digit()));
            let _ = p.trunk_identity(&plan, fallback.as_deref());
        }
    }
}
