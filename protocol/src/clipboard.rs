//! The shared clipboard: what one side copied, carried to the other in chunks.
//!
//! A clip is text (UTF-8) or an image (PNG), at most [`MAX_CLIP`] bytes. It travels as
//! [`Message::Clipboard`] chunks of at most [`CHUNK`] bytes with the same `serial`, in order
//! (data channels are ordered); [`ClipAssembler`] puts them back together and parses the
//! result, so a receiver only ever holds one clip at a time and never more than the total
//! announced by a chunk that passed the size check. A chunk at offset 0 starts a new clip
//! and drops an unfinished one: the newest copy wins, as on a desktop.

use crate::wire::Message;

/// Largest clip, in bytes: a screenshot of a 4K screen as PNG fits, and the receiver's memory
/// stays bounded.
pub const MAX_CLIP: u32 = 8 * 1024 * 1024;
/// Largest chunk payload: a chunk stays under a data channel's 64 KiB message, and a key
/// pressed during a paste is not held back for long behind it.
pub const CHUNK: usize = 60 * 1024;

/// The eight bytes every PNG file starts with.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// What a clip holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClipFormat {
    /// UTF-8 text.
    Text,
    /// A PNG image.
    Png,
    /// A format from a newer peer: carried, never applied.
    Other(u8),
}

impl ClipFormat {
    /// The byte on the wire.
    pub fn to_wire(self) -> u8 {
        match self {
            ClipFormat::Text => 1,
            ClipFormat::Png => 2,
            ClipFormat::Other(b) => b,
        }
    }

    /// From the byte on the wire.
    pub fn from_wire(b: u8) -> Self {
        match b {
            1 => ClipFormat::Text,
            2 => ClipFormat::Png,
            other => ClipFormat::Other(other),
        }
    }
}

/// One chunk of a clip on the wire. The decoder guarantees `total <= MAX_CLIP` and
/// `offset + data.len() <= total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipChunk {
    /// Same for every chunk of one clip; a new copy takes a new serial.
    pub serial: u32,
    /// What the whole clip holds.
    pub format: ClipFormat,
    /// Size of the whole clip in bytes.
    pub total: u32,
    /// Where `data` goes in the clip.
    pub offset: u32,
    /// At most [`CHUNK`] bytes.
    pub data: Vec<u8>,
}

/// A whole clip, parsed: text is valid UTF-8, an image starts like a PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clip {
    /// Text.
    Text(String),
    /// PNG bytes (not decoded here; the side that shows or stores it does).
    Png(Vec<u8>),
}

/// Why bytes are not a clip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClipError {
    /// Larger than [`MAX_CLIP`].
    #[error("the clipboard holds {0} bytes; at most {MAX_CLIP} are shared")]
    TooLarge(usize),
    /// Text that is not UTF-8.
    #[error("clipboard text is not UTF-8")]
    NotUtf8,
    /// An image that is not a PNG.
    #[error("clipboard image is not a PNG")]
    NotPng,
    /// A format this version does not know.
    #[error("clipboard format {0} is not known")]
    UnknownFormat(u8),
    /// A chunk that does not continue the clip being received.
    #[error("clipboard chunk out of order")]
    OutOfOrder,
}

impl Clip {
    /// Parses PNG bytes.
    pub fn png(bytes: Vec<u8>) -> Result<Clip, ClipError> {
        check_size(bytes.len())?;
        if !bytes.starts_with(&PNG_SIGNATURE) {
            return Err(ClipError::NotPng);
        }
        Ok(Clip::Png(bytes))
    }

    /// Text, if within the size limit.
    pub fn text(text: String) -> Result<Clip, ClipError> {
        check_size(text.len())?;
        Ok(Clip::Text(text))
    }

    /// Parses a whole clip of a format.
    pub fn parse(format: ClipFormat, bytes: Vec<u8>) -> Result<Clip, ClipError> {
        match format {
            ClipFormat::Text => {
                Clip::text(String::from_utf8(bytes).map_err(|_| ClipError::NotUtf8)?)
            }
            ClipFormat::Png => Clip::png(bytes),
            ClipFormat::Other(b) => Err(ClipError::UnknownFormat(b)),
        }
    }

