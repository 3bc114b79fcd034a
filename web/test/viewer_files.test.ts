// The browser viewer's file messages against the Rust bytes (messages.bin), and refusals.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  decodeFileMessage,
  encodeFileAccept,
  encodeFileChunk,
  encodeFileComplete,
  encodeFileFailed,
  encodeFileFetch,
  encodeFileOffer,
  encodeListDir,
} from "../src/viewer/files_wire";
import { WireError } from "../src/viewer/frames";
import { goldens } from "./vector_files";

const SHA = Uint8Array.from({ length: 32 }, (_, i) => i);

test("file encoders write the Rust bytes", () => {
  const g = goldens();
  const same = (name: string, bytes: Uint8Array): void => assert.deepEqual(bytes, g.get(name), name);
  same("file_offer", encodeFileOffer(5, "Bericht ü.pdf", 70_000, SHA));
  same("file_accept", encodeFileAccept(5, 61_440));
  same("file_chunk", encodeFileChunk(5, 61_440, new Uint8Array([9, 8, 7])));
  same("file_complete", encodeFileComplete(5));
  same("file_failed", encodeFileFailed(6, "disk full"));
  same("file_fetch", encodeFileFetch(7, "logs/app.log"));
  same("list_dir", encodeListDir(8, ""));
});

test("file messages from the agent decode", () => {
  const g = goldens();
  const read = (name: string) => decodeFileMessage(g.get(name) ?? new Uint8Array());
  assert.deepEqual(read("file_offer"), { kind: "file_offer", id: 5, name: "Bericht ü.pdf", size: 70_000, sha256: SHA });
  assert.deepEqual(read("file_accept"), { kind: "file_accept", id: 5, offset: 61_440 });
  assert.deepEqual(read("file_chunk"), { kind: "file_chunk", id: 5, offset: 61_440, data: new Uint8Array([9, 8, 7]) });
  assert.deepEqual(read("file_complete"), { kind: "file_complete", id: 5 });
  assert.deepEqual(read("file_failed"), { kind: "file_failed", id: 6, reason: "disk full" });
  assert.deepEqual(read("dir_listing"), {
    kind: "dir_listing",
    id: 8,
    entries: [
      { name: "logs", isDir: true, size: 0 },
      { name: "report.txt", isDir: false, size: 1234 },
    ],
  });
  // Not file messages: left to the other decoder.
  assert.equal(read("hello"), null);
  // Viewer-to-agent only.
  assert.equal(read("file_fetch"), null);
});

test("malformed file messages are refused", () => {
  const g = goldens();
  const offer = g.get("file_offer") ?? new Uint8Array();
  assert.throws(() => decodeFileMessage(offer.subarray(0, offer.length - 1)), WireError);
  const listing = g.get("dir_listing") ?? new Uint8Array();
  // A listing that claims a million entries in a few bytes.
  const lying = listing.slice();
  new DataView(lying.buffer).setUint32(10, 1_000_000, true);
  assert.throws(() => decodeFileMessage(lying), WireError);
  assert.throws(() => encodeFileOffer(1, "x", 1, new Uint8Array(31)), WireError);
});
