//! The SIP message model: a request or response with an ordered header list and a body.
//!
//! Headers are kept as (name, raw value) pairs in wire order so that a B2BUA or proxy can pass through
//! what it does not understand; typed views (see [`crate::header`]) are parsed on demand. Names are
//! normalised (compact forms expanded, canonical case) at parse time so lookups are cheap.
use crate::header::{CSeq, Contact, NameAddr, Via};
use crate::uri::Uri;

/// Request methods. Unknown tokens are kept verbatim (case-sensitive, RFC 3261 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Prack,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    Other(String),
}

impl Method {
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Other(s) => s,
        }
    }

    /// Method names are case-sensitive: `invite` is an unknown method, not INVITE.
    pub fn from_token(token: &str) -> Method {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header names the stack knows, plus everything else verbatim. Compact forms (`v`, `f`, `t`, `i`,
/// `m`, `l`, `c`, `e`, `k`, `s`, `o`, `r`, `b`, `x`, `u`) map to their long names at parse time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeaderName {
    Via,
    From,
    To,
    CallId,
    CSeq,
    Contact,
    MaxForwards,
    ContentLength,
    ContentType,
    ContentEncoding,
    Expires,
    MinExpires,
    Authorization,
    WwwAuthenticate,
    ProxyAuthenticate,
    ProxyAuthorization,
    Route,
    RecordRoute,
    UserAgent,
    Server,
    Allow,
    Supported,
    Require,
    ProxyRequire,
    Unsupported,
    Accept,
    Event,
    ReferTo,
    ReferredBy,
    Replaces,
    Subject,
    Date,
    Warning,
    RetryAfter,
    Reason,
    Privacy,
    PAssertedIdentity,
    SessionExpires,
    /// Any other header, with the name as it appeared on the wire.
    Other(String),
}

/// One header line (after unfolding). `value` has surrounding whitespace trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: HeaderName,
    pub value: String,
}

/// Ordered header list. Multiple values of one header may be on several lines or comma-separated
/// on one; typed accessors see both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    pub list: Vec<Header>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

/// Typed accessors shared by requests and responses. A `None`/empty result means "absent or
/// unparseable"; the parser has already rejected messages whose mandatory headers are malformed, so
/// on a parsed message `call_id`, `cseq`, `from`, `to` and `top_via` are present.
pub trait SipHeaders {
    fn headers(&self) -> &Headers;
    fn headers_mut(&mut self) -> &mut Headers;

    fn call_id(&self) -> Option<&str> {
        self.headers().get(&HeaderName::CallId)
    }
    fn cseq(&self) -> Option<CSeq> {
        self.headers()
            .get(&HeaderName::CSeq)
            .and_then(|v| CSeq::parse(v).ok())
    }
    /// The From header (named for the header, not a `from_*` constructor).
    #[allow(clippy::wrong_self_convention)]
    fn from_header(&self) -> Option<NameAddr> {
        self.headers()
            .get(&HeaderName::From)
            .and_then(|v| NameAddr::parse(v).ok())
    }
    fn to_header(&self) -> Option<NameAddr> {
        self.headers()
            .get(&HeaderName::To)
            .and_then(|v| NameAddr::parse(v).ok())
    }
    /// All Via values, top first (comma-separated values split).
    fn vias(&self) -> Vec<Via> {
        self.headers()
            .values(&HeaderName::Via)
            .filter_map(|v| Via::parse(v).ok())
            .collect()
    }
    fn top_via(&self) -> Option<Via> {
        self.headers()
            .values(&HeaderName::Via)
            .next()
            .and_then(|v| Via::parse(v).ok())
    }
    fn contacts(&self) -> Vec<Contact> {
        self.headers()
            .values(&HeaderName::Contact)
            .filter_map(|v| Contact::parse(v).ok())
            .collect()
    }
    fn expires(&self) -> Option<u32> {
        self.headers()
            .get(&HeaderName::Expires)
            .and_then(|v| v.trim().parse().ok())
    }
    fn content_type(&self) -> Option<&str> {
        self.headers().get(&HeaderName::ContentType)
    }
}

impl SipHeaders for Request {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
}

impl SipHeaders for Response {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
}

impl Headers {
    pub fn new() -> Headers {
        Headers { list: Vec::new() }
    }

    /// First line's value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.list
            .iter()
            .find(|h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    /// Every value of `name`, splitting comma-separated lists outside quotes and `<...>`.
    /// Only list-valued headers should be read with this (Via, Contact, Route, Record-Route,
    /// Allow, Supported, Require, ...); WWW-Authenticate and friends contain commas inside a value.
    pub fn values<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.list
            .iter()
            .filter(move |h| &h.name == name)
            .flat_map(|h| split_list(&h.value))
    }

    /// Raw header lines of `name`, unsplit, in order.
    pub fn lines<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.list
            .iter()
            .filter(move |h| &h.name == name)
            .map(|h| h.value.as_str())
    }

    pub fn count(&self, name: &HeaderName) -> usize {
        self.list.iter().filter(|h| &h.name == name).count()
    }

    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.list.push(Header {
            name,
            value: value.into(),
        });
    }

    /// Inserts before every other header (used for Via on forwarding).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<String>) {
        self.list.insert(
            0,
            Header {
                name,
                value: value.into(),
            },
        );
    }

    /// Replaces every line of `name` with one line holding `value` (appended if absent).
    pub fn set(&mut self, name: HeaderName, value: impl Into<String>) {
        let value = value.into();
        if let Some(pos) = self.list.iter().position(|h| h.name == name) {
            self.list[pos].value = value;
            let mut idx = 0;
            self.list.retain(|h| {
                let keep = h.name != name || idx == pos;
                idx += 1;
                keep
            });
        } else {
            self.push(name, value);
        }
    }

    pub fn remove(&mut self, name: &HeaderName) {
        self.list.retain(|h| &h.name != name);
    }
}

/// Splits a header value on commas that are outside double quotes and angle brackets.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let bytes = value.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut in_quote, mut in_angle, mut escaped) = (0usize, false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_quote {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_quote = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            b',' if !in_angle => {
                parts.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty())
}
