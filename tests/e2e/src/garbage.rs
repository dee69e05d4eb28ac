//! Datagrams a hostile or broken network sends: fixed-seed random bytes, every prefix
//! of valid requests, and valid requests with a few bytes damaged. Deterministic, so a
//! crash found once is found again with the same bytes.

use crate::rng::XorShift;

/// A valid INVITE with SDP, as a phone would send it to the box at `box_addr`.
pub fn valid_invite(box_addr: &str, from_port: u16) -> Vec<u8> {
    let sdp = "v=0\r\n\
               o=- 1 1 IN IP4 127.0.0.1\r\n\
               s=-\r\n\
               c=IN IP4 127.0.0.1\r\n\
               t=0 0\r\n\
               m=audio 40000 RTP/AVP 0 101\r\n\
               a=rtpmap:0 PCMU/8000\r\n\
               a=rtpmap:101 telephone-event/8000\r\n";
    format!(
        "INVITE sip:11@{box_addr} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{from_port};branch=z9hG4bKgarbage1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Ten\" <sip:ext2019110@{box_addr}>;tag=g1\r\n\
         To: <sip:11@{box_addr}>\r\n\
         Call-ID: garbage-invite@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:ext2019110@127.0.0.1:{from_port}>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {len}\r\n\r\n{sdp}",
        len = sdp.len()
    )
    .into_bytes()
}

/// A valid REGISTER with credentials that look real (the digest is wrong on purpose).
pub fn valid_register(box_addr: &str, from_port: u16) -> Vec<u8> {
    format!(
        "REGISTER sip:{box_addr} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{from_port};branch=z9hG4bKgarbage2;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:ext2019110@{box_addr}>;tag=g2\r\n\
         To: <sip:ext2019110@{box_addr}>\r\n\
         Call-ID: garbage-register@127.0.0.1\r\n\
         CSeq: 7 REGISTER\r\n\
         Contact: <sip:ext2019110@127.0.0.1:{from_port}>;expires=60\r\n\
         Authorization: Digest username=\"ext2019110\", realm=\"centralita\", nonce=\"00\", \
         uri=\"sip:{box_addr}\", response=\"00000000000000000000000000000000\", algorithm=MD5\r\n\
         Expires: 60\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Every prefix of `message` (lengths 1..len), the classic truncated-datagram set.
pub fn prefixes(message: &[u8]) -> Vec<Vec<u8>> {
    (1..message.len())
        .filter_map(|n| message.get(..n).map(<[u8]>::to_vec))
        .collect()
}

/// `count` datagrams of random bytes, 0..=1500 long.
pub fn random_datagrams(rng: &mut XorShift, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let len = rng.below(1501);
            rng.bytes(len)
        })
        .collect()
}

/// Bytes that break parsers when dropped into the right spot.
const NASTY: &[&[u8]] = &[
    b"\0",
    b"\r",
    b"\n",
    b"\r\n\r\n",
    b":",
    b";",
    b",",
    b"<",
    b">",
    b"\"",
    b"%",
    b"%0",
    b"4294967296",
    b"-1",
    b"99999999999999999999",
    b" ",
    b"\t",
    b"\xff\xfe",
    b"SIP/2.0",
    b"Content-Length: 100000\r\n",
];

/// `count` copies of `message`, each damaged a few times: bytes replaced, a nasty
/// token inserted, or a chunk deleted.
pub fn mutations(rng: &mut XorShift, message: &[u8], count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|_| {
            let mut m = message.to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(m.len().max(1));
                match rng.below(3) {
                    0 => {
                        if let Some(byte) = m.get_mut(at) {
                            *byte = (rng.next_u64() >> 40) as u8;
                        }
                    }
                    1 => {
                        let token = NASTY.get(rng.below(NASTY.len())).copied().unwrap_or(b"\0");
                        let at = at.min(m.len());
                        m.splice(at..at, token.iter().copied());
                    }
                    _ => {
                        let end = (at + 1 + rng.below(40)).min(m.len());
                        if at < end {
                            m.drain(at..end);
                        }
                    }
                }
            }
            m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let a = random_datagrams(&mut XorShift::new(7), 20);
        let b = random_datagrams(&mut XorShift::new(7), 20);
        assert_eq!(a, b);
        let invite = valid_invite("127.0.0.1:5060", 5062);
        assert_eq!(prefixes(&invite).len(), invite.len() - 1);
        let m1 = mutations(&mut XorShift::new(9), &invite, 10);
        let m2 = mutations(&mut XorShift::new(9), &invite, 10);
        assert_eq!(m1, m2);
    }
}
