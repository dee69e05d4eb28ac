//! A deliberately small SIP client over UDP for the tests that must look at exact
//! headers (challenge shape, bindings) or send hand-made bytes. Calls are driven by
//! SIPp; this only does single requests and reads their final response.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::digest::Challenge;
use crate::error::{HarnessError, Result};
use crate::ports;
use crate::tenant::TestUser;

static UNIQUE: AtomicU64 = AtomicU64::new(1);

/// A token unique within this test run (branches, tags, Call-IDs); randomness is not
/// needed, only uniqueness per daemon.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// A parsed SIP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub code: u16,
    pub reason: String,
    /// Header (name, value) pairs in wire order; names as sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub raw: String,
}

/// Compact header forms of RFC 3261 §7.3.3 that a response may use.
fn canonical(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let long = match lower.as_str() {
        "v" => "via",
        "f" => "from",
        "t" => "to",
        "i" => "call-id",
        "m" => "contact",
        "l" => "content-length",
        "c" => "content-type",
        "k" => "supported",
        other => other,
    };
    long.to_string()
}

impl Response {
    pub fn parse(bytes: &[u8]) -> Result<Response> {
        let raw = String::from_utf8_lossy(bytes).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap_or_default();
        let bad = |reason: &str| HarnessError::BadResponse {
            reason: reason.to_string(),
            text: raw.clone(),
        };
        let rest = status
            .strip_prefix("SIP/2.0 ")
            .ok_or_else(|| bad("not a response"))?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code.parse().map_err(|_| bad("status code"))?;
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        Ok(Response {
            code,
            reason: reason.to_string(),
            headers,
            body: body.to_string(),
            raw: raw.clone(),
        })
    }

    /// Every value of header `name` (long or compact form), comma lists not split.
    pub fn all(&self, name: &str) -> Vec<&str> {
        let wanted = canonical(name);
        self.headers
            .iter()
            .filter(|(n, _)| canonical(n) == wanted)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate).
    pub fn challenges(&self) -> Result<Vec<Challenge>> {
        let name = if self.code == 407 {
            "proxy-authenticate"
        } else {
            "www-authenticate"
        };
        self.all(name).into_iter().map(Challenge::parse).collect()
    }

    /// The challenge a phone that only knows MD5 would pick.
    pub fn challenge_for(&self, algorithm: &str) -> Result<Option<Challenge>> {
        Ok(self
            .challenges()?
            .into_iter()
            .find(|c| c.algorithm() == algorithm))
    }

    /// Contact URIs of the bindings listed in a REGISTER 200, one per contact value.
    pub fn contacts(&self) -> Vec<String> {
        self.all("contact")
            .iter()
            .flat_map(|v| split_outside_angle(v))
            .collect()
    }
}

