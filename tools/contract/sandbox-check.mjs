#!/usr/bin/env node
// Checks the sandbox's own answers against the official API types.
//
//   node sandbox-check.mjs DIR [--typed-samples FILE]
//
// DIR holds the samples-*.jsonl files a test run wrote with SQUONK2_SANDBOX_CONTRACT_DIR=DIR
// (see sandbox/src/contract.rs). Each answer is matched to its endpoint in endpoints.json
// (made from the official DM 5.0.1 and AS 4.4.0 client packages): a success answer must have a
// status the endpoint declares and a body of its declared type; an error answer must be
// {"error": string}. Answers are de-duplicated by shape, then type-checked with check.mjs.
// With --typed-samples, the de-duplicated answers are also written to FILE as
// [{"type", "package", "value", "where"}, ...], for the Rust models' round-trip test
// (tests/models.rs). Exit status: 0 all good, 1 something does not match, 2 usage/setup error.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { endpointsFor, here, readSamples } from "./samples.mjs";

const dir = process.argv[2];
const typedAt = process.argv.indexOf("--typed-samples");
const typedSamples = typedAt > 2 ? process.argv[typedAt + 1] : null;
if (!dir || !fs.existsSync(dir)) {
  console.error("usage: sandbox-check.mjs DIR (a directory of samples-*.jsonl)");
  process.exit(2);
}

// The shape of a value: what de-duplication compares.
function shape(v) {
  if (Array.isArray(v)) return "[" + [...new Set(v.map(shape))].sort().join("|") + "]";
  if (v && typeof v === "object") return "{" + Object.keys(v).sort().map((k) => k + ":" + shape(v[k])).join(",") + "}";
  return typeof v;
}

const problems = [];
const samples = new Map(); // key -> entry
let total = 0;
for (const s of readSamples(dir)) {
  total++;
  const where = `${s.package} ${s.method} ${s.path} -> ${s.status}`;
  if (s.status >= 400) {
    const ok = s.body && typeof s.body === "object" && !Array.isArray(s.body) && typeof s.body.error === "string" && Object.keys(s.body).length === 1;
    if (!ok) problems.push(`${where}: an error answer must be {"error": string}, got ${JSON.stringify(s.body)}`);
    continue;
  }
  const eps = endpointsFor(s.package, s.method, s.path);
  if (!eps.length) {
    problems.push(`${where}: no such endpoint in the official API`);
    continue;
  }
  const ep = eps.find((e) => e.status === s.status);
  if (!ep) {
    problems.push(`${where}: the official API answers ${eps.map((e) => e.status).join(" or ")} here`);
    continue;
  }
  if (ep.type === "void") continue;
  if (s.body === null) {
    problems.push(`${where}: expected a JSON ${ep.type}, got ${s.content_type || "no content type"}`);
    continue;
  }
  const key = `${ep.package}:${ep.type}:${shape(s.body)}`;
  if (!samples.has(key)) samples.set(key, { type: ep.type, package: ep.package, value: s.body, where });
}

const entries = [...samples.values()];
if (typedSamples) fs.writeFileSync(typedSamples, JSON.stringify(entries));
console.log(`contract: ${total} answers captured, ${entries.length} distinct shapes to type-check`);
const counts = {};
for (const e of entries) counts[`${e.package}:${e.type}`] = (counts[`${e.package}:${e.type}`] ?? 0) + 1;
for (const [t, n] of Object.entries(counts).sort()) console.log(`  ${t} (${n} shape${n > 1 ? "s" : ""})`);

let status = 0;
if (entries.length) {
  const file = path.join(fs.mkdtempSync(path.join(here, ".samples-")), "samples.json");
  fs.writeFileSync(file, JSON.stringify(entries.map(({ type, package: p, value }) => ({ type, package: p, value }))));
  const r = spawnSync(process.execPath, [path.join(here, "check.mjs"), file], { encoding: "utf8" });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  // Name the endpoint behind each failing entry.
  process.stdout.write(out.replace(/\[(\d+)\] (\w+):(\w+)/g, (m, i) => `${m} (${entries[Number(i)]?.where ?? "?"})`));
  if (r.status !== 0) status = r.status === 2 ? 2 : 1;
}
for (const p of problems) console.log(`FAIL ${p}`);
if (problems.length) status = status || 1;
console.log(status === 0 ? "contract: all sandbox answers match the official types" : "contract: FAILED");
process.exit(status);
