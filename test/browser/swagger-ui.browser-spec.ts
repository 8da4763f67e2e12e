import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import nock from 'nock';
import { chromium, type Browser } from 'playwright-core';
import { guardUpstream, UPSTREAM, upstreamUser } from '../../src/testing/nock-upstream';
import { createTestApp } from '../support/test-app';

// Swagger UI in a real browser (Debian's chromium), under the app's real security headers: the
// page must render without a single CSP violation, and "Try it out" must reach the API.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('Swagger UI in Chromium', () => {
  const upstream = guardUpstream();
  let app: NestFastifyApplication;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
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
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => upstream.assertNoUnmatchedRequests());

  it('renders every operation without CSP violations, and creates an event with "Try it out"', async () => {
    nock(UPSTREAM)
      .get('/getUserById/1')
      .reply(200, upstreamUser(1))
      .post('/addEvent')
      .reply(200, { success: true });
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));

    await page.goto(`${base}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths).toEqual(
      expect.arrayContaining(['/users', '/users/{id}/events', '/events', '/health']),
    );

    const createEvent = page.locator('#operations-Events-EventsController_createEvent');
    await createEvent.locator('.opblock-summary').click();
    await createEvent.getByRole('button', { name: 'Try it out' }).click();
    await createEvent.getByRole('button', { name: 'Execute' }).click();
    const status = createEvent.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    expect((await status.textContent())?.trim()).toBe('201');

    expect(violations).toEqual([]);
  }, 60_000);

  it('with ADMIN_TOKEN, authorizes with the bearer token and lists the breakers with "Try it out"', async () => {
    const token = 'c0ffee'.repeat(8);
    const admin = await createTestApp({ ADMIN_TOKEN: token });
    try {
      await admin.listen(0, '127.0.0.1');
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
      });
      page.on('pageerror', (error) => violations.push(error.message));

      await page.goto(`${await admin.getUrl()}/docs`);
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
      expect(violations).toEqual([]);
    } finally {
      await admin.close();
    }
  }, 60_000);
});
