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

/// A class rule as compiled, with where it came from: lets the CLI and the web page say why a
/// number got its class (`806123456: default[2] 803/806/807 premium rate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    /// `extra_classes`, `classes` or `default` (the Spanish table).
    pub list: &'static str,
    pub index: usize,
    pub pattern: String,
    pub class: NumberClass,
    pub description: String,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    pattern: Pattern,
    info: RuleInfo,
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
        // The table is ours and a test compiles it; were it ever broken the plan would classify
        // nothing (every outside call refused) rather than panic.
        let rules = compile_rules("default", &spanish_table()).unwrap_or_default();
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
            None => rules.extend(compile_rules("default", &spanish_table())?),
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
                // A home number never starts with the international access code: "+34 0034…"
                // is no number, and accepting it would make normalisation not idempotent.
                Some(home) if home.starts_with(self.international_prefix.as_str()) => {
                    return Err(NumberError::NotANumber)
                }
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
        self.matching_rule(national).map(|r| r.class)
    }

    /// The row that gives a normalised number its class.
    pub fn matching_rule(&self, national: &str) -> Option<&RuleInfo> {
        self.rules
            .iter()
            .find(|r| r.pattern.matches(national))
            .map(|r| &r.info)
    }

    /// Every row in the order they are tried.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.rules.iter().map(|r| &r.info)
    }

    /// The E.164 digits (no `+`) of a normalised national number, e.g. `34917374206`.
    pub fn to_e164_digits(&self, national: &str) -> String {
        if let Some(abroad) = national.strip_prefix(self.international_prefix.as_str()) {
            return abroad.to_string();
        }
        let nsn = national
            .strip_prefix(self.trunk_prefix.as_str())
            .unwrap_or(national);
        format!("{}{nsn}", self.country_code)
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
                info: RuleInfo {
                    list,
                    index,
                    pattern: r.pattern.clone(),
                    class: r.class,
                    description: r.description.clone(),
                },
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
#[path = "numbering_tests.rs"]
mod tests;
