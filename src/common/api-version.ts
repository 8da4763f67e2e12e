import { VERSION_NEUTRAL } from '@nestjs/common';

/**
 * The versions a resource controller answers under (Nest's URI versioning, enabled in
 * configureApp): `/v1/…`, the primary paths, and the same path without a version, an alias kept
 * for the clients that use it (same handler, same answer; hidden from the OpenAPI document).
 * Legacy, probe, metrics and admin controllers are unversioned.
 */
export const RESOURCE_API_VERSIONS: (string | typeof VERSION_NEUTRAL)[] = ['1', VERSION_NEUTRAL];

/** The path prefix of the current version of the resource API. */
export const CURRENT_API_PREFIX = '/v1';
