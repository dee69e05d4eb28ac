//! Reading a dialog-package SUBSCRIBE: what it asks for, and the typed reasons to refuse it.
use super::{CONTENT_TYPE, EVENT_PACKAGE};
use sip::header::Contact;
use sip::message::{HeaderName, Request, SipHeaders};
use sip::uri::Uri;

/// Header values kept for the life of a subscription are capped, so an authenticated but hostile
/// phone cannot make each of its (many) subscriptions cost kilobytes.
const MAX_VALUE: usize = 512;
const MAX_ROUTES: usize = 4;
const MAX_EVENT_ID: usize = 64;

/// Which cap refused a new subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Extension,
    Total,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Account => "account",
            Scope::Extension => "watched extension",
            Scope::Total => "box-wide table",
        })
    }
}

/// Why a SUBSCRIBE was refused; [`SubscribeError::status`] is the response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error("event package {event:?} is not dialog")]
    BadEvent { event: Option<String> },
    #[error("unreadable Expires value")]
    BadExpires,
    #[error("SUBSCRIBE without a usable Contact")]
    MissingContact,
    #[error("SUBSCRIBE without a From tag")]
    MissingFromTag,
    #[error("a header is longer than a subscription may store")]
    HeaderTooLarge,
    #[error("the subscriber does not accept application/dialog-info+xml")]
    NotAcceptable,
    #[error("no subscription matches this dialog")]
    UnknownDialog,
    #[error("no extension {requested:?} to watch")]
    NoExtension { requested: Option<String> },
    #[error("extension of tenant {target} watched from tenant {watcher}")]
    OtherTenant { watcher: u32, target: u32 },
    #[error("the subscriber is not an account of any tenant")]
    NotAnAccount,
    #[error("refresh of another account's subscription")]
    WrongAccount,
    #[error("CSeq {got} is lower than the dialog's {last}")]
    OutOfOrder { got: u32, last: u32 },
    #[error("too many subscriptions for this {scope}")]
    TooMany { scope: Scope },
}

impl SubscribeError {
    pub fn status(&self) -> u16 {
        match self {
            SubscribeError::BadEvent { .. } => 489,
            SubscribeError::BadExpires
            | SubscribeError::MissingContact
            | SubscribeError::MissingFromTag
            | SubscribeError::HeaderTooLarge => 400,
            SubscribeError::NotAcceptable => 406,
            SubscribeError::UnknownDialog => 481,
            SubscribeError::NoExtension { .. } => 404,
            SubscribeError::OtherTenant { .. }
            | SubscribeError::NotAnAccount
            | SubscribeError::WrongAccount => 403,
            // RFC 3261 §12.2.2: a lower CSeq inside a dialog is answered 500.
            SubscribeError::OutOfOrder { .. } => 500,
            SubscribeError::TooMany { .. } => 503,
        }
    }
}

/// The parts of a SUBSCRIBE the table works with.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// `dialog` plus its `id` parameter when the subscriber gave one (echoed in NOTIFY). The
    /// RFC 4235 §4.4 filter parameters (call-id, to-tag, from-tag) are not honoured: the
    /// subscriber gets every call of the extension, a superset of what it filtered for.
    pub event: String,
    /// `None`: no Expires header (the default applies).
    pub expires: Option<u32>,
    pub call_id: String,
    pub from_tag: String,
    pub to_tag: Option<String>,
    pub cseq: u32,
    /// The subscriber's Contact: the NOTIFY Request-URI.
    pub contact: Option<Uri>,
    /// Raw From and To values (the dialog's remote and local identities).
    pub from: String,
    pub to: String,
    /// Record-Route values in order: the route set of the dialog (RFC 3261 §12.1.1).
    pub record_route: Vec<String>,
}

