//! Every RFC 4475 / RFC 5118 torture message, one UDP datagram each, at a running
//! daemon; the answer must be what `tests/vectors/sip-torture/index.tsv` says. All
//! vectors run before the verdict so one run lists every mismatch.

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use e2e::sip_client::{Response, SipClient};
use e2e::torture::{self, Vector};
use e2e::{Daemon, HarnessError, Result};

/// How long to wait for an answer (and to make sure a dropped message stays
/// unanswered). A bound, not a measured duration.
const ANSWER_WAIT: Duration = Duration::from_millis(1500);

/// Final response to `vector`, if any, from the source socket or the Via-port socket.
fn send_and_listen(daemon: &Daemon, vector: &Vector) -> Result<(Option<Response>, String)> {
    let source = UdpSocket::bind("127.0.0.1:0").map_err(HarnessError::io("bind vector socket"))?;
    let via_port = vector.via_port();
    // Only bindable if nobody (e.g. a developer's own PBX on 5060) holds it.
    let via = UdpSocket::bind(("127.0.0.1", via_port)).ok();
    let note = if via.is_none() {
        format!(" (127.0.0.1:{via_port} busy: only the source port was watched)")
    } else {
        String::new()
    };
    source
        .send_to(&vector.bytes, daemon.sip)
        .map_err(HarnessError::io("send vector"))?;
    let call_ids = vector.call_ids();
    let start = Instant::now();
    let mut buf = vec![0u8; 65_536];
    let mut provisional = None;
    while start.elapsed() < ANSWER_WAIT {
        for (socket, must_match) in [(Some(&source), false), (via.as_ref(), true)] {
            let Some(socket) = socket else { continue };
            socket
                .set_read_timeout(Some(Duration::from_millis(25)))
                .map_err(HarnessError::io("set timeout"))?;
            let Ok((n, _)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let Ok(response) = Response::parse(buf.get(..n).unwrap_or_default()) else {
                continue;
            };
            // The shared Via port may still get retransmissions meant for an earlier
            // vector: only take answers about this message.
            if must_match {
                if let Some(id) = response.header("call-id") {
                    if !call_ids.is_empty() && !call_ids.iter().any(|c| c == id) {
                        continue;
                    }
                }
            }
            if response.code >= 200 {
                return Ok((Some(response), note));
            }
            provisional = Some(response);
        }
    }
    Ok((provisional, note))
}

#[test]
fn torture_vectors_get_the_indexed_answer() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let vectors = torture::load(&torture::corpus_dir())?;
    let mut failures = Vec::new();
    let mut report = Vec::new();
    let mut seen_keys = HashSet::new();
    for vector in &vectors {
        if !vector.is_response() && !seen_keys.insert(vector.transaction_key()) {
            // Same transaction as an earlier message: only a fresh daemon treats it as
            // new (see Vector::transaction_key).
            daemon = Daemon::start()?;
            seen_keys.clear();
            seen_keys.insert(vector.transaction_key());
        }
        let (response, note) = send_and_listen(&daemon, vector)?;
        let code = response.as_ref().map(|r| r.code);
        report.push(format!(
            "{:<32} expected {:<15} got {code:?}{note}",
            vector.name, vector.expected
        ));
        if let Err(problem) = vector.judge(code) {
            failures.push(format!("{problem}{note}"));
        }
        if vector.name == "dblreq" {
            // The INVITE riding after the REGISTER's Content-Length must be ignored.
            if let Some(r) = &response {
                if r.header("cseq").is_some_and(|c| c.contains("INVITE")) {
                    failures.push("dblreq: the trailing INVITE was processed".to_string());
                }
            }
        }
        if !daemon.is_running() {
            failures.push(format!("daemon died after {}", vector.name));
            break;
        }
    }
    eprintln!("torture results:\n{}", report.join("\n"));

    if daemon.is_running() {
        let sip: SocketAddr = daemon.sip;
        let options = SipClient::new(sip)?.options()?;
        if options.code != 200 {
            failures.push(format!(
                "OPTIONS after the corpus answered {}",
                options.code
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} torture vectors mishandled:\n{}\ndaemon log tail:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n"),
        daemon.stderr_tail()
    );
    Ok(())
}

/// What the daemon did with a TCP stream whose framing cannot be trusted.
fn tcp_outcome(daemon: &Daemon, bytes: &[u8]) -> Result<(Option<u16>, bool)> {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(daemon.sip).map_err(HarnessError::io("connect over TCP"))?;
    stream
        .write_all(bytes)
        .map_err(HarnessError::io("write vector over TCP"))?;
    // Generous: the index asks for an immediate close; this only bounds the wait.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(HarnessError::io("TCP timeout"))?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    let code = Response::parse(&received).ok().map(|r| r.code);
    Ok((code, closed))
}

#[test]
fn unrecoverable_tcp_framing_closes_the_connection() -> Result<()> {
    let daemon = Daemon::start()?;
    let vectors = torture::load(&torture::corpus_dir())?;
    let mut failures = Vec::new();
    // Negative and conflicting Content-Length: on a stream the next message cannot be
    // found, so the connection must be closed (a 400 first is fine).
    for name in ["ncl", "mcl01"] {
        let Some(vector) = vectors.iter().find(|v| v.name == name) else {
            failures.push(format!("{name}: not in the corpus"));
            continue;
        };
        let (code, closed) = tcp_outcome(&daemon, &vector.bytes)?;
        if !closed {
            failures.push(format!(
                "{name}: connection still open after 10 s (answer {code:?})"
            ));
        }
        if code.is_some_and(|c| c != 400) {
            failures.push(format!(
                "{name}: answered {code:?} over TCP, expected 400 or nothing"
            ));
        }
    }
    assert!(daemon_alive(&daemon), "daemon died");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

fn daemon_alive(daemon: &Daemon) -> bool {
    SipClient::new(daemon.sip)
        .and_then(|mut c| c.options())
        .is_ok_and(|r| r.code == 200)
}
