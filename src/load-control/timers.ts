/** Starts a one-shot timer and returns what cancels it. Injected so tests step time by hand. */
export type StartTimer = (delayMs: number, fire: () => void) => () => void;

/** Real timers that never keep the process alive. */
export const realTimers: StartTimer = (delayMs, fire) => {
  const timer = setTimeout(fire, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};
