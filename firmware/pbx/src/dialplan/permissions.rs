//! Call permissions (the "Permiso de llamadas" module): which classes each extension may call,
//! and the decision for one dialled number.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::class::{ClassSet, NumberClass};
use super::error::DialPlanError;
use super::numbering::{NumberError, NumberPlan, NumberingConfig};

fn default_true() -> bool {
    true
}

/// `modules[name = "call-permissions"].config` of the tenant document. `{}` gives the Spanish
/// plan and the new-extension defaults; so does a missing or disabled module, because toll
/// fraud protection must not depend on an admin remembering to install it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallPermissionsConfig {
    pub numbering: NumberingConfig,
    /// Classes of an extension not listed in `extensions`. Absent: all but international and
    /// premium.
    pub default_classes: Option<Vec<NumberClass>>,
    /// Per extension number (as shown in the panel's "Nº Extensión"), changes to the default.
    pub extensions: BTreeMap<String, ExtensionPermissions>,
    /// Concurrent outbound calls of the tenant through its trunk; 0 = unlimited.
    pub max_outbound_calls: u32,
    /// Lets "internal calls only" users still reach emergency numbers. On by default: EU law
    /// (EECC art. 109) wants 112 reachable from any line, and a phone on a desk that cannot call
    /// 112 is a hazard nobody configures on purpose.
    #[serde(default = "default_true")]
    pub emergency_when_internal_only: bool,
}

impl Default for CallPermissionsConfig {
    fn default() -> Self {
        CallPermissionsConfig {
            numbering: NumberingConfig::default(),
            default_classes: None,
            extensions: BTreeMap::new(),
            max_outbound_calls: 0,
            emergency_when_internal_only: true,
        }
    }
}

/// One extension's changes to the default set: `allow` is added, then `deny` removed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtensionPermissions {
    pub allow: Vec<NumberClass>,
    pub deny: Vec<NumberClass>,
}

/// The outcome for one dialled number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send `normalized` (already in the trunk's format) to the trunk.
    Allow {
        class: NumberClass,
        normalized: String,
    },
    /// Answer the caller with `status` and `reason` as the reason phrase. `class` is `None` when
    /// the number could not be classified. `reason` is built only from our own words, never
    /// from the dialled string, so it is safe to put in a status line.
    Deny {
        class: Option<NumberClass>,
        status: u16,
        reason: String,
    },
}

impl Decision {
    fn deny(class: Option<NumberClass>, status: u16, reason: impl Into<String>) -> Decision {
        Decision::Deny {
            class,
            status,
            reason: reason.into(),
        }
    }
}

/// Answer the phone with `status` and `reason` (a reason phrase of our own words, never the
/// dialled string, so it is safe in a status line); the call code writes a CDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `None` when the number could not be classified (or the refusal is not about the number).
    pub class: Option<NumberClass>,
    pub status: u16,
    pub reason: String,
}

impl Refusal {
    fn forbidden(class: NumberClass, reason: String) -> Refusal {
        Refusal {
            class: Some(class),
            status: 403,
            reason,
        }
    }
}

/// Who is calling, as the permission check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    pub extension: &'a str,
    /// The user's "Permitir sólo llamadas internas" flag.
    pub internal_only: bool,
}

/// Compiled permissions of one tenant.
#[derive(Debug, Clone)]
pub struct Permissions {
    default: ClassSet,
    per_extension: HashMap<String, ClassSet>,
    max_outbound_calls: u32,
    emergency_when_internal_only: bool,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions {
            default: ClassSet::new_extension_default(),
            per_extension: HashMap::new(),
            max_outbound_calls: 0,
            emergency_when_internal_only: true,
        }
    }
}

