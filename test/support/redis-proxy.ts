import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real Redis that answers one chosen command late, as a busy host or a
 * briefly stalled Redis does: on every connection, the answers that follow the connection's
 * `lateInfo`-th INFO command are held for `delayMs`, then passed on in order. `url` is the proxy's.
 */
export async function startRedisProxy(
  target: { port: number },
  { lateInfo, delayMs }: { lateInfo: number; delayMs: number },
) {
  const sockets = new Set<Socket>();
  let delayed = 0;
  const server = createServer((client) => {
    const upstream = connect(target.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let infos = 0;
    let holdUntil = 0;
    client.on('data', (chunk: Buffer) => {
      infos += chunk.toString('latin1').match(/\$4\r\ninfo\r\n/gi)?.length ?? 0;
      if (holdUntil === 0 && infos >= lateInfo) {
        holdUntil = performance.now() + delayMs;
        delayed += 1;
      }
      upstream.write(chunk);
    });
    // Answers keep their order: each waits for the end of the hold (if any), then for the one
    // before it.
    let previous = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      const wait = holdUntil === 0 ? 0 : Math.max(0, holdUntil - performance.now());
      previous = previous.then(
        () =>
          new Promise<void>((resolve) =>
            wait === 0 ? resolve() : setTimeout(resolve, wait).unref(),
          ),
      );
      void previous.then(() => client.writable && client.write(chunk));
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}/0`,
    /** How many connections had an answer held. */
    get delayed() {
      return delayed;
    },
    close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
