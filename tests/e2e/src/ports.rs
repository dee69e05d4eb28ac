//! Free loopback ports, so tests can run in parallel with each other and with whatever
//! else the machine runs. A port is probed by binding it and released right before the
//! user binds it again; a process-wide set makes sure one test process never hands the
//! same port out twice in the meantime.

use std::collections::HashSet;
use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Mutex;

use crate::error::{HarnessError, Result};

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
static RTP_SLOT: AtomicU16 = AtomicU16::new(0);

fn remember(port: u16) -> bool {
    let mut guard = match HANDED_OUT.lock() {
        Ok(guard) => guard,
        // A panicking test must not poison port allocation for the others.
        Err(poisoned) => poisoned.into_inner(),
    };
    guard.get_or_insert_with(HashSet::new).insert(port)
}

/// A UDP port on 127.0.0.1 that is free for UDP, and for TCP too when `tcp` is set
/// (the daemon listens for SIP on both with the same number).
pub fn free_port(purpose: &str, tcp: bool) -> Result<u16> {
    for _ in 0..200 {
        let udp = UdpSocket::bind("127.0.0.1:0").map_err(HarnessError::io("bind probe socket"))?;
        let port = udp
            .local_addr()
            .map_err(HarnessError::io("probe socket address"))?
            .port();
        if tcp && TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        if remember(port) {
            return Ok(port);
        }
    }
    Err(HarnessError::NoFreePort {
        purpose: purpose.to_string(),
    })
}

/// A free UDP port for SIPp's media (`-mp`): SIPp binds it and the port two above (and RTCP
/// may use the odd neighbours), so all four must be free or SIPp exits 254.
pub fn free_media_port(purpose: &str) -> Result<u16> {
    for _ in 0..200 {
        let port = free_port(purpose, false)?;
        let Some(top) = port.checked_add(3) else {
            continue;
        };
        let neighbours_free = (port + 1..=top).all(|p| UdpSocket::bind(("127.0.0.1", p)).is_ok());
        if neighbours_free && (port + 1..=top).all(remember) {
            return Ok(port);
        }
    }
    Err(HarnessError::NoFreePort {
        purpose: purpose.to_string(),
    })
}

/// A bound UDP socket on a free loopback port, kept open by the caller (RTP endpoints,
/// raw SIP clients): no release-and-rebind race at all.
pub fn bound_udp(purpose: &str) -> Result<UdpSocket> {
    let socket =
        UdpSocket::bind("127.0.0.1:0").map_err(HarnessError::io(format!("bind {purpose}")))?;
    if let Ok(addr) = socket.local_addr() {
        remember(addr.port());
    }
    Ok(socket)
}

/// An RTP range of 100 ports for one daemon, in 62000-64999: above the kernel's
/// ephemeral range (32768-60999 by default, where the probes above live) and clear of
/// the ranges others use on the same machine (the daemon's default 10000-20000, the
/// benchmark's 20002-27999 and 28000+, the relay unit tests' 61000-61999). Slots are
/// spread by process id and a counter so parallel tests rarely share one; the daemon
/// skips ports someone else holds anyway.
pub fn rtp_range() -> (u16, u16) {
    let slot = (std::process::id() as u16)
        .wrapping_mul(7)
        .wrapping_add(RTP_SLOT.fetch_add(1, Ordering::Relaxed))
        % 30;
    let low = 62000 + slot * 100;
    (low, low + 99)
}

/// True when some socket is bound to UDP `port` on any local address, read from
/// /proc/net/udp so the probe cannot steal the port from the process starting up.
pub fn udp_port_in_use(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    ["/proc/net/udp", "/proc/net/udp6"].iter().any(|table| {
        std::fs::read_to_string(table)
            .map(|text| {
                text.lines().skip(1).any(|line| {
                    line.split_whitespace()
                        .nth(1)
                        .is_some_and(|local| local.ends_with(&wanted))
                })
            })
            .unwrap_or(false)
    })
}
