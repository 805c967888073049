import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './command-index.js';
import { repoRoot, runCliInProcess } from './testing/run-cli.js';

/*
 * Every command's `--help` against docs/cli.md, the contract: the JSON fields its `--json` row lists must be the
 * ones the docs list for it. The two are written apart, and help lagged the docs silently: `demo --help` had no
 * `best`, `sensitivity --help` no `method`, and `recipe --help` no `--json` at all (a user test).
 */

const DOCS = fs.readFileSync(path.join(repoRoot, 'docs/cli.md'), 'utf8');

/** The top-level names of a field list: `{out, best: {...} | null, rows[], steps: [{...}], ...}` → out, best, rows, steps. */
function topLevelFields(list: string): string[] {
  const inner = /^\s*\{([\s\S]*)\}\s*$/.exec(list)?.[1] ?? list;
  const items: string[] = [];
  let depth = 0;
  let item = '';
  for (const ch of inner) {
    if ('{[('.includes(ch)) depth++;
    if ('}])'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      items.push(item);
      item = '';
    } else item += ch;
  }
  items.push(item);
  return items.flatMap((i) => /^\s*([A-Za-z_]\w*)/.exec(i)?.[1] ?? []);
}

/** The `--json` row of a command's help, with the lines its description carries on to. */
function jsonRow(help: string): string | undefined {
  const lines = help.split('\n');
  const at = lines.findIndex((l) => /^ {2}--json\b/.test(l));
  if (at < 0) return undefined;
  const more = lines.slice(at + 1).findIndex((l) => !/^ {8,}\S/.test(l));
  return lines.slice(at, more < 0 ? undefined : at + 1 + more).join(' ');
}

/** The first balanced `{...}` of a text. */
function firstBraces(text: string): string | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

/** A command's usage where it starts a line or a sentence (`` `onnx-studio trial DIR [--index I]` ``). */
const USAGE = /(?:^|\. )`onnx-studio (\w+) [A-Z[-]/gm;

/**
 * What docs/cli.md says of `command`: from its usage to the next command's usage, in the first section whose
 * heading names it.
 */
function docsOf(command: string): string {
  const sections = DOCS.split(/^## /m).slice(1);
  const section = sections.find((s) => new RegExp(`\\b${command}\\b`).test(s.split('\n')[0]!));
  expect(section, `a section of docs/cli.md for ${command}`).toBeDefined();
  const usages = [...section!.matchAll(USAGE)];
  const usage = usages.find((m) => m[1] === command);
  expect(usage, `the usage of ${command} in docs/cli.md`).toBeDefined();
  const next = usages.find((m) => m.index > usage!.index && m[1] !== command);
  return section!.slice(usage!.index, next?.index);
}

/** The "Additions" bullet of `command` (`` - `prune`: ... ``), or ''. */
function additionsOf(command: string): string {
  const additions = DOCS.split(/^## /m).find((s) => s.startsWith('Additions'))!;
  return additions.split(/\n(?=- )/).find((bullet) => bullet.startsWith(`- \`${command}\``)) ?? '';
}

/**
 * The top-level JSON fields docs list after `JSON:` or `` `--json` prints ``: the code spans that follow, joined
 * while only commas, "and" and parenthesised asides stand between them (`` `output, outputBytes` (the .onnx
 * file alone), `externalDataBytes` ``), up to the prose that follows.
 */
function docsJsonFields(text: string): string[] | undefined {
  const marker = /JSON(?: \([^)]*\))?: |`--json` prints /.exec(text);
  if (!marker) return undefined;
  let code = '';
  let inCode = false;
  let parens = 0;
  let prose = '';
  for (const ch of text.slice(marker.index + marker[0].length)) {
    if (inCode) {
      if (ch === '`') inCode = false;
      else if (parens === 0) code += ch;
      continue;
    }
    if (ch === '`') {
      if (parens === 0) {
        if (
          prose
            .replace(/\band\b/g, '')
            .trim()
            .replace(/,/g, '') !== ''
        )
          break;
        if (code !== '') code += ', ';
        prose = '';
      }
      inCode = true;
    } else if (ch === '(') parens++;
    else if (ch === ')') parens--;
    else if (parens === 0) prose += ch;
  }
  return topLevelFields(code);
}

/** The code spans of a text, joined. */
function codeSpans(text: string): string {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]).join(' ');
}

describe('each command --help lists the JSON fields docs/cli.md gives it', () => {
  it('reads field lists as they are written', () => {
    expect(topLevelFields('{out, html, json, best: {target, name} | null, rows}')).toEqual([
      'out',
      'html',
      'json',
      'best',
      'rows',
    ]);
    expect(topLevelFields('{recipe, steps: [{step, kind, ...result}], notes}')).toEqual([
      'recipe',
      'steps',
      'notes',
    ]);
    expect(
      docsJsonFields('JSON: `output, size` (the file (alone), `x`), `totalBytes` (both). And `other`'),
    ).toEqual(['output', 'size', 'totalBytes']);
    expect(docsJsonFields('JSON: `a, b {c, d}`; `e` is ...')).toEqual(['a', 'b']);
  });

  for (const { name } of COMMANDS) {
    it(name, async () => {
      const help = (await runCliInProcess([name, '--help'])).stdout;
      // Every command takes --json (a global flag): its help says what it prints.
      const row = jsonRow(help);
      expect(row, `${name} --help lists --json`).toBeDefined();
      const listed = firstBraces(row!);
      const docs = docsOf(name);
      const documented = docsJsonFields(docs);
      if (listed === undefined) {
        // A JSON too large for a help row is pointed to in the docs, which must list it.
        expect(row).toContain('docs/cli.md');
        expect(documented?.length, `docs/cli.md lists the JSON of ${name}`).toBeGreaterThan(0);
        return;
      }
      const fields = topLevelFields(listed);
      // Every field the docs list first is in the help; every field the help lists is somewhere in the docs of
      // the command (its section or its Additions bullet).
      expect(documented, `docs/cli.md lists the JSON of ${name}`).toBeDefined();
      expect(fields, `${name} --help against docs/cli.md`).toEqual(expect.arrayContaining(documented!));
      const spans = codeSpans(`${docs}\n${additionsOf(name)}`);
      for (const field of fields)
        expect(spans, `${name} --help lists '${field}', which docs/cli.md does not`).toMatch(
          new RegExp(`(^|[^\\w])${field}([^\\w]|$)`),
        );
    });
  }
});
