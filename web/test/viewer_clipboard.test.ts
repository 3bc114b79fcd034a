// The shared clipboard's message against the Rust bytes (messages.bin and a hand-computed
// frame), its chunking, and ClipAssembler's reassembly and refusals (protocol/src/clipboard.rs).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CHUNK,
  ClipAssembler,
  FORMAT,
  MAX_CLIP,
  decodeClipChunk,
  describeClip,
  encodeClipChunk,
  encodeClipChunks,
  parseClip,
  type Clip,
  type ClipChunk,
} from "../src/viewer/clipboard_wire";
import { WireError, encodeHello } from "../src/viewer/frames";
import { goldens } from "./vector_files";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngOf(len: number): Uint8Array {
  const b = new Uint8Array(len).fill(7);
  b.set(PNG_SIGNATURE);
  return b;
}

/** The chunks of `clip` as the agent would decode them. */
function chunks(serial: number, clip: Clip): ClipChunk[] {
  return encodeClipChunks(serial, clip).map((frame) => {
    const c = decodeClipChunk(frame);
    assert.ok(c !== null, "a clipboard chunk");
    return c;
  });
}

/** Feeds every chunk; returns what completed (and checks nothing completed early). */
function assemble(a: ClipAssembler, parts: readonly ClipChunk[]): Clip | null {
  let out: Clip | null = null;
  for (const c of parts) {
    assert.equal(out, null, "completed early");
    out = a.handle(c);
  }
  return out;
}

const text = (t: string): Clip => ({ kind: "text", text: t });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test("a chunk is the Rust bytes (hand-computed, clipboard.rs golden_chunk)", () => {
  const frame = encodeClipChunk({ serial: 3, format: FORMAT.TEXT, total: 2, offset: 0, data: bytes("hi") });
  const want = [80, 0, 19, 0, 0, 0, 3, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 104, 105];
  assert.deepEqual([...frame], want);
  assert.deepEqual(encodeClipChunks(3, text("hi")).map((f) => [...f]), [want]);
  assert.deepEqual(decodeClipChunk(new Uint8Array(want)), { serial: 3, format: 1, total: 2, offset: 0, data: bytes("hi") });
});

test("the clipboard vector of messages.bin, both ways", () => {
  const golden = goldens().get("clipboard");
  assert.ok(golden !== undefined, "messages.bin has no \"clipboard\" vector: regenerate it (protocol/tests/web_vectors.rs)");
  const chunk: ClipChunk = { serial: 4, format: FORMAT.TEXT, total: 5, offset: 3, data: bytes("lo") };
  assert.deepEqual(encodeClipChunk(chunk), golden);
  assert.deepEqual(decodeClipChunk(golden), chunk);
});

test("clips survive chunking and the wire", () => {
  for (const clip of [
    text(""),
    text("héllo ☺ 𝔸"),
    text("x".repeat(CHUNK * 3 + 5)),
    text("x".repeat(CHUNK)),
    { kind: "png", bytes: pngOf(CHUNK) } satisfies Clip,
    { kind: "png", bytes: pngOf(CHUNK * 2 + 1) } satisfies Clip,
  ]) {
    const parts = chunks(9, clip);
    const size = clip.kind === "text" ? bytes(clip.text).length : clip.bytes.length;
    assert.equal(parts.length, Math.max(1, Math.ceil(size / CHUNK)));
    parts.forEach((c, i) => {
      assert.equal(c.serial, 9);
      assert.equal(c.total, size);
      assert.equal(c.offset, i * CHUNK);
      assert.ok(c.data.length <= CHUNK);
    });
    assert.deepEqual(assemble(new ClipAssembler(), parts), clip);
  }
});

test("a 200 KB text goes in 4 chunks and comes back whole", () => {
  const clip = text("abcdefghij".repeat(20 * 1024));
  const frames = encodeClipChunks(1, clip);
  assert.equal(frames.length, 4);
  const parts = chunks(1, clip);
  assert.deepEqual(parts.map((c) => [c.offset, c.data.length]), [
    [0, CHUNK],
    [CHUNK, CHUNK],
    [2 * CHUNK, CHUNK],
    [3 * CHUNK, 200 * 1024 - 3 * CHUNK],
  ]);
  assert.deepEqual(assemble(new ClipAssembler(), parts), clip);
});

