// Reads the golden vector files protocol/tests/web_vectors.rs writes into test/vectors/
// (its header documents the formats). Not a test file itself: the viewer tests import it.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** test/vectors, whether the tests run from web/ (npm test) or from the repository. */
export function vectorsDir(): string {
  for (const dir of [join(process.cwd(), "test", "vectors"), join(process.cwd(), "web", "test", "vectors")]) {
    if (existsSync(dir)) return dir;
  }
  throw new Error(`no test/vectors below ${process.cwd()}`);
}

export function readVector(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(vectorsDir(), name)));
}

export interface VectorRecord {
  bytes: Uint8Array;
  completes: boolean;
  hash: number;
}
export interface Case {
  records: VectorRecord[];
  width: number;
  height: number;
  bgrx: Uint8Array;
}

export function readCase(name: string): Case {
  const file = readVector(name);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal(new TextDecoder().decode(file.subarray(0, 4)), "TVEC");
  assert.equal(v.getUint32(4, true), 1, "format version");
  const n = v.getUint32(8, true);
  let at = 12;
  const records: VectorRecord[] = [];
  for (let i = 0; i < n; i++) {
    const len = v.getUint32(at, true);
    const bytes = file.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    records.push({ bytes, completes: file[at] === 1, hash: v.getUint32(at + 1, true) });
    at += 5;
  }
  const width = v.getUint16(at, true);
  const height = v.getUint16(at + 2, true);
  const bgrx = file.subarray(at + 4);
  assert.equal(bgrx.length, width * height * 4, "the picture ends the file");
  return { records, width, height, bgrx };
}


/** The named golden messages of messages.bin. */
export function goldens(): Map<string, Uint8Array> {
  const file = readVector("messages.bin");
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal(new TextDecoder().decode(file.subarray(0, 4)), "TMSG");
  assert.equal(v.getUint32(4, true), 1, "format version");
  const out = new Map<string, Uint8Array>();
  let at = 12;
  for (let i = v.getUint32(8, true); i > 0; i--) {
    const nameLen = v.getUint16(at, true);
    const name = new TextDecoder().decode(file.subarray(at + 2, at + 2 + nameLen));
    at += 2 + nameLen;
    const len = v.getUint32(at, true);
    out.set(name, file.slice(at + 4, at + 4 + len));
    at += 4 + len;
  }
  assert.equal(at, file.length);
  return out;
}
