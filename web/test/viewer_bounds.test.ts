// What the web viewer's decoding core refuses, as the Rust viewer does: malformed frames,
// tiles outside the picture or with corrupt data, screens too large to allocate, updates that
// grow past their limit, and the rest of an update dropped part-way.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_PAYLOAD, WireError, decodeMessage, encodeInput, type EncodedTile, type FrameUpdate } from "../src/viewer/frames";
import { ENCODING, Raster, TileError, jpegTilesOf, zstdFrameFits } from "../src/viewer/raster";
import { MAX_PENDING_BYTES, UpdateStream, isUpdateError, type CompleteUpdate, type UpdateError } from "../src/viewer/updates";
import { readCase } from "./vector_files";

/** A FrameUpdate frame as wire.rs encodes it (the viewer never sends one). */
function frameBytes(u: FrameUpdate): Uint8Array {
  const len = 13 + u.tiles.reduce((n, t) => n + 13 + t.data.length, 0);
  const out = new Uint8Array(6 + len);
  const v = new DataView(out.buffer);
  v.setUint16(0, 16, true);
  v.setUint32(2, len, true);
  v.setUint32(6, u.seq, true);
  v.setUint16(10, u.width, true);
  v.setUint16(12, u.height, true);
  v.setUint8(14, u.last ? 1 : 0);
  v.setUint32(15, u.tiles.length, true);
  let at = 19;
  for (const t of u.tiles) {
    [t.x, t.y, t.w, t.h].forEach((n, i) => v.setUint16(at + 2 * i, n, true));
    v.setUint8(at + 8, t.encoding);
    v.setUint32(at + 9, t.data.length, true);
    out.set(t.data, at + 13);
    at += 13 + t.data.length;
  }
  return out;
}

const tile = (x: number, y: number, w: number, h: number, encoding: number, data: number[] | Uint8Array): EncodedTile => ({
  x,
  y,
  w,
  h,
  encoding,
  data: Uint8Array.from(data),
});
const solid = (x: number, y: number, w: number, h: number, bgr = [10, 20, 30]): EncodedTile => tile(x, y, w, h, ENCODING.SOLID, bgr);
const copy = (x: number, y: number, w: number, h: number, sx: number, sy: number): EncodedTile =>
  tile(x, y, w, h, ENCODING.COPY, [sx & 0xff, sx >> 8, sy & 0xff, sy >> 8]);
const chunk = (seq: number, width: number, height: number, last: boolean, tiles: EncodedTile[] = [solid(0, 0, 1, 1)]): FrameUpdate => ({
  seq,
  width,
  height,
  last,
  tiles,
});

function throwsWire(bytes: Uint8Array, message: RegExp): void {
  assert.throws(() => decodeMessage(bytes), (e: unknown) => e instanceof WireError && message.test(e.message));
}

test("truncated, trailing and oversized frames are refused", () => {
  const good = frameBytes(chunk(1, 64, 64, true, [solid(0, 0, 64, 64), copy(0, 1, 64, 3, 0, 0)]));
  assert.equal(decodeMessage(good).kind, "frame_update");
  for (let n = 0; n < good.length; n++) throwsWire(good.subarray(0, n), /truncated/);
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  throwsWire(longer, /trailing/);
  // A payload longer than its fields, length patched to match: trailing too.
  new DataView(longer.buffer).setUint32(2, good.length - 5, true);
  throwsWire(longer, /trailing/);
  // Too large is refused from the header alone, before waiting for (or holding) the bytes.
  const huge = new Uint8Array([16, 0, 0, 0, 0, 0]);
  new DataView(huge.buffer).setUint32(2, MAX_PAYLOAD + 1, true);
  throwsWire(huge, /exceeds the limit/);
  // A tile count the bytes cannot hold.
  const lying = good.slice();
  new DataView(lying.buffer).setUint32(15, 0xffff_ffff, true);
  throwsWire(lying, /truncated/);
});

