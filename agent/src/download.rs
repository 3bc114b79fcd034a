//! The downloaded customer app: the link it was stamped with, and the links the desktop hands
//! to an installed one.
//!
//! A customer who downloads the app from the join page starts it with no arguments; the
//! portal appended the session's join link to the file (see [`tandem_protocol::stamp`]). An
//! installed app is opened by the browser through the `tandem-agent:` URL scheme instead, with
//! the join link's `https://` replaced by `tandem-agent://`.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use tandem_protocol::stamp::{self, MAX_STAMP_BYTES, Stamp};

/// The URL scheme an installed customer app is registered for.
pub const URL_SCHEME: &str = "tandem-agent";

/// The stamp at the end of the running program's own file, if it carries one.
pub fn own_stamp() -> Result<Option<Stamp>, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find this program's file: {e}"))?;
    stamp_of(&exe)
}

/// The stamp at the end of `file`, if it carries one.
pub fn stamp_of(file: &Path) -> Result<Option<Stamp>, String> {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut f = std::fs::File::open(file)?;
        let len = f.metadata()?.len();
        let take = len.min(MAX_STAMP_BYTES as u64);
        f.seek(SeekFrom::Start(len - take))?;
        let mut tail = Vec::with_capacity(MAX_STAMP_BYTES);
        f.take(take).read_to_end(&mut tail)?;
        Ok(tail)
    };
    let tail = read().map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    stamp::read_tail(&tail).map_err(|e| e.to_string())
}

/// A `tandem-agent://host/join/…` link (from the browser, through the desktop's URL handler)
/// as the `https://` join link it stands for, `tandem-agent:http://…` (a plain-HTTP portal,
/// which only a loopback one may be) as the link after the colon; anything else unchanged.
/// Any web page can write such a link: plain HTTP to another host is refused.
pub fn from_url_scheme(link: &str) -> Result<String, String> {
    let Some(rest) = link
        .strip_prefix(URL_SCHEME)
        .and_then(|rest| rest.strip_prefix(':'))
    else {
        return Ok(link.to_owned());
    };
    if let Some(host_and_path) = rest.strip_prefix("//") {
        return Ok(format!("https://{host_and_path}"));
    }
    let host = rest
        .strip_prefix("http://")
        .and_then(|r| r.split(['/', '?', '#']).next())
        .unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let loopback = name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(rest.to_owned())
    } else {
        Err(format!(
            "this link asks for an unencrypted connection to {host}; only a portal on this \
             computer may be reached that way"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_links_become_https_links() {
        let ok = |link: &str| from_url_scheme(link).expect("accepted");
        assert_eq!(
            ok("tandem-agent://help.example.com:8470/join/123456789?t=ab#pin=sha256:x"),
            "https://help.example.com:8470/join/123456789?t=ab#pin=sha256:x"
        );
        assert_eq!(ok("123456789"), "123456789");
        assert_eq!(
            ok("tandem-agent:http://127.0.0.1:1/join/123456789?t=ab"),
            "http://127.0.0.1:1/join/123456789?t=ab"
        );
        assert_eq!(
            ok("tandem-agent:http://[::1]:1/join/1"),
            "http://[::1]:1/join/1"
        );
        assert_eq!(
            ok("tandem-agent:http://localhost/join/1"),
            "http://localhost/join/1"
        );
        assert_eq!(
            ok("http://127.0.0.1:1/join/123456789"),
            "http://127.0.0.1:1/join/123456789"
        );
        for remote in [
            "tandem-agent:http://evil.example:80/join/1",
            "tandem-agent:http://10.0.0.1/join/1",
            "tandem-agent:http://127.0.0.1.evil.example/join/1",
            "tandem-agent:ftp://127.0.0.1/join/1",
        ] {
            assert!(from_url_scheme(remote).is_err(), "{remote}");
        }
    }

    #[test]
    fn reads_the_stamp_of_a_file_and_refuses_an_edited_one() {
        let dir = std::env::temp_dir().join(format!("tandem-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("app");
        let stamp = Stamp {
            join: "https://127.0.0.1:9/join/123456789?t=abcd".into(),
        };
        let mut bytes = vec![7u8; 100_000];
        bytes.extend_from_slice(&stamp::append(&stamp).expect("short link"));
        std::fs::write(&file, &bytes).expect("write");
        assert_eq!(stamp_of(&file), Ok(Some(stamp)));
        let at = bytes.len() - 70;
        bytes[at] ^= 0x20;
        std::fs::write(&file, &bytes).expect("write");
        let refused = stamp_of(&file).expect_err("edited");
        assert!(refused.contains("damaged"), "{refused}");
        std::fs::write(&file, [1u8, 2, 3]).expect("write");
        assert_eq!(stamp_of(&file), Ok(None));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