test("an assembled clip does not hold on to the frames' buffers", () => {
  const frames = encodeClipChunks(2, text("x".repeat(CHUNK + 3)));
  const a = new ClipAssembler();
  const first = decodeClipChunk(frames[0] ?? new Uint8Array());
  assert.ok(first !== null);
  assert.equal(a.handle(first), null);
  (frames[0] ?? new Uint8Array()).fill(0); // the channel's buffer, reused
  const last = decodeClipChunk(frames[1] ?? new Uint8Array());
  assert.ok(last !== null);
  assert.deepEqual(a.handle(last), text("x".repeat(CHUNK + 3)));
});

test("a new copy replaces an unfinished one", () => {
  const a = new ClipAssembler();
  const old = chunks(1, text("a".repeat(CHUNK + 1)));
  assert.equal(a.handle(old[0] as ClipChunk), null);
  const fresh = chunks(2, text("new"));
  assert.deepEqual(a.handle(fresh[0] as ClipChunk), text("new"));
  // The rest of the old one is out of order now.
  assert.throws(() => a.handle(old[1] as ClipChunk), /out of order/);
  // Even the same serial starts over at offset 0 (a copy made again).
  const again = chunks(3, text("b".repeat(CHUNK + 1)));
  assert.equal(a.handle(again[0] as ClipChunk), null);
  assert.equal(a.handle(again[0] as ClipChunk), null);
  assert.deepEqual(a.handle(again[1] as ClipChunk), text("b".repeat(CHUNK + 1)));
});

test("chunks out of order, with a gap or of another clip are refused, and the clip dropped", () => {
  const a = new ClipAssembler();
  // A chunk in the middle of nothing.
  assert.throws(() => a.handle({ serial: 4, format: FORMAT.TEXT, total: 2, offset: 1, data: bytes("k") }), WireError);
  // A gap: chunk 2 after chunk 0; then chunk 1 finds nothing to continue.
  const parts = chunks(5, text("z".repeat(CHUNK * 3)));
  assert.equal(a.handle(parts[0] as ClipChunk), null);
  assert.throws(() => a.handle(parts[2] as ClipChunk), /out of order/);
  assert.throws(() => a.handle(parts[1] as ClipChunk), /out of order/);
  // A chunk twice.
  assert.equal(a.handle(parts[0] as ClipChunk), null);
  assert.equal(a.handle(parts[1] as ClipChunk), null);
  assert.throws(() => a.handle(parts[1] as ClipChunk), /out of order/);
  // Another serial, format or total in the middle.
  for (const change of [{ serial: 6 }, { format: FORMAT.PNG }, { total: CHUNK * 3 + 1 }]) {
    assert.equal(a.handle(parts[0] as ClipChunk), null);
    assert.throws(() => a.handle({ ...(parts[1] as ClipChunk), ...change }), /out of order/);
    assert.throws(() => a.handle(parts[2] as ClipChunk), /out of order/, "dropped");
  }
  // More than the total (the decoder refuses it too; the assembler on its own as well).
  assert.throws(() => a.handle({ serial: 7, format: FORMAT.TEXT, total: 1, offset: 0, data: bytes("ab") }), /out of order/);
});

test("a whole clip that does not parse is refused", () => {
  const a = new ClipAssembler();
  assert.throws(() => a.handle({ serial: 1, format: FORMAT.TEXT, total: 2, offset: 0, data: new Uint8Array([0xff, 0xfe]) }), /not UTF-8/);
  // A UTF-8 sequence split across chunks is fine; cut short at the end it is not.
  const euro = bytes("€"); // 3 bytes
  assert.equal(a.handle({ serial: 2, format: FORMAT.TEXT, total: 3, offset: 0, data: euro.subarray(0, 1) }), null);
  assert.deepEqual(a.handle({ serial: 2, format: FORMAT.TEXT, total: 3, offset: 1, data: euro.subarray(1) }), text("€"));
  assert.throws(() => a.handle({ serial: 3, format: FORMAT.TEXT, total: 2, offset: 0, data: euro.subarray(0, 2) }), /not UTF-8/);
  const png = pngOf(20);
  png[0] = 0;
  assert.throws(() => a.handle({ serial: 4, format: FORMAT.PNG, total: 20, offset: 0, data: png }), /not a PNG/);
  assert.throws(() => a.handle({ serial: 5, format: FORMAT.PNG, total: 4, offset: 0, data: pngOf(8).subarray(0, 4) }), /not a PNG/);
  assert.deepEqual(a.handle({ serial: 6, format: FORMAT.PNG, total: 8, offset: 0, data: pngOf(8) }), { kind: "png", bytes: pngOf(8) });
  assert.throws(() => a.handle({ serial: 7, format: 9, total: 2, offset: 0, data: bytes("ok") }), /format 9 is not known/);
  assert.throws(() => a.handle({ serial: 7, format: 9, total: 2, offset: 0, data: new Uint8Array() }), /format 9/, "before anything is held");
  assert.throws(() => a.handle({ serial: 8, format: FORMAT.TEXT, total: MAX_CLIP + 1, offset: 0, data: new Uint8Array() }), WireError);
});

