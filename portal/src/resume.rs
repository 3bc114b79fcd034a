//! Resume secrets: what lets a customer's agent back into its session after a reboot or a
//! lost connection.
//!
//! ```text
//!  Redeem ──► Issued::generate(session, CSPRNG) ──► secret ──► Redeemed{resume_secret}
//!                                                └─► digest ──► hub (with the live session)
//!  Resume{session, secret} ──► ResumeSecret::parse ──► digest(session) ──► hub compares
//! ```
//!
//! The portal keeps only the digest. Argon2id (the crate the portal already uses for
//! passwords) serves as a plain hash here, at its smallest cost: key stretching protects
//! guessable passwords, and a secret of 128 random bits is not guessable, so a slow hash
//! would only make every redeem and resume slower. What the digest buys is that the hub
//! never holds a usable secret: a memory dump, a core file or a debug print of the session
//! gives nobody a way back in. The salt is the session number under a fixed label, so the
//! same secret gives unrelated digests in different sessions. Digests are compared in
//! constant time (`password_hash::Output`), and nothing here is ever logged.
//!
//! An external specialist's seat token (what puts it back in its own seat, with the rights
//! it had, after a lost connection) is the same kind of secret, hashed under another label
//! ([`ResumeSecret::seat_digest`]).

use argon2::password_hash::Output;
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngExt;

/// Random bytes in a secret (128 bits).
pub const SECRET_BYTES: usize = 16;
/// Characters in a secret's text: two lowercase hex digits per byte.
pub const SECRET_CHARS: usize = SECRET_BYTES * 2;

/// Bytes of a digest.
const DIGEST_BYTES: usize = 32;
/// Domain-separation label in front of the session number in the salt.
const SALT_LABEL: &[u8] = b"tandem-resume-v1:";
/// The same for specialists' seat tokens, so a seat token is no resume secret.
const SEAT_LABEL: &[u8] = b"tandem-seat-v1:";

/// A resume secret: [`SECRET_CHARS`] lowercase hex digits. Built only by
/// [`ResumeSecret::generate`] or [`ResumeSecret::parse`]; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ResumeSecret(String);

impl std::fmt::Debug for ResumeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResumeSecret(<hidden>)")
    }
}

impl ResumeSecret {
    /// A fresh secret from `rng` (the thread CSPRNG in the portal).
    pub fn generate<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; SECRET_BYTES];
        rng.fill(&mut bytes[..]);
        ResumeSecret(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The secret an agent sent: exactly [`SECRET_CHARS`] hex digits (upper case is taken
    /// as lower case). Anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == SECRET_CHARS && text.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| ResumeSecret(text.to_ascii_lowercase()))
    }

    /// The text to hand to the agent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digest the portal keeps for `session`.
    pub fn digest(&self, session: u64) -> ResumeDigest {
        self.labelled_digest(SALT_LABEL, session)
    }

    /// The digest the portal keeps when this secret is a specialist's seat token in
    /// `session` (see `hub::seats`): another label, so neither kind of secret passes for
    /// the other.
    pub fn seat_digest(&self, session: u64) -> ResumeDigest {
        self.labelled_digest(SEAT_LABEL, session)
    }

    fn labelled_digest(&self, label: &[u8], session: u64) -> ResumeDigest {
        let mut salt = label.to_vec();
        salt.extend_from_slice(&session.to_be_bytes());
        let mut out = [0u8; DIGEST_BYTES];
        // Every input is a constant or checked above, so none of these fail; if one ever
        // did, the digest matches nothing and the session cannot be resumed (fails closed).
        let hashed = Params::new(Params::MIN_M_COST, 1, 1, Some(DIGEST_BYTES))
            .map(|params| Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
            .and_then(|argon2| argon2.hash_password_into(self.0.as_bytes(), &salt, &mut out));
        if let Err(e) = hashed {
            tracing::error!(error = %e, "could not compute a resume digest");
            return ResumeDigest(None);
        }
        ResumeDigest(Output::new(&out).ok())
    }
}

/// What the portal keeps of a secret. Compared in constant time; `Debug` shows nothing.
#[derive(Clone)]
pub struct ResumeDigest(Option<Output>);

impl std::fmt::Debug for ResumeDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResumeDigest(..)")
    }
}

