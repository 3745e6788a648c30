/**
 * `rtemem info`: attach to a running primary as a read-only secondary and
 * show what is in its shared memory — the EAL and its lcores, memseg lists,
 * heaps, memzones, rings, stacks and mempools — like DPDK's dpdk-proc-info.
 * It only reads: it claims no lcore and creates nothing.
 */
import { parseArgs } from 'node:util';
import { Eal } from '@rtemem/eal-hugepage';
import { EXIT_FAILURE, EXIT_OK, type Io, UsageError } from '../errors.js';
import type { InfoReport } from './info-report.js';
import { attachReadOnly, collectInfo, DEFAULT_FILE_PREFIX } from './info-collect.js';
import { renderInfo } from './info-render.js';

export { attachReadOnly, collectInfo, DEFAULT_FILE_PREFIX, parseMempoolDump } from './info-collect.js';
export { renderInfo } from './info-render.js';
export type { CacheFill, EalReport, HeapReport, InfoReport, MempoolReport, MemsegListReport, MemzoneReport, RingReport, StackReport } from './info-report.js';

/** Usage of `rtemem info`. */
export const INFO_USAGE = `Usage: rtemem info [--file-prefix P] [--json] [--watch SECONDS]

Attaches to a running rtemem primary process as a read-only secondary (it
claims no lcore and creates nothing) and shows, like dpdk-proc-info: the EAL
and the lcores in use, memseg lists, heap statistics per socket, memzones,
rings, stacks and mempools (size, available, in use, per-lcore cache fill).

Options:
  --file-prefix P     the primary's file prefix (default ${DEFAULT_FILE_PREFIX})
  --json              print one JSON document instead of tables (with --watch:
                      one document per line, per frame)
  --watch SECONDS     redraw every SECONDS (e.g. 1, 0.5) until Ctrl-C; stops
                      with exit code 1 when the primary exits
  -h, --help          show this help

Exit codes: 0 ok, 1 failure (no primary with that prefix, the primary
exited), 2 usage error.

Examples:
  rtemem info
  rtemem info --file-prefix app --json
  rtemem info --file-prefix app --watch 1
`;

/* ------------------------------------------------------------------ *
 * The command
 * ------------------------------------------------------------------ */

/** Options of {@link infoCommand} after parsing. */
export interface InfoOptions {
  filePrefix: string;
  json: boolean;
  /** Seconds between frames; undefined: print once. */
  watch?: number;
}

function parseInfoArgs(argv: string[]): InfoOptions & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'file-prefix': { type: 'string' },
        json: { type: 'boolean' },
        watch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message, 'info');
  }
  const o: InfoOptions & { help: boolean } = { filePrefix: values['file-prefix'] ?? DEFAULT_FILE_PREFIX, json: values.json === true, help: values.help === true };
  if (o.filePrefix === '') throw new UsageError('--file-prefix: give a non-empty prefix', 'info');
  if (values.watch !== undefined) {
    const s = Number(values.watch);
    if (values.watch.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 86_400) {
      throw new UsageError(`--watch: ${JSON.stringify(values.watch)} is not a number of seconds (greater than 0)`, 'info');
    }
    o.watch = s;
  }
  return o;
}

function frame(r: InfoReport, o: InfoOptions): string {
  if (o.json) return o.watch !== undefined ? `${JSON.stringify(r)}\n` : `${JSON.stringify(r, null, 2)}\n`;
  const body = renderInfo(r);
  if (o.watch === undefined) return body;
  return `Every ${o.watch}s: rtemem info --file-prefix ${o.filePrefix}    ${r.time}\n\n${body}`;
}

function primaryGone(eal: Eal): string {
  return `the primary of '${eal.filePrefix}' (pid ${eal.primaryPid()}) exited\n`;
}

/** Redraws until Ctrl-C (exit 0) or until the primary exits (exit 1). */
async function watch(eal: Eal, o: InfoOptions, io: Io): Promise<number> {
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    let first = true;
    for (;;) {
      if (!eal.primaryAlive()) {
        io.err(`rtemem: ${primaryGone(eal)}`);
        return EXIT_FAILURE;
      }
      const text = frame(collectInfo(eal), o);
      // On a terminal: clear and redraw in place; into a pipe or file: frames one after another.
      if (io.isTTY && !o.json) io.out(`\x1b[H\x1b[2J${text}`);
      else io.out(first || o.json ? text : `\n${text}`);
      first = false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.watch! * 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
      if (stopped) return EXIT_OK;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * `rtemem info [options]`: attaches read-only, prints the report once (or
 * every `--watch` seconds), and always cleans the EAL handle up. Returns the
 * exit code; throws UsageError / CliError.
 */
export async function infoCommand(argv: string[], io: Io): Promise<number> {
  const o = parseInfoArgs(argv);
  if (o.help) {
    io.out(INFO_USAGE);
    return EXIT_OK;
  }
  const eal = attachReadOnly(o.filePrefix);
  try {
    if (o.watch !== undefined) return await watch(eal, o, io);
    io.out(frame(collectInfo(eal), o));
    return EXIT_OK;
  } finally {
    eal.cleanup();
  }
}
