// Compiles the unit tests in test/ with esbuild into a temporary folder and runs them with
// node's own test runner. (`npm test` type-checks everything with tsc first.)
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tests = (await readdir(join(here, "test"))).filter((f) => f.endsWith(".test.ts"));
// Inside node_modules, so the bundles' imports of packages (kept external) resolve there.
const out = await mkdtemp(join(here, "node_modules", ".tandem-web-test-"));
try {
  await build({
    entryPoints: tests.map((f) => join(here, "test", f)),
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  const files = tests.map((f) => join(out, f.replace(/\.ts$/, ".mjs")));
  const run = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  await rm(out, { recursive: true, force: true });
}
