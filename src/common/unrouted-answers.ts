import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

type Observer = (request: FastifyRequest, reply: FastifyReply) => void;

const observers = new WeakMap<FastifyInstance, Observer[]>();

/**
 * Answers Fastify gives before any route or hook runs (a malformed URL, an over-long path
 * parameter) skip every `onResponse` hook. Code that must see every answer (the request log, the
 * HTTP metrics) registers here as well.
 */
export function onUnroutedAnswer(fastify: FastifyInstance, observer: Observer): void {
  const list = observers.get(fastify) ?? [];
  list.push(observer);
  observers.set(fastify, list);
}

/** Called by whoever sends such an answer, once it is sent. */
export function reportUnroutedAnswer(request: FastifyRequest, reply: FastifyReply): void {
  for (const observer of observers.get(request.server) ?? []) observer(request, reply);
}
