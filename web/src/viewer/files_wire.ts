// The file-transfer messages of the wire format (protocol/src/wire.rs ids 64–71), for the
// browser viewer: encoders for what a viewer sends and a decoder for what the agent sends.
//
//  sender                                  receiver
//  FileOffer{id,name,size,sha256} ───────►
//                                 ◄───────  FileAccept{id, offset}
//  FileChunk{id,offset,data} × n  ───────►
//                                 ◄───────  FileComplete{id} (after the SHA-256 check)
//  FileFailed{id, reason} either way.   FileFetch / ListDir → an offer / DirListing back.

import { HEADER_LEN, MAX_PAYLOAD, Reader, WireError, Writer } from "./frames";

/** Largest chunk payload (protocol/src/files.rs CHUNK): under the 64 KiB channel message. */
export const CHUNK = 60 * 1024;

export interface DirEntry {
  name: string;
  isDir: boolean;
  size: number;
}

export type FileMessage =
  | { kind: "file_offer"; id: number; name: string; size: number; sha256: Uint8Array }
  | { kind: "file_accept"; id: number; offset: number }
  | { kind: "file_chunk"; id: number; offset: number; data: Uint8Array }
  | { kind: "file_complete"; id: number }
  | { kind: "file_failed"; id: number; reason: string }
  | { kind: "dir_listing"; id: number; entries: DirEntry[] };

const FILE_OFFER = 64;
const FILE_ACCEPT = 65;
const FILE_CHUNK = 66;
const FILE_COMPLETE = 67;
const FILE_FAILED = 68;
const FILE_FETCH = 69;
const LIST_DIR = 70;
const DIR_LISTING = 71;

/** Sizes and offsets beyond 2^53 are no file a browser holds. */
function safe(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`${what} too large`);
  return Number(v);
}

/**
 * Decodes a file message the agent sent, or null when `frame` is another message. Throws
 * WireError when it is malformed. Chunk data is a view into `frame`.
 */
export function decodeFileMessage(frame: Uint8Array): FileMessage | null {
  if (frame.length < HEADER_LEN) throw new WireError("message truncated");
  const header = new DataView(frame.buffer, frame.byteOffset, HEADER_LEN);
  const id = header.getUint16(0, true);
  if (id < FILE_OFFER || id > DIR_LISTING) return null;
  const len = header.getUint32(2, true);
  if (len > MAX_PAYLOAD) throw new WireError(`message of ${len} bytes exceeds the limit`);
  if (frame.length !== HEADER_LEN + len) throw new WireError("message length does not match its header");
  const r = new Reader(frame.subarray(HEADER_LEN));
  let msg: FileMessage | null;
  switch (id) {
    case FILE_OFFER:
      msg = { kind: "file_offer", id: r.u32(), name: r.string(), size: safe(r.u64(), "size"), sha256: r.fixed(32) };
      break;
    case FILE_ACCEPT:
      msg = { kind: "file_accept", id: r.u32(), offset: safe(r.u64(), "offset") };
      break;
    case FILE_CHUNK:
      msg = { kind: "file_chunk", id: r.u32(), offset: safe(r.u64(), "offset"), data: r.bytesView() };
      break;
    case FILE_COMPLETE:
      msg = { kind: "file_complete", id: r.u32() };
      break;
    case FILE_FAILED:
      msg = { kind: "file_failed", id: r.u32(), reason: r.string() };
      break;
    case DIR_LISTING: {
      const listing = r.u32();
      const count = r.u32();
      // Each entry needs at least 13 bytes: a count the bytes cannot hold is a lie.
      if (count > r.remaining / 13) throw new WireError("message truncated");
      const entries: DirEntry[] = [];
      for (let i = 0; i < count; i++) {
        entries.push({ name: r.string(), isDir: r.bool(), size: safe(r.u64(), "size") });
      }
      msg = { kind: "dir_listing", id: listing, entries };
      break;
    }
    default:
      // FileFetch and ListDir go from viewer to agent only.
      msg = null;
  }
  if (msg !== null && r.remaining !== 0) throw new WireError("trailing bytes after message");
  return msg;
}

export function encodeFileOffer(id: number, name: string, size: number, sha256: Uint8Array): Uint8Array {
  if (sha256.length !== 32) throw new WireError("a SHA-256 has 32 bytes");
  return new Writer(FILE_OFFER).u32(id, "id").str(name).u64(BigInt(size), "size").raw(sha256).finish();
}

export function encodeFileAccept(id: number, offset: number): Uint8Array {
  return new Writer(FILE_ACCEPT).u32(id, "id").u64(BigInt(offset), "offset").finish();
}

export function encodeFileChunk(id: number, offset: number, data: Uint8Array): Uint8Array {
  return new Writer(FILE_CHUNK).u32(id, "id").u64(BigInt(offset), "offset").bytes(data).finish();
}

export function encodeFileComplete(id: number): Uint8Array {
  return new Writer(FILE_COMPLETE).u32(id, "id").finish();
}

export function encodeFileFailed(id: number, reason: string): Uint8Array {
  return new Writer(FILE_FAILED).u32(id, "id").str(reason).finish();
}

export function encodeFileFetch(id: number, path: string): Uint8Array {
  return new Writer(FILE_FETCH).u32(id, "id").str(path).finish();
}

export function encodeListDir(id: number, path: string): Uint8Array {
  return new Writer(LIST_DIR).u32(id, "id").str(path).finish();
}
