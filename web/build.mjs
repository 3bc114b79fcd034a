// Builds the web app into dist/: minified ES2022 bundles (app.js, viewer_worker.js) beside index.html and
// app.css (src/app.css with the files it imports). The portal serves index.html at /p/<name> and /console, and dist/ under /app/.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
// The app, and the viewer's decoding worker (a file of its own: the page's policy runs only
// our own scripts, so no blob: workers).
for (const [entry, out] of [["main.ts", "app.js"], [join("viewer", "viewer_worker.ts"), "viewer_worker.js"]]) await build({
  entryPoints: [join(here, "src", entry)],
  outfile: join(dist, out),
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});
// The styles: app.css with the files it imports, as one file.
await build({
  entryPoints: [join(here, "src", "app.css")],
  outfile: join(dist, "app.css"),
  bundle: true,
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
await copyFile(join(here, "src", "index.html"), join(dist, "index.html"));
console.log("built dist/app.js, dist/viewer_worker.js, dist/index.html, dist/app.css");
