// Drives a real headless Chromium for Tandem's Rust end-to-end tests (tests/src/browser.rs).
//
// A JSON-lines RPC: every request line on stdin, `{"id":N,"cmd":"...",...}`, gets exactly one
// response line on stdout, `{"id":N,"ok":true,"value":...}` or `{"id":N,"ok":false,"error":"..."}`,
// in request order. Everything else goes to stderr.
//
// playwright-core comes from $TANDEM_PLAYWRIGHT (its package directory) if set, else from
// <repo>/web/node_modules (the web app's devDependency, installed by `npm ci` in web/). The
// browser is Debian's /usr/bin/chromium ($TANDEM_CHROMIUM overrides it); playwright never
// downloads one.
//
// Options: `--ignore-https-errors` (launch flag `--ignore-certificate-errors`, and every
// context ignores HTTPS errors).
//
// Every page lives in its own browser context (own cookies, storage, permissions), so two
// representatives and three customers are independent. The browser is closed on stdin EOF,
// on `quit`, and on SIGTERM/SIGINT/SIGHUP.

import { createRequire } from "node:module";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");
const DEFAULT_TIMEOUT_MS = 10_000;
const POLL_MS = 50;
const PERMISSIONS = ["clipboard-read", "clipboard-write", "notifications"];
const started = Date.now();

function log(...args) {
  process.stderr.write(`driver: ${args.join(" ")}\n`);
}

function loadPlaywright() {
  const require = createRequire(import.meta.url);
  const fromEnv = process.env.TANDEM_PLAYWRIGHT;
  if (fromEnv) {
    // The package directory, or a node_modules directory holding it.
    const nested = join(fromEnv, "playwright-core");
    return require(resolve(existsSync(join(nested, "package.json")) ? nested : fromEnv));
  }
  // Resolve as the web app itself would: from web/ (the file need not exist).
  return createRequire(join(repoRoot, "web", "package.json"))("playwright-core");
}

const ignoreHttpsErrors = process.argv.includes("--ignore-https-errors");
const executablePath = process.env.TANDEM_CHROMIUM || "/usr/bin/chromium";

let browser = null;
let closing = null;
/** name -> { context, page, log: string[] } */
const pages = new Map();

async function launch() {
  const { chromium } = loadPlaywright();
  const args = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
  ];
  if (ignoreHttpsErrors) args.push("--ignore-certificate-errors");
  // Extra switches a test asks for, e.g. --force-webrtc-ip-handling-policy=... to take UDP away.
  for (const arg of process.argv) {
    if (arg.startsWith("--chromium-arg=")) args.push(arg.slice("--chromium-arg=".length));
  }
  // launch() gives the browser a fresh temporary user-data-dir and removes it on close.
  // handleSIG*: this driver handles the signals itself (closing the browser first).
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: 60_000,
  });
  log(`launched ${executablePath} ${browser.version()}`);
  browser.on("disconnected", () => {
    if (!closing) log("the browser went away (crashed or killed)");
  });
}

async function shutdown(code) {
  if (!closing) {
    closing = (async () => {
      try {
        // A launch under way finishes first, so its browser is closed, not orphaned.
        await launched.catch(() => {});
        if (browser) await browser.close();
      } catch (e) {
        log(`closing the browser: ${e?.message ?? e}`);
      }
      process.exit(code);
    })();
  }
  return closing;
}

for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(sig, () => {
    log(`${sig}: closing the browser`);
    shutdown(0);
  });
}
// stdout gone (the test died): nobody reads answers any more.
process.stdout.on("error", () => shutdown(0));

