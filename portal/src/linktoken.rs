//! Link tokens: why a customer with a real join link is never locked out by someone
//! guessing codes from the same address.
//!
//! Every link the portal hands out (`…/join/123456789?t=<token>`) carries
//! `token = HMAC-SHA256(link key, "tandem join link" ‖ digits)`, truncated to 128 bits, with
//! a random 256-bit link key the portal keeps in its database. Whoever presents the right
//! token for a code was sent the link: guessing one is 2⁻¹²⁸ per try, so a valid token is
//! checked *before* (and instead of) the per-address budget for typed codes. A wrong or
//! missing token falls back to that budget, which stays at 10 tries per address per 10
//! minutes — so brute force over the 10⁹ codes is held exactly as before, while a customer
//! behind the same NAT or proxy as an attacker still gets in with their link. The token
//! proves knowledge of the link only; the code's own rules (once, unexpired, not
//! cancelled) still apply.
//!
//! ```
//! use tandem_portal::linktoken::LinkKey;
//! use tandem_protocol::SessionCode;
//! let key = LinkKey::from_bytes(&[7u8; 32]).unwrap();
//! let code: SessionCode = "123456789".parse().unwrap();
//! let token = key.token(code);
//! assert!(key.check(code, &token));
//! assert!(!key.check("123456780".parse().unwrap(), &token));
//! ```

use ring::hmac;
use tandem_protocol::SessionCode;

/// Bytes of the key.
pub const KEY_BYTES: usize = 32;
/// Bytes of a token (hex-encoded in links: twice as many characters).
pub const TOKEN_BYTES: usize = 16;
/// The name the key is stored under.
pub const SECRET_NAME: &str = "link-token-key";

const LABEL: &[u8] = b"tandem join link";

/// The key tokens are made with.
pub struct LinkKey(hmac::Key);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl LinkKey {
    /// The key from its stored bytes (`None` unless exactly [`KEY_BYTES`]).
    pub fn from_bytes(bytes: &[u8]) -> Option<LinkKey> {
        (bytes.len() == KEY_BYTES).then(|| LinkKey(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    fn tag(&self, code: SessionCode) -> [u8; TOKEN_BYTES] {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(LABEL);
        ctx.update(code.digits().as_bytes());
        let full = ctx.sign();
        let mut tag = [0u8; TOKEN_BYTES];
        tag.copy_from_slice(&full.as_ref()[..TOKEN_BYTES]);
        tag
    }

    /// The token for `code`, as it appears in links.
    pub fn token(&self, code: SessionCode) -> String {
        self.tag(code).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `token` is `code`'s (compared in constant time).
    pub fn check(&self, code: SessionCode, token: &str) -> bool {
        let Some(given) = decode_hex(token) else {
            return false;
        };
        let expected = self.tag(code);
        given
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

fn decode_hex(text: &str) -> Option<[u8; TOKEN_BYTES]> {
    if text.len() != TOKEN_BYTES * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; TOKEN_BYTES];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> SessionCode {
        s.parse().expect("code")
    }

    #[test]
    fn tokens_are_per_code_and_per_key() {
        let a = LinkKey::from_bytes(&[1; KEY_BYTES]).expect("key");
        let b = LinkKey::from_bytes(&[2; KEY_BYTES]).expect("key");
        let c = code("000000001");
        let t = a.token(c);
        assert_eq!(t.len(), 32);
        assert!(a.check(c, &t));
        assert!(
            a.check(c, &t.to_ascii_uppercase()),
            "hex case does not matter"
        );
        assert!(!b.check(c, &t));
        assert!(!a.check(code("000000002"), &t));
        for bad in [
            "",
            "zz",
            &t[..30],
            &format!("{t}00"),
            "é".repeat(16).as_str(),
        ] {
            assert!(!a.check(c, bad), "{bad:?}");
        }
        assert!(LinkKey::from_bytes(&[0; 31]).is_none());
    }
}
