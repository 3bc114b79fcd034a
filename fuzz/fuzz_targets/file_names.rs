//! File names and paths from the other side (`FileOffer::name`, `FileFetch::path`,
//! `ListDir::path`): whatever `FileName::parse` and `RelativePath::parse` accept must keep
//! the promises their docs make, because the shells join them to real folders.
//!
//! - `FileName`: "no separators, no control characters, not "." or "..", at most 255 bytes"
//!   (and no drive prefix, `PathError::Absolute`).
//! - `RelativePath`: "'/'-separated `FileName`s, never absolute, never ".."".
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use tandem_protocol::files::{FileName, RelativePath};

fuzz_target!(|data: &[u8]| {
    // Names arrive as wire strings, which are UTF-8 or refused before this point.
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(name) = FileName::parse(s) {
        assert_eq!(name.as_str(), s, "a name is taken as it is");
        check_name(&name);
    }

    if let Ok(path) = RelativePath::parse(s) {
        for part in path.components() {
            check_name(part);
        }
        assert_eq!(path.file_name(), path.components().last());
        // The printed form is the canonical one: it parses back to the same path.
        let printed = path.to_string();
        assert_eq!(
            RelativePath::parse(&printed).as_ref(),
            Ok(&path),
            "{printed:?}"
        );
        // Joined to a folder, it stays inside that folder (as the agent uses it).
        let base = Path::new("/srv/shared");
        let joined = base.join(&printed);
        assert!(joined.starts_with(base), "{joined:?}");
        assert!(
            joined
                .components()
                .skip(base.components().count())
                .all(|c| matches!(c, Component::Normal(_))),
            "{joined:?} leaves {base:?}"
        );
    }
});

fn check_name(name: &FileName) {
    let s = name.as_str();
    assert!(!s.is_empty() && s.len() <= 255, "{s:?}");
    assert!(s != "." && s != "..", "{s:?}");
    assert!(
        !s.chars()
            .any(|c| c == '/' || c == '\\' || c == '\0' || c.is_control()),
        "separator or control character in {s:?}"
    );
    assert!(s.as_bytes().get(1) != Some(&b':'), "drive prefix in {s:?}");
    // What the shells will see: one normal path component.
    let mut components = Path::new(s).components();
    assert!(
        matches!(components.next(), Some(Component::Normal(c)) if c == s),
        "{s:?}"
    );
    assert!(components.next().is_none(), "{s:?}");
    // Parsing is idempotent.
    assert_eq!(FileName::parse(s).as_ref(), Ok(name));
}