impl ResumeDigest {
    /// The digest's bytes, to store (empty for a digest that could not be computed).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0
            .as_ref()
            .map(|o| o.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// A digest stored with [`ResumeDigest::to_bytes`]; anything malformed matches nothing.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        ResumeDigest(Output::new(bytes).ok())
    }

    /// True when both come from the same secret and session. A digest that could not be
    /// computed matches nothing.
    pub fn matches(&self, other: &ResumeDigest) -> bool {
        match (&self.0, &other.0) {
            // `Output`'s equality is constant-time.
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// A secret just issued for a session: the text for `Redeemed`, the digest for the hub.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Sent to the agent once, then dropped.
    pub secret: ResumeSecret,
    /// Kept with the live session.
    pub digest: ResumeDigest,
}

impl Issued {
    /// A fresh secret for `session` and its digest.
    pub fn generate<R: rand::CryptoRng + ?Sized>(session: u64, rng: &mut R) -> Self {
        let secret = ResumeSecret::generate(rng);
        let digest = secret.digest(session);
        Issued { secret, digest }
    }

    /// A fresh seat token for a specialist in `session` and its digest
    /// ([`ResumeSecret::seat_digest`]).
    pub fn seat<R: rand::CryptoRng + ?Sized>(session: u64, rng: &mut R) -> Self {
        let secret = ResumeSecret::generate(rng);
        let digest = secret.seat_digest(session);
        Issued { secret, digest }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_128_random_bits_in_hex_and_differ() {
        let a = ResumeSecret::generate(&mut rand::rng());
        let b = ResumeSecret::generate(&mut rand::rng());
        assert_eq!(a.as_str().len(), SECRET_CHARS);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a, b);
        assert_eq!(ResumeSecret::parse(a.as_str()), Some(a));
    }

    #[test]
    fn only_well_formed_secrets_parse() {
        let hex = "0123456789abcdef0123456789ABCDEF";
        assert_eq!(
            ResumeSecret::parse(hex).map(|s| s.as_str().to_owned()),
            Some(hex.to_ascii_lowercase())
        );
        for bad in [
            "",
            "0123",
            "0123456789abcdef0123456789abcdeg",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdé",
        ] {
            assert_eq!(ResumeSecret::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn digests_match_only_the_same_secret_in_the_same_session() {
        let issued = Issued::generate(40, &mut rand::rng());
        let again = ResumeSecret::parse(issued.secret.as_str()).expect("parses");
        assert!(issued.digest.matches(&again.digest(40)));
        assert!(!issued.digest.matches(&again.digest(41)));
        let other = ResumeSecret::generate(&mut rand::rng());
        assert!(!issued.digest.matches(&other.digest(40)));
        assert!(!ResumeDigest(None).matches(&ResumeDigest(None)));
        let stored = ResumeDigest::from_bytes(&issued.digest.to_bytes());
        assert!(stored.matches(&again.digest(40)));
        assert!(!ResumeDigest::from_bytes(&[]).matches(&again.digest(40)));
        // the same secret as a seat token is something else
        assert!(!issued.digest.matches(&again.seat_digest(40)));
        assert!(again.seat_digest(40).matches(&again.seat_digest(40)));
        assert!(!again.seat_digest(40).matches(&again.seat_digest(41)));
    }

    #[test]
    fn debug_shows_neither_secret_nor_digest() {
        let issued = Issued::generate(40, &mut rand::rng());
        let shown = format!("{issued:?}");
        assert!(!shown.contains(issued.secret.as_str()), "{shown}");
        assert!(shown.contains("<hidden>"));
    }
}
