//! Reading a SUBSCRIBE (RFC 6665) for the event packages the box serves (message-summary for
//! MWI, dialog for busy lamps): the dialog parts a subscription keeps, every stored value
//! size-capped, and the typed reasons to refuse the request before any package logic runs; and
//! the NOTIFY both packages send in such a dialog.
use sip::header::Contact;
use sip::message::{HeaderName, Request, SipHeaders};
use sip::uri::Uri;

/// Header values kept for the life of a subscription are capped, so an authenticated but hostile
/// phone cannot make each of its (many) subscriptions cost kilobytes.
const MAX_VALUE: usize = 512;
const MAX_ROUTES: usize = 4;
const MAX_EVENT_ID: usize = 64;

/// Why a SUBSCRIBE cannot be read; each package maps these into its own refusal type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("event package {event:?} is not served here")]
    BadEvent { event: Option<String> },
    #[error("unreadable Expires value")]
    BadExpires,
    #[error("SUBSCRIBE without a usable Contact")]
    MissingContact,
    #[error("SUBSCRIBE without a From tag")]
    MissingFromTag,
    #[error("a header is longer than a subscription may store")]
    HeaderTooLarge,
    #[error("the subscriber does not accept the package's body type")]
    NotAcceptable,
}

/// The parts of a SUBSCRIBE the table works with.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The package plus its `id` parameter when the subscriber gave one (echoed in NOTIFY).
    /// Other Event parameters (the RFC 4235 §4.4 filters) are not honoured: the subscriber gets
    /// everything of the package, a superset of what it filtered for.
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

pub fn parse(req: &Request, package: &str, content_type: &str) -> Result<Parsed, ReadError> {
    let event = event(req, package)?;
    let from = req.headers.get(&HeaderName::From).unwrap_or_default();
    let to = req.headers.get(&HeaderName::To).unwrap_or_default();
    let from_tag = req
        .from_header()
        .and_then(|f| f.tag().map(str::to_string))
        .filter(|t| !t.is_empty())
        .ok_or(ReadError::MissingFromTag)?;
    let to_tag = req
        .to_header()
        .and_then(|t| t.tag().map(str::to_string))
        .filter(|t| !t.is_empty());
    let expires = expires(req)?;
    if !accepts(req, content_type) {
        return Err(ReadError::NotAcceptable);
    }
    let contact = match req.headers.values(&HeaderName::Contact).next() {
        None => None,
        Some(value) => match Contact::parse(value) {
            Ok(Contact::Addr(addr)) if addr.uri.is_sip() => Some(addr.uri),
            _ => return Err(ReadError::MissingContact),
        },
    };
    // An initial SUBSCRIBE creates the dialog: without a target no NOTIFY could ever be sent.
    if contact.is_none() && to_tag.is_none() {
        return Err(ReadError::MissingContact);
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
        return Err(ReadError::HeaderTooLarge);
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

/// `Event: <package>[;id=x][;other params]`. The package name is compared case-insensitively:
/// phones are not consistent and nothing else could be meant.
fn event(req: &Request, package_name: &str) -> Result<String, ReadError> {
    let raw = req.headers.get(&HeaderName::Event);
    let bad = || ReadError::BadEvent {
        event: raw.map(|r| r.chars().take(MAX_EVENT_ID).collect()),
    };
    let mut parts = raw.ok_or_else(bad)?.split(';');
    let package = parts.next().unwrap_or_default().trim();
    if !package.eq_ignore_ascii_case(package_name) {
        return Err(bad());
    }
    let id = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("id").then(|| value.trim())
    });
    match id {
        None => Ok(package_name.to_string()),
        Some(id) if id.len() <= MAX_EVENT_ID && !id.is_empty() && is_token(id) => {
            Ok(format!("{package_name};id={id}"))
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
fn expires(req: &Request) -> Result<Option<u32>, ReadError> {
    let Some(raw) = req.headers.get(&HeaderName::Expires) else {
        return Ok(None);
    };
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReadError::BadExpires);
    }
    Ok(Some(raw.parse::<u32>().unwrap_or(u32::MAX)))
}

/// RFC 6665 §4.1.2.1: an Accept header lists what the subscriber can read; without one the
/// package default (our body type) is assumed. Other types listed beside ours (multipart/related,
/// application/rlmi+xml for resource lists) are fine: we only ever send the plain document.
fn accepts(req: &Request, content_type: &str) -> bool {
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
    listed.any(|v| v == content_type || v == "application/*" || v == "*/*")
}

/// The dialog state a NOTIFY is built from (either package's subscription).
pub struct NotifyDialog<'a> {
    pub peer: sip::transaction::Peer,
    pub route_set: &'a [String],
    /// Our identity in the dialog (From of the NOTIFY), the subscriber's (To).
    pub local_header: &'a str,
    pub remote_header: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    /// The Event value to echo (with the subscriber's `id`).
    pub event: &'a str,
    pub remote_target: &'a Uri,
}

/// A NOTIFY in a subscription dialog (RFC 6665 §4.2.2) with `Subscription-State: state` and
/// `body` of `content_type`; returns it with its Via branch, which identifies its transaction.
pub fn notify_request(
    dialog: &NotifyDialog<'_>,
    sip_addr: std::net::SocketAddr,
    state: String,
    content_type: &str,
    body: Vec<u8>,
    ids: &mut crate::ids::Ids,
) -> (Request, String) {
    let branch = ids.branch();
    let mut headers = sip::message::Headers::new();
    headers.push(
        HeaderName::Via,
        crate::call::via_with_branch(dialog.peer, sip_addr, &branch),
    );
    headers.push(HeaderName::MaxForwards, "70");
    for route in dialog.route_set {
        headers.push(HeaderName::Route, route.clone());
    }
    headers.push(HeaderName::From, dialog.local_header.to_string());
    headers.push(HeaderName::To, dialog.remote_header.to_string());
    headers.push(HeaderName::CallId, dialog.call_id.to_string());
    headers.push(HeaderName::CSeq, format!("{} NOTIFY", dialog.cseq));
    headers.push(HeaderName::Contact, crate::call::contact_value(sip_addr));
    headers.push(HeaderName::Event, dialog.event.to_string());
    headers.push(HeaderName::Other("Subscription-State".to_string()), state);
    headers.push(HeaderName::ContentType, content_type.to_string());
    let request = Request {
        method: sip::message::Method::Notify,
        uri: dialog.remote_target.clone(),
        headers,
        body,
    };
    (request, branch)
}
