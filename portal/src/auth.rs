//! Representative passwords: Argon2id hashes with a random salt, a constant-shape login check,
//! and generated passwords for the first administrator.
//!
//! Hashing and verifying are CPU-heavy (tens of milliseconds on purpose); async callers run
//! them on the blocking pool ([`crate::storage::Storage::login`] does).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngExt;

/// Shortest password accepted for a representative.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Length of generated passwords.
pub const GENERATED_PASSWORD_CHARS: usize = 20;

/// Letters and digits without look-alikes (0/O, 1/l/I), so a printed password can be typed.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Why a password could not be hashed or accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Shorter than [`MIN_PASSWORD_CHARS`].
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// The KDF failed (bad parameters; should not happen).
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// Why a user name is not acceptable.
#[derive(Debug, thiserror::Error)]
#[error("a user name has 1 to 64 characters: letters, digits, '.', '_', '-' or '@'")]
pub struct BadUserName;

fn argon2() -> Argon2<'static> {
    // The crate's defaults are OWASP's recommendation for Argon2id (19 MiB, 2 passes).
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes `password` with Argon2id and a fresh 16-byte salt from the thread CSPRNG; returns
/// the PHC string (`$argon2id$v=19$...`) to store.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt[..]);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// True when `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        // Verification uses the parameters recorded in the hash, not today's defaults.
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Burns the same work as [`verify_password`] for a user name that does not exist, so the
/// answer time does not tell which part of a login was wrong.
pub fn verify_against_nothing(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a real account password").ok());
    if let Some(hash) = dummy {
        let _ = verify_password(password, hash);
    }
}

/// A fresh password of [`GENERATED_PASSWORD_CHARS`] characters drawn from the thread
/// CSPRNG (about 116 bits).
pub fn generate_password() -> String {
    let mut rng = rand::rng();
    (0..GENERATED_PASSWORD_CHARS)
        .map(|_| char::from(PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())]))
        .collect()
}

/// Checks a user name for a new representative.
pub fn check_user_name(user: &str) -> Result<(), BadUserName> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if (1..=64).contains(&user.len()) && user.chars().all(ok_char) {
        Ok(())
    } else {
        Err(BadUserName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let hash = hash_password("correct horse battery").expect("hashes");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("", &hash));
    }

    #[test]
    fn salts_differ() {
        let a = hash_password("same password").expect("hashes");
        let b = hash_password("same password").expect("hashes");
        assert_ne!(a, b);
        assert!(verify_password("same password", &a));
        assert!(verify_password("same password", &b));
    }

    #[test]
    fn short_passwords_and_bad_hashes_are_refused() {
        assert!(matches!(
            hash_password("short"),
            Err(PasswordError::TooShort)
        ));
        assert!(!verify_password("anything", "not a phc string"));
        assert!(!verify_password("anything", ""));
        verify_against_nothing("anything");
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), GENERATED_PASSWORD_CHARS);
        assert!(a.bytes().all(|c| PASSWORD_ALPHABET.contains(&c)));
        assert_ne!(a, b);
    }

    #[test]
    fn user_names() {
        assert!(check_user_name("admin").is_ok());
        assert!(check_user_name("bob.smith@example.com").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("bob smith").is_err());
        assert!(check_user_name(&"a".repeat(65)).is_err());
    }
}
