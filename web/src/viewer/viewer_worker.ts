// The browser viewer's decoding worker: frames-channel messages in, the picture on an
// OffscreenCanvas out, off the page's main thread. The picture's truth is a Raster (RGBA in
// memory, the same pure code the golden vectors test); after each whole update only the
// rectangles it changed are put on the canvas, so a scrolled terminal costs its band, not the
// screen. JPEG tiles are decoded by the browser (createImageBitmap) before the update is
// applied, so an update is still applied in one go and never shows half.

import { WireError, decodeMessage } from "./frames";
import { Raster, jpegTilesOf } from "./raster";
import { UpdateStream, type CompleteUpdate } from "./updates";
import type { FromWorker, ToWorker } from "./worker_protocol";

/** The worker's global scope, typed by hand: the app compiles against the DOM library only. */
interface WorkerScope {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let canvas: OffscreenCanvas | null = null;
let ctx: OffscreenCanvasRenderingContext2D | null = null;
const stream = new UpdateStream();
const raster = new Raster();
let imageData: ImageData | null = null;
/** Messages are handled one after another, JPEG decoding included. */
let queue: Promise<void> = Promise.resolve();

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  switch (msg.type) {
    case "canvas":
      canvas = msg.canvas;
      ctx = canvas.getContext("2d", { alpha: false });
      break;
    case "frame": {
      const tag = msg.tag;
      queue = queue.then(() => handleFrame(msg.data, tag)).catch((e: unknown) => {
        post({ type: "failed", message: String(e), keyframe: true, fatal: false, tag });
      });
      break;
    }
      break;
    case "reset":
      queue = queue.then(() => stream.reset());
      break;
    case "pixels":
      queue = queue.then(() => sendPixels(msg.id, msg.x, msg.y, msg.w, msg.h));
      break;
  }
};

async function handleFrame(data: ArrayBuffer, tag: number): Promise<void> {
  const bytes = data.byteLength;
  try {
    let message;
    try {
      message = decodeMessage(new Uint8Array(data));
    } catch (e) {
      const why = e instanceof WireError ? (e as Error).message : String(e);
      post({ type: "failed", message: `malformed screen update: ${why}`, keyframe: true, fatal: false, tag });
      return;
    }
    if (message.kind !== "frame_update") return;
    const result = stream.push(message.update, bytes);
    if (result === null) return;
    if ("error" in result) {
      post({ type: "failed", message: result.error, keyframe: result.needsKeyframe, fatal: result.fatal === true, tag });
      return;
    }
    await apply(result, tag);
  } finally {
    post({ type: "done", bytes, tag });
  }
}

async function apply(update: CompleteUpdate, tag: number): Promise<void> {
  const jpegs = new Map<(typeof update.tiles)[number], { width: number; height: number; data: Uint8ClampedArray }>();
  // Checked before anything is decoded: every JPEG inside the screen, and together no more
  // pixels than two screens (the agent sends at most one per grid cell), so an agent cannot
  // make the tab decode gigabytes from a few compressible kilobytes.
  const tiles = jpegTilesOf(update);
  const area = tiles.reduce((sum, t) => sum + t.w * t.h, 0);
  const inside = tiles.every((t) => t.w > 0 && t.h > 0 && t.x + t.w <= update.width && t.y + t.h <= update.height);
  if (!inside || area > 2 * update.width * update.height) {
    post({ type: "failed", message: `screen update ${update.seq} holds JPEG tiles outside the screen`, keyframe: true, fatal: false, tag });
    return;
  }
  for (const tile of tiles) {
    jpegs.set(tile, await decodeJpeg(tile.data, tile.w, tile.h));
  }
  let rects;
  try {
    rects = raster.apply(update, jpegs);
  } catch (e) {
    post({ type: "failed", message: `screen update ${update.seq} does not apply: ${String(e)}`, keyframe: true, fatal: false, tag });
    return;
  }
  paint(rects);
  post({ type: "applied", seq: update.seq, width: raster.width, height: raster.height, bytes: update.bytes, rects: rects.length, tag });
}

function paint(rects: ReadonlyArray<{ x: number; y: number; w: number; h: number }>): void {
  if (canvas === null || ctx === null || raster.width === 0) return;
  if (canvas.width !== raster.width || canvas.height !== raster.height || imageData === null || imageData.data !== raster.pixels) {
    canvas.width = raster.width;
    canvas.height = raster.height;
    ctx = canvas.getContext("2d", { alpha: false });
    // A view of the raster's pixels, not a copy: putImageData copies only the dirty rectangle.
    imageData = new ImageData(raster.pixels, raster.width, raster.height);
    ctx?.putImageData(imageData, 0, 0);
    return;
  }
  for (const r of rects) ctx.putImageData(imageData, 0, 0, r.x, r.y, r.w, r.h);
}

let scratch: OffscreenCanvas | null = null;

async function decodeJpeg(data: Uint8Array, w: number, h: number): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const bitmap = await createImageBitmap(new Blob([data as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }));
  try {
    if (bitmap.width !== w || bitmap.height !== h) {
      throw new Error(`a ${bitmap.width}x${bitmap.height} JPEG for a ${w}x${h} tile`);
    }
    if (scratch === null || scratch.width < w || scratch.height < h) {
      scratch = new OffscreenCanvas(Math.max(w, scratch?.width ?? 0), Math.max(h, scratch?.height ?? 0));
    }
    const sctx = scratch.getContext("2d", { willReadFrequently: true });
    if (sctx === null) throw new Error("no 2D context");
    sctx.drawImage(bitmap, 0, 0);
    return { width: w, height: h, data: sctx.getImageData(0, 0, w, h).data };
  } finally {
    bitmap.close();
  }
}

function sendPixels(id: number, x: number, y: number, w: number, h: number): void {
  const inside = x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= raster.width && y + h <= raster.height;
  if (canvas === null || ctx === null || !inside) {
    post({ type: "pixels", id, width: 0, height: 0, data: null });
    return;
  }
  // From the canvas, not the raster: what the person sees is what is checked.
  const data = ctx.getImageData(x, y, w, h).data.buffer;
  post({ type: "pixels", id, width: w, height: h, data }, [data]);
}
