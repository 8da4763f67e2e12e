// The shared primitives every part of the gateway may use, the circuit breaker core included:
// plain TypeScript, no framework, nothing else from src/. The rest of shared/ (config, errors,
// request context, OpenAPI helpers) is Nest-aware and is imported by path; never export it here.
export { backoffMs, type BackoffOptions } from './backoff';
export { CLOCK, monotonicClock, WALL_CLOCK, wallClock, type Clock } from './clock';
export { Emitter, type Disposable } from './emitter';
export { toSeconds } from './seconds';
export { withoutStackTrace } from './errors/without-stack-trace';
