// Load control toward the upstream: hedged requests, the retry budget they and retries spend
// from, and the latency percentiles that time the hedges. Plain TypeScript with an injected clock:
// no framework or HTTP client imports, nothing from src/ but the common primitives (an ESLint rule
// keeps it so). The gateway's adapter is src/upstream/event-gateway.ts.
export {
  hedged,
  HedgedCallFailed,
  isLostRace,
  LostRace,
  type AttemptRole,
  type HedgedResult,
  type HedgeOptions,
} from './hedged';
export { LatencyPercentile, type LatencyPercentileOptions } from './latency-percentile';
export { RetryBudget, type RetryBudgetOptions, type RetryBudgetSnapshot } from './retry-budget';
export { realTimers, type StartTimer } from './timers';