test("values the Rust decoder refuses are refused", () => {
  const bad = frameBytes(chunk(1, 64, 64, true));
  bad[14] = 2; // `last` is a boolean
  throwsWire(bad, /boolean/);
  const end = new Uint8Array([7, 0, 6, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0x28]);
  throwsWire(end, /utf-8/);
  const cursor = (w: number, h: number, hx: number, hy: number, n: number): Uint8Array => {
    const out = new Uint8Array(6 + 16 + n);
    const v = new DataView(out.buffer);
    v.setUint16(0, 17, true);
    v.setUint32(2, 16 + n, true);
    [w, h, hx, hy].forEach((x, i) => v.setUint16(10 + 2 * i, x, true));
    v.setUint32(18, n, true);
    return out;
  };
  assert.equal(decodeMessage(cursor(2, 2, 1, 1, 16)).kind, "cursor_shape");
  assert.equal(decodeMessage(cursor(0, 0, 5, 5, 0)).kind, "cursor_shape", "an empty cursor");
  throwsWire(cursor(2, 2, 2, 1, 16), /cursor/);
  throwsWire(cursor(2, 2, 1, 1, 15), /cursor/);
  throwsWire(cursor(257, 1, 0, 0, 257 * 4), /cursor/);
  // Rights bits a newer peer may send grant nothing here.
  const welcome = new Uint8Array([2, 0, 6, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(decodeMessage(welcome), { kind: "welcome", version: 1, rights: 0b11_1111 });
});

test("encoders refuse values that do not fit their field", () => {
  assert.throws(() => encodeInput({ type: "pointer_move", x: 65536, y: 0 }), WireError);
  assert.throws(() => encodeInput({ type: "pointer_move", x: -1, y: 0 }), WireError);
  assert.throws(() => encodeInput({ type: "wheel", dx: 0.5, dy: 0 }), WireError);
  assert.throws(() => encodeInput({ type: "text", text: "x".repeat(MAX_PAYLOAD) }), WireError);
  // Long values grow the buffer as they go.
  const text = "Grüße ☺ ".repeat(5000);
  assert.deepEqual(decodeMessage(encodeInput({ type: "text", text })), { kind: "input", event: { type: "text", text } });
});

/** A 4×4 raster with each pixel's own colour, and its pixels for comparing afterwards. */
function numbered(): { raster: Raster; before: Uint8ClampedArray } {
  const raster = new Raster();
  const tiles: EncodedTile[] = [];
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) tiles.push(solid(x, y, 1, 1, [x, y, 16 * y + x]));
  raster.apply({ width: 4, height: 4, tiles });
  return { raster, before: raster.pixels.slice() };
}

function refuses(raster: Raster, tiles: EncodedTile[], kind: TileError["kind"]): void {
  assert.throws(
    () => raster.apply({ width: raster.width, height: raster.height, tiles }),
    (e: unknown) => e instanceof TileError && e.kind === kind,
  );
}

test("tiles outside the picture or empty are refused without writing", () => {
  const { raster, before } = numbered();
  refuses(raster, [solid(3, 0, 2, 1)], "out_of_bounds");
  refuses(raster, [solid(0, 3, 1, 2)], "out_of_bounds");
  refuses(raster, [solid(0, 0, 0, 1)], "out_of_bounds");
  refuses(raster, [solid(0, 0, 1, 0)], "out_of_bounds");
  refuses(raster, [copy(0, 2, 4, 2, 0, 3)], "out_of_bounds"); // source rows leave the picture
  refuses(raster, [copy(1, 3, 4, 1, 1, 0)], "out_of_bounds");
  refuses(raster, [tile(4, 0, 1, 1, ENCODING.JPEG, [])], "out_of_bounds");
  assert.deepEqual(raster.pixels, before);
});

test("copies need sx = x and move rows like the native viewer, both ways", () => {
  const { raster, before } = numbered();
  refuses(raster, [copy(1, 0, 2, 2, 0, 2)], "corrupt");
  refuses(raster, [tile(0, 0, 2, 2, ENCODING.COPY, [0, 0, 1])], "corrupt");
  assert.deepEqual(raster.pixels, before);
  const row = (y: number, x0 = 1, x1 = 3): number[] =>
    Array.from({ length: x1 - x0 }, (_, i) => raster.pixels[(y * 4 + x0 + i) * 4]!);
  // Up by one, overlapping: rows 1..3 of columns 1..2 go to rows 0..2.
  assert.deepEqual(raster.apply({ width: 4, height: 4, tiles: [copy(1, 0, 2, 3, 1, 1)] }), [{ x: 1, y: 0, w: 2, h: 3 }]);
  assert.deepEqual([row(0), row(1), row(2), row(3)], [[17, 18], [33, 34], [49, 50], [49, 50]]);
  assert.deepEqual(row(0, 0, 1), [0], "column 0 unmoved");
  // Down by one, overlapping: rows 0..2 go to rows 1..3.
  raster.apply({ width: 4, height: 4, tiles: [copy(1, 1, 2, 3, 1, 0)] });
  assert.deepEqual([row(0), row(1), row(2), row(3)], [[17, 18], [17, 18], [33, 34], [49, 50]]);
  assert.ok(raster.pixels.every((b, i) => i % 4 !== 3 || b === 255), "opaque");
});

test("corrupt tile data and unknown encodings are refused", () => {
  const scroll = readCase("scroll.bin");
  const first = decodeMessage(scroll.records[0]!.bytes);
  assert.equal(first.kind, "frame_update");
  if (first.kind !== "frame_update") return;
  const z = first.update.tiles.find((t) => t.encoding === ENCODING.ZSTD && t.w === 64 && t.h === 64)!;
  assert.ok(zstdFrameFits(z.data, 64 * 64 * 3));
  const raster = new Raster();
  raster.apply({ width: 200, height: 136, tiles: [z] });
  const at = (t: EncodedTile): EncodedTile => ({ ...t, x: 0, y: 0 });
  refuses(raster, [at({ ...z, data: z.data.subarray(0, z.data.length - 1) })], "corrupt");
  refuses(raster, [at({ ...z, data: z.data.subarray(0, 20) })], "corrupt");
  refuses(raster, [at({ ...z, w: 63 })], "corrupt"); // the frame announces another size
  const flipped = z.data.slice();
  flipped[4]! |= 0x08; // a reserved header bit
  refuses(raster, [at({ ...z, data: flipped })], "corrupt");
  refuses(raster, [tile(0, 0, 2, 2, ENCODING.ZSTD, [1, 2, 3, 4, 5, 6, 7, 8])], "corrupt");
  const garbage = z.data.slice();
  for (let i = 12; i < garbage.length; i++) garbage[i] = (i * 131) & 0xff;
  // Garbage inside a well-framed zstd frame either fails or decodes to something; never throws
  // anything but a TileError, never writes outside the tile.
  try {
    raster.apply({ width: 200, height: 136, tiles: [at({ ...z, data: garbage })] });
  } catch (e) {
    assert.ok(e instanceof TileError, String(e));
  }
  refuses(raster, [tile(0, 0, 2, 2, ENCODING.SOLID, [1, 2])], "corrupt");
  refuses(raster, [tile(0, 0, 2, 2, 9, [])], "unknown_encoding");
});

test("JPEG tiles take the caller's decoded pixels, checked for size", () => {
  const raster = new Raster();
  const jpeg = tile(1, 1, 2, 1, ENCODING.JPEG, [0xff, 0xd8]);
  const update = { width: 4, height: 3, tiles: [solid(0, 0, 4, 3), jpeg] };
  assert.deepEqual(jpegTilesOf(update), [jpeg]);
  raster.apply({ width: 4, height: 3, tiles: [] });
  refuses(raster, update.tiles, "codec"); // not decoded by the caller
  const pic = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 0, 4, 5, 6, 7]) };
  assert.throws(() => raster.apply(update, new Map([[jpeg, { ...pic, width: 1, height: 2 }]])), TileError);
  raster.apply(update, new Map([[jpeg, pic]]));
  const px = (x: number, y: number): number[] => Array.from(raster.pixels.subarray((y * 4 + x) * 4, (y * 4 + x + 1) * 4));
  assert.deepEqual([px(1, 1), px(2, 1), px(0, 0)], [[1, 2, 3, 255], [4, 5, 6, 255], [30, 20, 10, 255]]);
});

