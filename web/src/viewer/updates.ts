// The viewer's assembly of chunked screen updates, as protocol/src/updates.rs does it for the
// native viewer: FrameUpdate chunks with one `seq` are held until the chunk with `last` set,
// then handed out whole (raster.ts applies them), so a viewer never shows half an update.
//
// The agent may be hostile or broken, so what it can make this page hold is bounded, with
// the Rust limits:
// - the picture: a screen beyond MAX_SCREEN_SIDE / MAX_SCREEN_PIXELS (8K UHD) is refused
//   before anything is allocated (the session cannot go on: `fatal`);
// - the update being assembled: at most `pendingLimit(width, height)` bytes, counted like
//   Rust's `held_bytes` (tile data plus bookkeeping per tile and per chunk, so a flood of
//   empty tiles counts too); the chunk that would go over drops the whole update;
// - one update at a time: a chunk with a new seq means the agent abandoned the unfinished
//   update (a keyframe follows), so its chunks are dropped.
// An update dropped part-way (too large, size changed between parts) has its later parts
// ignored, so no half of it is ever shown.
//
// Errors are values, not exceptions: `push` returns an UpdateError, whose `needsKeyframe`
// says the picture needs a fresh screen (send a RefreshRequest, as the Rust viewer does) and
// whose `fatal` says every further update of that screen would be refused too (leave).

import type { EncodedTile, FrameUpdate } from "./frames";
import { MAX_PAYLOAD } from "./frames";

/** Largest screen side a FrameUpdate may announce (`MAX_SCREEN_SIDE`). */
export const MAX_SCREEN_SIDE = 16384;
/** Largest screen area a FrameUpdate may announce (`MAX_SCREEN_PIXELS`, 8K UHD). */
export const MAX_SCREEN_PIXELS = 7680 * 4320;
/** Most bytes an unfinished update may hold, whatever the screen (`MAX_PENDING_BYTES`). */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/**
 * What holding one tile and one chunk costs besides tile data: Rust's held_bytes counts
 * `size_of::<EncodedTile>()` and `size_of::<FrameUpdate>()`, 40 bytes each on 64-bit targets
 * (pinned by protocol/tests/web_vectors.rs), so both viewers drop the same updates.
 */
export const TILE_OVERHEAD = 40;
export const CHUNK_OVERHEAD = 40;

/** Whether a `width`×`height` screen is within MAX_SCREEN_SIDE and MAX_SCREEN_PIXELS. */
export function screenSizeAllowed(width: number, height: number): boolean {
  return width <= MAX_SCREEN_SIDE && height <= MAX_SCREEN_SIDE && width * height <= MAX_SCREEN_PIXELS;
}

/** Most bytes an unfinished update of a `width`×`height` screen may hold (`pending_limit`). */
export function pendingLimit(width: number, height: number): number {
  return Math.min(4 * width * height + MAX_PAYLOAD, MAX_PENDING_BYTES);
}

/** What holding a chunk costs (`held_bytes`). */
export function heldBytes(chunk: FrameUpdate): number {
  let n = CHUNK_OVERHEAD;
  for (const t of chunk.tiles) n += TILE_OVERHEAD + t.data.length;
  return n;
}

/** A whole update: the tiles of all its chunks, in order. */
export interface CompleteUpdate {
  seq: number;
  width: number;
  height: number;
  tiles: EncodedTile[];
  /** Wire bytes of all its chunks, as counted by the caller. */
  bytes: number;
}

export type UpdateErrorKind = "screen_too_large" | "too_large" | "size_changed";

/** Why a chunk was refused; whatever the error, the unfinished update was dropped. */
export interface UpdateError {
  kind: UpdateErrorKind;
  /** The update's number. */
  seq: number;
  /** Words for a log or a person (the Rust error's text). */
  error: string;
  /** The picture needs a fresh screen: ask the agent for one. */
  needsKeyframe: boolean;
  /** The screen is larger than this viewer accepts: no later update can be shown either. */
  fatal: boolean;
}

export class UpdateStream {
  /** Chunks of the unfinished update, all with one seq and one screen size. */
  private pending: FrameUpdate[] = [];
  private held = 0;
  private wireBytes = 0;
  /** An update dropped part-way: its later parts are ignored. */
  private abandoned: number | null = null;

  /** Bytes held by the unfinished update; never above its screen's pendingLimit. */
  get pendingBytes(): number {
    return this.held;
  }

  /** Forgets the unfinished update (a new link: the agent starts with a keyframe). */
  reset(): void {
    this.dropPending();
    this.abandoned = null;
  }

  /**
   * One chunk that took `wireBytes` on the wire. Returns the whole update when this was its
   * last chunk, an UpdateError when the chunk was refused, and null when it is held (or
   * ignored, being part of an update dropped earlier).
   */
  push(chunk: FrameUpdate, wireBytes: number): CompleteUpdate | UpdateError | null {
    const { seq, width, height } = chunk;
    if (!screenSizeAllowed(width, height)) {
      this.dropPending();
      return fail(
        "screen_too_large",
        seq,
        `the customer's screen is larger than this viewer accepts (${width}x${height})`,
        true,
      );
    }
    const first = this.pending[0];
    if (first !== undefined && first.seq !== seq) this.dropPending();
    if (this.abandoned === seq) {
      if (chunk.last) this.abandoned = null;
      return null;
    }
    this.abandoned = null;
    const head = this.pending[0];
    if (head !== undefined && (head.width !== width || head.height !== height)) {
      this.dropPending();
      this.abandoned = chunk.last ? null : seq;
      return fail("size_changed", seq, `screen update ${seq} changes the screen size between its parts`);
    }
    const limit = pendingLimit(width, height);
    const held = this.held + heldBytes(chunk);
    if (held > limit) {
      this.dropPending();
      this.abandoned = chunk.last ? null : seq;
      return fail("too_large", seq, `screen update ${seq} holds more than ${limit} bytes before its last chunk; dropped`);
    }
    this.held = held;
    this.wireBytes += wireBytes;
    this.pending.push(chunk);
    if (!chunk.last) return null;
    const chunks = this.pending;
    const bytes = this.wireBytes;
    this.dropPending();
    const tiles = chunks.length === 1 ? chunk.tiles : chunks.flatMap((c) => c.tiles);
    return { seq, width, height, tiles, bytes };
  }

  private dropPending(): void {
    this.pending = [];
    this.held = 0;
    this.wireBytes = 0;
  }
}

function fail(kind: UpdateErrorKind, seq: number, error: string, fatal = false): UpdateError {
  return { kind, seq, error, needsKeyframe: !fatal, fatal };
}

/** Tells a refused chunk from a whole update in `push`'s result. */
export function isUpdateError(r: CompleteUpdate | UpdateError): r is UpdateError {
  return "error" in r;
}
