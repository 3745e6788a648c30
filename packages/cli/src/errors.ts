/**
 * The two ways a command fails, and the exit code each one means.
 */

/** Exit codes of the `rtemem` command. */
export const EXIT_OK = 0;
/** A run-time failure: not root, no primary, the kernel refused. */
export const EXIT_FAILURE = 1;
/** A usage error: unknown command or option, a bad value. The usage goes to stderr. */
export const EXIT_USAGE = 2;

/**
 * A usage error (exit code 2): the command line itself is wrong. `command`
 * names the command whose usage to print (none: the global usage).
 */
export class UsageError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A run-time failure (exit code 1), with a message that says what to do. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where a command writes: stdout, stderr, and whether stdout is a terminal. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly isTTY: boolean;
}

/** The process's own stdout and stderr. */
export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
  };
}
