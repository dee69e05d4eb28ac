//! Table tests of numbering: the Spanish plan, normalisation, trunk formats, other countries.
use super::*;
use NumberClass::*;

#[test]
fn default_table_compiles_row_by_row() {
    let table = spanish_table();
    assert_eq!(NumberPlan::spain().rules.len(), table.len());
    let config = NumberingConfig {
        classes: Some(table),
        ..NumberingConfig::default()
    };
    assert!(NumberPlan::compile(&config).is_ok());
}

/// (dialled, national form, class, trunk in national format)
const SPANISH: &[(&str, &str, Option<NumberClass>, &str)] = &[
    ("112", "112", Some(Emergency), "112"),
    ("091", "091", Some(Emergency), "091"),
    ("092", "092", Some(Emergency), "092"),
    ("062", "062", Some(Emergency), "062"),
    ("080", "080", Some(Emergency), "080"),
    ("085", "085", Some(Emergency), "085"),
    ("061", "061", Some(Emergency), "061"),
    ("016", "016", Some(Emergency), "016"),
    ("024", "024", Some(Emergency), "024"),
    ("+34 112", "112", Some(Emergency), "112"),
    ("917374206", "917374206", Some(National), "917374206"),
    ("+34 917 374 206", "917374206", Some(National), "917374206"),
    ("0034917374206", "917374206", Some(National), "917374206"),
    ("(91) 737-42-06", "917374206", Some(National), "917374206"),
    ("91.737.42.06", "917374206", Some(National), "917374206"),
    ("858123456", "858123456", Some(National), "858123456"),
    ("983123456", "983123456", Some(National), "983123456"),
    ("655974643", "655974643", Some(Mobile), "655974643"),
    ("+34655974643", "655974643", Some(Mobile), "655974643"),
    ("711234567", "711234567", Some(Mobile), "711234567"),
    ("791234567", "791234567", Some(Mobile), "791234567"),
    ("704123456", "704123456", Some(National), "704123456"),
    ("900123456", "900123456", Some(National), "900123456"),
    ("800123456", "800123456", Some(National), "800123456"),
    ("901123456", "901123456", Some(National), "901123456"),
    ("902123456", "902123456", Some(National), "902123456"),
    ("803123456", "803123456", Some(Premium), "803123456"),
    ("806123456", "806123456", Some(Premium), "806123456"),
    ("807123456", "807123456", Some(Premium), "807123456"),
    ("805123456", "805123456", Some(Premium), "805123456"),
    ("905123456", "905123456", Some(Premium), "905123456"),
    ("907123456", "907123456", Some(Premium), "907123456"),
    ("11888", "11888", Some(Premium), "11888"),
    ("11822", "11822", Some(Premium), "11822"),
    ("116111", "116111", Some(National), "116111"),
    (
        "+44 20 7946 0958",
        "00442079460958",
        Some(International),
        "00442079460958",
    ),
    (
        "0044 20 7946 0958",
        "00442079460958",
        Some(International),
        "00442079460958",
    ),
    (
        "+1-212-555-0100",
        "0012125550100",
        Some(International),
        "0012125550100",
    ),
    // Not in the plan: wrong lengths, short codes nobody configured, 0 country code.
    ("91737420", "91737420", None, ""),
    ("9173742066", "9173742066", None, ""),
    ("65597464", "65597464", None, ""),
    ("010", "010", None, ""),
    ("1004", "1004", None, ""),
    ("0001234567", "0001234567", None, ""),
    ("512345678", "512345678", None, ""),
];

#[test]
fn spanish_numbers_table() {
    let plan = NumberPlan::spain();
    for (dialled, national, class, trunk) in SPANISH {
        assert_eq!(
            plan.normalize(dialled).as_deref(),
            Ok(*national),
            "{dialled}"
        );
        assert_eq!(plan.classify(national), *class, "{dialled}");
        match plan.analyse(dialled) {
            Ok(a) => assert_eq!(a.trunk, *trunk, "{dialled}"),
            Err(e) => assert_eq!((e, class.is_none()), (NumberError::NotInPlan, true)),
        }
    }
}

#[test]
fn not_numbers() {
    let plan = NumberPlan::spain();
    for bad in [
        "",
        "+",
        "abc",
        "91737420a",
        "*81917374206",
        "91;737",
        "9+1",
        "ext10",
        "٩١٧٣٧٤٢٠٦",
        "+34",
        "00",
    ] {
        assert_eq!(plan.normalize(bad), Err(NumberError::NotANumber), "{bad:?}");
    }
    assert_eq!(plan.normalize(&"9".repeat(21)), Err(NumberError::TooLong));
    assert_eq!(
        plan.normalize(&"9".repeat(10_000)),
        Err(NumberError::TooLong)
    );
    assert!(plan.normalize(&"9".repeat(20)).is_ok());
}