async function newPage(name, origin) {
  if (pages.has(name)) throw new Error(`page ${name} already exists`);
  const context = await browser.newContext({ ignoreHTTPSErrors: ignoreHttpsErrors });
  context.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(DEFAULT_TIMEOUT_MS);
  if (origin) {
    try {
      await context.grantPermissions(PERMISSIONS, { origin });
    } catch (e) {
      await context.close().catch(() => {});
      throw e;
    }
  }
  const page = await context.newPage();
  const entry = { context, page, log: [] };
  const at = () => ((Date.now() - started) / 1000).toFixed(3);
  page.on("console", (m) => entry.log.push(`${at()} [${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => entry.log.push(`${at()} [pageerror] ${e.stack || e.message}`));
  page.on("requestfailed", (r) =>
    entry.log.push(`${at()} [requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`),
  );
  page.on("crash", () => entry.log.push(`${at()} [crash] the page crashed`));
  page.on("close", () => entry.log.push(`${at()} [close] the page closed`));
  pages.set(name, entry);
  return entry;
}

async function pageOf(req) {
  if (typeof req.page !== "string") throw new Error(`${req.cmd} needs a "page" name`);
  return pages.get(req.page) ?? (await newPage(req.page, null));
}

function need(req, field, type = "string") {
  const v = req[field];
  if (typeof v !== type) throw new Error(`${req.cmd} needs "${field}" (a ${type})`);
  return v;
}

/** Polls `probe` (returns [done, lastSeen]) until done or the deadline. */
async function poll(req, what, probe) {
  const timeout = req.timeout_ms ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    let done;
    [done, last] = await probe();
    if (done) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const commands = {
  async hello() {
    return { browser: browser.version(), executable: executablePath };
  },
  async new_page(req) {
    need(req, "page");
    await newPage(req.page, req.origin ?? null);
    return null;
  },
  async goto(req) {
    const { page } = await pageOf(req);
    const response = await page.goto(need(req, "url"), { timeout: req.timeout_ms });
    return { status: response ? response.status() : null, url: page.url() };
  },
  async close_page(req) {
    const entry = pages.get(need(req, "page"));
    if (!entry) throw new Error(`no page ${req.page}`);
    pages.delete(req.page);
    await entry.context.close();
    return null;
  },
  async click(req) {
    const { page } = await pageOf(req);
    await page.locator(need(req, "selector")).click({ timeout: req.timeout_ms });
    return null;
  },
  async fill(req) {
    const { page } = await pageOf(req);
    await page.locator(need(req, "selector")).fill(need(req, "value"), { timeout: req.timeout_ms });
    return null;
  },
  async press(req) {
    const { page } = await pageOf(req);
    await page.locator(need(req, "selector")).press(need(req, "key"), { timeout: req.timeout_ms });
    return null;
  },
  // Keys typed on whatever has the focus, as a person types them (keydown/keyup per key).
  async keyboard_type(req) {
    const { page } = await pageOf(req);
    await page.keyboard.type(need(req, "text"));
    return null;
  },
  // One key or chord ("Control+U", "ü") pressed and released on whatever has the focus.
  // A character that is on no US key (ü, é) goes through CDP as the key of a layout that has
  // it, the way a German or French keyboard sends it: keydown/keyup with that `key`.
  async keyboard_press(req) {
    const { page } = await pageOf(req);
    const key = need(req, "key");
    if ([...key].length === 1 && key.charCodeAt(0) > 0x7e) {
      const cdp = await page.context().newCDPSession(page);
      try {
        await cdp.send("Input.dispatchKeyEvent", { type: "keyDown", key, text: key, unmodifiedText: key });
        await cdp.send("Input.dispatchKeyEvent", { type: "keyUp", key });
      } finally {
        await cdp.detach().catch(() => {});
      }
      return null;
    }
    await page.keyboard.press(key);
    return null;
  },
  // A click at page coordinates (CSS pixels).
  async mouse_click(req) {
    const { page } = await pageOf(req);
    await page.mouse.click(need(req, "x", "number"), need(req, "y", "number"));
    return null;
  },
  // Files chosen in a file input, as a person picks them.
  async set_files(req) {
    const { page } = await pageOf(req);
    await page.locator(need(req, "selector")).setInputFiles(req.paths, { timeout: req.timeout_ms });
    return null;
  },
  // Clicks what starts a download and saves the downloaded file to `path`.
  async download(req) {
    const { page } = await pageOf(req);
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: req.timeout_ms ?? DEFAULT_TIMEOUT_MS }),
      page.locator(need(req, "selector")).click({ timeout: req.timeout_ms }),
    ]);
    const path = resolve(need(req, "path"));
    await download.saveAs(path);
    return { path, suggested: download.suggestedFilename() };
  },
  async select(req) {
    const { page } = await pageOf(req);
    return await page
      .locator(need(req, "selector"))
      .selectOption(need(req, "value"), { timeout: req.timeout_ms });
  },
  async check(req) {
    const { page } = await pageOf(req);
    await page
      .locator(need(req, "selector"))
      .setChecked(need(req, "checked", "boolean"), { timeout: req.timeout_ms });
    return null;
  },
  // Until at least one matching element is visible.
  async wait_visible(req) {
    const { page } = await pageOf(req);
    await page
      .locator(need(req, "selector"))
      .filter({ visible: true })
      .first()
      .waitFor({ state: "visible", timeout: req.timeout_ms });
    return null;
  },
  // Until no matching element is visible (none left, or all hidden).
  async wait_hidden(req) {
    const { page } = await pageOf(req);
    await page
      .locator(need(req, "selector"))
      .filter({ visible: true })
      .first()
      .waitFor({ state: "hidden", timeout: req.timeout_ms });
    return null;
  },
  // Until some matching element's textContent contains `contains` (exact, case-sensitive).
  async wait_text(req) {
    const { page } = await pageOf(req);
    const selector = need(req, "selector");
    const contains = need(req, "contains");
    const locator = page.locator(selector);
    return await poll(req, `${selector} to contain ${JSON.stringify(contains)}`, async () => {
      const texts = await locator.evaluateAll((els) => els.map((e) => e.textContent));
      const hit = texts.find((t) => t !== null && t.includes(contains));
      return [hit !== undefined, hit !== undefined ? hit : texts];
    });
  },
  async wait_count(req) {
    const { page } = await pageOf(req);
    const selector = need(req, "selector");
    const count = need(req, "count", "number");
    const locator = page.locator(selector);
    return await poll(req, `${count} elements matching ${selector}`, async () => {
      const n = await locator.count();
      return [n === count, n];
    });
  },
  async text(req) {
    const { page } = await pageOf(req);
    return await page.locator(need(req, "selector")).textContent({ timeout: req.timeout_ms });
  },
  async count(req) {
    const { page } = await pageOf(req);
    return await page.locator(need(req, "selector")).count();
  },
  async attr(req) {
    const { page } = await pageOf(req);
    return await page
      .locator(need(req, "selector"))
      .getAttribute(need(req, "name"), { timeout: req.timeout_ms });
  },
  // A page-side expression (awaited if it is a promise); undefined comes back as null.
  async eval(req) {
    const { page } = await pageOf(req);
    const value = await page.evaluate(need(req, "expr"));
    return value === undefined ? null : value;
  },
  async clipboard(req) {
    const { page } = await pageOf(req);
    return await page.evaluate(() => navigator.clipboard.readText());
  },
  async screenshot(req) {
    const { page } = await pageOf(req);
    const path = resolve(need(req, "path"));
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: req.full_page === true, timeout: req.timeout_ms });
    return path;
  },
  async console(req) {
    const entry = pages.get(need(req, "page"));
    if (!entry) throw new Error(`no page ${req.page}`);
    return entry.log;
  },
};

// A line per command on stderr (shown when a test fails): what, on which page, how long.
function trace(req, t, outcome) {
  const at = ((Date.now() - started) / 1000).toFixed(3);
  const took = t === null ? "" : ` ${Date.now() - t} ms`;
  const what = String(req.selector ?? req.url ?? req.expr ?? req.path ?? "")
    .replace(/\s+/g, " ")
    .slice(0, 80);
  log(`${at} #${req.id} ${req.cmd} ${req.page ?? ""} ${what}${took} ${outcome.split("\n")[0]}`);
}

function respond(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    respond({ id: null, ok: false, error: `not JSON: ${e.message}: ${line}` });
    return;
  }
  if (typeof req !== "object" || req === null || Array.isArray(req)) {
    respond({ id: null, ok: false, error: `not a JSON object: ${line}` });
    return;
  }
  const id = req.id ?? null;
  try {
    if (req.cmd === "quit") {
      respond({ id, ok: true, value: null });
      await shutdown(0);
      return;
    }
    const f = Object.hasOwn(commands, req.cmd) ? commands[req.cmd] : null;
    if (!f) throw new Error(`unknown command ${JSON.stringify(req.cmd)}`);
    if (!browser) await launched;
    const t = Date.now();
    const value = await f(req);
    trace(req, t, "ok");
    respond({ id, ok: true, value: value === undefined ? null : value });
  } catch (e) {
    trace(req, null, `failed: ${e?.message ?? e}`);
    // Playwright's message, without the terminal colours of its call log.
    respond({ id, ok: false, error: String(e?.message ?? e).replace(/\u001b\[[0-9;]*m/g, "") });
  }
}

const launched = launch();
launched.catch((e) => log(`launch failed: ${e?.message ?? e}`));

// Requests run one after another, in order.
let queue = Promise.resolve();
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  queue = queue.then(() => handle(line));
});
// stdin EOF: the test is gone (or done); close the browser at once, even mid-request.
rl.on("close", () => shutdown(0));
