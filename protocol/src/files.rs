//! File transfer vocabulary: names and paths that arrive from the other side are parsed into
//! [`FileName`] and [`RelativePath`], which cannot express traversal, absolute paths or
//! hidden separators. The shells do the IO; the agent's state machine gates every file
//! message on the FILES right.
//!
//! ```text
//!  sender                                  receiver
//!  FileOffer{id,name,size,sha256} ───────►  (customer consents; partial file from a
//!                                 ◄───────  FileAccept{id, offset}    previous try → resume)
//!  FileChunk{id,offset,data} × n  ───────►  write at offset (must be contiguous)
//!                                 ◄───────  FileComplete{id} after SHA-256 check + rename
//!  FileFailed{id, reason} either way: refused, cancelled, disk full, hash mismatch …
//! ```

use std::fmt;

/// Largest chunk payload (stays under the 64 KiB data channel message).
pub const CHUNK: usize = 60 * 1024;

/// Why a name or path from the other side is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// Empty, ".", or "..".
    #[error("'{0}' is not a file name")]
    NotAName(String),
    /// Contains a separator, NUL or control character.
    #[error("'{0}' contains a path separator or control character")]
    BadCharacter(String),
    /// Starts at the root or a drive.
    #[error("'{0}' is an absolute path")]
    Absolute(String),
    /// Contains "..".
    #[error("'{0}' leaves the shared folder")]
    Traversal(String),
    /// Longer than the file system allows.
    #[error("name too long")]
    TooLong,
}

/// One file name: no separators, no control characters, no characters that change the
/// direction of text ("invoice\u{202E}fdp.exe" shows as "invoiceexe.pdf"), not "." or "..", at
/// most 255 bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FileName(String);

impl FileName {
    /// Parses a name that came from the other side.
    pub fn parse(s: &str) -> Result<FileName, PathError> {
        if s.len() > 255 {
            return Err(PathError::TooLong);
        }
        if s.is_empty() || s == "." || s == ".." {
            return Err(PathError::NotAName(s.to_owned()));
        }
        if s.chars().any(|c| {
            c == '/'
                || c == '\\'
                || c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}')
                || crate::chat::is_direction_control(c)
        }) {
            return Err(PathError::BadCharacter(s.to_owned()));
        }
        if s.len() >= 2 && s.as_bytes()[1] == b':' {
            return Err(PathError::Absolute(s.to_owned())); // "C:name" is drive-relative on Windows
        }
        Ok(FileName(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileName({:?})", self.0)
    }
}

/// A path inside a shared folder: '/'-separated [`FileName`]s, never absolute, never "..".
/// The empty path is the folder itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RelativePath(Vec<FileName>);

impl RelativePath {
    /// Parses a path that came from the other side.
    pub fn parse(s: &str) -> Result<RelativePath, PathError> {
        if s.starts_with('/') || s.starts_with('\\') || (s.len() >= 2 && s.as_bytes()[1] == b':') {
            return Err(PathError::Absolute(s.to_owned()));
        }
        let mut parts = Vec::new();
        for part in s.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." {
                return Err(PathError::Traversal(s.to_owned()));
            }
            parts.push(FileName::parse(part)?);
        }
        Ok(RelativePath(parts))
    }

    /// The components, outermost first.
    pub fn components(&self) -> &[FileName] {
        &self.0
    }

    /// The last component (the file's own name), if any.
    pub fn file_name(&self) -> Option<&FileName> {
        self.0.last()
    }
}

impl fmt::Display for RelativePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = self.0.iter().map(FileName::as_str).collect();
        f.write_str(&parts.join("/"))
    }
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name.
    pub name: String,
    /// A folder (true) or a regular file.
    pub is_dir: bool,
    /// Size in bytes (0 for folders).
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "/etc/passwd",
            "x\0y",
            "line\nbreak",
            "C:evil",
            "invoice\u{202E}fdp.exe",
            "a\u{2067}b",
            "a\u{2028}b",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(FileName::parse(&"a".repeat(256)).is_err());
        for good in ["report.pdf", "Grüße €.txt", ".bashrc", "a b"] {
            assert_eq!(
                FileName::parse(good).map(|n| n.to_string()),
                Ok(good.to_owned())
            );
        }
    }

    #[test]
    fn hostile_paths_are_refused() {
        for bad in [
            "../x",
            "a/../../b",
            "/etc/passwd",
            "\\\\server\\share",
            "C:/Windows",
            "a/./../b",
            "ok/\u{1}",
        ] {
            assert!(RelativePath::parse(bad).is_err(), "{bad:?}");
        }
        let p = RelativePath::parse("docs//2024/./report.pdf").expect("valid");
        assert_eq!(p.to_string(), "docs/2024/report.pdf");
        assert_eq!(p.file_name().map(FileName::as_str), Some("report.pdf"));
        assert_eq!(RelativePath::parse("").expect("root").components().len(), 0);
    }
}
