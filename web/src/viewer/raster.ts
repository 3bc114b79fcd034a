// The browser viewer's picture, as protocol/src/picture.rs keeps it for the native viewer:
// whole updates (updates.ts) are applied tile by tile, in order, each tile checked against
// the picture's bounds first, so a broken or hostile agent can make an update fail but never
// write outside the picture. Pixels are RGBA with alpha 255, the layout of canvas ImageData,
// so the page can put the dirty rectangles straight from `pixels`.
//
// Lossless tiles come out pixel-exact (test/viewer_decode.test.ts compares against pictures
// the Rust viewer built, from protocol/tests/web_vectors.rs). JPEG tiles are decoded by the
// caller (the browser's codec is asynchronous, this code is not) and handed in as RGBA.
//
// Speed: a 1920×1080 picture with scrolling text at 30–60 updates a second. Pixels are
// written as 32-bit words through a Uint32Array over the same buffer (a row fill for solid
// tiles, copyWithin for copies), and nothing is allocated per pixel or per row.

import { decompress } from "fzstd";

import type { EncodedTile } from "./frames";
import { screenSizeAllowed } from "./updates";

/** Tile encodings (`TileEncoding`). */
export const ENCODING = { ZSTD: 1, SOLID: 2, COPY: 3, JPEG: 4 } as const;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A JPEG tile decoded by the caller: RGBA, exactly the tile's size. */
export interface DecodedJpeg {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** What `Raster.apply` needs of an update (a CompleteUpdate fits). */
export interface TileUpdate {
  width: number;
  height: number;
  tiles: readonly EncodedTile[];
}

export type TileErrorKind = "out_of_bounds" | "unknown_encoding" | "corrupt" | "codec" | "screen_too_large";

/** A tile that does not apply. The picture may be partly updated: it needs a keyframe. */
export class TileError extends Error {
  override name = "TileError";
  constructor(
    readonly kind: TileErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The tiles of `update` the caller must decode as JPEG before `Raster.apply`. */
export function jpegTilesOf(update: { tiles: readonly EncodedTile[] }): EncodedTile[] {
  return update.tiles.filter((t) => t.encoding === ENCODING.JPEG);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** The alpha byte of an RGBA pixel read as a 32-bit word. */
const ALPHA = LITTLE_ENDIAN ? 0xff00_0000 : 0xff;
/** Opaque R,G,B as a 32-bit word in the platform's byte order. */
function rgba32(r: number, g: number, b: number): number {
  return LITTLE_ENDIAN ? (ALPHA | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0;
}

export class Raster {
  width = 0;
  height = 0;
  /** RGBA, row by row, alpha 255. Replaced (a new array) whenever the size changes. */
  pixels = new Uint8ClampedArray(0);
  private words = new Uint32Array(0);

  /**
   * Applies the tiles of one whole update in order, first resizing to black when the screen
   * size changed. Returns the rectangles written (a copy's is its destination), in order.
   * Throws TileError at the first tile that does not apply (outside the picture, corrupt,
   * an unknown encoding, a JPEG missing from `jpegs` or of the wrong size); tiles before it
   * stay applied, so the caller should ask for a keyframe.
   */
  apply(update: TileUpdate, jpegs: ReadonlyMap<EncodedTile, DecodedJpeg> = new Map()): Rect[] {
    const { width, height } = update;
    if (!screenSizeAllowed(width, height)) {
      throw new TileError("screen_too_large", `the customer's screen is larger than this viewer accepts (${width}x${height})`);
    }
    if (width !== this.width || height !== this.height) this.resize(width, height);
    const dirty: Rect[] = [];
    for (const t of update.tiles) {
      this.place(t);
      switch (t.encoding) {
        case ENCODING.SOLID:
          this.solid(t);
          break;
        case ENCODING.ZSTD:
          this.zstd(t);
          break;
        case ENCODING.COPY:
          this.copy(t);
          break;
        case ENCODING.JPEG:
          this.jpeg(t, jpegs.get(t));
          break;
        default:
          throw new TileError("unknown_encoding", `unknown tile encoding ${t.encoding}`);
      }
      dirty.push({ x: t.x, y: t.y, w: t.w, h: t.h });
    }
    return dirty;
  }

  private resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8ClampedArray(width * height * 4);
    this.words = new Uint32Array(this.pixels.buffer, 0, width * height);
    this.words.fill(ALPHA);
  }

  /** A tile must be non-empty and lie inside the picture (`FrameBuffer::placed`). */
  private place(t: EncodedTile): void {
    if (t.x + t.w > this.width || t.y + t.h > this.height || t.w === 0 || t.h === 0) {
      throw new TileError(
        "out_of_bounds",
        `tile ${t.w}x${t.h} at (${t.x}, ${t.y}) lies outside the ${this.width}x${this.height} screen`,
      );
    }
  }

  private solid(t: EncodedTile): void {
    const d = t.data;
    if (d.length !== 3) throw corrupt();
    const v = rgba32(d[2]!, d[1]!, d[0]!);
    for (let y = t.y, start = t.y * this.width + t.x; y < t.y + t.h; y++, start += this.width) {
      this.words.fill(v, start, start + t.w);
    }
  }

  private zstd(t: EncodedTile): void {
    const expected = t.w * t.h * 3;
    // fzstd trusts the frame: it sizes its output from the header's content size. So the
    // frame must be one whole frame announcing exactly the tile's size (the agent's always
    // do; protocol/tests/web_vectors.rs checks it), which also bounds what a lying frame can
    // make this allocate. (No reused output buffer: fzstd compares that argument with `==`
    // to a number, turning it into a string, which costs ten times the decoding.)
    if (!zstdFrameFits(t.data, expected)) throw corrupt();
    let raw: Uint8Array;
    try {
      raw = decompress(t.data);
    } catch {
      throw corrupt();
    }
    if (raw.length !== expected) throw corrupt();
    const words = this.words;
    let i = 0;
    for (let y = t.y, o = t.y * this.width + t.x; y < t.y + t.h; y++, o += this.width) {
      const end = o + t.w;
      if (LITTLE_ENDIAN) {
        for (let p = o; p < end; p++, i += 3) words[p] = 0xff00_0000 | (raw[i]! << 16) | (raw[i + 1]! << 8) | raw[i + 2]!;
      } else {
        for (let p = o; p < end; p++, i += 3) words[p] = rgba32(raw[i + 2]!, raw[i + 1]!, raw[i]!);
      }
    }
  }

  /** Rows of the picture before this tile move to the tile (`apply_vertical_move`). */
  private copy(t: EncodedTile): void {
    const d = t.data;
    if (d.length !== 4) throw corrupt();
    const sx = d[0]! | (d[1]! << 8);
    const sy = d[2]! | (d[3]! << 8);
    if (sx !== t.x) throw corrupt();
    if (sy + t.h > this.height) {
      throw new TileError("out_of_bounds", `copy from row ${sy} of ${t.h} rows leaves the ${this.width}x${this.height} screen`);
    }
    const W = this.width;
    const words = this.words;
    const row = (i: number): void => {
      const from = (sy + i) * W + t.x;
      words.copyWithin((t.y + i) * W + t.x, from, from + t.w);
    };
    // Never read a row already overwritten: moving up, go top-down; moving down, bottom-up.
    if (sy > t.y) {
      for (let i = 0; i < t.h; i++) row(i);
    } else {
      for (let i = t.h - 1; i >= 0; i--) row(i);
    }
  }

  private jpeg(t: EncodedTile, pic: DecodedJpeg | undefined): void {
    if (pic === undefined) throw new TileError("codec", `no decoded picture for the JPEG tile at (${t.x}, ${t.y})`);
    if (pic.width !== t.w || pic.height !== t.h || pic.data.length !== t.w * t.h * 4) {
      throw new TileError("corrupt", `a ${pic.width}x${pic.height} JPEG for a ${t.w}x${t.h} tile`);
    }
    const src = pic.data;
    const words = this.words;
    const aligned = src.byteOffset % 4 === 0;
    const src32 = aligned ? new Uint32Array(src.buffer, src.byteOffset, t.w * t.h) : null;
    let i = 0;
    for (let y = t.y, o = t.y * this.width + t.x; y < t.y + t.h; y++, o += this.width) {
      const end = o + t.w;
      if (src32 !== null) {
        // The codec's alpha is 255 already; forcing it keeps the picture opaque regardless.
        for (let p = o; p < end; p++, i++) words[p] = src32[i]! | ALPHA;
      } else {
        for (let p = o; p < end; p++, i++) words[p] = rgba32(src[i * 4]!, src[i * 4 + 1]!, src[i * 4 + 2]!);
      }
    }
  }
}

function corrupt(): TileError {
  return new TileError("corrupt", "corrupt tile data");
}

/** Largest block a zstd frame may hold (`ZSTD_BLOCKSIZE_MAX`). */
const ZSTD_BLOCK_MAX = 128 * 1024;

/**
 * Whether `data` is exactly one zstd frame, without dictionary, whose header announces
 * `size` bytes of content and whose blocks end exactly where `data` does. Raw and RLE
 * blocks carry their output size: together they must not exceed `size` (nor fall short of
 * it when there is nothing else). Stricter than libzstd (no skippable or further frames),
 * which no agent sends.
 */
export function zstdFrameFits(data: Uint8Array, size: number): boolean {
  if (data.length < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) return false;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const single = (fhd & 0x20) !== 0;
  const checksum = (fhd & 0x04) !== 0;
  if ((fhd & 0x08) !== 0 || (fhd & 0x03) !== 0) return false; // reserved bit; dictionary id
  if (fcsFlag === 0 && !single) return false; // no content size
  let at = 5 + (single ? 0 : 1);
  const fcsLen = fcsFlag === 0 ? 1 : 1 << fcsFlag;
  if (data.length < at + fcsLen) return false;
  let fcs = 0;
  for (let k = fcsLen - 1; k >= 0; k--) fcs = fcs * 256 + data[at + k]!;
  if (fcsFlag === 1) fcs += 256;
  if (fcs !== size) return false;
  at += fcsLen;
  let known = 0;
  let onlyKnown = true;
  for (;;) {
    if (data.length < at + 3) return false;
    const header = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
    at += 3;
    const type = (header >> 1) & 3;
    const blockSize = header >>> 3;
    if (type === 3 || blockSize > ZSTD_BLOCK_MAX) return false;
    if (type === 1) {
      known += blockSize;
      at += 1;
    } else {
      if (type === 0) known += blockSize;
      else onlyKnown = false;
      at += blockSize;
    }
    if (known > size || at > data.length) return false;
    if ((header & 1) !== 0) break;
  }
  if (checksum) at += 4;
  return at === data.length && (!onlyKnown || known === size);
}
