//! Fresh identifiers (tags, branches, Call-IDs) from the injected RNG, so tests are reproducible.
use rand::RngCore;

pub struct Ids {
    rng: Box<dyn RngCore + Send>,
}

impl Ids {
    pub fn new(rng: Box<dyn RngCore + Send>) -> Ids {
        Ids { rng }
    }

    fn hex(&mut self, bytes: usize) -> String {
        let mut buf = [0u8; 16];
        let n = bytes.min(buf.len());
        self.rng.fill_bytes(&mut buf[..n]);
        let mut s = String::with_capacity(n * 2);
        for b in &buf[..n] {
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        s
    }

    pub fn tag(&mut self) -> String {
        self.hex(8)
    }

    /// RFC 3261 branch with the magic cookie.
    pub fn branch(&mut self) -> String {
        format!("z9hG4bK{}", self.hex(10))
    }

    pub fn call_id(&mut self, host: &str) -> String {
        format!("{}@{host}", self.hex(12))
    }

    pub fn secret(&mut self) -> [u8; 32] {
        let mut s = [0u8; 32];
        self.rng.fill_bytes(&mut s);
        s
    }
}

impl Ids {
    /// An SDP `o=` session id (RFC 8866 §5.2: numeric, unique).
    pub fn session_id(&mut self) -> u64 {
        self.rng.next_u64() >> 2
    }

    /// A digest client nonce (RFC 7616 §3.4).
    pub fn cnonce(&mut self) -> String {
        self.hex(8)
    }
}
