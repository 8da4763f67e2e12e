/**
 * A mock whose every method must be stubbed: calling one the test did not stub throws, so a
 * service cannot silently call the upstream in a way the test did not expect.
 */
export function strictMock<T extends object>(stubs: {
  [K in keyof T]?: jest.Mock;
}): jest.Mocked<T> {
  return new Proxy(stubs, {
    get(target, property) {
      if (property === 'then') return undefined; // not a thenable
      if (property in target) return target[property as keyof T];
      throw new Error(`Unexpected call to unstubbed ${String(property)}`);
    },
  }) as unknown as jest.Mocked<T>;
}
