import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, startGateway, startMock, type ServerProcess } from './support/built-servers';
import { startRedis, type RedisServer } from './support/redis-server';

// The production build: the gateway bundled into one file (scripts/bundle.mjs), run as the image
// runs it, with only the packages it leaves external in node_modules
// (scripts/runtime-packages.mjs).

const ROOT = join(__dirname, '..');
const COUNT_MODULES = join(__dirname, 'support', 'report-loaded-modules.cjs');

/** How many module files a server loaded (written by the preload when it exits). */
async function modulesLoaded(server: ServerProcess): Promise<number> {
  await server.kill('SIGTERM');
  const line = /^LOADED_MODULES (\d+)$/m.exec(readFileSync(server.log, 'utf8'))?.[1];
  if (line === undefined) throw new Error(`no LOADED_MODULES line in ${server.log}`);
  return Number(line);
}

/**
 * A directory laid out as the image (the Dockerfile's gateway stage): package.json, the bundle,
 * and a node_modules of the runtime packages only.
 */
function imageLike(): string {
  const { bundle } = ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'event-gateway-image-'));
  cpSync(dirname(bundle), join(dir, 'dist', 'bundle'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json')); // the service's name and version
  const closure = callScript<string[]>(
    'runtime-packages.mjs',
    "m.runtimeClosure(JSON.parse(readFileSync('package-lock.json', 'utf8')))",
  );
  const linked: string[] = [];
  for (const path of closure) {
    // A package nested in one linked already came with it.
    if (linked.some((parent) => path.startsWith(`${parent}/node_modules/`))) continue;
    const source = join(ROOT, path);
    // Another platform's optional build is in the lockfile but not installed here.
    if (!existsSync(source)) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(source, join(dir, path), 'dir');
    linked.push(path);
  }
  return dir;
}

describe('the production bundle (e2e, real processes)', () => {
  let mock: ServerProcess;
  let redis: RedisServer | undefined;
  let image: string | undefined;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    mock = await startMock('bundle-mock');
  }, 120_000);
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.kill('SIGKILL')));
  });
  afterAll(async () => {
    await mock?.kill();
    await redis?.stop();
    if (image) rmSync(image, { recursive: true, force: true });
  });

  it('starts and answers: reads, Swagger UI with its assets, and the OpenAPI document', async () => {
    const gateway = await startGateway(
      'bundle',
      { EVENT_API_BASE_URL: mock.base },
      '/ready',
      ensureBuilt().bundle,
    );
    servers.push(gateway);
    const user = await fetch(`${gateway.base}/users/1`);
    expect(user.status).toBe(200);
    expect(await user.json()).toMatchObject({ id: '1' });
    const page = await fetch(`${gateway.base}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script[^>]*src="\.\/docs\/([^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${gateway.base}/docs/${script}`)).status).toBe(200);
    const document = await fetch(`${gateway.base}/docs-json`);
    const openApi = (await document.json()) as { paths: Record<string, unknown> };
    expect(openApi.paths['/v1/users/{id}']).toBeDefined();
  }, 120_000);

  it('loads a few dozen module files where the unbundled build loads over a thousand', async () => {
    const env = {
      EVENT_API_BASE_URL: mock.base,
      NODE_OPTIONS: `--require ${COUNT_MODULES}`,
    };
    const bundled = await modulesLoaded(
      await startGateway('bundle-modules', env, '/health', ensureBuilt().bundle),
    );
    const unbundled = await modulesLoaded(await startGateway('unbundled-modules', env, '/health'));
    expect(unbundled).toBeGreaterThan(1000);
    expect(bundled).toBeLessThan(50);
  }, 120_000);

  it('runs with only the runtime packages in node_modules, Redis and the create queue included', async () => {
    image = imageLike();
    redis = await startRedis();
    const gateway = await startGateway(
      'bundle-image',
      { EVENT_API_BASE_URL: mock.base, REDIS_URL: redis.url },
      '/ready',
      join(image, 'dist', 'bundle', 'main.js'),
    );
    servers.push(gateway);
    expect((await fetch(`${gateway.base}/users/1`)).status).toBe(200);
    expect((await fetch(`${gateway.base}/docs`)).status).toBe(200);
    const accepted = await fetch(`${gateway.base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ name: 'Bundled', userId: '1' }),
    });
    expect(accepted.status).toBe(202);
    const ready = (await (await fetch(`${gateway.base}/ready`)).json()) as {
      details: { redis: { status: string } };
    };
    expect(ready.details.redis.status).toBe('up');
  }, 120_000);
});

// The scripts are ES modules run by Node itself (they read import.meta): asked in a child process.
function callScript<T>(module: string, expression: string): T {
  const url = pathToFileURL(join(ROOT, 'scripts', module)).href;
  const code = `const m = await import(${JSON.stringify(url)}); const { readFileSync } = await import('node:fs'); process.stdout.write(JSON.stringify(${expression}));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  ) as T;
}

describe('bundle scripts', () => {
  it('escapes every non-ASCII character to the same string and regular expression', () => {
    const source = '[/^[Α-ώÇ]+$/i.test("ώ"), "😀 é", `Ç${1}`]';
    const escaped = callScript<string>('bundle.mjs', `m.asciiOnly(${JSON.stringify(source)})`);
    expect(escaped).toMatch(/^[\x20-\x7e]*$/);
    // Indirect eval of our own literals: both sides evaluate to the same values.
    expect((0, eval)(escaped)).toEqual((0, eval)(source));
  });

  it('keeps the external packages and what they depend on, nested copies included, and no other', () => {
    const closure = callScript<string[]>(
      'runtime-packages.mjs',
      "m.runtimeClosure(JSON.parse(readFileSync('package-lock.json', 'utf8')))",
    );
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    for (const path of [
      'node_modules/pino',
      'node_modules/sonic-boom', // pino's
      'node_modules/swagger-ui-dist',
      'node_modules/bullmq',
      'node_modules/ioredis',
    ]) {
      expect(closure).toContain(path);
    }
    // bullmq's own copies of its dependencies, where npm nested them.
    const nested = Object.keys(lock.packages).filter((path) =>
      path.startsWith('node_modules/bullmq/node_modules/'),
    );
    for (const path of nested) expect(closure).toContain(path);
    for (const bundled of [
      'node_modules/@nestjs/core',
      'node_modules/fastify',
      'node_modules/jose',
    ])
      expect(closure).not.toContain(bundled);
  });
});
