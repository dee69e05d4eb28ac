//! A provider played by a plain UDP socket, for what one SIPp scenario cannot script:
//! requests on several Call-IDs in any order (the REGISTER dialog and the OPTIONS
//! keep-alives, which run on a Call-ID of their own), or no answer at all.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::Provider;
use crate::error::{HarnessError, Result};

/// One request the raw provider received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Request method, or `CRLF` for a bare keep-alive datagram.
    pub method: String,
    pub call_id: String,
    pub from: SocketAddr,
}

pub struct RawProvider {
    socket: UdpSocket,
}

impl RawProvider {
    /// Binds the provider's port on 127.0.0.1.
    pub fn bind(provider: &Provider) -> Result<RawProvider> {
        let socket = UdpSocket::bind(provider.addr()).map_err(HarnessError::io(format!(
            "bind raw provider {}",
            provider.addr()
        )))?;
        Ok(RawProvider { socket })
    }

    /// Answers every request with 200 OK (a REGISTER is granted `grant_secs`) until
    /// `done` says the test has seen enough, or `limit` passes (then `Timeout`).
    pub fn serve(
        &self,
        grant_secs: u32,
        limit: Duration,
        mut done: impl FnMut(&[Seen]) -> bool,
    ) -> Result<Vec<Seen>> {
        let start = Instant::now();
        let mut seen = Vec::new();
        let mut buf = vec![0u8; 65_536];
        while !done(&seen) {
            let left = limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(HarnessError::Timeout {
                    what: format!("the raw provider to see what the test waits for; saw {seen:?}"),
                    waited: limit,
                });
            }
            self.socket
                .set_read_timeout(Some(left))
                .map_err(HarnessError::io("set raw provider timeout"))?;
            let (n, from) = match self.socket.recv_from(&mut buf) {
                Ok(got) => got,
                // A signal landing on the blocked receive (EINTR) is not the provider's doing.
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut
                        || e.kind() == std::io::ErrorKind::Interrupted =>
                {
                    continue
                }
                Err(e) => return Err(HarnessError::io("raw provider receive")(e)),
            };
            let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
            if text.trim().is_empty() {
                seen.push(Seen {
                    method: "CRLF".to_string(),
                    call_id: String::new(),
                    from,
                });
                continue;
            }
            let method = text.split(' ').next().unwrap_or_default().to_string();
            if method == "SIP/2.0" {
                // A response (to nothing we sent): ignore.
                continue;
            }
            let call_id = header(&text, "Call-ID").unwrap_or_default();
            let answer = ok_response(&text, &method, grant_secs);
            self.socket
                .send_to(answer.as_bytes(), from)
                .map_err(HarnessError::io("raw provider send"))?;
            seen.push(Seen {
                method,
                call_id,
                from,
            });
        }
        Ok(seen)
    }
}

/// First value of header `name` (case-insensitive), without folding support: the box
/// does not fold headers.
fn header(text: &str, name: &str) -> Option<String> {
    text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// 200 OK echoing the headers RFC 3261 §8.2.6.2 says a response copies.
fn ok_response(request: &str, method: &str, grant_secs: u32) -> String {
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for line in request.lines().take_while(|l| !l.trim().is_empty()) {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "from" | "call-id" | "cseq" => {
                out.push_str(line.trim_end());
                out.push_str("\r\n");
            }
            "to" if line.contains(";tag=") => {
                out.push_str(line.trim_end());
                out.push_str("\r\n");
            }
            "to" => {
                out.push_str(line.trim_end());
                out.push_str(";tag=rawprovider\r\n");
            }
            "contact" if method == "REGISTER" => {
                out.push_str(&format!("{};expires={grant_secs}\r\n", line.trim_end()));
            }
            _ => {}
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}
