//! Which number an INVITE from the provider is for.
//!
//! A registration trunk sends calls to the Contact we registered, whose user part is the account
//! username (`sip:centralita1@203.0.113.5:40000`), and carries the dialled DID in To (some
//! providers also in P-Called-Party-ID, RFC 3455 §4.2). "DID trunks" rewrite the Request-URI user
//! to the DID instead. Both are seen in the field, so the Request-URI wins unless it only names
//! our own account.
use sip::message::{Request, SipHeaders};
use sip::uri::Scheme;
use sip::Uri;

/// The called number, or None when the INVITE names none we can route.
pub fn called_number(req: &Request, account_username: &str) -> Option<String> {
    let ruri = number_of(&req.uri);
    if let Some(n) = ruri.as_ref().filter(|n| n.as_str() != account_username) {
        return Some(n.clone());
    }
    // Unknown header names keep their wire spelling: compare case-insensitively.
    let pcpi = req
        .headers
        .list
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case("P-Called-Party-ID"))
        .and_then(|h| sip::header::NameAddr::parse(&h.value).ok())
        .and_then(|n| number_of(&n.uri));
    pcpi.or_else(|| req.to_header().and_then(|t| number_of(&t.uri)))
        .filter(|n| n.as_str() != account_username)
}

/// The user part of a SIP URI, or the number of a `tel:` URI (parameters dropped).
fn number_of(uri: &Uri) -> Option<String> {
    let n = match uri.scheme {
        Scheme::Sip | Scheme::Sips => uri.user_unescaped()?,
        Scheme::Tel => uri.host.split(';').next()?.to_string(),
        Scheme::Other(_) => return None,
    };
    let n = n.trim().to_string();
    (!n.is_empty()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip::message::{HeaderName, Headers};

    fn invite(ruri: &str, to: &str, extra: Option<(&str, &str)>) -> Request {
        let mut headers = Headers::new();
        headers.push(HeaderName::To, to);
        if let Some((n, v)) = extra {
            headers.push(HeaderName::Other(n.to_string()), v);
        }
        Request {
            method: sip::Method::Invite,
            uri: Uri::parse(ruri).unwrap(),
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn registration_trunk_puts_the_did_in_to() {
        let r = invite(
            "sip:centralita1@203.0.113.5:40000",
            "<sip:+34910000001@sip.provider.test>",
            None,
        );
        assert_eq!(
            called_number(&r, "centralita1").as_deref(),
            Some("+34910000001")
        );
    }

    #[test]
    fn did_trunk_puts_it_in_the_request_uri() {
        let r = invite(
            "sip:910000002@203.0.113.5",
            "<sip:centralita1@sip.provider.test>",
            None,
        );
        assert_eq!(
            called_number(&r, "centralita1").as_deref(),
            Some("910000002")
        );
    }

    #[test]
    fn p_called_party_id_and_tel_uris() {
        let r = invite(
            "sip:centralita1@10.0.0.2:5060",
            "<sip:centralita1@sip.provider.test>",
            Some(("P-Called-Party-Id", "<tel:+34910000003;phone-context=+34>")),
        );
        assert_eq!(
            called_number(&r, "centralita1").as_deref(),
            Some("+34910000003")
        );
        let r = invite("sip:centralita1@10.0.0.2", "<tel:910000004>", None);
        assert_eq!(
            called_number(&r, "centralita1").as_deref(),
            Some("910000004")
        );
    }

    #[test]
    fn nothing_routable() {
        let r = invite(
            "sip:centralita1@10.0.0.2",
            "<sip:centralita1@sip.provider.test>",
            None,
        );
        assert_eq!(called_number(&r, "centralita1"), None);
        let r = invite("sip:10.0.0.2", "<sip:sip.provider.test>", None);
        assert_eq!(called_number(&r, "centralita1"), None);
    }
}
