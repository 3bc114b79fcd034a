// Pointer geometry for the browser viewer: where the customer's picture sits in its box, how
// a point on the displayed picture maps to the customer's screen, wheel deltas as whole
// notches and DOM buttons as X11 buttons. Pure arithmetic (the native viewer's counterpart is
// viewer/src/window/scale.rs and input.rs), so it runs under node --test.

/** Where the picture goes inside its box, in whole CSS pixels. */
export interface FitRect {
  /** Displayed pixels per screen pixel (the limiting side's exact ratio). */
  scale: number;
  width: number;
  height: number;
  /** Offset of the picture from the box's left edge. */
  left: number;
  /** Offset of the picture from the box's top edge. */
  top: number;
}

/** A displayed rectangle, e.g. a canvas's getBoundingClientRect(). */
export interface ClientRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A non-negative whole number of pixels; anything else (NaN, negative) counts as empty. */
function whole(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/**
 * The largest rectangle with the screen's aspect ratio that fits in the box, centred
 * (letterbox or pillarbox). Fit means fit: a screen smaller than the box is scaled *up*
 * (scale > 1); a page that wants 1:1 for small screens can take min(1, scale) itself.
 * Sizes are floored to whole pixels so the picture's edges stay sharp. When either size is
 * empty, everything is 0.
 */
export function fitRect(screenW: number, screenH: number, boxW: number, boxH: number): FitRect {
  const [sw, sh, bw, bh] = [whole(screenW), whole(screenH), whole(boxW), whole(boxH)];
  if (sw === 0 || sh === 0 || bw === 0 || bh === 0) {
    return { scale: 0, width: 0, height: 0, left: 0, top: 0 };
  }
  // Cross-multiplied in integers (exact below 2^53), as in scale.rs, so 1920x1080 in
  // 1280x720 gives exactly 1280x720 and no float leaves a 1-pixel gap.
  let width: number;
  let height: number;
  let scale: number;
  if (sw * bh >= sh * bw) {
    // Limited by the width: bars above and below.
    [width, height, scale] = [bw, Math.max(1, Math.floor((bw * sh) / sw)), bw / sw];
  } else {
    // Limited by the height: bars left and right.
    [width, height, scale] = [Math.max(1, Math.floor((bh * sw) / sh)), bh, bh / sh];
  }
  return {
    scale,
    width,
    height,
    left: Math.floor((bw - width) / 2),
    top: Math.floor((bh - height) / 2),
  };
}

/** `v` clamped into 0..=last (an integer), NaN as 0. */
function clampPixel(v: number, last: number): number {
  if (!(v > 0)) return 0;
  return Math.min(Math.floor(v), last);
}

/**
 * The customer's screen pixel under client point (`clientX`, `clientY`) on the displayed
 * picture, whose bounding rectangle is `rect` (any scale, 1:1 included). Points outside the
 * picture go to the nearest edge pixel, so a drag can reach the screen's edges; the caller
 * decides whether to send them. Results are integers in 0..=screen-1, capped to u16.
 */
export function toScreen(
  clientX: number,
  clientY: number,
  rect: ClientRect,
  screenW: number,
  screenH: number,
): { x: number; y: number } {
  const axis = (p: number, start: number, len: number, screen: number): number => {
    const last = Math.min(whole(screen), 65536) - 1;
    if (last < 0 || !(len > 0)) return 0;
    // Multiply before dividing: at 1:1 the offset comes back unchanged.
    return clampPixel(((p - start) * whole(screen)) / len, last);
  };
  return {
    x: axis(clientX, rect.left, rect.width, screenW),
    y: axis(clientY, rect.top, rect.height, screenH),
  };
}

/** Pixels of smooth scrolling (touchpads) per notch. */
export const PIXELS_PER_NOTCH = 100;
/** Lines per notch: Firefox reports one wheel click as 3 lines. */
export const LINES_PER_NOTCH = 3;
/** Notches per page (deltaMode 2, e.g. "scroll a page" system settings). */
export const NOTCHES_PER_PAGE = 10;

// One event at least this big is a wheel click, not a touchpad's small step: Chromium
// reports a click as 100 px (Windows), 120 px (Linux since ~v109; 53 px before, more at
// zoom or HiDPI), Firefox as 3 lines (sometimes 1). A click is at least one notch, rounded
// (so 53 px and 120 px are one notch each, 225 px two), and clears the leftover; smaller
// events add up at PIXELS_PER_NOTCH / LINES_PER_NOTCH. Touchpad events are mostly below this;
// a fast fling above it scrolls a little further, which fits a fling.
const CLICK_PIXELS = 40;
const CLICK_LINES = 1;

const I16_MIN = -32768;
const I16_MAX = 32767;

/**
 * Turns WheelEvent deltas into the protocol's whole notches (positive dy = down, positive dx
 * = right, the same signs as the DOM's), keeping fractions of a notch for the next event.
 */
export class WheelAccumulator {
  /** Leftover fractions of a notch, horizontal and vertical. */
  private rest: [number, number] = [0, 0];

  /**
   * Whole notches for one WheelEvent's `deltaX`, `deltaY` and `deltaMode` (0 pixels, 1 lines,
   * 2 pages), or null when none are due yet.
   */
  push(deltaX: number, deltaY: number, deltaMode: number): { dx: number; dy: number } | null {
    const dx = this.axis(0, deltaX, deltaMode);
    const dy = this.axis(1, deltaY, deltaMode);
    return dx === 0 && dy === 0 ? null : { dx, dy };
  }

  /** Forgets leftover fractions (pointer left the picture, focus lost). */
  reset(): void {
    this.rest = [0, 0];
  }

  private axis(i: 0 | 1, delta: number, mode: number): number {
    if (!Number.isFinite(delta) || delta === 0) return 0;
    const notches =
      mode === 2
        ? delta * NOTCHES_PER_PAGE
        : mode === 1
          ? delta / LINES_PER_NOTCH
          : delta / PIXELS_PER_NOTCH;
    const size = Math.abs(delta);
    const click = mode === 2 || (mode === 1 ? size >= CLICK_LINES : size >= CLICK_PIXELS);
    let n: number;
    if (click) {
      n = Math.sign(notches) * Math.max(1, Math.round(Math.abs(notches)));
      this.rest[i] = 0;
    } else {
      // A change of direction drops what was left over the other way, so reversing on a
      // touchpad answers at once.
      const prev = Math.sign(this.rest[i]) === -Math.sign(notches) ? 0 : this.rest[i];
      const sum = prev + notches;
      // The epsilon lets float sums such as 3 x (100/3 px) make the notch they mean.
      n = Math.trunc(sum + Math.sign(sum) * 1e-6);
      this.rest[i] = sum - n;
    }
    // `|| 0` turns -0 into 0.
    return Math.min(I16_MAX, Math.max(I16_MIN, n)) || 0;
  }
}

/**
 * The X11 button for a DOM MouseEvent.button: 0 left → 1, 1 middle → 2, 2 right → 3,
 * 3 back → 8, 4 forward → 9 (4–7 are X's wheel buttons, sent as Wheel events instead);
 * anything else → null.
 */
export function buttonOf(domButton: number): number | null {
  switch (domButton) {
    case 0:
      return 1;
    case 1:
      return 2;
    case 2:
      return 3;
    case 3:
      return 8;
    case 4:
      return 9;
    default:
      return null;
  }
}
