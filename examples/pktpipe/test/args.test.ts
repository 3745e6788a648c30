import { describe, expect, it } from 'vitest';
import { DEFAULT_SECONDS, HELP, parseOptions, UsageError } from '../lib/args.mjs';

describe('options', () => {
  it('defaults: synthetic for a few seconds, 2 worker threads, auto backend', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({
      help: false,
      pcap: null,
      packets: 0,
      seconds: DEFAULT_SECONDS,
      workers: 2,
      procs: false,
      backend: 'auto',
      filePrefix: 'pktpipe',
      out: null,
      json: null,
      poolSize: 8191,
      ringSize: 1024,
    });
  });

  it('--packets alone runs until that many packets; --pcap alone replays once with no time limit', () => {
    expect(parseOptions(['--packets', '1000'])).toMatchObject({ packets: 1000, seconds: 0 });
    expect(parseOptions(['--pcap', 'x.pcap'])).toMatchObject({ pcap: 'x.pcap', loops: 1, seconds: 0, packets: 0 });
    expect(parseOptions(['--pcap', 'x.pcap', '--loops', '0', '--seconds', '2.5'])).toMatchObject({ loops: 0, seconds: 2.5 });
  });

  it('every option', () => {
    const o = parseOptions([
      '--workers', '4', '--procs', '--backend', 'anonymous', '--file-prefix', 'p1', '--pool-size', '4095', '--ring-size', '256',
      '--out', 'o.pcap', '--json', '-', '--quiet', '--seed', '9', '--flows', '100', '--templates', '500', '--seconds', '1',
    ]);
    expect(o).toMatchObject({ workers: 4, procs: true, backend: 'anonymous', filePrefix: 'p1', poolSize: 4095, ringSize: 256, out: 'o.pcap', json: '-', quiet: true, seed: 9, flows: 100, templates: 500, seconds: 1 });
    expect(parseOptions(['-h']).help).toBe(true);
  });

  const bad: [string[], RegExp][] = [
    [['--workers', '0'], /--workers needs an integer from 1 to 32/],
    [['--workers', '2.5'], /--workers/],
    [['--workers', 'x'], /--workers/],
    [['--packets', '-1'], /--packets/],
    [['--seconds', '0'], /--seconds/],
    [['--ring-size', '1000'], /power of two/],
    [['--pool-size', '10'], /--pool-size/],
    [['--backend', 'dpdk'], /--backend must be/],
    [['--procs', '--backend', 'sab'], /--procs needs memory that other processes can map/],
    [['--loops', '2'], /with --pcap/],
    [['--pcap', 'a.pcap', '--seed', '3'], /not with --pcap/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/i],
    [['--workers'], /argument missing/],
    [['--file-prefix', '../x'], /--file-prefix/],
    [['--out', ''], /--out needs a value/],
    [['--port', 'a', '--pcap', 'x.pcap'], /use one of them/],
    [['--port', 'a', '--seed', '1'], /not with --port/],
    [['--port', 'a', '--port', 'a'], /named twice/],
    [['--port', 'has space'], /interface name/],
    [['--port', 'x'.repeat(16)], /interface name/],
    [['--ports', ''], /comma-separated/],
    [['--route', '10.0.0.0/8=0'], /use it with --port/],
    [['--port', 'a', '--route', '10.0.0.0/8=1'], /names port 1; the ports are 0..0/],
    [['--port', 'a', '--route', '10.0.0.0/33=0'], /bad prefix/],
    [['--port', 'a', '--route', 'ten=0'], /PREFIX\/LEN=PORT/],
    [['--port', 'a', '--eth-dest', '0,zz:00:00:00:00:00'], /PORT,MAC/],
    [['--port', 'a', '--eth-dest', '1,02:00:00:00:00:01'], /names port 1/],
  ];
  for (const [argv, msg] of bad) {
    it(`usage error: ${argv.join(' ')}`, () => {
      expect(() => parseOptions(argv)).toThrow(UsageError);
      expect(() => parseOptions(argv)).toThrow(msg);
    });
  }

  it('--port / --ports: real ports, no time limit by default, routes and next hops', () => {
    const o = parseOptions(['--port', 'veth0', '--ports', 'veth1,veth2', '--route', '10.9.1.0/24=1', '--route', '2001:db8::/32=2', '--eth-dest', '2,02:AA:00:00:00:02', '--promiscuous']);
    expect(o).toMatchObject({
      ports: ['veth0', 'veth1', 'veth2'],
      seconds: 0,
      packets: 0,
      routes: [
        { prefix: '10.9.1.0/24', port: 1 },
        { prefix: '2001:db8::/32', port: 2 },
      ],
      ethDest: { 2: '02:aa:00:00:00:02' },
      promiscuous: true,
    });
    expect(parseOptions(['--ports', 'a,b', '--seconds', '3'])).toMatchObject({ ports: ['a', 'b'], routes: null, seconds: 3 });
    expect(parseOptions([])).toMatchObject({ ports: [], routes: null, promiscuous: false });
  });

  it('help names every option', () => {
    for (const opt of ['--port', '--ports', '--route', '--eth-dest', '--promiscuous', '--pcap', '--loops', '--packets', '--seconds', '--out', '--json', '--workers', '--procs', '--backend', '--file-prefix', '--pool-size', '--ring-size', '--quiet', '--seed', '--flows', '--templates']) {
      expect(HELP).toContain(opt);
    }
  });
});
