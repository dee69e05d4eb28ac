//! The port pool and the sockets of a bridge.
//!
//! Ports are handed out as even/odd pairs (RTP on the even port, RTCP on the next
//! one, RFC 3550 §11) from a FIFO free list: a freed pair goes to the back, so a late
//! packet of a finished call does not land in the next call. A pair returns to the
//! pool only when its sockets are closed (the lease is dropped after the sockets), so
//! "closed" really means "bindable again".

use super::RelayError;
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::net::UdpSocket;

#[derive(Debug)]
pub struct PoolInner {
    pub lo: u16,
    pub hi: u16,
    pub ip: IpAddr,
    pub socket_buffer: usize,
    free: Mutex<VecDeque<u16>>,
}

impl PoolInner {
    /// Even ports `p` in `lo..=hi` with `p + 1` also in range.
    pub fn new(lo: u16, hi: u16, ip: IpAddr, socket_buffer: usize) -> Result<Self, RelayError> {
        let first = lo.saturating_add(lo % 2);
        let free: VecDeque<u16> = (u32::from(first)..u32::from(hi))
            .step_by(2)
            .filter_map(|p| u16::try_from(p).ok())
            .filter(|&p| p != 0)
            .collect();
        if free.is_empty() {
            return Err(RelayError::BadRange { lo, hi });
        }
        Ok(PoolInner {
            lo,
            hi,
            ip,
            socket_buffer,
            free: Mutex::new(free),
        })
    }

    fn free(&self) -> std::sync::MutexGuard<'_, VecDeque<u16>> {
        // The queue is only ever pushed/popped whole; a poisoned lock holds valid data.
        self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn free_pairs(&self) -> usize {
        self.free().len()
    }
}

/// One leg's RTP/RTCP port pair, owned until dropped.
#[derive(Debug)]
pub struct PairLease {
    pool: Arc<PoolInner>,
    port: u16,
}

impl PairLease {
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PairLease {
    fn drop(&mut self) {
        self.pool.free().push_back(self.port);
    }
}

/// The sockets facing one leg. Field order matters: sockets close before the lease
/// hands the ports back.
#[derive(Debug)]
pub struct LegSockets {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    pub lease: PairLease,
}

/// Both legs' sockets, shared by the bridge's pump tasks.
#[derive(Debug)]
pub struct BridgeIo {
    pub legs: [LegSockets; 2],
}

/// Takes a free pair and binds it; a pair another program holds is skipped (and put
/// back at the end of the queue) rather than failing the call.
pub fn bind_pair(pool: &Arc<PoolInner>) -> Result<LegSockets, RelayError> {
    let attempts = pool.free_pairs();
    for _ in 0..attempts {
        let Some(port) = pool.free().pop_front() else {
            break;
        };
        let lease = PairLease {
            pool: Arc::clone(pool),
            port,
        };
        let rtp = match bind(pool, port) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(source) => return Err(bind_error(pool, port, source)),
        };
        let rtcp = match bind(pool, port.wrapping_add(1)) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => continue,
            Err(source) => return Err(bind_error(pool, port.wrapping_add(1), source)),
        };
        return Ok(LegSockets { rtp, rtcp, lease });
    }
    Err(RelayError::Exhausted {
        lo: pool.lo,
        hi: pool.hi,
    })
}

fn bind_error(pool: &PoolInner, port: u16, source: io::Error) -> RelayError {
    RelayError::Bind {
        addr: SocketAddr::new(pool.ip, port),
        source,
    }
}

fn bind(pool: &PoolInner, port: u16) -> io::Result<UdpSocket> {
    let addr = SocketAddr::new(pool.ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Bigger buffers absorb the bursts of a busy box (both cores briefly elsewhere);
    // the kernel caps them at net.core.{r,w}mem_max, so a refusal is not an error.
    let _ = socket.set_recv_buffer_size(pool.socket_buffer);
    let _ = socket.set_send_buffer_size(pool.socket_buffer);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}
