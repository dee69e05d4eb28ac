//! Digest authentication: RFC 2617's worked example, SHA-256 self-consistency, nonces.
#![allow(clippy::unwrap_used)] // tests unwrap on purpose: a failure is the assertion
use sip::digest::{authorize, challenge, verify, Algorithm, NonceSigner, NonceState};
use sip::header::{AuthParams, Credentials};

const RFC2617_AUTH: &str = r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

#[test]
fn rfc2617_example_verifies() {
    let creds = Credentials::from_header(RFC2617_AUTH).unwrap();
    assert!(verify(&creds, "GET", "Circle Of Life"));
    assert!(!verify(&creds, "GET", "Circle of Life"));
    assert!(!verify(&creds, "POST", "Circle Of Life"));
    let mut upper = creds.clone();
    upper.response = upper.response.to_uppercase();
    assert!(verify(&upper, "GET", "Circle Of Life"));
    let mut unknown_alg = creds.clone();
    unknown_alg.algorithm = Some("MD5-sess".into());
    assert!(!verify(&unknown_alg, "GET", "Circle Of Life"));
    let mut auth_int = creds;
    auth_int.qop = Some("auth-int".into());
    assert!(!verify(&auth_int, "GET", "Circle Of Life"));
}

#[test]
fn client_reproduces_rfc2617_response() {
    let ch = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
    let v = authorize(
        ch,
        "GET",
        "/dir/index.html",
        "Mufasa",
        "Circle Of Life",
        "0a4f113b",
        1,
    )
    .unwrap();
    let c = Credentials::from_header(&v).unwrap();
    assert_eq!(c.response, "6629fae49393a05397450978507c4ef1");
    assert_eq!(
        c.opaque.as_deref(),
        Some("5ccc069c403ebaf9f0171e9517f40e41")
    );
    assert_eq!(c.nc.as_deref(), Some("00000001"));
    assert!(verify(&c, "GET", "Circle Of Life"));
}

#[test]
fn sha256_and_legacy_round_trip() {
    for alg in [Algorithm::Md5, Algorithm::Sha256] {
        let ch = challenge("centralita", "abc\"def", alg, true);
        let p = AuthParams::parse(&ch).unwrap();
        assert_eq!(p.get("nonce"), Some("abc\"def"));
        assert_eq!(p.get("stale"), Some("true"));
        assert_eq!(p.get("algorithm"), Some(alg.as_str()));
        let v = authorize(&ch, "REGISTER", "sip:pbx.local", "ext10", "s3cret", "c1", 7).unwrap();
        let c = Credentials::from_header(&v).unwrap();
        assert_eq!(c.algorithm.as_deref(), Some(alg.as_str()));
        let expected_len = if alg == Algorithm::Md5 { 32 } else { 64 };
        assert_eq!(c.response.len(), expected_len);
        assert!(verify(&c, "REGISTER", "s3cret"));
        assert!(!verify(&c, "REGISTER", "wrong"));
        assert!(!verify(&c, "INVITE", "s3cret"));
    }
    // RFC 2069 style: the challenge offers no qop.
    let ch = r#"Digest realm="r", nonce="n", algorithm=SHA-256"#;
    let v = authorize(ch, "INVITE", "sip:10@pbx", "u", "p", "ignored", 1).unwrap();
    assert!(!v.contains("qop"));
    let c = Credentials::from_header(&v).unwrap();
    assert!(verify(&c, "INVITE", "p"));
    assert!(authorize("Basic realm=\"x\"", "INVITE", "sip:a", "u", "p", "c", 1).is_none());
    assert!(authorize("Digest realm=\"x\"", "INVITE", "sip:a", "u", "p", "c", 1).is_none());
}

#[test]
fn nonces() {
    let s = NonceSigner {
        secret: [7; 32],
        lifetime_secs: 300,
    };
    let n = s.issue(1000);
    assert_eq!(n.len(), 48);
    assert_eq!(s.check(&n, 1000), NonceState::Valid);
    assert_eq!(s.check(&n, 1300), NonceState::Valid);
    assert_eq!(s.check(&n, 1301), NonceState::Stale);
    assert_eq!(s.check(&n, 999), NonceState::Invalid);
    assert_eq!(s.check(&n.to_uppercase(), 1000), NonceState::Valid);
    let mut forged = n.clone();
    forged.replace_range(0..16, &format!("{:016x}", 1200));
    assert_eq!(s.check(&forged, 1250), NonceState::Invalid);
    let other = NonceSigner {
        secret: [8; 32],
        lifetime_secs: 300,
    };
    assert_eq!(other.check(&n, 1000), NonceState::Invalid);
    for junk in ["", "zz", "é", &"0".repeat(48), &format!("{n}0")] {
        assert_eq!(s.check(junk, 1000), NonceState::Invalid);
    }
}

/// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
#[test]
fn rfc7616_examples() {
    let base = Credentials {
        username: "Mufasa".into(),
        realm: "http-auth@example.org".into(),
        nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v".into(),
        uri: "/dir/index.html".into(),
        response: String::new(),
        algorithm: None,
        qop: Some("auth".into()),
        nc: Some("00000001".into()),
        cnonce: Some("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ".into()),
        opaque: Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS".into()),
    };
    let md5 = Credentials {
        algorithm: Some("MD5".into()),
        response: "8ca523f5e9506fed4657c9700eebdbec".into(),
        ..base.clone()
    };
    assert!(verify(&md5, "GET", "Circle of Life"));
    let sha = Credentials {
        algorithm: Some("SHA-256".into()),
        response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1".into(),
        ..base
    };
    assert!(verify(&sha, "GET", "Circle of Life"));
}
