// The shared clipboard's message (protocol/src/clipboard.rs and wire.rs id 80), for the browser
// viewer: what one side copied, carried to the other in chunks of one serial. Pure (no DOM),
// so the tests run it under node.
//
//  payload = serial u32 | format u8 (1 text, 2 PNG) | total u32 | offset u32 | data (u32 len + bytes)
//
// The agent sends the customer's clipboard on the `files` channel; the viewer sends its own on
// the `input` channel, so a paste key pressed after it finds it there. The chunks come from the
// customer's agent, which may be broken or hostile: the decoder checks what the Rust decoder
// checks, and ClipAssembler holds at most one clip, never more than it has received.

import { HEADER_LEN, MAX_PAYLOAD, Reader, WireError, Writer } from "./frames";

/** The message id (`wire::id::CLIPBOARD`); never reused or renumbered. */
export const CLIPBOARD_ID = 80;
/** Largest clip in bytes (`MAX_CLIP`): a 4K screenshot as PNG fits; memory stays bounded. */
export const MAX_CLIP = 16 * 1024 * 1024;
/** Largest chunk payload (`clipboard::CHUNK`): under a data channel's 64 KiB message. */
export const CHUNK = 60 * 1024;

/** The format byte (`ClipFormat`); other values come from newer peers and are never applied. */
export const FORMAT = { TEXT: 1, PNG: 2 } as const;

/** The eight bytes every PNG file starts with. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** One chunk as on the wire. The decoder guarantees total ≤ MAX_CLIP, offset + data ≤ total. */
export interface ClipChunk {
  /** Same for every chunk of one clip; a new copy takes a new serial. */
  serial: number;
  /** What the whole clip holds (FORMAT, or a newer peer's byte). */
  format: number;
  /** Size of the whole clip in bytes. */
  total: number;
  /** Where `data` goes in the clip. */
  offset: number;
  /** At most CHUNK bytes. */
  data: Uint8Array;
}

/** A whole clip, parsed: text was valid UTF-8, an image starts like a PNG (not decoded here). */
export type Clip = { kind: "text"; text: string } | { kind: "png"; bytes: Uint8Array };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const toUtf8 = new TextEncoder();

/** The clip's bytes as they travel (text as UTF-8). */
export function clipBytes(clip: Clip): Uint8Array {
  return clip.kind === "text" ? toUtf8.encode(clip.text) : clip.bytes;
}

/** "text, 12 bytes" / "image, 4096 bytes": for people and logs, never the content. */
export function describeClip(clip: Clip): string {
  return `${clip.kind === "text" ? "text" : "image"}, ${clipBytes(clip).length} bytes`;
}

function checkSize(len: number): void {
  if (len > MAX_CLIP) throw new WireError(`the clipboard holds ${len} bytes; at most ${MAX_CLIP} are shared`);
}

/**
 * A whole clip of `format` from its bytes (`Clip::parse`). Throws WireError for text that is
 * not UTF-8, an image that is not a PNG, a format this version does not know, or too many bytes.
 */
export function parseClip(format: number, bytes: Uint8Array): Clip {
  checkSize(bytes.length);
  switch (format) {
    case FORMAT.TEXT:
      try {
        return { kind: "text", text: utf8.decode(bytes) };
      } catch {
        throw new WireError("clipboard text is not UTF-8");
      }
    case FORMAT.PNG:
      if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
        throw new WireError("clipboard image is not a PNG");
      }
      return { kind: "png", bytes };
    default:
      throw new WireError(`clipboard format ${format} is not known`);
  }
}

/** One chunk as a frame. Throws WireError for a chunk the agent's decoder would refuse. */
export function encodeClipChunk(chunk: ClipChunk): Uint8Array {
  checkChunk(chunk.total, chunk.offset, chunk.data.length);
  return new Writer(CLIPBOARD_ID)
    .u32(chunk.serial, "clip serial")
    .u8(chunk.format, "clip format")
    .u32(chunk.total, "clip total")
    .u32(chunk.offset, "clip offset")
    .bytes(chunk.data)
    .finish();
}

/**
 * The frames that carry `clip`, in order (`Clip::messages`): chunks of CHUNK bytes at offsets
 * 0, CHUNK, 2·CHUNK…; an empty clip is one empty chunk. Throws WireError past MAX_CLIP.
 */
