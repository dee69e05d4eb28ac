//! The SIP door guard (SPEC §12): addresses that fail digest authentication repeatedly, announce
//! themselves as scanners, or flood the box are banned for a while and their datagrams dropped
//! before parsing. Allow-listed networks are never banned. Sans-IO: time is passed in.
//!
//! Memory is bounded: at most [`MAX_TRACKED`] addresses are tracked at once (a spoofed-source
//! flood cannot grow the tables), and everything expires.
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Upper bound on addresses tracked for failures and rates.
const MAX_TRACKED: usize = 50_000;

#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Failed authentications within `failure_window` that earn a ban.
    pub max_failures: u32,
    pub failure_window: Duration,
    /// First ban length; each repeat offence multiplies it by 4, up to a week.
    pub ban_for: Duration,
    /// Requests per second from one address before it is banned as a flood; 0 = no limit.
    pub flood_per_sec: u32,
    /// Lower-case substrings of User-Agent values of known SIP scanners.
    pub scanner_agents: Vec<String>,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            max_failures: 5,
            failure_window: Duration::from_secs(600),
            ban_for: Duration::from_secs(3600),
            flood_per_sec: 500,
            scanner_agents: [
                "friendly-scanner",
                "sipvicious",
                "sipcli",
                "sip-scan",
                "sipsak",
                "sundayddr",
                "iwar",
                "vaxasip",
                "pplsip",
                "sipscan",
                "smap",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BanReason {
    AuthFailures,
    Scanner { user_agent: String },
    Flood,
}

impl std::fmt::Display for BanReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BanReason::AuthFailures => f.write_str("repeated authentication failures"),
            BanReason::Scanner { user_agent } => write!(f, "scanner user agent {user_agent:?}"),
            BanReason::Flood => f.write_str("request flood"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub until: Instant,
    pub reason: BanReason,
    /// How many times this address was banned (longer each time).
    pub offences: u32,
}

/// An allow-list entry: a network that is never banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl AllowNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let bits = u32::from(self.prefix.min(32));
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let bits = u32::from(self.prefix.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[derive(Default)]
pub struct Guard {
    config: GuardConfig,
    allow: Vec<AllowNet>,
    bans: HashMap<IpAddr, Ban>,
    failures: HashMap<IpAddr, VecDeque<Instant>>,
    /// Per address: start of the current one-second window and requests seen in it.
    rates: HashMap<IpAddr, (Instant, u32)>,
    /// Offence counts survive the ban itself, so a repeat offender is banned longer.
    offences: HashMap<IpAddr, u32>,
    events: VecDeque<(IpAddr, Ban)>,
}

impl Guard {
    pub fn new(config: GuardConfig) -> Guard {
        Guard {
            config,
            ..Guard::default()
        }
    }

    pub fn set_allow_list(&mut self, allow: Vec<AllowNet>) {
        self.bans
            .retain(|ip, _| !allow.iter().any(|n| n.contains(*ip)));
        self.allow = allow;
    }

    /// Never banned: allow-listed networks, and loopback — traffic from the box itself (local
    /// tools, the benchmark, tests); a scanner running on the box already owns it.
    fn allowed(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || self.allow.iter().any(|n| n.contains(ip))
    }

    /// Whether a datagram from `ip` may be processed. Counts it against the flood limit.
    pub fn admit(&mut self, ip: IpAddr, now: Instant) -> bool {
        if let Some(ban) = self.bans.get(&ip) {
            if ban.until > now {
                return false;
            }
            self.bans.remove(&ip);
        }
        let limit = self.config.flood_per_sec;
        if limit == 0 || self.allowed(ip) {
            return true;
        }
        if self.rates.len() >= MAX_TRACKED && !self.rates.contains_key(&ip) {
            return true; // bounded memory: an untracked address is only not rate-limited
        }
        let entry = self.rates.entry(ip).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= Duration::from_secs(1) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            self.ban(ip, BanReason::Flood, now);
            return false;
        }
        true
    }

    /// A request from `ip` failed digest authentication.
    pub fn auth_failed(&mut self, ip: IpAddr, now: Instant) {
        if self.allowed(ip) {
            return;
        }
        if self.failures.len() >= MAX_TRACKED && !self.failures.contains_key(&ip) {
            return;
        }
        let window = self.config.failure_window;
        let list = self.failures.entry(ip).or_default();
        list.push_back(now);
        while list
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > window)
        {
            list.pop_front();
        }
        if list.len() >= self.config.max_failures as usize {
            self.failures.remove(&ip);
            self.ban(ip, BanReason::AuthFailures, now);
        }
    }

    /// Checks a request's User-Agent; a known scanner is banned at once. Returns false to drop.
    pub fn check_user_agent(&mut self, ip: IpAddr, user_agent: &str, now: Instant) -> bool {
        let lower = user_agent.to_ascii_lowercase();
        if self.config.scanner_agents.iter().any(|s| lower.contains(s)) && !self.allowed(ip) {
            self.ban(
                ip,
                BanReason::Scanner {
                    user_agent: user_agent.chars().take(80).collect(),
                },
                now,
            );
            return false;
        }
        true
    }

    fn ban(&mut self, ip: IpAddr, reason: BanReason, now: Instant) {
        let offences = self.offences.entry(ip).or_insert(0);
        *offences += 1;
        let factor = 4u32.saturating_pow(offences.saturating_sub(1));
        let length = self
            .config
            .ban_for
            .saturating_mul(factor)
            .min(Duration::from_secs(7 * 24 * 3600));
        let ban = Ban {
            until: now + length,
            reason,
            offences: *offences,
        };
        tracing::warn!(%ip, reason = %ban.reason, secs = length.as_secs(), "address banned");
        self.rates.remove(&ip);
        self.bans.insert(ip, ban.clone());
        self.events.push_back((ip, ban));
    }

    /// An admin lifts a ban.
    pub fn unban(&mut self, ip: IpAddr) -> bool {
        self.failures.remove(&ip);
        self.bans.remove(&ip).is_some()
    }

    /// Bans issued since the last call (for the store's ban list and the web page).
    pub fn poll_ban(&mut self) -> Option<(IpAddr, Ban)> {
        self.events.pop_front()
    }

    pub fn bans(&self) -> impl Iterator<Item = (&IpAddr, &Ban)> {
        self.bans.iter()
    }

    /// Forgets expired bans, stale failure lists and old rate windows (about once a second).
    pub fn expire(&mut self, now: Instant) {
        self.bans.retain(|_, b| b.until > now);
        let window = self.config.failure_window;
        self.failures.retain(|_, l| {
            l.back()
                .is_some_and(|t| now.saturating_duration_since(*t) <= window)
        });
        self.rates
            .retain(|_, (start, _)| now.saturating_duration_since(*start) < Duration::from_secs(2));
        if self.offences.len() > MAX_TRACKED {
            self.offences.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn five_failures_in_ten_minutes_ban_for_an_hour_then_longer() {
        let mut g = Guard::new(GuardConfig::default());
        let t = Instant::now();
        let a = ip("203.0.113.9");
        for i in 0..4 {
            g.auth_failed(a, t + Duration::from_secs(i));
            assert!(g.admit(a, t + Duration::from_secs(i)));
        }
        g.auth_failed(a, t + Duration::from_secs(5));
        assert!(!g.admit(a, t + Duration::from_secs(6)));
        assert_eq!(g.poll_ban().unwrap().1.reason, BanReason::AuthFailures);
        assert!(g.admit(a, t + Duration::from_secs(3606)), "an hour later");
        for i in 0..5 {
            g.auth_failed(a, t + Duration::from_secs(3610 + i));
        }
        let (_, ban) = g.poll_ban().unwrap();
        assert_eq!(ban.offences, 2);
        assert!(
            ban.until >= t + Duration::from_secs(3614 + 4 * 3600),
            "repeat: 4 hours"
        );
    }

    #[test]
    fn slow_failures_do_not_ban() {
        let mut g = Guard::new(GuardConfig::default());
        let t = Instant::now();
        let a = ip("203.0.113.9");
        for i in 0..10 {
            g.auth_failed(a, t + Duration::from_secs(i * 200));
        }
        assert!(g.admit(a, t + Duration::from_secs(2001)));
        assert!(g.poll_ban().is_none());
    }

    #[test]
    fn scanners_are_banned_on_sight_unless_allowed() {
        let mut g = Guard::new(GuardConfig::default());
        let t = Instant::now();
        assert!(!g.check_user_agent(ip("198.51.100.1"), "friendly-scanner", t));
        assert!(!g.admit(ip("198.51.100.1"), t));
        assert!(g.check_user_agent(ip("198.51.100.2"), "Yealink SIP-T46S", t));
        g.set_allow_list(vec![AllowNet {
            addr: ip("198.51.100.0"),
            prefix: 24,
        }]);
        assert!(
            g.admit(ip("198.51.100.1"), t),
            "allow-listing lifts the ban"
        );
        assert!(g.check_user_agent(ip("198.51.100.7"), "sipvicious", t));
    }

    #[test]
    fn floods_are_banned_but_loopback_never() {
        let mut g = Guard::new(GuardConfig {
            flood_per_sec: 10,
            ..GuardConfig::default()
        });
        let t = Instant::now();
        let a = ip("192.0.2.50");
        for _ in 0..10 {
            assert!(g.admit(a, t));
        }
        assert!(!g.admit(a, t));
        assert_eq!(g.poll_ban().unwrap().1.reason, BanReason::Flood);
        for _ in 0..100 {
            assert!(g.admit(ip("127.0.0.1"), t));
            g.auth_failed(ip("127.0.0.1"), t);
        }
        assert!(g.check_user_agent(ip("127.0.0.1"), "sipvicious", t));
        assert!(g.admit(ip("127.0.0.1"), t));
        assert!(g.unban(a));
        assert!(g.admit(a, t + Duration::from_secs(2)));
    }

    #[test]
    fn allow_net_matching() {
        let n = AllowNet {
            addr: ip("10.1.0.0"),
            prefix: 16,
        };
        assert!(n.contains(ip("10.1.200.3")) && !n.contains(ip("10.2.0.1")));
        let all = AllowNet {
            addr: ip("0.0.0.0"),
            prefix: 0,
        };
        assert!(all.contains(ip("8.8.8.8")));
        let v6 = AllowNet {
            addr: ip("2001:db8::"),
            prefix: 32,
        };
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
    }
}
