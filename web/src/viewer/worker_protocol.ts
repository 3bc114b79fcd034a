// Messages between the viewer page and its decoding worker (viewer_worker.ts). The page hands
// the worker the screen canvas once (OffscreenCanvas) and then every message of the `frames`
// channel, transferring the buffer; the worker answers how far it got, so the page can bound
// what waits for it. Frames carry their link's tag, echoed in the answers, so a new link never
// counts an old link's frames.

export type ToWorker =
  | { type: "canvas"; canvas: OffscreenCanvas }
  /** One whole message of the frames channel. */
  | { type: "frame"; data: ArrayBuffer; tag: number }
  /** A new link: forget the update being assembled (a keyframe follows). */
  | { type: "reset" }
  /** Test and diagnostics hook: the picture's RGBA pixels of a rectangle. */
  | { type: "pixels"; id: number; x: number; y: number; w: number; h: number };

export type FromWorker =
  /** One frames message was handled (applied, held, or refused): `bytes` left the queue. */
  | { type: "done"; bytes: number; tag: number }
  /** A whole update is on the canvas. */
  | { type: "applied"; seq: number; width: number; height: number; bytes: number; rects: number; tag: number }
  /** An update could not be applied; with `keyframe`, the picture needs a fresh one. */
  | { type: "failed"; message: string; keyframe: boolean; fatal: boolean; tag: number }
  | { type: "pixels"; id: number; width: number; height: number; data: ArrayBuffer | null };
