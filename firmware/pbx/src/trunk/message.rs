//! Building the REGISTER/OPTIONS requests of the trunk client and reading what the provider's
//! responses tell it (granted expiry, challenge, our public address).
use std::net::{IpAddr, SocketAddr};

use sip::header::{AuthParams, Contact};
use sip::message::{HeaderName, Headers, Method, Request, Response, SipHeaders};
use sip::transaction::TransportKind;
use sip::Uri;

use super::config::{transport_tokens, ProviderConfig};

/// The fields of one request the client decided on; [`build`] turns them into a message.
pub(crate) struct Outgoing<'a> {
    pub config: &'a ProviderConfig,
    pub method: Method,
    pub transport: TransportKind,
    /// Via sent-by: the box's own (local) address.
    pub via: SocketAddr,
    pub branch: &'a str,
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub cseq: u32,
    /// REGISTER only: the Contact to bind and its Expires, plus an old contact to remove in the
    /// same request (after a NAT change), which gets `;expires=0`.
    pub contact: Option<SocketAddr>,
    pub stale_contact: Option<SocketAddr>,
    pub expires: Option<u32>,
    /// `(Authorization or Proxy-Authorization, value)` lines.
    pub auth: Vec<(HeaderName, String)>,
}

/// Host text for a URI or Via: IPv6 in brackets.
pub(crate) fn host_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// RFC 3261 §25.1 user part: unreserved and user-unreserved characters as they are, the rest
/// %-escaped, so a username with `@` or spaces cannot break the URI.
pub(crate) fn escape_user(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        let plain = b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b);
        if plain {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The Request-URI of REGISTER (§10.2: the domain, no user part).
pub(crate) fn registrar_uri(config: &ProviderConfig) -> Uri {
    let target = config.domain_target();
    Uri::sip(None, &target.host, target.port)
}

/// The Contact URI for `addr`.
pub(crate) fn contact_uri(config: &ProviderConfig, addr: SocketAddr, t: TransportKind) -> Uri {
    let mut uri = Uri::sip(
        Some(&escape_user(&config.username)),
        &host_text(addr.ip()),
        Some(addr.port()),
    );
    if let (_, Some(param)) = transport_tokens(t) {
        uri.params.set("transport", Some(param.to_string()));
    }
    uri
}

pub(crate) fn build(out: &Outgoing<'_>) -> Request {
    let config = out.config;
    let domain = config.domain_target();
    let aor = Uri::sip(Some(&escape_user(&config.username)), &domain.host, None);
    let (via_token, _) = transport_tokens(out.transport);
    let mut h = Headers::new();
    h.push(
        HeaderName::Via,
        format!(
            "SIP/2.0/{via_token} {}:{};branch={};rport",
            host_text(out.via.ip()),
            out.via.port(),
            out.branch
        ),
    );
    h.push(HeaderName::MaxForwards, "70");
    if config.outbound_proxy.is_some() {
        // §8.1.2: a pre-existing route set toward the outbound proxy, loose-routed.
        let hop = config.next_hop();
        let mut route = Uri::sip(None, &hop.host, hop.port);
        route.params.set("lr", None);
        if let (_, Some(t)) = hop.transport.map(transport_tokens).unwrap_or(("UDP", None)) {
            route.params.set("transport", Some(t.to_string()));
        }
        h.push(HeaderName::Route, format!("<{route}>"));
    }
    h.push(HeaderName::From, format!("<{aor}>;tag={}", out.from_tag));
    h.push(HeaderName::To, format!("<{aor}>"));
    h.push(HeaderName::CallId, out.call_id);
    h.push(HeaderName::CSeq, format!("{} {}", out.cseq, out.method));
    if let Some(addr) = out.contact {
        h.push(
            HeaderName::Contact,
            format!("<{}>", contact_uri(config, addr, out.transport)),
        );
    }
    if let Some(old) = out.stale_contact {
        h.push(
            HeaderName::Contact,
            format!("<{}>;expires=0", contact_uri(config, old, out.transport)),
        );
    }
    if let Some(expires) = out.expires {
        h.push(HeaderName::Expires, expires.to_string());
    }
    for (name, value) in &out.auth {
        h.push(name.clone(), value.clone());
    }
    h.push(HeaderName::UserAgent, config.user_agent.clone());
    let uri = match out.method {
        Method::Register => registrar_uri(config),
        // OPTIONS keep-alives go to the account's AOR, which every provider routes to itself.
        _ => aor.clone(),
    };
    Request {
        method: out.method.clone(),
        uri,
        headers: h,
        body: Vec::new(),
    }
}

fn same_contact(a: &Uri, b: &Uri) -> bool {
    a.equivalent(b)
        || (a.host.eq_ignore_ascii_case(&b.host)
            && a.port.unwrap_or(5060) == b.port.unwrap_or(5060)
            && a.user_unescaped() == b.user_unescaped())
}

/// The expiry the registrar granted our contact (§10.2.4): the `expires` parameter of our
/// Contact in the 2xx, else the Expires header, else what we asked for. Registrars behind a
/// NAT helper store (and list) our contact rewritten to the address they saw, so when ours is not
/// listed verbatim a contact with our user part stands for it. Zero only when granted as zero.
pub(crate) fn granted_expires(resp: &Response, ours: &Uri, requested: u32) -> u32 {
    let contacts: Vec<_> = resp
        .contacts()
        .into_iter()
        .filter_map(|c| match c {
            Contact::Addr(a) => Some(a),
            Contact::Star => None,
        })
        .collect();
    let fallback = resp.expires().unwrap_or(requested);
    let mine = contacts
        .iter()
        .find(|c| same_contact(&c.uri, ours))
        .or_else(|| {
            contacts
                .iter()
                .find(|c| c.uri.user_unescaped() == ours.user_unescaped())
        });
    mine.and_then(|c| c.params.value("expires"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(fallback)
}

/// Our address as the provider saw it: `received` and `rport` of the top Via of its response
/// (RFC 3581 §4). Without `rport` the port is the one we wrote in Via.
pub(crate) fn public_address(resp: &Response) -> Option<SocketAddr> {
    let via = resp.top_via()?;
    let received = via.params.value("received")?;
    let ip: IpAddr = received
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let port = match via.params.value("rport") {
        Some(p) => p.parse().ok()?,
        None => via.port.unwrap_or(5060),
    };
    Some(SocketAddr::new(ip, port))
}

/// A challenge we can answer, from a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate):
/// the header to answer with and the challenge text. SHA-256 is preferred when offered next to
/// MD5 (RFC 8760 §2.4: the client picks the strongest it supports).
pub(crate) fn pick_challenge(resp: &Response) -> Option<(HeaderName, String)> {
    let (challenge_header, answer_header) = match resp.status {
        401 => (HeaderName::WwwAuthenticate, HeaderName::Authorization),
        407 => (
            HeaderName::ProxyAuthenticate,
            HeaderName::ProxyAuthorization,
        ),
        _ => return None,
    };
    let mut best: Option<(u8, &str)> = None;
    for line in resp.headers.lines(&challenge_header) {
        let Ok(params) = AuthParams::parse(line) else {
            continue;
        };
        if !params.scheme.eq_ignore_ascii_case("Digest")
            || params.get("realm").is_none()
            || params.get("nonce").is_none()
        {
            continue;
        }
        let rank = match sip::digest::Algorithm::from_param(params.get("algorithm")) {
            Some(sip::digest::Algorithm::Sha256) => 2,
            Some(sip::digest::Algorithm::Md5) => 1,
            None => continue,
        };
        if !matches!(best, Some((r, _)) if r >= rank) {
            best = Some((rank, line));
        }
    }
    best.map(|(_, line)| (answer_header, line.to_string()))
}

/// Whether the challenge says our nonce merely went stale (RFC 2617 §3.2.1): answer again
/// without counting it as a refusal.
pub(crate) fn is_stale(challenge: &str) -> bool {
    AuthParams::parse(challenge)
        .ok()
        .and_then(|p| p.get("stale").map(|s| s.eq_ignore_ascii_case("true")))
        .unwrap_or(false)
}

/// Min-Expires of a 423 (§10.2.8).
pub(crate) fn min_expires(resp: &Response) -> Option<u32> {
    resp.headers
        .get(&HeaderName::MinExpires)
        .and_then(|v| v.trim().parse().ok())
}

/// Retry-After seconds of a 503 (§20.33), ignoring comments and parameters.
pub(crate) fn retry_after(resp: &Response) -> Option<u32> {
    let v = resp.headers.get(&HeaderName::RetryAfter)?;
    let digits: String = v
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(lines: &[(HeaderName, &str)]) -> Response {
        let mut headers = Headers::new();
        for (n, v) in lines {
            headers.push(n.clone(), *v);
        }
        Response {
            status: 200,
            reason: "OK".into(),
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn user_escaping() {
        assert_eq!(escape_user("alice+1"), "alice+1");
        assert_eq!(escape_user("a b@c"), "a%20b%40c");
        assert_eq!(escape_user("ñ"), "%C3%B1");
    }

    #[test]
    fn granted_expiry_prefers_our_contact_param() {
        let ours = Uri::parse("sip:u@192.0.2.1:5060").unwrap();
        let r = resp(&[
            (HeaderName::Contact, "<sip:u@10.0.0.9:5060>;expires=3000"),
            (HeaderName::Contact, "<sip:u@192.0.2.1:5060>;expires=120"),
            (HeaderName::Expires, "600"),
        ]);
        assert_eq!(granted_expires(&r, &ours, 3600), 120);
        let r = resp(&[(HeaderName::Expires, "600")]);
        assert_eq!(granted_expires(&r, &ours, 3600), 600);
        assert_eq!(granted_expires(&resp(&[]), &ours, 3600), 3600);
        // Rewritten by the registrar's NAT helper: same user, other host.
        let r = resp(&[(HeaderName::Contact, "<sip:u@10.0.0.9>;expires=3000")]);
        assert_eq!(granted_expires(&r, &ours, 3600), 3000);
        // Somebody else's binding only: trust the header.
        let r = resp(&[
            (HeaderName::Contact, "<sip:other@10.0.0.9>;expires=3000"),
            (HeaderName::Expires, "900"),
        ]);
        assert_eq!(granted_expires(&r, &ours, 3600), 900);
        let r = resp(&[(HeaderName::Contact, "<sip:u@192.0.2.1:5060>;expires=0")]);
        assert_eq!(granted_expires(&r, &ours, 3600), 0);
        let r = resp(&[(HeaderName::Contact, "<sip:u@192.0.2.1>;expires=junk")]);
        assert_eq!(granted_expires(&r, &ours, 90), 90);
    }

    #[test]
    fn public_address_from_via() {
        let r = resp(&[(
            HeaderName::Via,
            "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx;rport=40123;received=203.0.113.9",
        )]);
        assert_eq!(
            public_address(&r),
            Some("203.0.113.9:40123".parse().unwrap())
        );
        let r = resp(&[(
            HeaderName::Via,
            "SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKx;received=[2001:db8::7]",
        )]);
        assert_eq!(
            public_address(&r),
            Some("[2001:db8::7]:5070".parse().unwrap())
        );
        let r = resp(&[(HeaderName::Via, "SIP/2.0/UDP 10.0.0.2;received=junk")]);
        assert_eq!(public_address(&r), None);
    }

    #[test]
    fn challenge_choice_prefers_sha256_and_skips_garbage() {
        let mut r = resp(&[
            (HeaderName::WwwAuthenticate, "Basic realm=\"x\""),
            (
                HeaderName::WwwAuthenticate,
                "Digest realm=\"p\", nonce=\"1\", algorithm=MD5",
            ),
            (
                HeaderName::WwwAuthenticate,
                "Digest realm=\"p\", nonce=\"2\", algorithm=SHA-256, qop=\"auth\"",
            ),
            (
                HeaderName::WwwAuthenticate,
                "Digest realm=\"p\", nonce=\"3\", algorithm=SHA-512-256",
            ),
        ]);
        r.status = 401;
        let (name, value) = pick_challenge(&r).unwrap();
        assert_eq!(name, HeaderName::Authorization);
        assert!(value.contains("nonce=\"2\""));
        r.status = 407;
        assert_eq!(pick_challenge(&r), None);
        assert!(is_stale("Digest realm=\"a\", nonce=\"b\", stale=TRUE"));
        assert!(!is_stale("Digest realm=\"a\", nonce=\"b\""));
    }

    #[test]
    fn retry_after_and_min_expires() {
        let r = resp(&[
            (HeaderName::RetryAfter, "120 (maintenance);duration=60"),
            (HeaderName::MinExpires, " 1800 "),
        ]);
        assert_eq!(retry_after(&r), Some(120));
        assert_eq!(min_expires(&r), Some(1800));
    }
}