pub fn parse(req: &Request) -> Result<Parsed, SubscribeError> {
    let event = event(req)?;
    let from = req.headers.get(&HeaderName::From).unwrap_or_default();
    let to = req.headers.get(&HeaderName::To).unwrap_or_default();
    let from_tag = req
        .from_header()
        .and_then(|f| f.tag().map(str::to_string))
        .filter(|t| !t.is_empty())
        .ok_or(SubscribeError::MissingFromTag)?;
    let to_tag = req
        .to_header()
        .and_then(|t| t.tag().map(str::to_string))
        .filter(|t| !t.is_empty());
    let expires = expires(req)?;
    if !accepts_dialog_info(req) {
        return Err(SubscribeError::NotAcceptable);
    }
    let contact = match req.headers.values(&HeaderName::Contact).next() {
        None => None,
        Some(value) => match Contact::parse(value) {
            Ok(Contact::Addr(addr)) if addr.uri.is_sip() => Some(addr.uri),
            _ => return Err(SubscribeError::MissingContact),
        },
    };
    // An initial SUBSCRIBE creates the dialog: without a target no NOTIFY could ever be sent.
    if contact.is_none() && to_tag.is_none() {
        return Err(SubscribeError::MissingContact);
    }
    let record_route: Vec<String> = req
        .headers
        .values(&HeaderName::RecordRoute)
        .map(str::to_string)
        .collect();
    let contact_len = contact.as_ref().map_or(0, |c| c.to_string().len());
    let call_id = req.call_id().unwrap_or_default();
    let too_large = from.len() > MAX_VALUE
        || call_id.len() > MAX_VALUE
        || req.uri.host.len() > MAX_VALUE
        || req.uri.user.as_ref().is_some_and(|u| u.len() > MAX_VALUE)
        || to.len() > MAX_VALUE
        || contact_len > MAX_VALUE
        || record_route.len() > MAX_ROUTES
        || record_route.iter().any(|r| r.len() > MAX_VALUE);
    if too_large {
        return Err(SubscribeError::HeaderTooLarge);
    }
    Ok(Parsed {
        event,
        expires,
        call_id: call_id.to_string(),
        from_tag,
        to_tag,
        cseq: req.cseq().map_or(0, |c| c.seq),
        contact,
        from: from.to_string(),
        to: to.to_string(),
        record_route,
    })
}

/// `Event: dialog[;id=x][;filter params]`. The package name is compared case-insensitively:
/// phones are not consistent and nothing else could be meant.
fn event(req: &Request) -> Result<String, SubscribeError> {
    let raw = req.headers.get(&HeaderName::Event);
    let bad = || SubscribeError::BadEvent {
        event: raw.map(|r| r.chars().take(MAX_EVENT_ID).collect()),
    };
    let mut parts = raw.ok_or_else(bad)?.split(';');
    let package = parts.next().unwrap_or_default().trim();
    if !package.eq_ignore_ascii_case(EVENT_PACKAGE) {
        return Err(bad());
    }
    let id = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("id").then(|| value.trim())
    });
    match id {
        None => Ok(EVENT_PACKAGE.to_string()),
        Some(id) if id.len() <= MAX_EVENT_ID && !id.is_empty() && is_token(id) => {
            Ok(format!("{EVENT_PACKAGE};id={id}"))
        }
        Some(_) => Err(bad()),
    }
}

/// RFC 3261 token characters: the id is echoed into our NOTIFY's Event header verbatim.
fn is_token(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

/// Missing header: `None`. Digits: the value (saturating). Anything else refuses the request.
fn expires(req: &Request) -> Result<Option<u32>, SubscribeError> {
    let Some(raw) = req.headers.get(&HeaderName::Expires) else {
        return Ok(None);
    };
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SubscribeError::BadExpires);
    }
    Ok(Some(raw.parse::<u32>().unwrap_or(u32::MAX)))
}

/// RFC 6665 §4.1.2.1: an Accept header lists what the subscriber can read; without one the
/// package default (our body type) is assumed. Phones that also list multipart/related or
/// application/rlmi+xml (resource lists) are fine: we only ever send the plain document.
fn accepts_dialog_info(req: &Request) -> bool {
    let mut listed = req
        .headers
        .values(&HeaderName::Accept)
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
        .peekable();
    if listed.peek().is_none() {
        return true;
    }
    listed.any(|v| v == CONTENT_TYPE || v == "application/*" || v == "*/*")
}
