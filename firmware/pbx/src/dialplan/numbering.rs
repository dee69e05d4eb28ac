//! Numbering: turning what a phone dialled into one canonical form, giving it a class by an
//! ordered pattern table, and writing it the way the trunk provider wants it.
use serde::{Deserialize, Serialize};

use super::class::NumberClass;
use super::error::DialPlanError;
use super::spain::SPAIN;
use crate::routing::Pattern;

/// A class table row as written in a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRule {
    /// Regular expression over the whole normalised number (`^(?:…)$`), as in route rules.
    pub pattern: String,
    pub class: NumberClass,
    #[serde(default)]
    pub description: String,
}

/// How the trunk wants numbers written in the Request-URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrunkFormat {
    /// As dialled at home: `917374206`, `0044…` (most Spanish providers).
    #[default]
    National,
    /// `+34917374206`, `+44…`; short numbers (112, 118xx) stay as they are.
    E164,
    /// `34917374206`, `44…` (providers that refuse `+` in the user part).
    E164NoPlus,
}

/// `numbering` in the call-permissions module config. Every field has the Spanish default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NumberingConfig {
    /// The home country code, without `+`.
    pub country_code: String,
    /// What precedes a country code when dialling abroad.
    pub international_prefix: String,
    /// The national trunk prefix (`0` in the UK or France); Spain has none.
    pub trunk_prefix: String,
    /// Digits of a full national number after the trunk prefix: only those get the country
    /// code in the E.164 formats (a short number like 112 must not become +34112).
    pub national_digits: u8,
    pub trunk_format: TrunkFormat,
    /// Replaces the default (Spanish) table when present.
    pub classes: Option<Vec<ClassRule>>,
    /// Checked before the table: the usual way to add a local area or a special number.
    pub extra_classes: Vec<ClassRule>,
}

impl Default for NumberingConfig {
    fn default() -> Self {
        NumberingConfig {
            country_code: "34".into(),
            international_prefix: "00".into(),
            trunk_prefix: String::new(),
            national_digits: 9,
            trunk_format: TrunkFormat::National,
            classes: None,
            extra_classes: Vec::new(),
        }
    }
}

/// Why a dialled string is not a number the plan can send out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("not a telephone number")]
    NotANumber,
    #[error("number too long")]
    TooLong,
    #[error("number not in the dial plan")]
    NotInPlan,
}

/// E.164 allows 15 digits; with an international prefix of up to 4 this is the longest real
/// number. Longer input is refused before any pattern runs.
const MAX_DIGITS: usize = 20;
/// Visual separators phones and address books put in numbers.
const SEPARATORS: &[char] = &[' ', '-', '.', '(', ')', '/'];

#[derive(Debug, Clone)]
struct CompiledRule {
    pattern: Pattern,
    class: NumberClass,
}

/// A number after normalisation and classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysed {
    /// The canonical (home-dialling) form the patterns saw.
    pub national: String,
    pub class: NumberClass,
    /// What goes in the trunk INVITE's Request-URI user part.
    pub trunk: String,
}

/// A compiled numbering plan.
#[derive(Debug, Clone)]
pub struct NumberPlan {
    country_code: String,
    international_prefix: String,
    trunk_prefix: String,
    national_digits: usize,
    trunk_format: TrunkFormat,
    rules: Vec<CompiledRule>,
}

impl Default for NumberPlan {
    fn default() -> Self {
        NumberPlan::spain()
    }
}

/// The default (Spanish) class table as config rows: what the web page shows and what a tenant
/// copies to start its own `classes`.
pub fn spanish_table() -> Vec<ClassRule> {
    SPAIN
        .iter()
        .map(|r| ClassRule {
            pattern: r.pattern.to_string(),
            class: r.class,
            description: r.description.to_string(),
        })
        .collect()
}

impl NumberPlan {
    /// The Spanish plan with every default.
    pub fn spain() -> NumberPlan {
        let rules = SPAIN
            .iter()
            .filter_map(|r| {
                // The table is ours and covered by tests; a row that failed to compile would
                // only be skipped, never panic.
                Pattern::parse(r.pattern).ok().map(|pattern| CompiledRule {
                    pattern,
                    class: r.class,
                })
            })
            .collect();
        let c = NumberingConfig::default();
        NumberPlan {
            country_code: c.country_code,
            international_prefix: c.international_prefix,
            trunk_prefix: c.trunk_prefix,
            national_digits: usize::from(c.national_digits),
            trunk_format: c.trunk_format,
            rules,
        }
    }

