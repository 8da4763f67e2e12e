import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { chromium, type Browser, type Page } from 'playwright-core';
import { guardUpstream, UPSTREAM, upstreamUser } from '../../src/testing/nock-upstream';
import { JwksServer, makeKey, mint } from '../support/jwks-server';
import { createTestApp } from '../support/test-app';

// Swagger UI in a real browser (Debian's chromium), under the app's real security headers: the
// page must render without a single CSP violation or failed request, and "Try it out" must reach
// the API.
//
// It is opened twice: at 127.0.0.1, and under a plain name over plain HTTP, as behind an HTTP
// ingress or at a node's address. Chromium treats loopback as a secure origin and any other name
// over http as an insecure one, so a policy that only breaks on insecure origins (such as
// `upgrade-insecure-requests`, which made Chromium fetch the UI's own assets over https and left
// the page blank) shows up only under the name. Chromium resolves the name to loopback itself
// (--host-resolver-rules): no DNS, no network.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS_HOST = 'docs.test';

/** What the page went through: CSP violations, script errors, requests that failed or got >= 400. */
interface Problems {
  readonly violations: string[];
  readonly failedRequests: string[];
  readonly requested: string[];
}

/** Opens `url` in a new page and records every problem from the first request on. */
async function open(browser: Browser, url: string): Promise<{ page: Page; problems: Problems }> {
  const page = await browser.newPage();
  const problems: Problems = { violations: [], failedRequests: [], requested: [] };
  // The DOM reports each violation as an event; the console line is a second witness.
  await page.exposeFunction('reportCspViolation', (line: string) => problems.violations.push(line));
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.reportCspViolation(event.effectiveDirective + ' blocked ' + (event.blockedURI || '(inline)')));`,
  });
  page.on('console', (message) => {
    if (/Content.Security.Policy|Mixed Content/i.test(message.text())) {
      problems.violations.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.violations.push(error.message));
  page.on('request', (request) => problems.requested.push(request.url()));
  page.on('requestfailed', (request) =>
    problems.failedRequests.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
    }
  });
  await page.goto(url);
  return { page, problems };
}

describe('Swagger UI in Chromium', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication;
  let browser: Browser;
  let port: number;

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    port = Number(new URL(await app.getUrl()).port);
    // Playwright gives each launch a fresh, empty profile of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=MAP ${DOCS_HOST} 127.0.0.1`,
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => upstream.assertNoUnmatchedRequests());

  it.each([
    ['at 127.0.0.1 (a secure origin)', '127.0.0.1'],
    [`under a plain name over plain HTTP (${DOCS_HOST})`, DOCS_HOST],
  ])(
    'renders every operation %s without CSP violations or failed requests, and creates an event with "Try it out"',
    async (_title, host) => {
      nock(UPSTREAM)
        .get('/getUserById/1')
        .times(2)
        .reply(200, upstreamUser(1))
        .post('/addEvent')
        .times(2)
        .reply(200, { success: true });
      const origin = `http://${host}:${port}`;
      const { page, problems } = await open(browser, `${origin}/docs`);
      try {
        const rendered = await page
          .locator('.opblock')
          .first()
          .waitFor({ timeout: 15_000 })
          .then(
            () => true,
            () => false,
          );
        // A blank page says why: the violations and failed requests are in the same diff.
        expect({ rendered, ...problems }).toMatchObject({
          rendered: true,
          violations: [],
          failedRequests: [],
        });
        const paths = await page.locator('.opblock-summary-path').allTextContents();
        expect(paths).toEqual(
          expect.arrayContaining(['/v1/users', '/v1/users/{id}/events', '/v1/events', '/health']),
        );

        // POST /v1/events, found by method and path (the operation id names the controller class).
        const createEvent = page.locator(
          '.opblock-post:has(.opblock-summary-path[data-path="/v1/events"])',
        );
        await createEvent.locator('.opblock-summary').click();
        await createEvent.getByRole('button', { name: 'Try it out' }).click();
        // Execute, as it comes (no field filled in), twice: each is a new event, never a replay
        // of an example Idempotency-Key.
        const execute = async () => {
          const [response] = await Promise.all([
            page.waitForResponse(
              (answer) => answer.request().method() === 'POST' && answer.url().endsWith('/events'),
              { timeout: 15_000 },
            ),
            createEvent.getByRole('button', { name: 'Execute' }).click(),
          ]);
          return response;
        };
        const first = await execute();
        const second = await execute();
        for (const response of [first, second]) {
          expect(response.status()).toBe(201);
          expect(response.headers()['idempotent-replayed']).toBeUndefined();
        }
        expect((await first.json()).id).not.toBe((await second.json()).id);
        const status = createEvent
          .locator('.live-responses-table tbody .response-col_status')
          .first();
        await status.waitFor({ timeout: 15_000 });
        expect((await status.textContent())?.trim()).toBe('201');

        expect(problems.violations).toEqual([]);
        expect(problems.failedRequests).toEqual([]);
        // Every request the page made (the page, its assets, the API call) went to the origin it
        // was opened at, over plain http: nothing was rewritten to https.
        expect(problems.requested.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
        expect(problems.requested).toEqual(
          expect.arrayContaining([`${origin}/docs/swagger-ui-bundle.js`, `${origin}/v1/events`]),
        );
      } finally {
        await page.close();
      }
    },
    60_000,
  );

  it('with ADMIN_TOKEN, authorizes with the bearer token and lists the breakers with "Try it out"', async () => {
    const token = 'c0ffee'.repeat(8);
    const admin = await createTestApp({ ADMIN_TOKEN: token });
    try {
      await admin.listen(0, '127.0.0.1');
      const { page, problems } = await open(browser, `${await admin.getUrl()}/docs`);
      const list = page.locator('#operations-Admin-AdminController_list');
      await list.waitFor({ timeout: 15_000 });

      await page.locator('.scheme-container .authorize').click();
      const dialog = page.locator('.modal-ux');
      await dialog.locator('input').fill(token);
      await dialog.locator('.auth-btn-wrapper .authorize').click();
      await dialog.locator('.auth-btn-wrapper .btn-done').click();

      await list.locator('.opblock-summary').click();
      await list.getByRole('button', { name: 'Try it out' }).click();
      await list.getByRole('button', { name: 'Execute' }).click();
      const status = list.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor({ timeout: 15_000 });
      expect((await status.textContent())?.trim()).toBe('200');
      expect(await list.locator('.live-responses-table').textContent()).toContain(
        'event-api.write',
      );
      expect(problems.violations).toEqual([]);
      expect(problems.failedRequests).toEqual([]);
      await page.close();
    } finally {
      await admin.close();
    }
  }, 60_000);

  it('with AUTH_*, authorizes with a JWT and creates an event with "Try it out"', async () => {
    const key = await makeKey('browser-key');
    const jwks = await JwksServer.start([key]);
    const authed = await createTestApp(jwks.env);
    try {
      nock(UPSTREAM)
        .get('/getUserById/1')
        .reply(200, upstreamUser(1))
        .post('/addEvent')
        .reply(200, { success: true });
      await authed.listen(0, '127.0.0.1');
      const origin = await authed.getUrl();
      const { page, problems } = await open(browser, `${origin}/docs`);
      const createEvent = page.locator(
        '.opblock-post:has(.opblock-summary-path[data-path="/v1/events"])',
      );
      await createEvent.waitFor({ timeout: 15_000 });
      // Protected operations show a lock; the UI asks for the token of the JWT bearer scheme.
      await expect(createEvent.locator('.authorization__btn').count()).resolves.toBe(1);

      await page.locator('.scheme-container .authorize').click();
      const dialog = page.locator('.modal-ux');
      expect(await dialog.textContent()).toContain('jwt');
      await dialog.locator('input').fill(await mint(key, { scope: 'events:write' }));
      await dialog.locator('.auth-btn-wrapper .authorize').click();
      await dialog.locator('.auth-btn-wrapper .btn-done').click();

      await createEvent.locator('.opblock-summary').click();
      await createEvent.getByRole('button', { name: 'Try it out' }).click();
      await createEvent.getByRole('button', { name: 'Execute' }).click();
      const status = createEvent
        .locator('.live-responses-table tbody .response-col_status')
        .first();
      await status.waitFor({ timeout: 15_000 });
      expect((await status.textContent())?.trim()).toBe('201');
      expect(problems.violations).toEqual([]);
      expect(problems.failedRequests).toEqual([]);
      await page.close();
    } finally {
      await authed.close();
      await jwks.close();
    }
  }, 60_000);
});
