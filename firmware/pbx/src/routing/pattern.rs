//! Rule field patterns: `.` or empty means any value; anything else is a regular expression that
//! must match the whole zero-padded field (`^(?:pattern)$`), so `2` matches weekday 2 and not 12,
//! and `0[5-9]|1[0-9]` is read as one alternation over the whole value.
use regex::Regex;

#[derive(Debug, Clone)]
pub enum Pattern {
    Any,
    Regex { source: String, regex: Regex },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid pattern {pattern:?}: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

/// Patterns come from tenant admins: cap their compiled size so a hostile pattern cannot make
/// the box allocate megabytes or spend long per call.
const SIZE_LIMIT: usize = 64 * 1024;

impl Pattern {
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        let trimmed = source.trim();
        if trimmed.is_empty() || trimmed == "." {
            return Ok(Pattern::Any);
        }
        let regex = regex::RegexBuilder::new(&format!("^(?:{trimmed})$"))
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| PatternError {
                pattern: source.to_string(),
                reason: first_line(&e.to_string()),
            })?;
        Ok(Pattern::Regex {
            source: trimmed.to_string(),
            regex,
        })
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Regex { regex, .. } => regex.is_match(value),
        }
    }

    pub fn source(&self) -> &str {
        match self {
            Pattern::Any => ".",
            Pattern::Regex { source, .. } => source,
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        Pattern::parse(p).map(|p| p.matches(v)).unwrap_or(false)
    }

    /// Every example of the manual ("Regla de enrutamiento DDI"), as written there.
    #[test]
    fn manual_examples() {
        // Año
        assert!(m(".", "2031"));
        assert!(m("2021", "2021") && !m("2021", "2022"));
        for y in 2021..=2025 {
            assert!(m("202[1-5]", &y.to_string()));
        }
        assert!(!m("202[1-5]", "2026") && !m("202[1-5]", "2020"));
        assert!(m("2021|2025", "2021") && m("2021|2025", "2025") && !m("2021|2025", "2023"));
        // Mes
        assert!(m("03", "03") && !m("03", "04"));
        for mo in ["03", "04", "05", "06"] {
            assert!(m("0[3-6]", mo));
        }
        assert!(!m("0[3-6]", "07") && !m("0[3-6]", "02"));
        assert!(m("(03|06)", "03") && m("(03|06)", "06") && !m("(03|06)", "04"));
        // Día del mes
        assert!(m("05", "05") && !m("05", "15"));
        for d in 5..=25 {
            assert!(m("0[5-9]|1[0-9]|2[0-5]", &format!("{d:02}")), "day {d}");
        }
        for d in [1, 4, 26, 31] {
            assert!(!m("0[5-9]|1[0-9]|2[0-5]", &format!("{d:02}")), "day {d}");
        }
        // Día de la semana
        assert!(m("2", "2") && !m("2", "3"));
        for wd in 2..=5 {
            assert!(m("[2-5]", &wd.to_string()));
        }
        assert!(!m("[2-5]", "1") && !m("[2-5]", "6") && !m("[2-5]", "7"));
    }

    #[test]
    fn empty_means_any_and_matching_is_whole_value() {
        assert!(m("", "12"));
        assert!(!m("2", "12"), "anchored: 2 is not a prefix/suffix match");
        assert!(m("6[0-9]+", "600123456"));
    }

    #[test]
    fn invalid_patterns_are_refused_with_a_reason() {
        let e = Pattern::parse("0[3-").unwrap_err();
        assert_eq!(e.pattern, "0[3-");
        assert!(!e.reason.is_empty());
        assert!(Pattern::parse("(").is_err());
    }
}
