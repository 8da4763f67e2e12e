/** The upstream base URL every test stubs with nock. Never resolvable: nothing leaves the machine. */
export const UPSTREAM = 'http://event-api.test';
