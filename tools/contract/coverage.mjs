#!/usr/bin/env node
// Lists the optional fields of the official API types that the sandbox never sent.
//
//   node coverage.mjs DIR
//
// DIR holds the samples-*.jsonl files a test run wrote with SQUONK2_SANDBOX_CONTRACT_DIR=DIR.
// Each success answer is matched to its endpoint's type (endpoints.json), then walked together
// with that type (as the TypeScript compiler sees it in @squonk/data-manager-client and
// @squonk/account-server-client): every object type reached, nested ones included, counts
// which of its optional properties appeared in at least one answer. A type is named by its
// declaration (`ProjectDetail`), or by where it sits when it is an inline one
// (`AdminUsersGetResponse.users[]`). Types no answer reached are listed at the end without
// their fields. Informational: the exit status is 0 unless the setup is broken (2).
//
// The sandbox's reasons for leaving fields out are in sandbox/FIDELITY.md.
import fs from "node:fs";
import path from "node:path";
import { endpointsFor, endpoints, here, readSamples } from "./samples.mjs";

const dir = process.argv[2];
if (!dir || !fs.existsSync(dir)) {
  console.error("usage: coverage.mjs DIR (a directory of samples-*.jsonl)");
  process.exit(2);
}
let ts;
try {
  ts = (await import("typescript")).default;
} catch {
  console.error(`coverage: run 'npm ci --legacy-peer-deps' in ${here} first`);
  process.exit(2);
}

// One program that names every endpoint type, so the checker can resolve them.
const NS = { dm: "DM", as: "AS" };
const types = [...new Set(endpoints.filter((e) => e.type !== "void").map((e) => `${e.package}:${e.type}`))];
const work = fs.mkdtempSync(path.join(here, ".coverage-"));
const file = path.join(work, "coverage.ts");
fs.writeFileSync(
  file,
  [
    `import type * as DM from "@squonk/data-manager-client";`,
    `import type * as AS from "@squonk/account-server-client";`,
    ...types.map((t, i) => {
      const [pkg, name] = t.split(":");
      return `export type T${i} = ${NS[pkg]}.${name};`;
    }),
  ].join("\n"),
);
const program = ts.createProgram([file], {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [],
});
const checker = program.getTypeChecker();
const source = program.getSourceFile(file);
const rootType = new Map(); // "dm:ProjectDetail" -> ts.Type
source.statements.filter(ts.isTypeAliasDeclaration).forEach((decl, i) => {
  rootType.set(types[i], checker.getTypeFromTypeNode(decl.type));
});
fs.rmSync(work, { recursive: true, force: true });

// type name -> { optional: Set, seen: Set }
const stats = new Map();

function declaredName(type) {
  const symbol = type.aliasSymbol ?? type.getSymbol();
  const name = symbol?.getName();
  return name && !name.startsWith("__") ? name : undefined;
}

function isObjectLike(type) {
  return (type.flags & ts.TypeFlags.Object) !== 0 || type.isIntersection();
}

function walk(value, type, where) {
  if (value === null || value === undefined) return;
  if (type.isUnion()) {
    const members = type.types.filter((t) => isObjectLike(t));
    if (typeof value !== "object") return;
    // Of a union of objects, the members whose required fields the value has.
    const fitting = members.filter((m) =>
      checker.isArrayType(m)
        ? Array.isArray(value)
        : !Array.isArray(value) &&
          checker.getPropertiesOfType(m).every((p) => (p.flags & ts.SymbolFlags.Optional) !== 0 || p.getName() in value),
    );
    for (const m of fitting.length ? fitting : members) walk(value, m, where);
    return;
  }
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    if (!Array.isArray(value)) return;
    const element = checker.getTypeArguments(type)[0];
    if (element) for (const v of value) walk(v, element, `${where}[]`);
    return;
  }
  if (!isObjectLike(type) || typeof value !== "object" || Array.isArray(value)) return;
  const name = declaredName(type) ?? where;
  const props = checker.getPropertiesOfType(type);
  if (!props.length) {
    const index = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    if (index) for (const v of Object.values(value)) walk(v, index, `${name}[*]`);
    return;
  }
  let entry = stats.get(name);
  if (!entry) {
    const optional = props.filter((p) => (p.flags & ts.SymbolFlags.Optional) !== 0).map((p) => p.getName());
    entry = { optional: new Set(optional), seen: new Set() };
    stats.set(name, entry);
  }
  for (const p of props) {
    const key = p.getName();
    if (!(key in value)) continue;
    entry.seen.add(key);
    walk(value[key], checker.getTypeOfSymbol(p), `${name}.${key}`);
  }
}

let answers = 0;
const reachedRoots = new Set();
for (const s of readSamples(dir)) {
  if (s.status >= 400 || s.body === null) continue;
  const ep = endpointsFor(s.package, s.method, s.path).find((e) => e.status === s.status);
  if (!ep || ep.type === "void") continue;
  const key = `${ep.package}:${ep.type}`;
  const type = rootType.get(key);
  if (!type) continue;
  answers++;
  reachedRoots.add(key);
  walk(s.body, type, ep.type);
}

let optional = 0;
let missing = 0;
const lines = [];
for (const [name, { optional: opt, seen }] of [...stats].sort(([a], [b]) => a.localeCompare(b))) {
  optional += opt.size;
  const never = [...opt].filter((f) => !seen.has(f));
  missing += never.length;
  if (never.length) lines.push(`  ${name}: ${never.join(", ")}`);
}
console.log(`coverage: ${answers} answers, ${stats.size} object types reached, ${optional} optional fields in them`);
console.log(`optional fields never sent: ${missing}`);
for (const l of lines) console.log(l);
const unreached = types.filter((t) => !reachedRoots.has(t));
if (unreached.length) console.log(`endpoint types no answer reached (${unreached.length}): ${unreached.join(", ")}`);
