// The screen on the page: the canvas scaled to fit its box with the aspect ratio kept (or 1:1
// with scroll bars), the customer's pointer drawn over it, and the canvas's pointer, wheel
// and keyboard events turned into input for the customer's computer — coordinates mapped
// through the scaling, keys by keysym (keys.ts). The paste shortcut waits for the browser's
// paste event, so the representative's clip reaches the customer before the V (paste.ts).

import { KeyTracker, type InputEvent } from "./keys";
import { PasteGate, isPasteShortcut } from "./paste";
import { WheelAccumulator, buttonOf, fitRect, toScreen } from "./scale";

/** The pointer's look, as the agent sends it (B,G,R,A premultiplied). */
export interface CursorShape {
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  bgra: Uint8Array;
}

export class ScreenInput {
  private screenW = 0;
  private screenH = 0;
  private enabled = false;
  actualSize = false;
  private readonly keys = new KeyTracker();
  private readonly wheel = new WheelAccumulator();
  private cursor: { x: number; y: number; hotX: number; hotY: number } = { x: -1000, y: -1000, hotX: 0, hotY: 0 };
  private readonly held = new Set<number>();
  /** Every input event goes through it: held back while a paste goes out. */
  private readonly gate: PasteGate;
  /** Whether the paste shortcut waits for the paste (we share the clipboard now). */
  private sharing = false;
  private readonly onPaste = (e: ClipboardEvent): void => {
    if (this.pasted === null || document.activeElement !== this.canvas) return;
    // Nothing here takes pasted text; the clip goes to the customer instead.
    e.preventDefault();
    this.gate.pasted();
    const release = (): void => this.gate.release();
    void this.pasted(e.clipboardData).then(release, release);
  };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly cursorCanvas: HTMLCanvasElement,
    private readonly box: HTMLElement,
    send: (ev: InputEvent) => void,
    /**
     * The browser's paste event on the screen (read `data` at once: it empties when the event
     * is over); resolves once the clip is sent, or not. Input held for it goes on then. Null
     * (a replay) listens for no paste.
     */
    private readonly pasted: ((data: DataTransfer | null) => Promise<void>) | null = null,
  ) {
    this.gate = new PasteGate(send);
    new ResizeObserver(() => this.layout()).observe(box);
    canvas.addEventListener("pointermove", (e) => this.pointer(e));
    canvas.addEventListener("pointerdown", (e) => {
      canvas.focus();
      // Captured: the release reaches us even over the toolbar or outside the window, so no
      // button stays down on the customer's desktop.
      canvas.setPointerCapture(e.pointerId);
      this.pointer(e);
      this.button(e, true);
    });
    canvas.addEventListener("lostpointercapture", () => this.releaseButtons());
    canvas.addEventListener("pointerup", (e) => {
      this.pointer(e);
      this.button(e, false);
    });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      if (!this.enabled) return;
      const notches = this.wheel.push(e.deltaX, e.deltaY, e.deltaMode);
      if (notches !== null) this.send({ type: "wheel", dx: notches.dx, dy: notches.dy });
    }, { passive: false });
    canvas.addEventListener("keydown", (e) => this.key(e));
    canvas.addEventListener("keyup", (e) => this.key(e));
    canvas.addEventListener("compositionend", (e) => {
      const text = this.enabled && e.data !== "" ? this.keys.compositionText(e.data) : null;
      if (text !== null) this.send(text);
    });
    // On the document: browsers aim `paste` at the selection's element (often <body>), not
    // at the focused canvas. Only a paste while the screen has focus is the customer's.
    if (pasted !== null) document.addEventListener("paste", this.onPaste);
    canvas.addEventListener("blur", () => this.releaseAll());
    canvas.addEventListener("pointercancel", () => this.releaseButtons());
  }

  /** The screen is gone from the page: the document's listener goes too. */
  dispose(): void {
    document.removeEventListener("paste", this.onPaste);
    this.gate.drop();
  }

  /** The customer's screen size (from each applied update). */
  setScreen(width: number, height: number): void {
    if (width === this.screenW && height === this.screenH) return;
    this.screenW = width;
    this.screenH = height;
    this.layout();
  }

  /** Whether input goes out (live and with control). */
  setEnabled(enabled: boolean): void {
    if (this.enabled && !enabled) {
      // Control is gone (or the link): the agent releases what we held when it takes control
      // away, so here the state is only forgotten, never sent.
      this.enabled = false;
      this.keys.releaseAll();
      this.held.clear();
      this.gate.drop();
    }
    this.enabled = enabled;
    this.canvas.classList.toggle("controlling", enabled);
  }

  /** Whether the clipboard is shared (the CLIPBOARD right): Ctrl+V then waits for the clip. */
  setSharing(sharing: boolean): void {
    this.sharing = sharing;
  }

  setActualSize(actual: boolean): void {
    this.actualSize = actual;
    this.box.classList.toggle("actual-size", actual);
    this.layout();
  }

  setCursorShape(shape: CursorShape): void {
    const { width, height } = shape;
    const ctx = this.cursorCanvas.getContext("2d");
    if (ctx === null || width === 0 || height === 0 || shape.bgra.length < width * height * 4) return;
    this.cursorCanvas.width = width;
    this.cursorCanvas.height = height;
    const img = ctx.createImageData(width, height);
    const src = shape.bgra;
    const dst = img.data;
    for (let i = 0; i < width * height * 4; i += 4) {
      const a = src[i + 3] ?? 0;
      // Premultiplied to straight alpha, as ImageData wants.
      const un = (v: number): number => (a === 0 ? 0 : Math.min(255, Math.round((v * 255) / a)));
      dst[i] = un(src[i + 2] ?? 0);
      dst[i + 1] = un(src[i + 1] ?? 0);
      dst[i + 2] = un(src[i] ?? 0);
      dst[i + 3] = a;
    }
    ctx.putImageData(img, 0, 0);
    this.cursor = { ...this.cursor, hotX: shape.hotX, hotY: shape.hotY };
    this.placeCursor();
  }

  setCursorPosition(x: number, y: number): void {
    this.cursor = { ...this.cursor, x, y };
    this.placeCursor();
  }

  private scale(): number {
    return this.screenW === 0 ? 1 : this.canvas.getBoundingClientRect().width / this.screenW;
  }

  private layout(): void {
    if (this.screenW === 0 || this.screenH === 0) return;
    if (this.actualSize) {
      this.canvas.style.width = `${this.screenW}px`;
      this.canvas.style.height = `${this.screenH}px`;
      this.canvas.style.left = "0px";
      this.canvas.style.top = "0px";
    } else {
      const fit = fitRect(this.screenW, this.screenH, this.box.clientWidth, this.box.clientHeight);
      this.canvas.style.width = `${fit.width}px`;
      this.canvas.style.height = `${fit.height}px`;
      this.canvas.style.left = `${fit.left}px`;
      this.canvas.style.top = `${fit.top}px`;
    }
    this.placeCursor();
  }

  private placeCursor(): void {
    const s = this.scale();
    const style = this.cursorCanvas.style;
    style.left = `${this.canvas.offsetLeft + (this.cursor.x - this.cursor.hotX) * s}px`;
    style.top = `${this.canvas.offsetTop + (this.cursor.y - this.cursor.hotY) * s}px`;
    style.width = `${this.cursorCanvas.width * s}px`;
    style.height = `${this.cursorCanvas.height * s}px`;
  }

  private pointer(e: PointerEvent): void {
    if (!this.enabled || this.screenW === 0) return;
    const at = toScreen(e.clientX, e.clientY, this.canvas.getBoundingClientRect(), this.screenW, this.screenH);
    this.send({ type: "pointer_move", x: at.x, y: at.y });
  }

  private button(e: PointerEvent, down: boolean): void {
    e.preventDefault();
    if (!this.enabled) return;
    const button = buttonOf(e.button);
    if (button === null) return;
    if (down) this.held.add(button);
    else if (!this.held.delete(button)) return;
    this.send({ type: "pointer_button", button, down });
  }

  private key(e: KeyboardEvent): void {
    if (!this.enabled) return;
    const out = this.keys.handle({
      type: e.type === "keyup" ? "keyup" : "keydown",
      key: e.key,
      code: e.code,
      location: e.location,
      repeat: e.repeat,
      isComposing: e.isComposing,
    });
    // Not cancelled, the paste shortcut makes the browser raise `paste` (with the clipboard
    // shared, the clip goes before the V; without, the page says why the customer's own
    // clipboard is pasted). Nothing else happens by default on a canvas.
    const paste = e.type === "keydown" && !e.repeat && !e.isComposing && isPasteShortcut(e);
    if (out.preventDefault && !paste) e.preventDefault();
    if (paste && this.sharing && out.events.length > 0) this.gate.hold();
    for (const ev of out.events) this.send(ev);
  }

  private send(ev: InputEvent): void {
    this.gate.push(ev);
  }

  /** Focus left the screen: release what we hold (while we still control). */
  private releaseAll(): void {
    const keys = this.keys.releaseAll();
    if (this.enabled) for (const ev of keys) this.send(ev);
    this.releaseButtons();
  }

  private releaseButtons(): void {
    const held = [...this.held];
    this.held.clear();
    if (this.enabled) for (const button of held) this.send({ type: "pointer_button", button, down: false });
  }
}
