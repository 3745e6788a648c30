#!/usr/bin/env node
// @ts-check
/**
 * pktpipe, the rtemem demo (`pnpm demo`): an l3fwd-style packet pipeline
 * over every layer of rtemem. See README.md and `--help`.
 *
 * Exit status: 0 ok, 1 runtime error (including mbufs missing from the
 * pool at the end), 2 usage error.
 */
import { writeFileSync } from 'node:fs';
import { HELP, parseOptions, UsageError } from './lib/args.mjs';
import { PcapError } from './lib/pcap.mjs';
import { PipelineError, runPipeline } from './lib/pipeline.mjs';

/** @param {string[]} argv */
async function main(argv) {
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`pktpipe: ${e.message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // With the JSON report on stdout, the text goes to stderr.
  const text = opts.json === '-' ? process.stderr : process.stdout;
  const tty = text.isTTY === true;
  let inProgress = false;
  /** @type {import('./lib/pipeline.mjs').Io} */
  const io = {
    log: (s) => {
      text.write(`${s}\n`);
    },
    progress: (line) => {
      if (tty) {
        const width = text.columns > 0 ? text.columns - 1 : 200;
        text.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
        inProgress = true;
      } else {
        text.write(`${line}\n`);
      }
    },
    endProgress: () => {
      if (inProgress) text.write('\n');
      inProgress = false;
    },
  };
  let report;
  try {
    report = await runPipeline(opts, io);
  } catch (e) {
    io.endProgress();
    if (e instanceof PcapError || e instanceof PipelineError || (e instanceof Error && e.name === 'RteError')) {
      process.stderr.write(`pktpipe: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (opts.json !== null) {
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (opts.json === '-') process.stdout.write(json);
    else writeFileSync(opts.json, json);
  }
  return report.ok ? 0 : 1;
}

// `pnpm demo -- --opt` passes the `--` along: drop it.
const args = process.argv.slice(2);
main(args[0] === '--' ? args.slice(1) : args).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`pktpipe: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
