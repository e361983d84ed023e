// What sandbox-check.mjs and coverage.mjs share: the official endpoints (endpoints.json) and
// the answers a test run captured (samples-*.jsonl, see sandbox/src/contract.rs).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const endpoints = JSON.parse(fs.readFileSync(path.join(here, "endpoints.json"), "utf8"));

// Official templates as regexes; the one with the most literal segments wins.
const routes = endpoints.map((e) => {
  const segs = e.path.split("/").filter(Boolean);
  const re = new RegExp("^/" + segs.map((s) => (s.startsWith("{") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/") + "$");
  return { ...e, re, literal: segs.filter((s) => !s.startsWith("{")).length };
});

/** The endpoints `method path` of package `pkg` ("dm" or "as") can be, best match only. */
export function endpointsFor(pkg, method, p) {
  const found = routes.filter((r) => r.package === pkg && r.method === method && r.re.test(p));
  if (!found.length) return [];
  const best = Math.max(...found.map((r) => r.literal));
  return found.filter((r) => r.literal === best);
}

/** Every captured answer in `dir`, parsed; a line cut short by a test process ending is skipped. */
export function* readSamples(dir) {
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        yield JSON.parse(line);
      } catch {
        continue;
      }
    }
  }
}
