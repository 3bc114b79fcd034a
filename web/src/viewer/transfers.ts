// Files between the browser and the customer's computer, over one link's `files` channel:
// sending a file the representative picked, fetching one from the customer's shared folder
// (the agent asks the customer first), and listing that folder. The agent gates all of it on
// the FILES right and the customer's consent; this side checks sizes, order and the SHA-256.
//
// A browser holds a file in memory (no file system to resume into), so both directions are
// capped at MAX_FILE_BYTES; larger files are for the native viewer.

import {
  CHUNK,
  decodeFileMessage,
  encodeFileAccept,
  encodeFileChunk,
  encodeFileComplete,
  encodeFileFailed,
  encodeFileFetch,
  encodeFileOffer,
  encodeListDir,
  type DirEntry,
  type FileMessage,
} from "./files_wire";

/** The largest file the page sends or fetches (it is held in memory). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** Bytes the files channel may hold unsent before chunks wait (the agent does the same). */
const IN_FLIGHT = 256 * 1024;
/** Entries a listing may bring (a folder of thousands is shown in part). */
const MAX_LISTED = 2000;

export interface TransferInfo {
  readonly id: number;
  readonly direction: "send" | "fetch";
  readonly name: string;
  readonly size: number;
  readonly done: number;
  readonly state: "waiting" | "running" | "complete" | "failed";
  readonly reason: string | null;
  /** A fetched file, verified: an object URL to save it from. */
  readonly url: string | null;
}

export interface TransferEvents {
  changed(list: readonly TransferInfo[]): void;
  listing(path: string, entries: readonly DirEntry[]): void;
}

interface Fetching {
  path: string;
  data: Uint8Array | null;
  sha256: Uint8Array | null;
}

export class Transfers {
  private nextId = 1;
  private readonly items = new Map<number, TransferInfo>();
  /** Files offered to the agent, waiting for its accept. */
  private readonly outgoing = new Map<number, Uint8Array>();
  private readonly fetching = new Map<number, Fetching>();
  private readonly listings = new Map<number, string>();
  private stopped = false;

  constructor(
    private readonly send: (bytes: Uint8Array) => boolean,
    private readonly buffered: () => number,
    private readonly events: TransferEvents,
  ) {}

  /** Sends `file` to the customer's computer (it lands in their received-files folder). */
  async sendFile(file: File): Promise<void> {
    const id = this.nextId++;
    this.set({ id, direction: "send", name: file.name, size: file.size, done: 0, state: "waiting", reason: null, url: null });
    if (file.size > MAX_FILE_BYTES) {
      this.fail(id, `larger than ${MAX_FILE_BYTES / (1024 * 1024)} MB: send it with the Tandem viewer`, false);
      return;
    }
    const data = new Uint8Array(await file.arrayBuffer());
    const sha256 = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    if (this.stopped) return;
    this.outgoing.set(id, data);
    this.send(encodeFileOffer(id, file.name, data.length, sha256));
  }

  /** Asks for `path` from the customer's shared folder. */
  fetch(path: string): void {
    const id = this.nextId++;
    const name = path.split("/").pop() ?? path;
    this.fetching.set(id, { path, data: null, sha256: null });
    this.set({ id, direction: "fetch", name, size: 0, done: 0, state: "waiting", reason: null, url: null });
    this.send(encodeFileFetch(id, path));
  }

  /** Lists a folder of the customer's shared folder ("" is its top). */
  list(path: string): void {
    const id = this.nextId++;
    this.listings.set(id, path);
    this.send(encodeListDir(id, path));
  }

  /** One message of the files channel. */
  handle(frame: Uint8Array): void {
    let msg: FileMessage | null;
    try {
      msg = decodeFileMessage(frame);
    } catch {
      return; // a malformed file message stops nothing else; the transfer times out below
    }
    if (msg !== null && !this.stopped) this.on(msg);
  }

  /** The link is gone: whatever runs fails (a new link starts afresh). */
  stop(): void {
    this.stopped = true;
    for (const item of this.items.values()) {
      if (item.state === "waiting" || item.state === "running") this.fail(item.id, "the connection was lost", false);
    }
  }

