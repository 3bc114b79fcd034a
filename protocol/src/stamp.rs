//! The stamp: what a downloaded customer app knows about its session before it starts.
//!
//! The portal serves one build of `tandem-agent` and appends a stamp to each download, so
//! that the customer double-clicks the file and joins, with nothing typed and nothing
//! rebuilt per customer. Executable formats ignore bytes after their last section (ELF here),
//! so the stamped file runs unchanged:
//!
//! ```text
//!  [ the build, byte for byte ][ payload: UTF-8 JSON ][ seal: 32 ][ payload length: u32 LE ][ MAGIC: 16 ]
//!                                                       SHA-256(MAGIC ‖ payload)
//! ```
//!
//! The payload names the join link, with its `?t=` token and, for a self-signed portal, its
//! `#pin=sha256:…` fragment: everything `tandem-agent --join <link>` would be given.
//!
//! The seal makes a damaged download, or a stamp edited by hand, fail with a clear message
//! instead of joining somewhere else. It is not a signature: whoever can rewrite the file can
//! recompute it, as they could replace the whole program. What makes the file trustworthy is
//! where it came from — the portal's TLS (or pinned certificate), and on Windows and macOS code
//! signing — and the code inside still works exactly once at the portal.
//!
//! ```
//! use tandem_protocol::stamp::{Stamp, append, read_tail};
//! let stamp = Stamp { join: "https://help.example.com/join/123456789?t=ab12".into() };
//! let mut file = b"\x7fELF...the program...".to_vec();
//! file.extend_from_slice(&append(&stamp).unwrap());
//! assert_eq!(read_tail(&file), Ok(Some(stamp)));
//! assert_eq!(read_tail(b"\x7fELF...the program..."), Ok(None));
//! ```

use serde::{Deserialize, Serialize};

/// The last 16 bytes of a stamped file.
pub const MAGIC: &[u8; 16] = b"TANDEM-STAMP-v1\n";
/// The longest payload accepted: a join link is well under 1 KiB.
pub const MAX_PAYLOAD: usize = 4096;
/// Bytes after the payload: seal, length, magic.
const FOOTER: usize = 32 + 4 + MAGIC.len();
/// How many bytes at the end of a file can hold a stamp: read at most this much.
pub const MAX_STAMP_BYTES: usize = MAX_PAYLOAD + FOOTER;

/// What a download knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The join link, as a customer would pass it to `--join`.
    pub join: String,
}

/// Why a file's stamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StampError {
    /// The stamp's bytes do not match their seal, or do not parse.
    #[error(
        "this download is damaged or was changed after the support portal made it; download it again from the link you were sent"
    )]
    Damaged,
    /// The join link is longer than a stamp may hold (a very long public address).
    #[error("the join link is longer than {MAX_PAYLOAD} bytes and cannot be stamped")]
    TooLong,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u32,
    join: String,
}