impl Permissions {
    pub fn compile(config: &CallPermissionsConfig) -> Result<Permissions, DialPlanError> {
        let default = match &config.default_classes {
            Some(list) => list.iter().copied().collect(),
            None => ClassSet::new_extension_default(),
        };
        let mut per_extension = HashMap::new();
        for (ext, p) in &config.extensions {
            if !is_extension(ext) {
                return Err(DialPlanError::BadExtension {
                    field: "extensions".into(),
                    value: ext.clone(),
                });
            }
            if p.deny.contains(&NumberClass::Emergency) {
                return Err(DialPlanError::EmergencyDenied {
                    field: format!("extensions.{ext}.deny"),
                });
            }
            let set = p.allow.iter().fold(default, |s, c| s.with(*c));
            let set = p.deny.iter().fold(set, |s, c| s.without(*c));
            per_extension.insert(ext.clone(), set);
        }
        Ok(Permissions {
            default,
            per_extension,
            max_outbound_calls: config.max_outbound_calls,
            emergency_when_internal_only: config.emergency_when_internal_only,
        })
    }

    /// The classes `extension` may call (before the internal-only flag and the emergency rule).
    pub fn allowed(&self, extension: &str) -> ClassSet {
        self.per_extension
            .get(extension)
            .copied()
            .unwrap_or(self.default)
    }

    /// The tenant's cap on concurrent outbound calls, `None` when unlimited.
    pub fn max_outbound_calls(&self) -> Option<u32> {
        (self.max_outbound_calls > 0).then_some(self.max_outbound_calls)
    }

    /// May `caller` call a number of `class`?
    pub fn check(&self, caller: Caller<'_>, class: NumberClass) -> Result<(), Refusal> {
        // Emergency first: neither the flag nor a config can take 112 away (except the explicit
        // switch for internal-only phones).
        if class == NumberClass::Emergency
            && (!caller.internal_only || self.emergency_when_internal_only)
        {
            return Ok(());
        }
        if caller.internal_only && class != NumberClass::Internal {
            return Err(Refusal::forbidden(
                class,
                "Forbidden - internal calls only".into(),
            ));
        }
        if self.allowed(caller.extension).contains(class) {
            Ok(())
        } else {
            Err(Refusal::forbidden(
                class,
                format!("Forbidden - {class} calls not allowed"),
            ))
        }
    }
}

/// A tenant's whole outbound number policy: numbering plus permissions.
#[derive(Debug, Clone, Default)]
pub struct DialPlan {
    pub numbers: NumberPlan,
    pub permissions: Permissions,
}

impl DialPlan {
    /// `config` is the call-permissions module's config; use `Default` when the module is
    /// absent or disabled.
    pub fn compile(config: &CallPermissionsConfig) -> Result<DialPlan, DialPlanError> {
        Ok(DialPlan {
            numbers: NumberPlan::compile(&config.numbering)?,
            permissions: Permissions::compile(config)?,
        })
    }

    /// The decision for a number that the directory did not resolve (so it is not internal):
    /// normalise, classify, check the caller's permissions.
    pub fn decide(&self, caller: Caller<'_>, dialled: &str) -> Decision {
        let analysed = match self.numbers.analyse(dialled) {
            Ok(a) => a,
            // An internal-only phone learns nothing about the plan, only that it may not call
            // out.
            Err(_) if caller.internal_only => {
                return Decision::deny(None, 403, "Forbidden - internal calls only")
            }
            Err(NumberError::NotANumber) => return Decision::deny(None, 404, "Not Found"),
            Err(NumberError::TooLong) => {
                return Decision::deny(None, 404, "Not Found - number too long")
            }
            Err(NumberError::NotInPlan) => {
                return Decision::deny(None, 484, "Address Incomplete - number not in dial plan")
            }
        };
        match self.permissions.check(caller, analysed.class) {
            Ok(()) => Decision::Allow {
                class: analysed.class,
                normalized: analysed.trunk,
            },
            Err(r) => Decision::Deny {
                class: r.class,
                status: r.status,
                reason: r.reason,
            },
        }
    }

    /// The decision for a call the directory resolved to something of the tenant (extension,
    /// queue...): only the class set matters.
    pub fn decide_internal(&self, caller: Caller<'_>) -> Result<(), Refusal> {
        self.permissions.check(caller, NumberClass::Internal)
    }
}

/// Extension numbers are short digit strings; anything else in a config is a typo.
pub(super) fn is_extension(s: &str) -> bool {
    (1..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}
