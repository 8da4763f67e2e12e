// The ceiling of the cache-hit scenario: bare Fastify answering GET /users/1 with the very bytes
// the gateway answers there (read once from CEILING_BODY_FILE, which the bench writes from the
// gateway's own answer), as application/json (CEILING_CONTENT_TYPE: the gateway's own header). No logging, metrics, tracing, validation or cache
// lookup: what no gateway on this machine can beat. Nothing else.
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const bodyFile = process.env.CEILING_BODY_FILE;
if (!bodyFile) throw new Error('CEILING_BODY_FILE is not set');
const body = readFileSync(bodyFile);
const contentType = process.env.CEILING_CONTENT_TYPE || 'application/json; charset=utf-8';

const app = Fastify();
app.get('/users/1', (_request, reply) => {
  reply.header('content-type', contentType).send(body);
});

await app.listen({ port: Number(process.env.PORT ?? 3003), host: '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void app.close());
