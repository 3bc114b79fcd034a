// The web viewer's decoding core against the Rust encoder: every golden vector written by
// protocol/tests/web_vectors.rs (see its header for the file formats) is decoded, assembled
// and applied here, and the picture must equal the Rust viewer's byte for byte; the golden
// messages pin the encoders. Refusals (bad frames, misplaced tiles, oversized screens) are in
// viewer_bounds.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  decodeMessage,
  encodeEnd,
  encodeError,
  encodeHello,
  encodeInput,
  encodePing,
  encodePong,
  encodeRebootRequest,
  encodeControlRequest,
  encodeRefreshRequest,
  type DataMessage,
  type FrameUpdate,
  type InputEvent,
} from "../src/viewer/frames";
import { ENCODING, Raster } from "../src/viewer/raster";
import { UpdateStream, isUpdateError } from "../src/viewer/updates";
import { goldens, readCase, type Case } from "./vector_files";

/** FNV-1a (32 bit) of the picture as B,G,R,X with X = 0: the Rust viewer's own layout. */
function bgrxHash(rgba: Uint8ClampedArray): number {
  let h = 0x811c9dc5;
  const step = (b: number): void => {
    h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  for (let i = 0; i < rgba.length; i += 4) {
    step(rgba[i + 2]!);
    step(rgba[i + 1]!);
    step(rgba[i]!);
    step(0);
  }
  return h;
}

function frameUpdateOf(msg: DataMessage): FrameUpdate {
  assert.equal(msg.kind, "frame_update");
  if (msg.kind !== "frame_update") throw new Error("unreachable");
  return msg.update;
}

/** Feeds a case through decode, assembly and the raster; returns what it saw on the way. */
function play(c: Case): { raster: Raster; chunks: FrameUpdate[] } {
  const stream = new UpdateStream();
  const raster = new Raster();
  const chunks: FrameUpdate[] = [];
  for (const [i, r] of c.records.entries()) {
    const chunk = frameUpdateOf(decodeMessage(r.bytes));
    chunks.push(chunk);
    const result = stream.push(chunk, r.bytes.length);
    assert.equal(result !== null, r.completes, `record ${i} completes its update`);
    if (result === null) continue;
    assert.ok(!isUpdateError(result), `record ${i}: ${isUpdateError(result) ? result.error : ""}`);
    if (isUpdateError(result)) continue;
    const dirty = raster.apply(result, new Map());
    assert.equal(dirty.length, result.tiles.length, "one dirty rectangle per tile");
    assert.equal(bgrxHash(raster.pixels), r.hash, `picture after record ${i}`);
  }
  return { raster, chunks };
}

for (const name of ["scroll.bin", "resize.bin", "noise.bin"]) {
  test(`${name}: the picture equals the Rust viewer's, pixel for pixel`, () => {
    const c = readCase(name);
    const { raster } = play(c);
    assert.equal(raster.width, c.width);
    assert.equal(raster.height, c.height);
    const expected = new Uint8ClampedArray(c.width * c.height * 4);
    for (let i = 0; i < expected.length; i += 4) {
      expected[i] = c.bgrx[i + 2]!;
      expected[i + 1] = c.bgrx[i + 1]!;
      expected[i + 2] = c.bgrx[i]!;
      expected[i + 3] = 255;
    }
    // One comparison of the whole picture, with a short message rather than a 100 KB diff.
    const first = expected.findIndex((b, i) => b !== raster.pixels[i]);
    assert.equal(first, -1, `first differing byte ${first} (pixel ${first >> 2})`);
  });
}

test("the vectors hold copies both ways, solid tiles, odd sizes and chunked updates", () => {
  const all = ["scroll.bin", "resize.bin", "noise.bin"].map((n) => play(readCase(n)).chunks);
  const tiles = all.flat().flatMap((c) => c.tiles);
  const copies = tiles.filter((t) => t.encoding === ENCODING.COPY);
  const srcY = (d: Uint8Array): number => d[2]! | (d[3]! << 8);
  assert.ok(copies.some((t) => srcY(t.data) > t.y), "a scroll up");
  assert.ok(copies.some((t) => srcY(t.data) < t.y), "a scroll down");
  assert.ok(tiles.some((t) => t.encoding === ENCODING.SOLID));
  assert.ok(tiles.some((t) => t.encoding === ENCODING.ZSTD && (t.w % 64 !== 0 || t.h % 64 !== 0)));
  const chunked = all.some((chunks) => chunks.some((c, i) => !c.last && chunks[i + 1]?.seq === c.seq));
  assert.ok(chunked, "an update of several chunks");
  // Tile data are views into the received message, not copies.
  const msg = readCase("noise.bin").records[0]!.bytes;
  const update = frameUpdateOf(decodeMessage(msg));
  assert.equal(update.tiles[0]!.data.buffer, msg.buffer);
});

const INPUTS: [string, InputEvent][] = [
  ["pointer_move", { type: "pointer_move", x: 1919, y: 1079 }],
  ["pointer_button", { type: "pointer_button", button: 3, down: true }],
  ["wheel", { type: "wheel", dx: -2, dy: 1 }],
  ["key", { type: "key", keysym: 0xff0d, down: false }],
  ["key_unicode", { type: "key", keysym: 0x0100263a, down: true }],
  ["text", { type: "text", text: "Grüße ☺" }],
];

test("the encoders write the Rust bytes", () => {
  const g = goldens();
  const same = (name: string, bytes: Uint8Array): void => assert.deepEqual(bytes, g.get(name), name);
  same("hello", encodeHello(7));
  same("ping", encodePing(0x0123456789abcdefn));
  same("pong", encodePong(0xfedcba9876543210n));
  same("error", encodeError(3, "Nicht erlaubt — ✓"));
  same("end", encodeEnd("Sitzung beendet 👋"));
  same("refresh_request", encodeRefreshRequest());
  same("reboot_request", encodeRebootRequest());
  same("control_request", encodeControlRequest());
  for (const [name, ev] of INPUTS) same(name, encodeInput(ev));
});

test("the decoder reads the Rust bytes", () => {
  const g = goldens();
  const read = (name: string): DataMessage => decodeMessage(g.get(name) ?? new Uint8Array());
  assert.deepEqual(read("hello"), { kind: "hello", versionMin: 1, versionMax: 1, attendee: 7 });
  assert.deepEqual(read("welcome"), { kind: "welcome", version: 1, rights: 7 });
  assert.deepEqual(read("rights_changed"), { kind: "rights_changed", rights: 1 });
  assert.deepEqual(read("ping"), { kind: "ping", nonce: 0x0123456789abcdefn });
  assert.deepEqual(read("pong"), { kind: "pong", nonce: 0xfedcba9876543210n });
  assert.deepEqual(read("error"), { kind: "error", code: 3, text: "Nicht erlaubt — ✓" });
  assert.deepEqual(read("end"), { kind: "end", reason: "Sitzung beendet 👋" });
  assert.deepEqual(read("refresh_request"), { kind: "refresh_request" });
  assert.deepEqual(read("reboot_request"), { kind: "reboot_request" });
  assert.deepEqual(read("rebooting"), { kind: "rebooting" });
  const bgra = Uint8Array.from({ length: 24 }, (_, i) => i * 11);
  assert.deepEqual(read("cursor_shape"), { kind: "cursor_shape", serial: 42, width: 3, height: 2, hotX: 1, hotY: 1, bgra });
  assert.deepEqual(read("cursor_position"), { kind: "cursor_position", x: 199, y: 135 });
  for (const [name, event] of INPUTS) assert.deepEqual(read(name), { kind: "input", event }, name);
  assert.deepEqual(read("unknown"), { kind: "unknown", id: 999, payload: new Uint8Array([1, 2, 3]) });
});
