import { alignOptionRows } from './help-layout.js';
import { parseArgs } from 'node:util';
import { isUserError } from '../../shared/errors.js';
import { StudioError, toErrorInfo } from '../engine/errors.js';
import { positionalsAfterFlags, type CliCommand, type CliContext } from './cli-context.js';
import { refuseStdioDash } from './stdio-dash.js';
import { cliVersion } from './version.js';
import { COMMANDS, type CommandEntry } from './command-index.js';

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'onnx-studio: make ONNX models smaller and faster without losing accuracy.',
    '',
    'Usage: onnx-studio <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --json      print exactly one JSON object on stdout (progress and logs go to stderr)',
    '  --verbose   print stack traces of internal errors',
    '  -h, --help  help for a command: onnx-studio <command> --help',
    '  --version   print the version',
    '',
    'Exit codes: 0 success, 2 wrong input (the message says what to fix), 1 internal failure,',
    '            3 tune found no variant within the budget, 130 cancelled (Ctrl+C; SIGTERM 143, SIGHUP 129).',
  ].join('\n');
}

/** A command's --help: usage, summary, the prose its help text opens with (if any), then its options. */
function commandHelp(entry: CommandEntry, c: CliCommand): string {
  const lines = c.help.split('\n');
  const firstOption = lines.findIndex((line) => line.startsWith(' '));
  const lastOption = lines.findLastIndex((line) => line.startsWith(' '));
  const prose = firstOption < 0 ? lines : lines.slice(0, firstOption);
  const options = firstOption < 0 ? [] : lines.slice(firstOption, lastOption + 1);
  // Prose after the options (run's notes on the format) stays after them, below -h.
  const after = firstOption < 0 ? [] : lines.slice(lastOption + 1);
  return [
    `Usage: ${c.usage}`,
    '',
    entry.summary,
    '',
    ...(prose.length > 0 ? [...prose, ''] : []),
    'Options:',
    ...alignOptionRows([...options, '  -h, --help  show this help']),
    ...after,
  ].join('\n');
}

export async function runCli(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { isTTY?: boolean } } = process,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  // Global flags before the command (`onnx-studio --json inspect m.onnx`) are taken as if after it.
  const leading: string[] = [];
  let at = 0;
  while (argv[at] === '--json' || argv[at] === '--verbose') leading.push(argv[at++]!);
  const [name, ...after] = argv.slice(at);
  const rest = [...after, ...leading];
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${mainHelp()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(rest.includes('--json') ? `${JSON.stringify({ version: cliVersion() })}\n` : `${cliVersion()}\n`);
    return 0;
  }
  const verbose = rest.includes('--verbose');
  const entry = COMMANDS.find((c) => c.name === name);
  // Whether the error gets a JSON object on stdout: the parsed flag once there is one (not `--json` given as a
  // value or after `--`); before parsing succeeds, whether it was typed at all. None once the command wrote its own.
  let wantsJson = rest.includes('--json');
  let ctx: CliContext | undefined;
  try {
    if (!entry) {
      // Loaded only here, as for a mistyped flag: start-up imports as little as it can.
      const { missingCommand, unknownCommand } = await import('./unknown-command.js');
      const names = COMMANDS.map((c) => c.name);
      // No command (`onnx-studio`, `onnx-studio --json`) is wrong input as a mistyped one is: one line on stderr,
      // and with --json the error object (the help on stdout, exit 2, was no JSON for a script's `jq`).
      throw new StudioError(
        'BAD_REQUEST',
        name === undefined ? missingCommand(names) : unknownCommand(name, names),
      );
    }
    const command = await entry.load();
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true, tokens: true });
    } catch (error) {
      // Loaded only here: the CLI's start-up imports as little as it can.
      const { argumentError } = await import('./argument-error.js');
      throw new StudioError('BAD_REQUEST', argumentError(error as Error, entry.name, { ...GLOBAL_OPTIONS, ...command.options }));
    }
    if (parsed.values.help) {
      io.stdout.write(`${commandHelp(entry, command)}\n`);
      return 0;
    }
    wantsJson = parsed.values.json === true;
    refuseStdioDash(parsed.tokens);
    ctx = {
      positionals: parsed.positionals,
      positionalAfter: positionalsAfterFlags(parsed.tokens),
      values: parsed.values as CliContext['values'],
      json: parsed.values.json === true,
      verbose,
      stdout: io.stdout,
      stderr: io.stderr,
      signal,
    };
    return await command.run(ctx);
  } catch (error) {
    const info = toErrorInfo(error);
    const user = isUserError(info.code);
    // A cancellation is neither the user's mistake nor an internal failure: say it plainly.
    const prefix = user || info.code === 'CANCELLED' ? '' : 'internal error: ';
    // What to do in the CLI's terms, where the engine's message leaves it to each surface (StudioError.cliHint).
    const hint = error instanceof StudioError && error.cliHint ? ` ${error.cliHint}` : '';
    io.stderr.write(`onnx-studio: ${prefix}${info.message}${hint}\n`);
    // A script reading --json gets its one object on a failure too, with the code to branch on: an empty stdout
    // read as empty input by `jq` hid the failure where the exit status was not checked.
    if (wantsJson && !ctx?.jsonWritten)
      io.stdout.write(`${JSON.stringify({ error: { code: info.code, message: info.message } })}\n`);
    if (verbose && info.detail) io.stderr.write(`${info.detail}\n`);
    if (verbose && error instanceof Error && error.stack && !info.detail) io.stderr.write(`${error.stack}\n`);
    if (info.code === 'CANCELLED') return 130;
    return user ? 2 : 1;
  }
}