/// Splits a Contact header value at commas that are not inside <…> or quotes.
fn split_outside_angle(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut angle, mut quoted) = (false, false);
    for ch in value.chars() {
        match ch {
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            '"' => quoted = !quoted,
            ',' if !angle && !quoted => {
                out.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// What to put in one REGISTER.
#[derive(Debug, Clone, Default)]
pub struct Register {
    /// `None` = binding query (no Contact header).
    pub contact: Option<String>,
    pub expires: Option<u32>,
}

/// A UDP SIP client on its own loopback port, talking to one daemon.
pub struct SipClient {
    socket: UdpSocket,
    pub local: SocketAddr,
    pub server: SocketAddr,
    call_id: String,
    from_tag: String,
    cseq: u32,
}

impl SipClient {
    pub fn new(server: SocketAddr) -> Result<SipClient> {
        let socket = ports::bound_udp("SIP client")?;
        SipClient::with_socket(socket, server)
    }

    /// Uses a socket the caller already bound (the callee tests register from the very
    /// port SIPp will listen on afterwards).
    pub fn with_socket(socket: UdpSocket, server: SocketAddr) -> Result<SipClient> {
        let local = socket
            .local_addr()
            .map_err(HarnessError::io("SIP client address"))?;
        Ok(SipClient {
            socket,
            local,
            server,
            call_id: unique("e2e-call-"),
            from_tag: unique("tag"),
            cseq: 0,
        })
    }

    /// Gives the socket back (to close it before SIPp binds the same port).
    pub fn into_socket(self) -> UdpSocket {
        self.socket
    }

    pub fn send_raw(&self, bytes: &[u8]) -> Result<()> {
        self.socket
            .send_to(bytes, self.server)
            .map_err(HarnessError::io("send to daemon"))?;
        Ok(())
    }

    /// The next final response (1xx skipped, stray requests ignored), or `None` if
    /// nothing came within `limit`.
    pub fn recv_final(&self, limit: Duration) -> Result<Option<Response>> {
        let start = Instant::now();
        let mut buf = vec![0u8; 65_536];
        loop {
            let left = limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            self.socket
                .set_read_timeout(Some(left))
                .map_err(HarnessError::io("set read timeout"))?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, _)) => {
                    let Some(bytes) = buf.get(..n) else { continue };
                    if !bytes.starts_with(b"SIP/2.0 ") {
                        continue;
                    }
                    let response = Response::parse(bytes)?;
                    if response.code >= 200 {
                        return Ok(Some(response));
                    }
                }
                // A signal interrupting the wait (EINTR): wait again for what is left.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(HarnessError::io("receive from daemon")(e)),
            }
        }
    }

    fn expect_final(&self, what: &str) -> Result<Response> {
        let limit = Duration::from_secs(5);
        self.recv_final(limit)?
            .ok_or_else(|| HarnessError::Timeout {
                what: format!("a final response to {what}"),
                waited: limit,
            })
    }

    fn request_uri(&self) -> String {
        format!("sip:{}", self.server)
    }

    /// Builds a REGISTER for `username`; `authorization` is a full header line.
    pub fn register_bytes(
        &mut self,
        username: &str,
        reg: &Register,
        authorization: Option<&str>,
    ) -> String {
        self.cseq += 1;
        let host = self.server.ip();
        let mut msg = format!(
            "REGISTER {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{username}@{host}>;tag={tag}\r\n\
             To: <sip:{username}@{host}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n\
             User-Agent: centralita-e2e\r\n",
            uri = self.request_uri(),
            local = self.local,
            branch = unique("z9hG4bK"),
            tag = self.from_tag,
            call_id = self.call_id,
            cseq = self.cseq,
        );
        if let Some(contact) = &reg.contact {
            msg.push_str(&format!("Contact: {contact}\r\n"));
        }
        if let Some(expires) = reg.expires {
            msg.push_str(&format!("Expires: {expires}\r\n"));
        }
        if let Some(auth) = authorization {
            msg.push_str(auth);
            msg.push_str("\r\n");
        }
        msg.push_str("Content-Length: 0\r\n\r\n");
        msg
    }

    /// Sends an unauthenticated REGISTER and returns its final response (the challenge).
    pub fn register_unauthenticated(&mut self, username: &str, reg: &Register) -> Result<Response> {
        let msg = self.register_bytes(username, reg, None);
        self.send_raw(msg.as_bytes())?;
        self.expect_final("REGISTER")
    }

    /// REGISTER, answer the `algorithm` challenge with `password`, return
    /// (challenge response, final response to the authenticated request).
    pub fn register_with(
        &mut self,
        username: &str,
        password: &str,
        algorithm: &str,
        reg: &Register,
    ) -> Result<(Response, Response)> {
        let challenge_response = self.register_unauthenticated(username, reg)?;
        if challenge_response.code != 401 {
            return Ok((challenge_response.clone(), challenge_response));
        }
        let challenge = challenge_response
            .challenge_for(algorithm)?
            .ok_or_else(|| HarnessError::BadChallenge {
                param: format!("algorithm={algorithm}"),
                header: challenge_response.all("www-authenticate").join(" | "),
            })?;
        let answer = challenge.answer(username, password, "REGISTER", &self.request_uri())?;
        let msg = self.register_bytes(username, reg, Some(&format!("Authorization: {answer}")));
        self.send_raw(msg.as_bytes())?;
        let fin = self.expect_final("authenticated REGISTER")?;
        Ok((challenge_response, fin))
    }

    /// The common case: MD5, like nearly every deployed phone.
    pub fn register(&mut self, user: &TestUser, reg: &Register) -> Result<Response> {
        Ok(self
            .register_with(&user.username(), user.password, "MD5", reg)?
            .1)
    }

    /// The Contact value of this client's own address for `user`.
    pub fn own_contact(&self, user: &TestUser) -> String {
        format!("<sip:{}@{}>", user.username(), self.local)
    }

    /// An INVITE (with a small SDP offer) from `from_user` to `number`, without
    /// credentials; returns the final response (normally the 407 challenge) after
    /// ACKing it so the box stops retransmitting.
    pub fn invite_unauthenticated(&mut self, from_user: &str, number: &str) -> Result<Response> {
        self.cseq += 1;
        let host = self.server;
        let branch = unique("z9hG4bK");
        let call_id = unique("e2e-invite-");
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            port = self.local.port() + 1
        );
        let head = |method: &str, to_tag: &str, extra: &str, body: &str| {
            format!(
                "{method} sip:{number}@{host} SIP/2.0\r\n\
                 Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
                 Max-Forwards: 70\r\n\
                 From: <sip:{from_user}@{host}>;tag={tag}\r\n\
                 To: <sip:{number}@{host}>{to_tag}\r\n\
                 Call-ID: {call_id}\r\n\
                 CSeq: {cseq} {method}\r\n\
                 {extra}Content-Length: {len}\r\n\r\n{body}",
                local = self.local,
                tag = self.from_tag,
                cseq = self.cseq,
                len = body.len(),
            )
        };
        let invite = head(
            "INVITE",
            "",
            &format!(
                "Contact: <sip:{from_user}@{}>\r\nContent-Type: application/sdp\r\n",
                self.local
            ),
            &sdp,
        );
        self.send_raw(invite.as_bytes())?;
        let response = self.expect_final("INVITE")?;
        // ACK for a non-2xx final: same branch, the To tag of the response.
        let to_tag = response
            .header("to")
            .and_then(|to| to.split_once(";tag=").map(|(_, t)| format!(";tag={t}")))
            .unwrap_or_default();
        let ack = head("ACK", &to_tag, "", "");
        self.send_raw(ack.as_bytes())?;
        Ok(response)
    }

    /// An out-of-dialog OPTIONS; returns the final response.
    pub fn options(&mut self) -> Result<Response> {
        self.cseq += 1;
        let msg = format!(
            "OPTIONS {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:probe@{local}>;tag={tag}\r\n\
             To: <{uri}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} OPTIONS\r\n\
             Content-Length: 0\r\n\r\n",
            uri = self.request_uri(),
            local = self.local,
            branch = unique("z9hG4bK"),
            tag = self.from_tag,
            call_id = unique("e2e-options-"),
            cseq = self.cseq,
        );
        self.send_raw(msg.as_bytes())?;
        self.expect_final("OPTIONS")
    }
}