    pub fn compile(config: &NumberingConfig) -> Result<NumberPlan, DialPlanError> {
        digits("numbering.country_code", &config.country_code, 1, 3)?;
        digits(
            "numbering.international_prefix",
            &config.international_prefix,
            1,
            4,
        )?;
        digits("numbering.trunk_prefix", &config.trunk_prefix, 0, 2)?;
        let mut rules = compile_rules("extra_classes", &config.extra_classes)?;
        match &config.classes {
            Some(table) => rules.extend(compile_rules("classes", table)?),
            None => rules.extend(NumberPlan::spain().rules),
        }
        Ok(NumberPlan {
            country_code: config.country_code.clone(),
            international_prefix: config.international_prefix.clone(),
            trunk_prefix: config.trunk_prefix.clone(),
            national_digits: usize::from(config.national_digits),
            trunk_format: config.trunk_format,
            rules,
        })
    }

    /// What a phone dialled (`+34 917-374-206`, `0034917374206`, `(91) 737 42 06`) in the home
    /// country's dialling form (`917374206`); another country's `+CC…` becomes `00CC…`.
    pub fn normalize(&self, dialled: &str) -> Result<String, NumberError> {
        let (plus, rest) = match dialled.trim().strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, dialled.trim()),
        };
        let mut digits = String::with_capacity(rest.len().min(MAX_DIGITS));
        for c in rest.chars() {
            if c.is_ascii_digit() {
                if digits.len() == MAX_DIGITS {
                    return Err(NumberError::TooLong);
                }
                digits.push(c);
            } else if !SEPARATORS.contains(&c) {
                return Err(NumberError::NotANumber);
            }
        }
        let international = if plus {
            Some(digits.as_str())
        } else {
            digits.strip_prefix(self.international_prefix.as_str())
        };
        let national = match international {
            Some(n) => match n.strip_prefix(self.country_code.as_str()) {
                Some("") => return Err(NumberError::NotANumber),
                Some(home) => format!("{}{home}", self.trunk_prefix),
                None => format!("{}{n}", self.international_prefix),
            },
            None => digits,
        };
        if national.is_empty() || national == self.international_prefix {
            return Err(NumberError::NotANumber);
        }
        if national.len() > MAX_DIGITS {
            return Err(NumberError::TooLong);
        }
        Ok(national)
    }

    /// The class of a normalised number: the first row that matches.
    pub fn classify(&self, national: &str) -> Option<NumberClass> {
        self.rules
            .iter()
            .find(|r| r.pattern.matches(national))
            .map(|r| r.class)
    }

    /// A normalised number written as the trunk expects it.
    pub fn to_trunk(&self, national: &str) -> String {
        let plus = match self.trunk_format {
            TrunkFormat::National => return national.to_string(),
            TrunkFormat::E164 => "+",
            TrunkFormat::E164NoPlus => "",
        };
        if let Some(abroad) = national.strip_prefix(self.international_prefix.as_str()) {
            return format!("{plus}{abroad}");
        }
        match national.strip_prefix(self.trunk_prefix.as_str()) {
            Some(nsn) if nsn.len() == self.national_digits => {
                format!("{plus}{}{nsn}", self.country_code)
            }
            _ => national.to_string(),
        }
    }

    /// Normalise, classify and format in one go.
    pub fn analyse(&self, dialled: &str) -> Result<Analysed, NumberError> {
        let national = self.normalize(dialled)?;
        let class = self.classify(&national).ok_or(NumberError::NotInPlan)?;
        let trunk = self.to_trunk(&national);
        Ok(Analysed {
            national,
            class,
            trunk,
        })
    }
}

fn compile_rules(
    list: &'static str,
    rows: &[ClassRule],
) -> Result<Vec<CompiledRule>, DialPlanError> {
    rows.iter()
        .enumerate()
        .map(|(index, r)| {
            let pattern =
                Pattern::parse(&r.pattern).map_err(|source| DialPlanError::ClassPattern {
                    list,
                    index,
                    source,
                })?;
            Ok(CompiledRule {
                pattern,
                class: r.class,
            })
        })
        .collect()
}

/// Checks a config field that must be `min..=max` ASCII digits.
pub(super) fn digits(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), DialPlanError> {
    let ok = (min..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(DialPlanError::NotDigits {
            field: field.to_string(),
            value: value.to_string(),
            max,
        })
    }
}

#[cfg(test)]
mod tests {
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
}
