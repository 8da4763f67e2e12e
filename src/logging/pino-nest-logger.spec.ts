import pino from 'pino';
import { Writable } from 'node:stream';
import { requestContext } from '../common/request-context';
import { PinoNestLogger } from './pino-nest-logger';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: new PinoNestLogger(pino({ level }, stream)) };
}

describe('PinoNestLogger', () => {
  it("keeps Nest's start-up chatter out of info logs", () => {
    const { lines, logger } = capture('info');
    logger.log('Mapped {/users, GET} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Event gateway on http://localhost:3000', 'Bootstrap');
    expect(lines.map((line) => line.msg)).toEqual(['Event gateway on http://localhost:3000']);
  });

  it('writes the start-up chatter at debug', () => {
    const { lines, logger } = capture('debug');
    logger.log('Mapped {/users, GET} route', 'RouterExplorer');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        context: 'RouterExplorer',
        msg: 'Mapped {/users, GET} route',
      }),
    ]);
  });

  it('puts the correlation id of the request being served on the line', () => {
    const { lines, logger } = capture('info');
    requestContext.run({ correlationId: 'req-9' }, () =>
      logger.warn('breaker opened', 'CircuitBreaker'),
    );
    expect(lines[0]).toMatchObject({
      level: 40,
      correlationId: 'req-9',
      context: 'CircuitBreaker',
    });
  });

  it("keeps an error's stack as a field, and takes a lone second argument as the context", () => {
    const { lines, logger } = capture('info');
    logger.error('failed', 'Error: x\n    at y', 'Exceptions');
    logger.error('no stack', 'Exceptions');
    expect(lines[0]).toMatchObject({
      level: 50,
      context: 'Exceptions',
      stack: 'Error: x\n    at y',
    });
    expect(lines[1]).toMatchObject({ level: 50, context: 'Exceptions', msg: 'no stack' });
    expect(lines[1]).not.toHaveProperty('stack');
  });

  it('writes a plain object with a msg as fields of the line; its context and correlation id win', () => {
    const { lines, logger } = capture('info');
    requestContext.run({ correlationId: 'req-3' }, () =>
      logger.warn(
        { msg: 'Circuit breaker reset', breaker: 'event-api.write', correlationId: 'spoofed' },
        'Admin',
      ),
    );
    logger.log({ note: 'no msg field' }, 'Admin');
    expect(lines[0]).toEqual({
      level: 40,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      context: 'Admin',
      correlationId: 'req-3',
      breaker: 'event-api.write',
      msg: 'Circuit breaker reset',
    });
    expect(lines[1]).toMatchObject({ msg: '{"note":"no msg field"}' });
  });
});
