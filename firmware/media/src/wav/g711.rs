//! G.711 expansion for µ-law/A-law WAV files.
//!
//! Kept private to the WAV reader so it does not wait on the codec module; the codec
//! module's encoder/decoder is the one used for RTP.

/// ITU-T G.711 µ-law to linear (14-bit magnitude scaled to 16 bits).
pub(super) fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i32::from(u & 0x0F);
    // Bias 0x84 (132) is added at encode time; undo it after rebuilding the segment value.
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    let v = if u & 0x80 != 0 { -magnitude } else { magnitude };
    // |v| <= 32124 by construction, so the conversion never fails.
    i16::try_from(v).unwrap_or(0)
}

/// ITU-T G.711 A-law to linear.
pub(super) fn alaw_to_linear(byte: u8) -> i16 {
    // Even bits are inverted on the wire (the 0x55 mask).
    let a = byte ^ 0x55;
    let exponent = (a >> 4) & 0x07;
    let mantissa = i32::from(a & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    let v = if a & 0x80 != 0 { magnitude } else { -magnitude };
    i16::try_from(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Silence codes.
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        // Full scale.
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn monotonic_over_positive_codes() {
        // µ-law positive codes 0xFF (smallest) down to 0x80 (largest) increase in value.
        let mut last = -1;
        for b in (0x80..=0xFFu8).rev() {
            let v = i32::from(ulaw_to_linear(b));
            assert!(v > last || (v == 0 && last == -1), "{b:#x}");
            last = v;
        }
    }
}
