import type { FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { setPrincipal } from '../auth/principal';
import type { GatewayConfig } from '../common/config/gateway-config';
import { createPinoLogger } from './pino-logger';
import { RequestLog } from './request-log';

/** The process's logger as configured (so an option added there that changes lines shows here). */
const gatewayLogger = (stream: { write(line: string): void }) =>
  createPinoLogger({ logLevel: 'info', nodeEnv: 'production' } as GatewayConfig['app'], stream);

/** What a destination receives, line by line, as written. */
function destination() {
  const written: string[] = [];
  return { written, stream: { write: (line: string) => void written.push(line) } };
}

const request = (url: string, route: string | undefined) =>
  ({ id: 'req-1', method: 'GET', url, routeOptions: { url: route } }) as unknown as FastifyRequest;
const reply = (statusCode: number) => ({ statusCode, elapsedTime: 2.4 }) as FastifyReply;

/** The line pino itself writes for the same request, for comparison. */
function pinosLine(req: FastifyRequest, statusCode: number, sub?: string): Record<string, unknown> {
  const { written, stream } = destination();
  const route = req.routeOptions.url;
  gatewayLogger(stream).info(
    {
      correlationId: req.id,
      route: route ?? 'unmatched',
      ...(sub === undefined ? {} : { sub }),
      req: { method: req.method, url: req.url },
      res: { statusCode },
      responseTime: 2,
    },
    `${req.method} ${route ?? req.url} ${statusCode} 2 ms`,
  );
  return JSON.parse(written[0]) as Record<string, unknown>;
}

describe('RequestLog', () => {
  it.each([
    ['a routed answer', '/users/1', '/users/:id', 200],
    ['an unmatched one, whose URL is the client’s', '/x"\\\n\u2028é?a=<b>', undefined, 404],
  ])(
    'writes %s as the very line pino writes (one line, same fields in the same order)',
    (_, url, route, status) => {
      const { written, stream } = destination();
      const req = request(url, route);
      new RequestLog(gatewayLogger(stream)).write(req, reply(status));
      expect(written).toHaveLength(1);
      expect(written[0].endsWith('}\n')).toBe(true);
      expect(written[0].slice(0, -1)).not.toContain('\n');
      const line = JSON.parse(written[0]) as Record<string, unknown>;
      const expected = pinosLine(req, status);
      expect(Object.keys(line)).toEqual(Object.keys(expected));
      expect({ ...line, time: 0 }).toEqual({ ...expected, time: 0 });
    },
  );

  it('adds the verified subject, escaped, after the route', () => {
    const { written, stream } = destination();
    const req = request('/users', '/users');
    setPrincipal(req, { subject: 'user "7"', scopes: new Set<string>() });
    new RequestLog(gatewayLogger(stream)).write(req, reply(200));
    const line = JSON.parse(written[0]) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(Object.keys(pinosLine(req, 200, 'user "7"')));
    expect(line.sub).toBe('user "7"');
  });

  it("goes through pino.info for a destination that needs pino's metadata (a multistream)", () => {
    const { written, stream } = destination();
    const logger = pino({}, pino.multistream([{ stream }]));
    const info = jest.spyOn(logger, 'info');
    new RequestLog(logger).write(request('/users', '/users'), reply(200));
    expect(info).toHaveBeenCalledTimes(1);
    expect(JSON.parse(written[0])).toMatchObject({ route: '/users', res: { statusCode: 200 } });
  });

  it('writes nothing for probes and scrapes', () => {
    const { written, stream } = destination();
    new RequestLog(gatewayLogger(stream)).write(request('/health', '/health'), reply(200));
    expect(written).toEqual([]);
  });
});