test("the decoder refuses what the Rust decoder refuses", () => {
  const ok = encodeClipChunk({ serial: 1, format: FORMAT.TEXT, total: 2, offset: 1, data: bytes("i") });
  assert.ok(decodeClipChunk(ok) !== null);
  const forged = (serial: number, format: number, total: number, offset: number, len: number, extra = 0): Uint8Array => {
    const out = new Uint8Array(6 + 17 + len + extra);
    const v = new DataView(out.buffer);
    v.setUint16(0, 80, true);
    v.setUint32(2, 17 + len + extra, true);
    v.setUint32(6, serial, true);
    v.setUint8(10, format);
    v.setUint32(11, total, true);
    v.setUint32(15, offset, true);
    v.setUint32(19, len, true);
    return out;
  };
  assert.deepEqual(decodeClipChunk(forged(1, 1, 2, 0, 2))?.data, new Uint8Array(2));
  assert.throws(() => decodeClipChunk(forged(1, 1, MAX_CLIP + 1, 0, 0)), WireError, "an oversized total");
  assert.ok(decodeClipChunk(forged(1, 1, MAX_CLIP, MAX_CLIP - CHUNK, CHUNK)) !== null, "up to the limits");
  assert.throws(() => decodeClipChunk(forged(1, 1, MAX_CLIP, 0, CHUNK + 1)), WireError, "a chunk over CHUNK");
  assert.throws(() => decodeClipChunk(forged(1, 1, 2, 1, 2)), WireError, "past its total");
  assert.throws(() => decodeClipChunk(forged(1, 1, 10, 0xffff_ffff, 1)), WireError, "an offset that wraps");
  assert.throws(() => decodeClipChunk(forged(1, 1, 2, 0, 2, 1)), /trailing/, "trailing bytes in the payload");
  const longer = new Uint8Array(ok.length + 1);
  longer.set(ok);
  assert.throws(() => decodeClipChunk(longer), /trailing/, "bytes after the frame");
  assert.throws(() => decodeClipChunk(ok.subarray(0, ok.length - 1)), /truncated/);
  assert.throws(() => decodeClipChunk(ok.subarray(0, 4)), /truncated/);
  // A format from a newer peer decodes (the assembler refuses to apply it).
  assert.equal(decodeClipChunk(forged(1, 7, 0, 0, 0))?.format, 7);
  // Not a clipboard chunk: left to the other decoders.
  assert.equal(decodeClipChunk(encodeHello(3)), null);
});

test("the encoder refuses what the agent would refuse", () => {
  assert.throws(() => encodeClipChunks(1, text("a".repeat(MAX_CLIP + 1))), /at most/);
  assert.equal(encodeClipChunks(1, text("a".repeat(MAX_CLIP))).length, Math.ceil(MAX_CLIP / CHUNK));
  assert.throws(() => encodeClipChunk({ serial: 1, format: 1, total: 1, offset: 0, data: bytes("ab") }), WireError);
  assert.throws(() => encodeClipChunk({ serial: 1, format: 1, total: MAX_CLIP, offset: 0, data: new Uint8Array(CHUNK + 1) }), WireError);
  assert.throws(() => encodeClipChunks(-1, text("x")), WireError);
  assert.throws(() => encodeClipChunks(2 ** 32, text("x")), WireError);
});

test("clips in words name the kind and size, never the content", () => {
  assert.equal(describeClip(text("hello")), "text, 5 bytes");
  assert.equal(describeClip(text("€")), "text, 3 bytes");
  assert.equal(describeClip({ kind: "png", bytes: pngOf(4096) }), "image, 4096 bytes");
  assert.deepEqual(parseClip(FORMAT.TEXT, bytes("\ufeffBOM")), text("\ufeffBOM"), "a byte order mark is kept, as in Rust");
});
