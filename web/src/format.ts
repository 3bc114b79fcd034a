// Pure formatting helpers shared by the customer page and the console. No DOM, no clock:
// times are passed in, so the unit tests can check them.

/** "012345678" → "012 345 678" (how people read codes aloud). Anything else is returned as is. */
export function groupDigits(code: string): string {
  return /^\d{9}$/.test(code) ? `${code.slice(0, 3)} ${code.slice(3, 6)} ${code.slice(6)}` : code;
}

/**
 * The 9 digits of a code a person typed ("123 456 789", "123-456-789"), or null when it is
 * not exactly 9 digits.
 */
export function parseCode(typed: string): string | null {
  const compact = typed.trim().replace(/[\s-]/g, "");
  return /^\d{9}$/.test(compact) ? compact : null;
}

/** Seconds as "m:ss" (or "h:mm:ss" from an hour on). Negative values count as 0. */
export function formatDuration(secs: number): string {
  const total = Math.max(0, Math.floor(secs));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  const ss = String(s).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A code's countdown: "m:ss" while time is left, "expired" at 0. */
export function formatCountdown(secsLeft: number): string {
  return secsLeft <= 0 ? "expired" : formatDuration(secsLeft);
}

/**
 * Seconds left of a countdown that had `secs` left when it arrived at `arrivedMs`, at `nowMs`
 * (both in milliseconds of the same clock). Never negative.
 */
export function secondsLeft(secs: number, arrivedMs: number, nowMs: number): number {
  return Math.max(0, secs - Math.floor((nowMs - arrivedMs) / 1000));
}

/** Seconds counted up from `secs` at `arrivedMs` to `nowMs`. */
export function secondsSince(secs: number, arrivedMs: number, nowMs: number): number {
  return secs + Math.max(0, Math.floor((nowMs - arrivedMs) / 1000));
}

/** An estimated wait in whole minutes, at least 1: "about 5 minutes". */
export function aboutMinutes(secs: number): string {
  const minutes = Math.max(1, Math.ceil(secs / 60));
  return minutes === 1 ? "about 1 minute" : `about ${minutes} minutes`;
}

/** "1 representative" / "3 representatives". */
export function representatives(n: number): string {
  return n === 1 ? "1 representative" : `${n} representatives`;
}

/** Where the native viewer logs in: the portal's address (with its `#pin=` when
 *  self-signed) and the representative's user name, when the console knows them. */
export interface ViewerTarget {
  readonly portalUrl: string | null;
  readonly user: string | null;
}

const NO_TARGET: ViewerTarget = { portalUrl: null, user: null };

/** `text` as one word for a POSIX shell: in single quotes, a quote in it as '\''. */
export function shellQuoted(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** The command line that opens the native viewer on a code. */
export function viewerCommand(code: string, to: ViewerTarget = NO_TARGET): string {
  const portal = to.portalUrl === null ? "" : ` --portal ${shellQuoted(to.portalUrl)}`;
  const user = to.user === null ? "" : ` --user ${shellQuoted(to.user)}`;
  return `tandem-viewer${portal}${user} join ${code}`;
}

/** The link that opens the native viewer on a code (its desktop entry handles tandem:). */
export function viewerLink(code: string, to: ViewerTarget = NO_TARGET): string {
  let link = `tandem://join?code=${encodeURIComponent(code)}`;
  if (to.portalUrl !== null) link += `&portal=${encodeURIComponent(to.portalUrl)}`;
  if (to.user !== null) link += `&user=${encodeURIComponent(to.user)}`;
  return link;
}

/** A size for a person: "812 bytes", "1.4 KB", "3.2 MB" (powers of 1024). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[unit]}`;
}
