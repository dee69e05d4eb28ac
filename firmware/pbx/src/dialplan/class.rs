//! Number classes (the "restriction classes" of SPEC.md §8) and small sets of them.
use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of number a dialled string is. The names are those written in the module configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NumberClass {
    /// An extension, queue, IVR, alias... of the tenant: resolved by the directory before the
    /// dial plan is consulted, never by a pattern.
    Internal,
    /// Emergency services: always allowed, whatever the permissions say.
    Emergency,
    /// Tenant-defined (Spain has closed numbering since 1998, so there is no "local" call in the
    /// plan itself; a tenant may call e.g. its own province's prefix local).
    Local,
    National,
    Mobile,
    International,
    Premium,
}

impl NumberClass {
    pub const ALL: [NumberClass; 7] = [
        NumberClass::Internal,
        NumberClass::Emergency,
        NumberClass::Local,
        NumberClass::National,
        NumberClass::Mobile,
        NumberClass::International,
        NumberClass::Premium,
    ];

    /// The name used in configs and in reason phrases (ASCII, so it is safe in a status line).
    pub fn as_str(self) -> &'static str {
        match self {
            NumberClass::Internal => "internal",
            NumberClass::Emergency => "emergency",
            NumberClass::Local => "local",
            NumberClass::National => "national",
            NumberClass::Mobile => "mobile",
            NumberClass::International => "international",
            NumberClass::Premium => "premium",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for NumberClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of classes; a bit set because there are seven and it is checked on every call.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClassSet(u8);

impl ClassSet {
    pub const EMPTY: ClassSet = ClassSet(0);

    /// What a new extension may call until an admin changes it (issue 3 point 5): everything but
    /// international and premium, the two classes toll fraud goes for.
    pub fn new_extension_default() -> ClassSet {
        [
            NumberClass::Internal,
            NumberClass::Emergency,
            NumberClass::Local,
            NumberClass::National,
            NumberClass::Mobile,
        ]
        .into_iter()
        .collect()
    }

    pub fn contains(self, class: NumberClass) -> bool {
        self.0 & class.bit() != 0
    }

    pub fn with(self, class: NumberClass) -> ClassSet {
        ClassSet(self.0 | class.bit())
    }

    pub fn without(self, class: NumberClass) -> ClassSet {
        ClassSet(self.0 & !class.bit())
    }

    pub fn iter(self) -> impl Iterator<Item = NumberClass> {
        NumberClass::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<NumberClass> for ClassSet {
    fn from_iter<I: IntoIterator<Item = NumberClass>>(iter: I) -> Self {
        iter.into_iter().fold(ClassSet::EMPTY, ClassSet::with)
    }
}

impl fmt::Debug for ClassSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_set_denies_international_and_premium_only() {
        let d = ClassSet::new_extension_default();
        for c in NumberClass::ALL {
            let expected = !matches!(c, NumberClass::International | NumberClass::Premium);
            assert_eq!(d.contains(c), expected, "{c}");
        }
    }

    #[test]
    fn set_operations() {
        let s = ClassSet::EMPTY.with(NumberClass::Premium);
        assert!(s.contains(NumberClass::Premium));
        assert!(!s
            .without(NumberClass::Premium)
            .contains(NumberClass::Premium));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![NumberClass::Premium]);
        assert_eq!(format!("{s:?}"), "{Premium}");
    }

    #[test]
    fn config_names_round_trip() {
        for c in NumberClass::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<NumberClass>(&json).unwrap(), c);
        }
        assert!(serde_json::from_str::<NumberClass>("\"toll-free\"").is_err());
    }
}
