import { parseArgs } from 'node:util';
import { isUserError } from '../../shared/errors.js';
import { StudioError, toErrorInfo } from '../engine/errors.js';
import type { CliCommand, CliContext } from './cli-context.js';
import { cliVersion } from './version.js';
import { benchCommand } from './commands/bench.js';
import { convertCommand } from './commands/convert.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { inspectCommand } from './commands/inspect.js';
import { pruneCommand } from './commands/prune.js';
import { quantizeCommand } from './commands/quantize.js';
import { recipeCommand } from './commands/recipe.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';

/** The `onnx-studio` command: the same engine as the app, for scripts and CI. Exit codes: 0 ok, 2 bad input, 1 internal. */
const COMMANDS: CliCommand[] = [
  inspectCommand,
  convertCommand,
  quantizeCommand,
  pruneCommand,
  benchCommand,
  evalCommand,
  runCommand,
  recipeCommand,
  serveCommand,
  demoCommand,
];

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
    'Exit codes: 0 success, 2 wrong input (the message says what to fix), 1 internal failure.',
  ].join('\n');
}

function commandHelp(c: CliCommand): string {
  return [`Usage: ${c.usage}`, '', c.summary, '', 'Options:', c.help, '  -h, --help  show this help'].join('\n');
}

export async function runCli(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { isTTY?: boolean } } = process,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  const verbose = rest.includes('--verbose');
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      throw new StudioError('BAD_REQUEST', `Unknown command '${name}'. Run 'onnx-studio --help' for the list of commands.`);
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new StudioError('BAD_REQUEST', `${(error as Error).message}. Run 'onnx-studio ${name} --help'.`);
    }
    if (parsed.values.help) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    const ctx: CliContext = {
      positionals: parsed.positionals,
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
    io.stderr.write(`onnx-studio: ${prefix}${info.message}\n`);
    if (verbose && info.detail) io.stderr.write(`${info.detail}\n`);
    if (verbose && error instanceof Error && error.stack && !info.detail) io.stderr.write(`${error.stack}\n`);
    if (info.code === 'CANCELLED') return 130;
    return user ? 2 : 1;
  }
}