export function encodeClipChunks(serial: number, clip: Clip): Uint8Array[] {
  const bytes = clipBytes(clip);
  checkSize(bytes.length);
  const format = clip.kind === "text" ? FORMAT.TEXT : FORMAT.PNG;
  const out: Uint8Array[] = [];
  for (let offset = 0; offset === 0 || offset < bytes.length; offset += CHUNK) {
    const data = bytes.subarray(offset, Math.min(offset + CHUNK, bytes.length));
    out.push(encodeClipChunk({ serial, format, total: bytes.length, offset, data }));
  }
  return out;
}

/** What the Rust decoder refuses of a chunk's sizes (wire_decode.rs, id::CLIPBOARD). */
function checkChunk(total: number, offset: number, len: number): void {
  if (total > MAX_CLIP || len > CHUNK || offset + len > total) throw new WireError("invalid clipboard chunk");
}

/**
 * Decodes a clipboard chunk, or null when `frame` is another message. Throws WireError when
 * it is malformed: truncated, trailing bytes, or sizes the Rust decoder refuses. `data` is a
 * view into `frame`.
 */
export function decodeClipChunk(frame: Uint8Array): ClipChunk | null {
  if (frame.length < HEADER_LEN) throw new WireError("message truncated");
  const header = new DataView(frame.buffer, frame.byteOffset, HEADER_LEN);
  if (header.getUint16(0, true) !== CLIPBOARD_ID) return null;
  const len = header.getUint32(2, true);
  if (len > MAX_PAYLOAD) throw new WireError(`message of ${len} bytes exceeds the limit`);
  if (frame.length < HEADER_LEN + len) throw new WireError("message truncated");
  if (frame.length > HEADER_LEN + len) throw new WireError("trailing bytes after message");
  const r = new Reader(frame.subarray(HEADER_LEN));
  const chunk: ClipChunk = { serial: r.u32(), format: r.u8(), total: r.u32(), offset: r.u32(), data: r.bytesView() };
  if (r.remaining !== 0) throw new WireError("trailing bytes after message");
  checkChunk(chunk.total, chunk.offset, chunk.data.length);
  return chunk;
}

/** The clip being received. */
interface Partial {
  serial: number;
  format: number;
  total: number;
  /** Copies of the chunks so far: memory grows with what arrived, not with what was announced. */
  parts: Uint8Array[];
  received: number;
}

/**
 * Puts a clip back together from its chunks (`ClipAssembler`). Holds at most one clip: a
 * chunk at offset 0 starts a new one and drops an unfinished one (the newest copy wins, as on
 * a desktop). Chunks come in order on an ordered channel; anything else is a broken sender.
 */
export class ClipAssembler {
  private current: Partial | null = null;

  /**
   * Takes one chunk: the clip it completes, or null while more are due. Throws WireError for
   * a chunk that does not continue the clip being received, an unknown format, or a whole
   * clip that does not parse; the unfinished clip is dropped then.
   */
  handle(chunk: ClipChunk): Clip | null {
    if (chunk.offset === 0) {
      this.current = null;
      if (chunk.format !== FORMAT.TEXT && chunk.format !== FORMAT.PNG) {
        throw new WireError(`clipboard format ${chunk.format} is not known`);
      }
      checkSize(chunk.total);
      this.current = { serial: chunk.serial, format: chunk.format, total: chunk.total, parts: [], received: 0 };
    }
    const p = this.current;
    const continues =
      p !== null &&
      p.serial === chunk.serial &&
      p.format === chunk.format &&
      p.total === chunk.total &&
      p.received === chunk.offset &&
      p.received + chunk.data.length <= p.total;
    if (!continues) {
      this.current = null;
      throw new WireError("clipboard chunk out of order");
    }
    // A copy: `data` is a view into a frame the channel may hand on.
    if (chunk.data.length > 0) p.parts.push(chunk.data.slice());
    p.received += chunk.data.length;
    if (p.received < p.total) return null;
    this.current = null;
    const whole = new Uint8Array(p.total);
    let at = 0;
    for (const part of p.parts) {
      whole.set(part, at);
      at += part.length;
    }
    return parseClip(p.format, whole);
  }

  /** Forgets an unfinished clip (the link is gone). */
  reset(): void {
    this.current = null;
  }
}
