// The test and diagnostics hook both screens share (the live viewer's and the replay's): a
// rectangle of the decoding worker's picture, asked for by id and answered as base64 RGBA.

import type { FromWorker } from "./worker_protocol";

/** Bytes as base64 (the pixels hooks answer with it). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Asks `worker` for a rectangle of its picture; null when it has none (or `usable` says no). */
export function workerPixels(
  worker: Worker,
  usable: () => boolean = () => true,
): (x: number, y: number, w: number, h: number) => Promise<string | null> {
  let next = 1;
  const waiting = new Map<number, (data: ArrayBuffer | null) => void>();
  worker.addEventListener("message", (e: MessageEvent<FromWorker>) => {
    if (e.data.type !== "pixels") return;
    waiting.get(e.data.id)?.(e.data.data);
    waiting.delete(e.data.id);
  });
  return (x, y, w, h) =>
    new Promise((resolve) => {
      if (!usable()) {
        resolve(null);
        return;
      }
      const id = next++;
      waiting.set(id, (data) => resolve(data === null ? null : toBase64(new Uint8Array(data))));
      worker.postMessage({ type: "pixels", id, x, y, w, h });
    });
}