  private on(msg: FileMessage): void {
    switch (msg.kind) {
      case "file_accept": {
        const data = this.outgoing.get(msg.id);
        this.outgoing.delete(msg.id);
        if (data === undefined || msg.offset > data.length) return;
        void this.pump(msg.id, data, msg.offset);
        break;
      }
      case "file_offer":
        this.offered(msg.id, msg.name, msg.size, msg.sha256);
        break;
      case "file_chunk":
        this.chunk(msg.id, msg.offset, msg.data);
        break;
      case "file_complete":
        this.update(msg.id, (t) => ({ ...t, state: "complete", done: t.size }));
        break;
      case "file_failed":
        this.outgoing.delete(msg.id);
        this.fetching.delete(msg.id);
        this.update(msg.id, (t) => ({ ...t, state: "failed", reason: msg.reason }));
        break;
      case "dir_listing": {
        const path = this.listings.get(msg.id);
        this.listings.delete(msg.id);
        if (path !== undefined) this.events.listing(path, msg.entries.slice(0, MAX_LISTED));
        break;
      }
    }
  }

  /** Sends `data` from `offset` in chunks, waiting while the channel is full. */
  private async pump(id: number, data: Uint8Array, offset: number): Promise<void> {
    this.update(id, (t) => ({ ...t, state: "running", done: offset }));
    let at = offset;
    let reported = performance.now();
    while (at < data.length) {
      if (this.stopped || this.items.get(id)?.state !== "running") return;
      if (this.buffered() > IN_FLIGHT) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const end = Math.min(at + CHUNK, data.length);
      if (!this.send(encodeFileChunk(id, at, data.subarray(at, end)))) {
        this.fail(id, "the connection is not sending", true);
        return;
      }
      at = end;
      if (performance.now() - reported > 200) {
        reported = performance.now();
        const done = at;
        this.update(id, (t) => ({ ...t, done }));
      }
    }
    // Waits for the agent's FileComplete (after its SHA-256 check).
    this.update(id, (t) => ({ ...t, done: data.length }));
  }

  private offered(id: number, name: string, size: number, sha256: Uint8Array): void {
    const fetch = this.fetching.get(id);
    if (fetch === undefined || fetch.data !== null) {
      this.send(encodeFileFailed(id, "the representative did not ask for this file"));
      return;
    }
    if (size > MAX_FILE_BYTES) {
      this.fetching.delete(id);
      this.fail(id, `larger than ${MAX_FILE_BYTES / (1024 * 1024)} MB: fetch it with the Tandem viewer`, true);
      return;
    }
    fetch.data = new Uint8Array(size);
    fetch.sha256 = sha256.slice();
    this.update(id, (t) => ({ ...t, name, size, state: "running" }));
    this.send(encodeFileAccept(id, 0));
    if (size === 0) void this.finishFetch(id);
  }

  private chunk(id: number, offset: number, data: Uint8Array): void {
    const fetch = this.fetching.get(id);
    const item = this.items.get(id);
    if (fetch?.data == null || item === undefined) return;
    // Chunks come in order on an ordered channel; anything else is a broken sender.
    if (offset !== item.done || offset + data.length > fetch.data.length) {
      this.fetching.delete(id);
      this.fail(id, "the file arrived out of order", true);
      return;
    }
    fetch.data.set(data, offset);
    const done = offset + data.length;
    this.update(id, (t) => ({ ...t, done }));
    if (done === fetch.data.length) void this.finishFetch(id);
  }

  private async finishFetch(id: number): Promise<void> {
    const fetch = this.fetching.get(id);
    this.fetching.delete(id);
    if (fetch?.data == null || fetch.sha256 === null) return;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", fetch.data as Uint8Array<ArrayBuffer>));
    if (!digest.every((b, i) => b === fetch.sha256?.[i])) {
      this.fail(id, "the file arrived damaged (its SHA-256 does not match)", true);
      return;
    }
    this.send(encodeFileComplete(id));
    const url = URL.createObjectURL(new Blob([fetch.data as Uint8Array<ArrayBuffer>]));
    this.update(id, (t) => ({ ...t, state: "complete", url }));
  }

  private fail(id: number, reason: string, tell: boolean): void {
    if (tell) this.send(encodeFileFailed(id, reason));
    this.outgoing.delete(id);
    this.update(id, (t) => ({ ...t, state: "failed", reason }));
  }

  private set(t: TransferInfo): void {
    this.items.set(t.id, t);
    this.events.changed([...this.items.values()]);
  }

  private update(id: number, f: (t: TransferInfo) => TransferInfo): void {
    const t = this.items.get(id);
    if (t !== undefined) this.set(f(t));
  }
}
