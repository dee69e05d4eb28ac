//! Ban list (Lista de baneos) and allow list (Lista blanca) as the SIP front door needs them.
//!
//! Bans are decided by the daemon (failed authentications, scanner user agents, floods);
//! the store only keeps them so that they survive a restart. Allowed networks come from the
//! tenant documents and are never banned.

use std::net::IpAddr;

use rusqlite::{params, Connection};

use crate::error::{DbContext, StoreError};
use crate::rows::rows;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub address: String,
    /// Shown to the admin, e.g. "UA" (scanner user agent) or "auth failures".
    pub reason: String,
    pub banned_utc: i64,
    /// `None` bans until an admin lifts it.
    pub until_utc: Option<i64>,
}

/// One allowed network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedNet {
    pub address: IpAddr,
    pub prefix: u8,
}

impl AllowedNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix.min(32))
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix.min(128))
            }
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of `a` and `b` are equal.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => true,
    }
}

/// Bans (or re-bans, updating reason and expiry) an address.
pub(crate) fn ban(conn: &Connection, b: &Ban) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO ban_list (address, reason, banned_utc, until_utc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (address) DO UPDATE SET reason = excluded.reason,
             banned_utc = excluded.banned_utc, until_utc = excluded.until_utc",
        params![b.address, b.reason, b.banned_utc, b.until_utc],
    )
    .op("banning address")?;
    Ok(())
}

/// Lifts a ban; false if the address was not banned.
pub(crate) fn unban(conn: &Connection, address: &str) -> Result<bool, StoreError> {
    Ok(conn
        .execute("DELETE FROM ban_list WHERE address = ?1", [address])
        .op("lifting ban")?
        > 0)
}

/// Bans still in force at `now_utc` (expired ones are deleted first).
pub(crate) fn active(conn: &Connection, now_utc: i64) -> Result<Vec<Ban>, StoreError> {
    conn.execute(
        "DELETE FROM ban_list WHERE until_utc IS NOT NULL AND until_utc <= ?1",
        [now_utc],
    )
    .op("expiring bans")?;
    rows(
        conn,
        "ban_list",
        "SELECT address, reason, banned_utc, until_utc FROM ban_list ORDER BY banned_utc DESC",
        [],
        |r| {
            Ok(Ban {
                address: r.get(0)?,
                reason: r.get(1)?,
                banned_utc: r.get(2)?,
                until_utc: r.get(3)?,
            })
        },
    )
}

/// Every tenant's allowed networks (the box has one front door for all tenants).
pub(crate) fn allowed(conn: &Connection) -> Result<Vec<AllowedNet>, StoreError> {
    let raw = rows(
        conn,
        "allow_list",
        "SELECT address, netmask FROM allow_list",
        [],
        |r| Ok((r.get::<String>(0)?, r.get::<u8>(1)?)),
    )?;
    raw.into_iter()
        .map(|(address, prefix)| match address.parse() {
            Ok(address) => Ok(AllowedNet { address, prefix }),
            Err(_) => Err(StoreError::CorruptRow {
                table: "allow_list",
                column: "address",
                value: address,
            }),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn net(a: &str, prefix: u8) -> AllowedNet {
        AllowedNet {
            address: a.parse().unwrap(),
            prefix,
        }
    }

    #[test]
    fn networks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(net("35.242.193.46", 32).contains(ip("35.242.193.46")));
        assert!(!net("35.242.193.46", 32).contains(ip("35.242.193.47")));
        assert!(net("192.168.1.0", 24).contains(ip("192.168.1.200")));
        assert!(!net("192.168.1.0", 24).contains(ip("192.168.2.1")));
        assert!(net("10.0.0.0", 9).contains(ip("10.127.255.255")));
        assert!(!net("10.0.0.0", 9).contains(ip("10.128.0.0")));
        assert!(net("0.0.0.0", 0).contains(ip("8.8.8.8")));
        assert!(net("2001:db8::", 32).contains(ip("2001:db8:1::5")));
        assert!(!net("2001:db8::", 32).contains(ip("2001:db9::5")));
        assert!(!net("2001:db8::", 32).contains(ip("32.1.13.184")));
    }
}