fn seal(payload: &[u8]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(MAGIC);
    ctx.update(payload);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The bytes to append to a build to stamp it; `TooLong` rather than a stamp readers refuse.
pub fn append(stamp: &Stamp) -> Result<Vec<u8>, StampError> {
    let payload = serde_json::to_vec(&Payload {
        v: 1,
        join: stamp.join.clone(),
    })
    // A struct of a number and a string always serialises.
    .unwrap_or_default();
    if payload.len() > MAX_PAYLOAD {
        return Err(StampError::TooLong);
    }
    let mut out = Vec::with_capacity(payload.len() + FOOTER);
    out.extend_from_slice(&payload);
    out.extend_from_slice(&seal(&payload));
    // At most MAX_PAYLOAD (checked above): it fits in a u32.
    let len = u32::try_from(payload.len()).map_err(|_| StampError::TooLong)?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(out)
}

/// `bytes` split `n` bytes before its end.
fn split_end(bytes: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    bytes.len().checked_sub(n).map(|at| bytes.split_at(at))
}

/// The stamp at the end of `tail` (the last bytes of a file, at least [`MAX_STAMP_BYTES`] of
/// them when the file is that long): `None` when the file carries no stamp.
pub fn read_tail(tail: &[u8]) -> Result<Option<Stamp>, StampError> {
    let Some(before_magic) = tail.strip_suffix(MAGIC.as_slice()) else {
        return Ok(None);
    };
    let (rest, len) = split_end(before_magic, 4).ok_or(StampError::Damaged)?;
    let len = u32::from_le_bytes(len.try_into().map_err(|_| StampError::Damaged)?);
    let len = usize::try_from(len).map_err(|_| StampError::Damaged)?;
    if len > MAX_PAYLOAD {
        return Err(StampError::Damaged);
    }
    let (rest, sealed) = split_end(rest, 32).ok_or(StampError::Damaged)?;
    let (_, payload) = split_end(rest, len).ok_or(StampError::Damaged)?;
    // Not secret: a plain comparison is fine.
    if seal(payload) != sealed {
        return Err(StampError::Damaged);
    }
    let parsed: Payload = serde_json::from_slice(payload).map_err(|_| StampError::Damaged)?;
    if parsed.v != 1 || parsed.join.is_empty() {
        return Err(StampError::Damaged);
    }
    Ok(Some(Stamp { join: parsed.join }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamped() -> (Vec<u8>, Stamp) {
        let stamp = Stamp {
            join: "https://127.0.0.1:8470/join/123456789?t=00ff#pin=sha256:abc".into(),
        };
        let mut file = vec![0x7f, b'E', b'L', b'F'];
        file.extend(std::iter::repeat_n(0xAA, 5000));
        file.extend_from_slice(&append(&stamp).expect("short link"));
        (file, stamp)
    }

    #[test]
    fn golden_layout() {
        let bytes = append(&Stamp { join: "x".into() }).expect("short link");
        let payload = br#"{"v":1,"join":"x"}"#;
        assert_eq!(&bytes[..payload.len()], payload);
        assert_eq!(
            &bytes[payload.len() + 32..payload.len() + 36],
            &(payload.len() as u32).to_le_bytes()
        );
        assert_eq!(&bytes[bytes.len() - 16..], MAGIC);
        assert_eq!(bytes.len(), payload.len() + 52);
    }

    #[test]
    fn reads_from_any_tail_that_holds_it() {
        let (file, stamp) = stamped();
        assert_eq!(read_tail(&file), Ok(Some(stamp.clone())));
        let start = file.len() - MAX_STAMP_BYTES.min(file.len());
        assert_eq!(read_tail(&file[start..]), Ok(Some(stamp)));
    }

    #[test]
    fn every_edited_byte_of_the_stamp_is_refused_or_unstamped() {
        let (file, _) = stamped();
        let stamp_len = file.len() - 5004;
        for i in file.len() - stamp_len..file.len() {
            let mut edited = file.clone();
            edited[i] ^= 0x01;
            match read_tail(&edited) {
                Err(StampError::Damaged) => {}
                // An edit of the magic makes it an unstamped file, which asks for a link.
                Ok(None) => assert!(i >= file.len() - MAGIC.len(), "byte {i}"),
                Ok(Some(s)) => panic!("byte {i} edited, still accepted: {s:?}"),
                Err(StampError::TooLong) => panic!("reading never says TooLong"),
            }
        }
    }

    #[test]
    fn lengths_that_do_not_fit_are_refused() {
        let mut short = Vec::new();
        short.extend_from_slice(&[0u8; 3]);
        short.extend_from_slice(MAGIC);
        assert_eq!(read_tail(&short), Err(StampError::Damaged));
        let mut huge = vec![0u8; 40];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(MAGIC);
        assert_eq!(read_tail(&huge), Err(StampError::Damaged));
        let mut past = vec![0u8; 36];
        past.extend_from_slice(&100u32.to_le_bytes());
        past.extend_from_slice(MAGIC);
        assert_eq!(read_tail(&past), Err(StampError::Damaged));
    }

    #[test]
    fn links_too_long_for_a_stamp_are_refused_when_stamping() {
        let long = Stamp {
            join: format!("https://h/{}", "a".repeat(MAX_PAYLOAD)),
        };
        assert_eq!(append(&long), Err(StampError::TooLong));
    }

    #[test]
    fn unknown_versions_are_refused() {
        let payload = br#"{"v":2,"join":"https://h/join/123456789"}"#;
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&seal(payload));
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        assert_eq!(read_tail(&bytes), Err(StampError::Damaged));
    }
}
