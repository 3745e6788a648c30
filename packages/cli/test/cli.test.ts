import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, PKG_DIR, rtemem } from './helpers.js';

beforeAll(assertBuilt);

const version = (JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')) as { version: string }).version;

describe('rtemem: help, version, exit codes', () => {
  it('--version and -v print the package version', () => {
    for (const flag of ['--version', '-v']) {
      const r = rtemem([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('help, --help and -h list every command', () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const r = rtemem(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: rtemem <command>/);
      expect(r.stdout).toContain('hugepages');
      expect(r.stdout).toContain('info');
      expect(r.stdout).toContain('Exit codes: 0 ok, 1 failure, 2 usage error');
    }
  });

  it('hugepages: help hugepages, hugepages --help and -h show its options', () => {
    const texts = [['help', 'hugepages'], ['hugepages', '--help'], ['hugepages', '-h']].map((args) => {
      const r = rtemem(args);
      expect(r.status).toBe(0);
      return r.stdout;
    });
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    for (const opt of ['--setup SIZE', '--clear', '--unmount', '--mount', '--node N', '--pagesize SIZE', '--mount-point DIR', '--json']) expect(texts[0]).toContain(opt);
    expect(texts[0]).toMatch(/^Usage: rtemem hugepages/);
  });

  it('info: help info, info --help and -h show its options', () => {
    const texts = [['help', 'info'], ['info', '--help'], ['info', '-h']].map((args) => {
      const r = rtemem(args);
      expect(r.status).toBe(0);
      return r.stdout;
    });
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    for (const opt of ['--file-prefix P', '--json', '--watch SECONDS', 'default rtemem']) expect(texts[0]).toContain(opt);
    expect(texts[0]).toMatch(/^Usage: rtemem info/);
  });

  it.each([
    [[], 'no command given', 'Usage: rtemem <command>'],
    [['frob'], "unknown command 'frob'", 'Usage: rtemem <command>'],
    [['--frob'], "unknown option '--frob'", 'Usage: rtemem <command>'],
    [['help', 'frob'], "unknown command 'frob'", 'Usage: rtemem <command>'],
    [['--version', 'x'], 'takes no arguments', 'Usage: rtemem <command>'],
    [['hugepages', '--frob'], "Unknown option '--frob'", 'Usage: rtemem hugepages'],
    [['hugepages', 'extra'], "Unexpected argument 'extra'", 'Usage: rtemem hugepages'],
    [['hugepages', '--setup'], "Option '--setup <value>' argument missing", 'Usage: rtemem hugepages'],
    [['hugepages', '--setup', 'lots'], '--setup: "lots" is not a size', 'Usage: rtemem hugepages'],
    [['hugepages', '--setup', '0'], '--setup: "0" is not a size', 'Usage: rtemem hugepages'],
    [['hugepages', '--setup', '1G', '--pagesize', '2X'], '--pagesize: "2X" is not a size', 'Usage: rtemem hugepages'],
    [['hugepages', '--setup', '1G', '--node', 'one'], '--node: "one" is not a NUMA node number', 'Usage: rtemem hugepages'],
    [['hugepages', '--node', '0'], 'go with --setup, --clear', 'Usage: rtemem hugepages'],
    [['hugepages', '--unmount', '--node', '0'], '--node goes with --setup or --clear', 'Usage: rtemem hugepages'],
    [['hugepages', '--clear', '--mount-point', '/mnt/x'], '--mount-point goes with', 'Usage: rtemem hugepages'],
    [['hugepages', '--unmount', '--mount-point', 'relative'], '--mount-point: give an absolute path', 'Usage: rtemem hugepages'],
    [['info', '--bogus'], "Unknown option '--bogus'", 'Usage: rtemem info'],
    [['info', '--watch', '0'], '--watch: "0" is not a number of seconds', 'Usage: rtemem info'],
    [['info', '--watch', 'soon'], '--watch: "soon" is not a number of seconds', 'Usage: rtemem info'],
    [['info', '--file-prefix', ''], '--file-prefix: give a non-empty prefix', 'Usage: rtemem info'],
  ])('usage error %j: exit 2, message and usage on stderr, nothing on stdout', (args, message, usage) => {
    const r = rtemem(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(usage);
    expect(r.stderr.startsWith('rtemem: ')).toBe(true);
  });
});
