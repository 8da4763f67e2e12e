// The baseline of `npm run bench`: the gateway's routes written the plain way (Fastify, global
// fetch, Promise.all) with the same body shapes, so the gateway's figures have something honest to
// be compared with. No logging, metrics, rate limiting or retries, on purpose.
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const upstream = process.env.EVENT_API_BASE_URL ?? 'http://127.0.0.1:3001';
// Write breaker: 3 failures within 30 s open it for OPEN_MS (the bench sets it long).
const OPEN_MS = Number(process.env.BASELINE_BREAKER_OPEN_MS ?? 60_000);
const ID = /^[A-Za-z0-9_-]{1,64}$/;
let [failures, openUntil] = [[], 0];

const fail = (reply, statusCode, message, extra = {}) =>
  reply.code(statusCode).send({ statusCode, message, ...extra });

/** A GET upstream: the parsed body, or null for the upstream's empty "not found" answer. */
async function get(path) {
  const response = await fetch(upstream + path);
  const text = await response.text();
  if (!response.ok) throw new Error(`upstream answered ${response.status}`);
  return text.trim() === '' ? null : JSON.parse(text);
}
const toUser = ({ id, userName, email, events = [] }, requestedId) => ({
  id: requestedId ?? String(id),
  name: userName,
  ...(email ? { email } : {}),
  events: events.map(String),
});
const toEvent = ({ id, name, userId, details }, requestedId, ownerId) => ({
  id: requestedId ?? String(id),
  name,
  userId: String(userId ?? ownerId),
  ...(typeof details === 'string' ? { details } : {}),
});

const app = Fastify();
// Client mistakes (bad JSON) keep their 4xx; anything else is the upstream failing.
app.setErrorHandler((error, _request, reply) =>
  error.statusCode < 500
    ? fail(reply, error.statusCode, error.message)
    : fail(reply, 502, 'The Event API failed'),
);
app.addHook('preHandler', (request, reply, done) =>
  request.params?.id === undefined || ID.test(request.params.id)
    ? done()
    : fail(reply, 400, 'Invalid id'),
);

app.get('/', () => ({ status: 'ok' }));
app.get('/users', async () => (await get('/getUsers')).map((user) => toUser(user)));
app.get('/users/:id', async ({ params: { id } }, reply) => {
  const user = await get(`/getUserById/${id}`);
  return user ? toUser(user, id) : fail(reply, 404, `User "${id}" not found`);
});
app.get('/users/:id/events', async ({ params: { id } }, reply) => {
  const user = await get(`/getUserById/${id}`);
  if (!user) return fail(reply, 404, `User "${id}" not found`);
  const ids = [...new Set(user.events.map(String))];
  const events = await Promise.all(ids.map((eventId) => get(`/getEventById/${eventId}`)));
  return events.flatMap((event, i) => (event ? [toEvent(event, ids[i], id)] : []));
});
app.get('/events', async () => (await get('/getEvents')).map((event) => toEvent(event)));
app.get('/events/:id', async ({ params: { id } }, reply) => {
  const event = await get(`/getEventById/${id}`);
  return event ? toEvent(event, id) : fail(reply, 404, `Event "${id}" not found`);
});

app.post('/events', async (request, reply) => {
  if (Date.now() < openUntil) {
    reply.header('retry-after', Math.ceil((openUntil - Date.now()) / 1000));
    return fail(reply, 503, 'The Event API is unavailable; try again later', {
      code: 'CIRCUIT_OPEN',
    });
  }
  const { name, userId, details } = request.body ?? {};
  if (typeof name !== 'string' || !name.trim() || typeof userId !== 'string' || !ID.test(userId)) {
    return fail(reply, 400, 'name and userId are required');
  }
  if (!(await get(`/getUserById/${userId}`)))
    return fail(reply, 422, `User "${userId}" does not exist`);
  const event = { id: randomUUID(), name: name.trim(), userId, ...(details ? { details } : {}) };
  const response = await fetch(`${upstream}/addEvent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  }).catch(() => null);
  await response?.text(); // frees the keep-alive connection
  if (!response?.ok) {
    const now = Date.now();
    failures = [...failures.filter((at) => now - at < 30_000), now];
    if (failures.length >= 3) [openUntil, failures] = [now + OPEN_MS, []];
    return fail(reply, 502, 'The Event API failed');
  }
  return reply.code(201).header('location', `/events/${event.id}`).send(event);
});

await app.listen({ port: Number(process.env.PORT ?? 3002), host: '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void app.close());