function error(r: CompleteUpdate | UpdateError | null): UpdateError {
  assert.ok(r !== null && isUpdateError(r), JSON.stringify(r));
  return r as UpdateError;
}
function complete(r: CompleteUpdate | UpdateError | null): CompleteUpdate {
  assert.ok(r !== null && !isUpdateError(r), JSON.stringify(r));
  return r as CompleteUpdate;
}

test("a screen too large is refused before anything is allocated", () => {
  const stream = new UpdateStream();
  assert.equal(stream.push(chunk(1, 64, 64, false), 30), null);
  assert.ok(stream.pendingBytes > 0);
  const e = error(stream.push(chunk(1, 65535, 65535, true), 35));
  assert.deepEqual([e.kind, e.fatal, e.needsKeyframe], ["screen_too_large", true, false]);
  assert.equal(e.error, "the customer's screen is larger than this viewer accepts (65535x65535)");
  assert.equal(stream.pendingBytes, 0);
  assert.equal(error(stream.push(chunk(2, 7681, 4320, true), 35)).kind, "screen_too_large");
  assert.equal(error(stream.push(chunk(2, 16385, 1, true), 35)).kind, "screen_too_large");
  assert.equal(complete(stream.push(chunk(3, 16384, 1024, true), 35)).width, 16384);
  const raster = new Raster();
  assert.throws(() => raster.apply({ width: 65535, height: 65535, tiles: [] }), TileError);
  assert.deepEqual([raster.width, raster.pixels.length], [0, 0]);
});

