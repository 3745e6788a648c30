// The other side of testkit's Peer: a worker thread or a child process that
// answers { id, cmd, args } requests with { id, ok, value | error }.
// Plain JavaScript so that worker and child scripts can import it unbuilt.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

const port = isMainThread ? null : parentPort;

function send(msg) {
  if (port) port.postMessage(msg);
  else if (process.send) process.send(msg);
}

/** Data passed by the parent: workerData in a worker, RTEMEM_PEER_DATA (JSON) in a child. */
export function peerData() {
  if (!isMainThread) return workerData;
  return process.env.RTEMEM_PEER_DATA ? JSON.parse(process.env.RTEMEM_PEER_DATA) : undefined;
}

/** Answers requests with the handlers; a handler may return a promise. */
export function serve(handlers) {
  const onMessage = async (msg) => {
    if (!msg || typeof msg.id !== 'number') return;
    const handler = handlers[msg.cmd] ?? (msg.cmd === 'exit' ? () => undefined : undefined);
    try {
      if (!handler) throw new Error(`no handler for ${msg.cmd}`);
      const value = await handler(msg.args);
      send({ id: msg.id, ok: true, value });
    } catch (e) {
      send({ id: msg.id, ok: false, error: { message: e?.message ?? String(e), code: e?.code, stack: e?.stack } });
    }
    if (msg.cmd === 'exit') {
      if (port) port.close();
      else process.disconnect?.();
    }
  };
  if (port) port.on('message', onMessage);
  else process.on('message', onMessage);
  send({ ready: true });
}