    /// Its format.
    pub fn format(&self) -> ClipFormat {
        match self {
            Clip::Text(_) => ClipFormat::Text,
            Clip::Png(_) => ClipFormat::Png,
        }
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Clip::Text(t) => t.as_bytes(),
            Clip::Png(p) => p,
        }
    }

    /// "text (12 bytes)" / "an image (1.2 MB)": for people and logs (never the content).
    pub fn describe(&self) -> String {
        let kind = match self {
            Clip::Text(_) => "text",
            Clip::Png(_) => "an image",
        };
        format!("{kind} ({})", size_in_words(self.bytes().len()))
    }

    /// The messages that carry this clip, in order. An empty clip is one empty chunk.
    pub fn messages(&self, serial: u32) -> Vec<Message> {
        let bytes = self.bytes();
        let total = bytes.len() as u32;
        let chunk = |offset: usize, data: &[u8]| {
            Message::Clipboard(ClipChunk {
                serial,
                format: self.format(),
                total,
                offset: offset as u32,
                data: data.to_vec(),
            })
        };
        if bytes.is_empty() {
            return vec![chunk(0, &[])];
        }
        bytes
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, data)| chunk(i * CHUNK, data))
            .collect()
    }
}

/// "12 bytes", "81 KB", "1.2 MB" (decimal units, as file managers show them).
pub fn size_in_words(bytes: usize) -> String {
    match bytes {
        1 => "1 byte".to_owned(),
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{} KB", (bytes + 500) / 1_000),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn check_size(len: usize) -> Result<(), ClipError> {
    if len > MAX_CLIP as usize {
        Err(ClipError::TooLarge(len))
    } else {
        Ok(())
    }
}

/// Puts a clip back together from its chunks. Holds at most one clip.
#[derive(Debug, Default)]
pub struct ClipAssembler {
    current: Option<Partial>,
}

#[derive(Debug)]
struct Partial {
    serial: u32,
    format: ClipFormat,
    total: u32,
    bytes: Vec<u8>,
}

impl ClipAssembler {
    /// Takes one chunk: `Ok(Some(clip))` when it completes a clip, `Ok(None)` while more are
    /// due. On an error the unfinished clip is dropped.
    pub fn handle(&mut self, chunk: ClipChunk) -> Result<Option<Clip>, ClipError> {
        if chunk.offset == 0 {
            if let ClipFormat::Other(b) = chunk.format {
                self.current = None;
                return Err(ClipError::UnknownFormat(b));
            }
            check_size(chunk.total as usize)?;
            self.current = Some(Partial {
                serial: chunk.serial,
                format: chunk.format,
                total: chunk.total,
                // grows with what arrives, not with what is announced
                bytes: Vec::new(),
            });
        }
        let Some(partial) = self.current.as_mut() else {
            return Err(ClipError::OutOfOrder);
        };
        let continues = partial.serial == chunk.serial
            && partial.format == chunk.format
            && partial.total == chunk.total
            && partial.bytes.len() == chunk.offset as usize
            && partial.bytes.len() + chunk.data.len() <= partial.total as usize;
        if !continues {
            self.current = None;
            return Err(ClipError::OutOfOrder);
        }
        partial.bytes.extend_from_slice(&chunk.data);
        if partial.bytes.len() < partial.total as usize {
            return Ok(None);
        }
        let Some(done) = self.current.take() else {
            return Ok(None);
        };
        Clip::parse(done.format, done.bytes).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(clip: &Clip, serial: u32) -> Vec<ClipChunk> {
        clip.messages(serial)
            .into_iter()
            .map(|m| match m {
                Message::Clipboard(c) => c,
                other => panic!("not a clipboard chunk: {other:?}"),
            })
            .collect()
    }

    fn png_of(len: usize) -> Vec<u8> {
        let mut b = PNG_SIGNATURE.to_vec();
        b.resize(len, 7);
        b
    }

    #[test]
    fn a_clip_survives_chunking_and_the_wire() {
        for clip in [
            Clip::Text(String::new()),
            Clip::Text("héllo".into()),
            Clip::Text("x".repeat(CHUNK * 3 + 5)),
            Clip::Png(png_of(CHUNK)),
        ] {
            let mut a = ClipAssembler::default();
            let mut out = None;
            let parts = chunks(&clip, 9);
            assert_eq!(parts.len(), clip.bytes().len().div_ceil(CHUNK).max(1));
            for c in parts {
                assert!(c.data.len() <= CHUNK);
                let wire = Message::Clipboard(c).encode();
                let Ok(Message::Clipboard(c)) = Message::decode(&wire) else {
                    panic!("did not decode");
                };
                assert!(out.is_none(), "completed early");
                out = a.handle(c).expect("valid chunk");
            }
            assert_eq!(out, Some(clip));
        }
    }

    #[test]
    fn a_new_copy_replaces_an_unfinished_one() {
        let mut a = ClipAssembler::default();
        let old = chunks(&Clip::Text("a".repeat(CHUNK + 1)), 1);
        assert_eq!(a.handle(old[0].clone()), Ok(None));
        let new = chunks(&Clip::Text("new".into()), 2);
        assert_eq!(a.handle(new[0].clone()), Ok(Some(Clip::Text("new".into()))));
        // the rest of the old one is out of order now
        assert_eq!(a.handle(old[1].clone()), Err(ClipError::OutOfOrder));
    }

    #[test]
    fn bad_clips_are_refused_and_nothing_is_kept() {
        let mut a = ClipAssembler::default();
        let mut c = chunks(&Clip::Text("ok".into()), 1).remove(0);
        c.data = vec![0xff, 0xfe];
        assert_eq!(a.handle(c), Err(ClipError::NotUtf8));
        let mut c = chunks(&Clip::Png(png_of(20)), 2).remove(0);
        c.data[0] = 0;
        assert_eq!(a.handle(c), Err(ClipError::NotPng));
        let mut c = chunks(&Clip::Text("ok".into()), 3).remove(0);
        c.format = ClipFormat::Other(9);
        assert_eq!(a.handle(c), Err(ClipError::UnknownFormat(9)));
        // a chunk in the middle of nothing
        let mut c = chunks(&Clip::Text("ok".into()), 4).remove(0);
        c.offset = 1;
        c.data = vec![b'k'];
        assert_eq!(a.handle(c), Err(ClipError::OutOfOrder));
        // a gap
        let parts = chunks(&Clip::Text("z".repeat(CHUNK * 3)), 5);
        assert_eq!(a.handle(parts[0].clone()), Ok(None));
        assert_eq!(a.handle(parts[2].clone()), Err(ClipError::OutOfOrder));
        assert_eq!(a.handle(parts[1].clone()), Err(ClipError::OutOfOrder));
        assert!(a.current.is_none());
    }

    #[test]
    fn the_size_limit_holds_before_anything_is_stored() {
        assert_eq!(
            Clip::text("a".repeat(MAX_CLIP as usize + 1)),
            Err(ClipError::TooLarge(MAX_CLIP as usize + 1))
        );
        // an oversized announcement does not decode at all
        let m = Message::Clipboard(ClipChunk {
            serial: 1,
            format: ClipFormat::Text,
            total: MAX_CLIP + 1,
            offset: 0,
            data: vec![],
        });
        assert!(Message::decode(&m.encode()).is_err());
        // nor does a chunk reaching past its total
        let m = Message::Clipboard(ClipChunk {
            serial: 1,
            format: ClipFormat::Text,
            total: 2,
            offset: 1,
            data: vec![1, 2],
        });
        assert!(Message::decode(&m.encode()).is_err());
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(size_in_words(1), "1 byte");
        assert_eq!(size_in_words(999), "999 bytes");
        assert_eq!(size_in_words(81_920), "82 KB");
        assert_eq!(size_in_words(1_048_576), "1.0 MB");
        assert_eq!(Clip::Text("hi".into()).describe(), "text (2 bytes)");
        assert_eq!(Clip::Png(png_of(2_000_000)).describe(), "an image (2.0 MB)");
    }

    #[test]
    fn golden_chunk() {
        let m = Message::Clipboard(ClipChunk {
            serial: 3,
            format: ClipFormat::Text,
            total: 2,
            offset: 0,
            data: b"hi".to_vec(),
        });
        assert_eq!(
            m.encode(),
            [
                80, 0, 19, 0, 0, 0, 3, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, b'h', b'i'
            ]
        );
    }
}
