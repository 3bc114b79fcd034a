//! The representatives' optional second factor: time-based one-time passwords (RFC 6238,
//! the HMAC-SHA1, 30-second, 6-digit profile every authenticator app speaks). The HMAC is
//! ring's, the project's one crypto provider; only the truncation (RFC 4226 §5.3) is here.
//! A code is accepted for the step before and after the current one (clock drift) and only
//! once: the step it matched is stored and no step up to it is accepted again.

use ring::hmac;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;

/// Digits per code.
pub const DIGITS: u32 = 6;

/// Bytes of a secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// A shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub [u8; SECRET_BYTES]);

impl std::fmt::Debug for Secret {
    /// Never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A fresh random secret.
    pub fn generate() -> Secret {
        Secret(rand::random())
    }

    /// From stored bytes; `None` when they are not a secret.
    pub fn from_bytes(bytes: &[u8]) -> Option<Secret> {
        bytes.try_into().ok().map(Secret)
    }

    /// Base32 (RFC 4648, no padding), as authenticator apps take it.
    pub fn base32(&self) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::new();
        let (mut buffer, mut bits) = (0u32, 0u32);
        for &byte in &self.0 {
            buffer = (buffer << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
        }
        out
    }

    /// From base32 as [`Secret::base32`] writes it (spaces and case ignored).
    pub fn from_base32(text: &str) -> Option<Secret> {
        let mut bytes = Vec::with_capacity(SECRET_BYTES);
        let (mut buffer, mut bits) = (0u32, 0u32);
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            let value = match c.to_ascii_uppercase() {
                c @ 'A'..='Z' => c as u32 - 'A' as u32,
                c @ '2'..='7' => c as u32 - '2' as u32 + 26,
                _ => return None,
            };
            buffer = (buffer << 5) | value;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push(((buffer >> bits) & 0xff) as u8);
            }
        }
        Secret::from_bytes(&bytes)
    }

    /// The `otpauth://` URI an authenticator app reads (from a QR code or pasted).
    pub fn uri(&self, issuer: &str, user: &str) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            enc(issuer),
            enc(user),
            self.base32(),
            enc(issuer)
        )
    }

    /// The code for time step `step`.
    pub fn code_at(&self, step: i64) -> u32 {
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &self.0);
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let mac = tag.as_ref();
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let word = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        word % 10u32.pow(DIGITS)
    }

    /// The step `code` matches at `now` (Unix seconds), one step either side allowed, if
    /// it is later than `last_used` (a code is good once). `code` may have spaces.
    pub fn verify(&self, code: &str, now: i64, last_used: Option<i64>) -> Option<i64> {
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let wanted: u32 = digits.parse().ok()?;
        let current = now.div_euclid(STEP_SECS);
        let mut matched = None;
        // Every candidate is computed, so the time taken says nothing about which matched.
        for step in [current - 1, current, current + 1] {
            let fresh = last_used.is_none_or(|last| step > last);
            if self.code_at(step) == wanted && fresh && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }
}

/// What the database is asked about an account's second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactorOp {
    /// Read it.
    Get,
    /// Mark `step` used; accepted only if it is later than the last used one.
    Use {
        /// The step the code matched.
        step: i64,
    },
    /// Turn it on with a secret, only if it is off (accepted: it was).
    Enable(Secret),
    /// Turn it off.
    Disable,
}

/// An account's second factor as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredFactor {
    /// The secret, when the second factor is on.
    pub secret: Option<Secret>,
    /// The last step a code was accepted for.
    pub last_step: Option<i64>,
    /// For [`FactorOp::Use`]: the step was later than the last one and is now the last;
    /// for [`FactorOp::Enable`]: it was off and is now on.
    pub accepted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 key.
    fn rfc_secret() -> Secret {
        Secret(*b"12345678901234567890")
    }

    #[test]
    fn rfc_6238_test_vectors_in_six_digits() {
        // Appendix B gives 8 digits; the 6-digit code is their last six.
        for (time, eight) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let code = rfc_secret().code_at(time / STEP_SECS);
            assert_eq!(code, eight % 1_000_000, "at {time}");
        }
    }

    #[test]
    fn a_code_is_good_for_a_step_either_side_and_only_once() {
        let s = rfc_secret();
        let now = 1_234_567_890;
        let step = now / STEP_SECS;
        let code = format!("{:06}", s.code_at(step));
        assert_eq!(s.verify(&code, now, None), Some(step));
        assert_eq!(s.verify(&code, now + STEP_SECS, None), Some(step), "drift");
        assert_eq!(s.verify(&code, now + 3 * STEP_SECS, None), None, "too old");
        assert_eq!(s.verify(&code, now, Some(step)), None, "replayed");
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(s.verify(&spaced, now, None), Some(step));
        assert_eq!(s.verify("12345", now, None), None);
        assert_eq!(s.verify("abcdef", now, None), None);
    }

    #[test]
    fn base32_and_the_uri_are_what_apps_read() {
        assert_eq!(
            rfc_secret().base32(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "RFC 4648 base32 of the RFC 6238 key"
        );
        let uri = rfc_secret().uri("Tandem support", "bob@example.com");
        assert!(uri.starts_with("otpauth://totp/Tandem%20support:bob%40example.com?secret="));
        assert!(uri.ends_with("&algorithm=SHA1&digits=6&period=30"));
        assert_eq!(format!("{:?}", rfc_secret()), "Secret(…)");
        let secret = Secret::generate();
        assert_eq!(Secret::from_base32(&secret.base32()), Some(secret));
        assert_eq!(Secret::from_base32("not base32!"), None);
    }
}
