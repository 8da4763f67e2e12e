import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config';

/** When the legacy paths were deprecated: from the gateway's first release. */
export const LEGACY_DEPRECATED_AT = new Date('2026-11-22T00:00:00Z');

/** Each legacy route and the resource path that replaces it. */
export const LEGACY_SUCCESSORS: Readonly<Record<string, (params: { id?: string }) => string>> = {
  '/getUsers': () => '/users',
  '/getEvents': () => '/events',
  '/getEventsByUserId/:id': ({ id = '' }) => `/users/${encodeURIComponent(id)}/events`,
  '/addEvent': () => '/events',
};

/**
 * Every answer on a legacy path (errors included) says so on the wire: `Deprecation` (RFC 9745),
 * a `Link` to its successor (`rel="successor-version"`) and, when LEGACY_SUNSET_AT is set,
 * `Sunset` (RFC 8594).
 */
@Injectable()
export class DeprecationHeadersHook implements OnModuleInit {
  private readonly sunset?: string;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    config: ConfigService<GatewayConfig, true>,
  ) {
    this.sunset = config.get('legacy', { infer: true }).sunsetAt?.toUTCString();
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const deprecation = `@${Math.floor(LEGACY_DEPRECATED_AT.getTime() / 1000)}`;
    fastify.addHook('onRequest', (request, reply, done) => {
      const successor = LEGACY_SUCCESSORS[request.routeOptions.url ?? ''];
      if (successor) {
        void reply.header('deprecation', deprecation);
        void reply.header(
          'link',
          `<${successor(request.params as { id?: string })}>; rel="successor-version"`,
        );
        if (this.sunset) void reply.header('sunset', this.sunset);
      }
      done();
    });
  }
}
