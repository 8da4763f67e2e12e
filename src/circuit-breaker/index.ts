// The circuit breaker core: plain TypeScript with an injected clock, no framework, HTTP client or
// server imports, nothing from src/ but the shared primitives (an ESLint rule keeps it so).
// Adapters live with the code that owns the calls.
export {
  CircuitBreaker,
  settle,
  type CallClassification,
  type CallPermit,
  type CallRejection,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type CircuitStateChange,
  type TransitionReason,
} from './circuit-breaker';
export { CircuitOpenError } from './circuit-breaker.errors';
export { CircuitBreakerRegistry } from './circuit-breaker.registry';
export { CircuitState, type RejectingState } from './circuit-state';
export {
  CountInWindowPolicy,
  FailureRatePolicy,
  type CallOutcome,
  type TripPolicy,
} from './trip-policies';
export type { WindowCounts } from './sliding-window';
