//! Representative passwords: Argon2id hashes with a random salt, a constant-shape login check,
//! and generated passwords for the first administrator.
//!
//! Hashing and verifying are CPU-heavy (tens of milliseconds on purpose) and each needs
//! 19 MiB of working memory. Async callers go through [`run_password_check`]: at most
//! [`CONCURRENT_CHECKS`] run at once (on the blocking pool), at most [`WAITING_CHECKS`] wait,
//! and the working memory is a pool of at most that many buffers, reused, so memory stays
//! bounded however many logins arrive (before: every check allocated its own 19 MiB and the
//! allocator kept it per thread — 203 MB after 10 logins).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngExt;

/// Password checks (and hashes) running at once: one per core of a small server.
pub const CONCURRENT_CHECKS: usize = 2;
/// Checks allowed to wait for a turn; more are refused as busy.
pub const WAITING_CHECKS: usize = 64;
/// The largest memory cost accepted from a stored hash (KiB): ours use 19 MiB.
const MAX_M_COST: u32 = 256 * 1024;

/// Working memory of finished checks, for the next ones.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Too many password checks are waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the portal is busy checking passwords; try again in a moment")]
pub struct ChecksBusy;

/// The turns for password checks (one per portal).
#[derive(Debug)]
pub struct PasswordChecks {
    slots: tokio::sync::Semaphore,
    waiting: AtomicUsize,
}

impl Default for PasswordChecks {
    fn default() -> Self {
        PasswordChecks {
            slots: tokio::sync::Semaphore::new(CONCURRENT_CHECKS),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl PasswordChecks {
    /// Runs `check` (a password hash or verification) on the blocking pool when one of the
    /// [`CONCURRENT_CHECKS`] turns is free; refuses when [`WAITING_CHECKS`] wait already.
    pub async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ChecksBusy> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= WAITING_CHECKS {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(ChecksBusy);
        }
        let permit = self.slots.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        // The semaphore is never closed.
        let _permit = permit.map_err(|_| ChecksBusy)?;
        tokio::task::spawn_blocking(check)
            .await
            .map_err(|_| ChecksBusy)
    }

    /// Checks waiting for a turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// Runs Argon2 with pooled working memory.
fn hash_with_pooled_memory(
    argon2: &Argon2<'_>,
    blocks: usize,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let pool = || MEMORY.lock().unwrap_or_else(|e| e.into_inner());
    let mut memory = pool().pop().unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let result = argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks]);
    let mut pool = pool();
    if pool.len() < CONCURRENT_CHECKS {
        pool.push(memory);
    }
    result
}

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
/// Verification uses the parameters recorded in the hash, not today's defaults, and pooled
/// working memory.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    if hash_with_pooled_memory(&argon2, blocks, password.as_bytes(), salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    argon2::password_hash::Output::new(&out).is_ok_and(|computed| computed == expected)
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
    fn pooled_verification_agrees_with_the_crate_and_keeps_at_most_two_buffers() {
        use argon2::password_hash::PasswordVerifier;
        let hash = hash_password("correct horse battery").expect("hashes");
        let parsed = PasswordHash::new(&hash).expect("parses");
        for (password, ok) in [
            ("correct horse battery", true),
            ("wrong horse battery", false),
        ] {
            assert_eq!(verify_password(password, &hash), ok);
            assert_eq!(
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
                ok
            );
        }
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| assert!(verify_password("correct horse battery", &hash)));
            }
        });
        assert!(MEMORY.lock().expect("pool").len() <= CONCURRENT_CHECKS);
        // A stored hash asking for absurd memory never runs.
        let greedy = hash.replace("m=19456", "m=4000000");
        assert!(!verify_password("correct horse battery", &greedy));
    }

    #[tokio::test]
    async fn checks_beyond_the_waiting_room_are_refused() {
        let checks = std::sync::Arc::new(PasswordChecks::default());
        let started = std::sync::Arc::new(std::sync::Barrier::new(CONCURRENT_CHECKS + 1));
        let release = std::sync::Arc::new(std::sync::Barrier::new(CONCURRENT_CHECKS + 1));
        let mut running = Vec::new();
        for _ in 0..CONCURRENT_CHECKS {
            let (started, release) = (started.clone(), release.clone());
            let checks = checks.clone();
            running.push(tokio::spawn(async move {
                checks
                    .run(move || {
                        started.wait();
                        release.wait();
                    })
                    .await
            }));
        }
        tokio::task::spawn_blocking({
            let started = started.clone();
            move || started.wait()
        })
        .await
        .expect("both running");
        let waiting: Vec<_> = (0..WAITING_CHECKS)
            .map(|_| {
                let checks = checks.clone();
                tokio::spawn(async move { checks.run(|| ()).await })
            })
            .collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while checks.waiting() < WAITING_CHECKS {
            assert!(std::time::Instant::now() < deadline, "waiters never queued");
            tokio::task::yield_now().await;
        }
        assert_eq!(checks.run(|| ()).await, Err(ChecksBusy));
        tokio::task::spawn_blocking(move || release.wait())
            .await
            .expect("released");
        for r in running.into_iter().chain(waiting) {
            assert_eq!(r.await.expect("joins"), Ok(()));
        }
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
