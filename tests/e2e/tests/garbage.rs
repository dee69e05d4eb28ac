//! Malformed SIP from the network never takes the daemon down: throw truncated,
//! damaged and random datagrams (and a few broken TCP streams) at the SIP port, then
//! check the very same daemon still answers, registers and completes a call.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use e2e::call;
use e2e::garbage::{mutations, prefixes, random_datagrams, valid_invite, valid_register};
use e2e::rng::XorShift;
use e2e::sip_client::{Register, SipClient};
use e2e::tenant::{EXT10, EXT11};
use e2e::{rtp, Daemon, Result};

const SEED: u64 = 0x5EED_CE27_2A11_7A00;

fn throw(socket: &UdpSocket, to: std::net::SocketAddr, datagrams: &[Vec<u8>]) -> Result<()> {
    for (i, datagram) in datagrams.iter().enumerate() {
        // A send error (e.g. a datagram the kernel refuses) is not the daemon's doing.
        let _ = socket.send_to(datagram, to);
        if i % 25 == 24 {
            // Stay under the daemon's socket buffer: a dropped datagram tests nothing.
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    Ok(())
}

#[test]
fn garbage_datagrams_do_not_take_the_daemon_down() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let box_addr = daemon.sip.to_string();
    let socket =
        UdpSocket::bind("127.0.0.1:0").map_err(e2e::HarnessError::io("bind garbage socket"))?;
    let port = socket
        .local_addr()
        .map_err(e2e::HarnessError::io("garbage socket address"))?
        .port();
    let invite = valid_invite(&box_addr, port);
    let register = valid_register(&box_addr, port);
    let mut rng = XorShift::new(SEED);

    let mut datagrams = prefixes(&invite);
    datagrams.extend(prefixes(&register));
    datagrams.extend(random_datagrams(&mut rng, 400));
    datagrams.extend(mutations(&mut rng, &invite, 300));
    datagrams.extend(mutations(&mut rng, &register, 300));
    throw(&socket, daemon.sip, &datagrams)?;

    // The same garbage over TCP, a connection per kind, closed abruptly.
    for chunk in [
        &invite[..invite.len() / 2],
        &register[..40],
        &rng.bytes(3000)[..],
    ] {
        if let Ok(mut stream) = TcpStream::connect(daemon.sip) {
            let _ = stream.write_all(chunk);
        }
    }
    if let Ok(mut stream) = TcpStream::connect(daemon.sip) {
        let _ = stream.write_all(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\nabc");
    }

    assert!(
        daemon.is_running(),
        "daemon died under garbage:\n{}",
        daemon.stderr_tail()
    );

    // Still serving: OPTIONS, a registration and a complete call with media.
    let mut probe = SipClient::new(daemon.sip)?;
    let options = probe.options()?;
    assert_eq!(options.code, 200, "{}", options.raw);
    let reg = Register {
        contact: Some(probe.own_contact(&EXT10)),
        expires: Some(60),
    };
    let registered = probe.register(&EXT10, &reg)?;
    assert_eq!(registered.code, 200, "{}", registered.raw);

    let dir = call::scratch()?;
    let mut callee = call::callee(&daemon, EXT11, "uas_answer", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_call", &[], &dir)?;
    let a = caller.media()?;
    let b = callee.media()?;
    let exchange = rtp::exchange(&caller.rtp, a.relay, &callee.rtp, b.relay, 20)?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    assert!(caller_outcome.success(), "{}", caller_outcome.log);
    assert!(callee_outcome.success(), "{}", callee_outcome.log);
    assert!(
        exchange.a_received.from_peer > 0 && exchange.b_received.from_peer > 0,
        "{exchange:?}"
    );
    assert!(
        daemon.is_running(),
        "daemon died:\n{}",
        daemon.stderr_tail()
    );
    Ok(())
}

#[test]
fn oversized_messages_never_take_the_daemon_down() -> Result<()> {
    use std::io::{Read, Write};
    let mut daemon = Daemon::start()?;
    let box_addr = daemon.sip.to_string();

    // Nearly the largest UDP datagram: a valid INVITE with a 60 kB header.
    let socket =
        UdpSocket::bind("127.0.0.1:0").map_err(e2e::HarnessError::io("bind oversize socket"))?;
    let port = socket
        .local_addr()
        .map_err(e2e::HarnessError::io("oversize socket address"))?
        .port();
    let invite = String::from_utf8_lossy(&valid_invite(&box_addr, port)).into_owned();
    let padded = invite.replacen(
        "Max-Forwards: 70\r\n",
        &format!("Max-Forwards: 70\r\nX-Padding: {}\r\n", "a".repeat(60_000)),
        1,
    );
    let _ = socket.send_to(padded.as_bytes(), daemon.sip);

    // A TCP peer that sends header bytes forever: the daemon must stop buffering and
    // close the connection (bounded memory), not wait for an end that never comes.
    let mut stream =
        TcpStream::connect(daemon.sip).map_err(e2e::HarnessError::io("connect over TCP"))?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(e2e::HarnessError::io("TCP write timeout"))?;
    let line = format!("X-Endless: {}\r\n", "b".repeat(1000));
    let _ = stream.write_all(format!("OPTIONS sip:{box_addr} SIP/2.0\r\n").as_bytes());
    let mut refused = false;
    for _ in 0..4096 {
        // 4 MB at most; a daemon with a sane limit closes long before.
        if stream.write_all(line.as_bytes()).is_err() {
            refused = true;
            break;
        }
    }
    if !refused {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(e2e::HarnessError::io("TCP read timeout"))?;
        let mut buf = [0u8; 4096];
        refused = loop {
            match stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => continue, // e.g. a 400/513 before the close
                Err(e) => break e.kind() == std::io::ErrorKind::ConnectionReset,
            }
        };
    }
    assert!(
        refused,
        "the daemon kept buffering a 4 MB header section over TCP"
    );

    assert!(
        daemon.is_running(),
        "daemon died:\n{}",
        daemon.stderr_tail()
    );
    let options = SipClient::new(daemon.sip)?.options()?;
    assert_eq!(options.code, 200, "{}", options.raw);
    Ok(())
}