test("the rest of an update dropped part-way is never shown", () => {
  const s = new UpdateStream();
  assert.equal(s.push(chunk(8, 96, 64, false), 10), null);
  const e = error(s.push(chunk(8, 64, 64, false), 10));
  assert.deepEqual([e.kind, e.seq, e.needsKeyframe, e.fatal], ["size_changed", 8, true, false]);
  assert.equal(s.push(chunk(8, 96, 64, true), 10), null, "its last part is ignored");
  const next = complete(s.push(chunk(9, 96, 64, true), 10));
  assert.deepEqual([next.seq, next.width, next.tiles.length, next.bytes], [9, 96, 1, 10]);
});

test("a new update drops the unfinished one; chunks join in order", () => {
  const s = new UpdateStream();
  assert.equal(s.push(chunk(1, 64, 64, false, [solid(0, 0, 1, 1)]), 30), null);
  const one = s.pendingBytes;
  assert.equal(s.push(chunk(2, 64, 64, false, [solid(1, 0, 1, 1)]), 30), null);
  assert.equal(s.pendingBytes, one, "only one update is held");
  const done = complete(s.push(chunk(2, 64, 64, true, [solid(2, 0, 1, 1), solid(3, 0, 1, 1)]), 30));
  assert.deepEqual(done.tiles.map((t) => t.x), [1, 2, 3]);
  assert.equal(done.bytes, 60);
  s.push(chunk(4, 64, 64, false), 30);
  s.reset();
  assert.equal(s.pendingBytes, 0);
});

test("an update that never ends is dropped at its limit", () => {
  const s = new UpdateStream();
  const big = [tile(0, 0, 1, 1, ENCODING.SOLID, new Uint8Array(MAX_PAYLOAD - 256))];
  let refused = -1;
  for (let i = 0; i < 2048 && refused < 0; i++) {
    const r = s.push(chunk(9, 7680, 4320, false, big), 1 << 20);
    if (r === null) assert.ok(s.pendingBytes <= MAX_PENDING_BYTES);
    else refused = i;
  }
  assert.equal(refused, 64, "64 chunks of just under 1 MiB fit, the 65th does not, as in Rust");
  assert.equal(s.pendingBytes, 0);
  // Empty tiles cost their bookkeeping.
  const empty = Array.from({ length: 60_000 }, () => tile(0, 0, 1, 1, ENCODING.SOLID, []));
  assert.equal(error(s.push(chunk(2, 64, 64, false, empty), 60_000 * 13)).kind, "too_large");
  assert.equal(complete(s.push(chunk(3, 64, 64, true), 40)).seq, 3);
});