#[test]
fn trunk_formats() {
    let mut config = NumberingConfig {
        trunk_format: TrunkFormat::E164,
        ..NumberingConfig::default()
    };
    let plan = NumberPlan::compile(&config).unwrap();
    let t = |n: &str| plan.analyse(n).unwrap().trunk;
    assert_eq!(t("917374206"), "+34917374206");
    assert_eq!(t("0034 655 974 643"), "+34655974643");
    assert_eq!(t("+44 20 7946 0958"), "+442079460958");
    assert_eq!(t("112"), "112");
    assert_eq!(t("11888"), "11888");
    config.trunk_format = TrunkFormat::E164NoPlus;
    let plan = NumberPlan::compile(&config).unwrap();
    assert_eq!(plan.analyse("917374206").unwrap().trunk, "34917374206");
    assert_eq!(
        plan.analyse("00442079460958").unwrap().trunk,
        "442079460958"
    );
}

/// Another country: UK, with trunk prefix 0 and its own table.
#[test]
fn other_country_with_trunk_prefix() {
    let config = NumberingConfig {
        country_code: "44".into(),
        trunk_prefix: "0".into(),
        national_digits: 10,
        trunk_format: TrunkFormat::E164,
        classes: Some(vec![
            rule("999|112", Emergency),
            rule("07[0-9]{9}", Mobile),
            rule("0[12][0-9]{9}", National),
            rule("00[1-9][0-9]{3,14}", International),
        ]),
        ..NumberingConfig::default()
    };
    let plan = NumberPlan::compile(&config).unwrap();
    let a = plan.analyse("+44 7700 900123").unwrap();
    assert_eq!(
        (a.national.as_str(), a.class, a.trunk.as_str()),
        ("07700900123", Mobile, "+447700900123")
    );
    let a = plan.analyse("02079460958").unwrap();
    assert_eq!((a.class, a.trunk.as_str()), (National, "+442079460958"));
    let a = plan.analyse("+34917374206").unwrap();
    assert_eq!((a.class, a.trunk.as_str()), (International, "+34917374206"));
    assert_eq!(plan.analyse("999").unwrap().trunk, "999");
}

#[test]
fn extra_classes_come_first_and_tables_replace() {
    let config = NumberingConfig {
        extra_classes: vec![rule("91[0-9]{7}", Local), rule("010", National)],
        ..NumberingConfig::default()
    };
    let plan = NumberPlan::compile(&config).unwrap();
    assert_eq!(plan.classify("917374206"), Some(Local));
    assert_eq!(plan.classify("937374206"), Some(National));
    assert_eq!(plan.classify("010"), Some(National));
    assert_eq!(plan.classify("112"), Some(Emergency));
    let config = NumberingConfig {
        classes: Some(vec![rule("6[0-9]{8}", Mobile)]),
        ..NumberingConfig::default()
    };
    let plan = NumberPlan::compile(&config).unwrap();
    assert_eq!(plan.classify("655974643"), Some(Mobile));
    assert_eq!(plan.classify("917374206"), None, "replaced, not merged");
}

#[test]
fn rules_explain_themselves() {
    let config = NumberingConfig {
        extra_classes: vec![rule("91[0-9]{7}", Local)],
        ..NumberingConfig::default()
    };
    let plan = NumberPlan::compile(&config).unwrap();
    let r = plan.matching_rule("806123456").unwrap();
    assert_eq!((r.list, r.class), ("default", Premium));
    assert!(r.description.contains("806"), "{r:?}");
    let r = plan.matching_rule("917374206").unwrap();
    assert_eq!(
        (r.list, r.index, r.pattern.as_str()),
        ("extra_classes", 0, "91[0-9]{7}")
    );
    assert!(plan.matching_rule("010").is_none());
    assert_eq!(plan.rules().count(), spanish_table().len() + 1);
}

#[test]
fn bad_configs_are_refused_with_the_field() {
    let bad_pattern = NumberingConfig {
        extra_classes: vec![rule("6[0-", Mobile)],
        ..NumberingConfig::default()
    };
    let e = NumberPlan::compile(&bad_pattern).unwrap_err();
    assert!(
        matches!(
            e,
            DialPlanError::ClassPattern {
                list: "extra_classes",
                index: 0,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("numbering.extra_classes[0].pattern"),
        "{e}"
    );
    for (cc, intl, trunk) in [
        ("", "00", ""),
        ("3a", "00", ""),
        ("34", "", ""),
        ("34", "00", "x"),
        ("1234", "00", ""),
    ] {
        let c = NumberingConfig {
            country_code: cc.into(),
            international_prefix: intl.into(),
            trunk_prefix: trunk.into(),
            ..NumberingConfig::default()
        };
        assert!(
            matches!(
                NumberPlan::compile(&c),
                Err(DialPlanError::NotDigits { .. })
            ),
            "{cc} {intl} {trunk}"
        );
    }
}

fn rule(pattern: &str, class: NumberClass) -> ClassRule {
    ClassRule {
        pattern: pattern.into(),
        class,
        description: String::new(),
    }
}
