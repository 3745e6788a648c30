/**
 * Dispatch for the `rtemem` command: global options, `help`, the commands,
 * and the mapping of failures to exit codes (0 ok, 1 failure, 2 usage).
 */
import { readFileSync } from 'node:fs';
import { HUGEPAGES_USAGE, hugepagesCommand } from './commands/hugepages.js';
import { INFO_USAGE, infoCommand } from './commands/info.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io, processIo, UsageError } from './errors.js';

/** Usage of `rtemem` itself. */
export const USAGE = `Usage: rtemem <command> [options]

Commands:
  hugepages   show hugepages per size, per NUMA node, and hugetlbfs mounts;
              --setup SIZE / --clear / --unmount change them (as root)
  info        attach to a running primary (read-only) and show its memsegs,
              heaps, memzones, rings, stacks and mempools
  help [cmd]  show this help, or a command's

Options:
  -h, --help     show this help
  -v, --version  show the version

Run 'rtemem <command> --help' for a command's options.
Exit codes: 0 ok, 1 failure, 2 usage error.
`;

const COMMANDS: Record<string, { usage: string; run: (argv: string[], io: Io) => number | Promise<number> }> = {
  hugepages: { usage: HUGEPAGES_USAGE, run: hugepagesCommand },
  info: { usage: INFO_USAGE, run: infoCommand },
};

/** The package's version (from its package.json). */
export function version(): string {
  // dist/*.js and src/*.ts both sit one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usageOf(command: string | undefined): string {
  return command !== undefined && COMMANDS[command] ? COMMANDS[command]!.usage : USAGE;
}

/**
 * Runs the `rtemem` command line `argv` (without `node` and the script) and
 * returns its exit code: 0 ok, 1 a run-time failure (message on stderr),
 * 2 a usage error (message and usage on stderr).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['hugepages', '--json']);
 * ```
 */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) throw new UsageError('no command given');
    if (first === '-h' || first === '--help') {
      io.out(USAGE);
      return EXIT_OK;
    }
    if (first === '-v' || first === '--version') {
      if (rest.length > 0) throw new UsageError(`${first} takes no arguments`);
      io.out(`${version()}\n`);
      return EXIT_OK;
    }
    if (first === 'help') {
      if (rest.length > 1) throw new UsageError('help takes at most one command');
      const topic = rest[0];
      if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`unknown command '${topic}'`);
      io.out(usageOf(topic));
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`);
    const cmd = COMMANDS[first];
    if (!cmd) throw new UsageError(`unknown command '${first}'`);
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`rtemem: ${e.message}\n\n${usageOf(e.command)}`);
      return EXIT_USAGE;
    }
    if (e instanceof CliError) {
      io.err(`rtemem: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    io.err(`rtemem: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT_FAILURE;
  }
}
