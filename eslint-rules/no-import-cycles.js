// A small ESLint rule that fails on import cycles between the project's own TypeScript files.
//
// Why a local rule: the usual one (`import-x/no-cycle` of eslint-plugin-import-x) is not installed here, and
// this needs only TypeScript's own scanner. Every relative import counts, `import type` and `export ... from`
// included: a type-only cycle is still two modules that cannot be understood (or moved) one without the other.
//
// How: the first file linted in a process builds the import graph of every .ts/.tsx/.cts/.mts file under the
// folders in ROOTS (`ts.preProcessFile` lists a file's imports without type-checking it), then finds its
// strongly connected components (Tarjan). A file in a component of more than one file (or one that imports
// itself) is reported once, at its first import that stays inside the component, with one cycle spelled out.
// Files are re-read only when their mtime changes, so an editor's long-lived ESLint stays correct.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Folders (relative to the repository root) whose files form the graph. */
const ROOTS = ['electron', 'shared', 'renderer/src', 'e2e'];
const EXTENSIONS = ['.ts', '.tsx', '.cts', '.mts'];
const SKIP_DIRS = new Set(['node_modules', 'out', 'dist']);

/** file -> { mtimeMs, imports: [{ specifier, target, line }] } */
const fileCache = new Map();
/** The answer of the last `findImportCycles` call and the files (with mtimes) it was for. */
let lastResult;

function listFiles(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) listFiles(full, out);
    } else if (EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

/** The file a relative specifier names (`./x.js` -> `./x.ts`, `./x.cjs` -> `./x.cts`, a folder -> its index). */
function resolve(fromFile, specifier, known) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(m|c)?jsx?$/, '');
  const candidates = [
    base,
    ...EXTENSIONS.map((ext) => stem + ext),
    ...EXTENSIONS.map((ext) => path.join(base, `index${ext}`)),
  ];
  return candidates.find((c) => known.has(c));
}

function importsOf(file, known) {
  const mtimeMs = fs.statSync(file).mtimeMs;
  const cached = fileCache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.imports;
  const text = fs.readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const lineStarts = ts.computeLineStarts(text);
  const imports = [];
  for (const ref of info.importedFiles) {
    const target = resolve(file, ref.fileName, known);
    if (target)
      imports.push({
        specifier: ref.fileName,
        target,
        line: ts.computeLineAndCharacterOfPosition(lineStarts, ref.pos).line + 1,
      });
  }
  fileCache.set(file, { mtimeMs, imports });
  return imports;
}

/** Strongly connected components of the graph (Tarjan's algorithm, iterative). */
function components(nodes, edges) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const result = [];
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const targets = edges.get(frame.node) ?? [];
      if (frame.next < targets.length) {
        const target = targets[frame.next++];
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node), index.get(target)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent), low.get(frame.node)));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        result.push(component);
      }
    }
  }
  return result;
}

/** The shortest path start -> ... -> start inside `within` (breadth first). */
function cycleThrough(start, edges, within) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const target of edges.get(node) ?? []) {
      if (!within.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let n = node; n !== start; n = previous.get(n)) path.unshift(n);
        path.unshift(start);
        return path;
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

/**
 * Every import cycle under `rootDir`: one entry per file that is part of a cycle, with the file's first import
 * that stays in the cycle and the shortest cycle through the file (paths relative to `rootDir`).
 */
export function findImportCycles(rootDir) {
  const files = ROOTS.flatMap((r) => listFiles(path.join(rootDir, r), []));
  const known = new Set(files);
  const imports = new Map(files.map((f) => [f, importsOf(f, known)]));
  // The same files, unchanged since the last call (ESLint asks once per linted file): the same answer.
  const key = `${rootDir}\n${files.map((f) => `${f}:${fileCache.get(f).mtimeMs}`).join('\n')}`;
  if (lastResult?.key === key) return lastResult.cycles;
  const edges = new Map(files.map((f) => [f, [...new Set(imports.get(f).map((i) => i.target))]]));
  const found = new Map();
  for (const component of components(files, edges)) {
    const members = new Set(component);
    const cyclic = component.length > 1 || (edges.get(component[0]) ?? []).includes(component[0]);
    if (!cyclic) continue;
    for (const file of component) {
      const first = imports.get(file).find((i) => members.has(i.target));
      const cycle = cycleThrough(file, edges, members).map((f) =>
        path.relative(rootDir, f).split(path.sep).join('/'),
      );
      found.set(file, {
        file: path.relative(rootDir, file).split(path.sep).join('/'),
        line: first.line,
        specifier: first.specifier,
        cycle,
      });
    }
  }
  const cycles = [...found.values()];
  lastResult = { key, cycles };
  return cycles;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noImportCycles = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between the project’s own modules (import type included).' },
    schema: [],
    messages: {
      cycle: 'Import cycle: {{cycle}}. Move the shared declarations into a module both can import.',
    },
  },
  create(context) {
    return {
      Program(node) {
        const rootDir = context.cwd;
        const file = path.resolve(context.filename);
        const hit = findImportCycles(rootDir).find((c) => path.resolve(rootDir, c.file) === file);
        if (!hit) return;
        context.report({
          node,
          loc: { start: { line: hit.line, column: 0 }, end: { line: hit.line, column: 0 } },
          messageId: 'cycle',
          data: { cycle: hit.cycle.join(' -> ') },
        });
      },
    };
  },
};

export default { rules: { 'no-import-cycles': noImportCycles } };
