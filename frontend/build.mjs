// Builds the page into src/lossboard/server/static/ and records a hash of its sources there,
// so that a test can tell when the committed bundle is older than frontend/.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = join(here, "..", "src", "lossboard", "server", "static");
// the files whose content decides the bundle; tests/server/test_bundle.py hashes the same list
const SOURCES = ["index.html", "build.mjs", "package.json", "package-lock.json"];

function sourceFiles() {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]);
  return [...SOURCES.map((name) => join(here, name)), ...walk(join(here, "src"))]
    .map((path) => relative(here, path).split("\\").join("/"))
    .sort();
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const name of sourceFiles()) {
    hash.update(name + "\0");
    hash.update(readFileSync(join(here, name)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outdir: out,
  legalComments: "linked",
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(out, "index.html"));
copyFileSync(join(here, "node_modules", "uplot", "LICENSE"), join(out, "uPlot.LICENSE.txt")); // MIT: ship its notice
writeFileSync(join(out, "SOURCE_HASH"), sourceHash() + "\n");
