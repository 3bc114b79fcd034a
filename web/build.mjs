// Builds the web app into dist/: one minified ES2022 bundle (app.js) beside index.html and
// app.css. The portal serves index.html at /p/<name> and /console, and dist/ under /app/.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(dist, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["index.html", "app.css"]) {
  await copyFile(join(here, "src", file), join(dist, file));
}
console.log("built dist/app.js, dist/index.html, dist/app.css");
