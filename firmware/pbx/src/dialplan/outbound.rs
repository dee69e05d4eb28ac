//! One outbound call, start to end of the dial plan: DID OUT prefix and caller ID, then number
//! class and permissions. The call code calls [`plan_outbound`] for a number the directory did
//! not resolve, then [`super::OutboundCalls::try_start`] just before sending the trunk INVITE.
use super::caller_id::{DidOut, DidOutConfig, Presentation, TrunkIdentity};
use super::class::NumberClass;
use super::error::DialPlanError;
use super::permissions::{CallPermissionsConfig, Caller, Decision, DialPlan, Refusal};

/// A tenant's compiled outbound policy: what the daemon keeps per tenant, rebuilt whenever the
/// configuration is (re)loaded so that a bad config is refused then, not in the middle of a call.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    pub plan: DialPlan,
    pub did_out: Option<DidOut>,
}

impl OutboundPolicy {
    /// `permissions` and `did_out` are the configs of the `call-permissions` and `did-out`
    /// modules when installed and enabled, `None` otherwise; `tenant_dids` the numbers of the
    /// tenant's DIDs.
    pub fn compile<'a>(
        permissions: Option<&CallPermissionsConfig>,
        did_out: Option<&DidOutConfig>,
        tenant_dids: impl IntoIterator<Item = &'a str>,
    ) -> Result<OutboundPolicy, DialPlanError> {
        let plan = match permissions {
            Some(c) => DialPlan::compile(c)?,
            None => DialPlan::default(),
        };
        let did_out = match did_out {
            Some(c) => Some(DidOut::compile(c, tenant_dids, &plan.numbers)?),
            None => None,
        };
        Ok(OutboundPolicy { plan, did_out })
    }

    /// [`plan_outbound`] with this tenant's plan.
    pub fn plan_call(&self, request: &OutboundRequest<'_>) -> Result<OutboundCall, Refusal> {
        plan_outbound(&self.plan, self.did_out.as_ref(), request)
    }
}

/// Who dials and what.
#[derive(Debug, Clone, Copy)]
pub struct OutboundRequest<'a> {
    pub extension: &'a str,
    pub internal_only: bool,
    /// The user's "Caller id" setting (its DID, or anonymous).
    pub caller_id: &'a Presentation,
    /// The Request-URI user part the phone sent.
    pub dialled: &'a str,
    /// Asserted on anonymous calls when the user has no DID of its own (tenant's main DID or the
    /// trunk account's number).
    pub tenant_identity: Option<&'a str>,
}

/// Send the call to the trunk with these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundCall {
    /// Request-URI user part, in the trunk's format.
    pub number: String,
    pub class: NumberClass,
    /// What the CDR records as the caller ID presented.
    pub presentation: Presentation,
    pub identity: TrunkIdentity,
    /// The DID OUT rule used, if any (for logs and the CDR).
    pub did_out_rule: Option<usize>,
}

/// The dial plan's answer for a non-internal number. `did_out` is `None` when the DID OUT
/// module is absent or disabled (its prefixes then mean nothing).
pub fn plan_outbound(
    plan: &DialPlan,
    did_out: Option<&DidOut>,
    request: &OutboundRequest<'_>,
) -> Result<OutboundCall, Refusal> {
    let caller = Caller {
        extension: request.extension,
        internal_only: request.internal_only,
    };
    let selection = match did_out {
        Some(d) => d
            .select(request.extension, request.caller_id, request.dialled)
            .map_err(|r| Refusal {
                class: None,
                status: r.status,
                reason: r.reason.to_string(),
            })?,
        None => super::caller_id::Selection {
            number: request.dialled.to_string(),
            presentation: request.caller_id.clone(),
            rule: None,
        },
    };
    match plan.decide(caller, &selection.number) {
        Decision::Allow { class, normalized } => {
            let own_did = match request.caller_id {
                Presentation::Did(d) => Some(d.as_str()),
                Presentation::Anonymous => request.tenant_identity,
            };
            Ok(OutboundCall {
                number: normalized,
                class,
                identity: selection
                    .presentation
                    .trunk_identity(&plan.numbers, own_did),
                presentation: selection.presentation,
                did_out_rule: selection.rule,
            })
        }
        Decision::Deny {
            class,
            status,
            reason,
        } => Err(Refusal {
            class,
            status,
            reason,
        }),
    }
}
