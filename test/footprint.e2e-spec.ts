import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The image carries production dependencies only, installed by the Dockerfile's deps stage from
// package-lock.json. The lockfile says which packages that install takes (npm's dev/optional
// flags), so this is checked offline, without installing anything: no compiler, CLI, test runner
// or linter may ever be part of it.
//
// Why the deps stage omits optional packages too: @nestjs/swagger lists typescript as an optional
// peer (for its CLI plugin, which this app does not use). As typescript is also our
// devDependency, npm marks it devOptional, and `npm install --omit=dev` installs devOptional
// packages; only `--omit=dev --omit=optional` leaves it (24 MB) out.

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json'));
const lock = JSON.parse(read('package-lock.json'));

interface Locked {
  readonly name: string;
  readonly path: string;
  readonly version?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
  readonly peer?: boolean;
  readonly os?: string[];
  readonly cpu?: string[];
  readonly dependencies?: Record<string, string>;
}

const locked: Locked[] = Object.entries(lock.packages as Record<string, Omit<Locked, 'path'>>)
  .filter(([path]) => path !== '')
  .map(([path, entry]) => ({
    ...entry,
    path,
    name: entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
  }));

/** Whether `npm install --omit=…` leaves the package out (npm's own rule, Node#shouldOmit). */
const omitted = (entry: Locked, omit: ReadonlySet<string>) =>
  (entry.peer === true && omit.has('peer')) ||
  (entry.dev === true && omit.has('dev')) ||
  (entry.optional === true && omit.has('optional')) ||
  (entry.devOptional === true && omit.has('dev') && omit.has('optional'));

/** The npm command line of the Dockerfile's deps stage (the node_modules the image ships). */
function depsStageInstall(): string {
  const stage = /^FROM \S+ AS deps$([\s\S]*?)(?=^FROM )/m.exec(read('Dockerfile'))?.[1];
  const install = stage && /^RUN (npm (?:install|ci)\b.*)$/m.exec(stage)?.[1];
  if (!install) throw new Error('no `RUN npm install` in the Dockerfile stage named deps');
  return install;
}

const depsStageOmit = () =>
  new Set([...depsStageInstall().matchAll(/--omit[= ]([a-z]+)/g)].map((match) => match[1]));

/** Build, test, lint and type tooling: needed to make the image, never inside it. */
const BUILD_TIME: RegExp[] = [
  /^typescript$/,
  /^@nestjs\/(cli|schematics|testing)$/,
  /^@angular-devkit\//,
  /^(jest|jest-.*|@jest\/.*|ts-jest|ts-node|ts-loader|webpack|@swc\/.*)$/,
  /^(eslint|@eslint\/.*|prettier|typescript-eslint|@typescript-eslint\/.*)$/,
  /^@types\//,
  /^(playwright|playwright-core|nock|supertest|autocannon|fast-check|pino-pretty)$/,
];
const isBuildTime = (name: string) => BUILD_TIME.some((pattern) => pattern.test(name));

/**
 * Optional production packages the image goes without, on purpose. msgpackr-extract (bullmq ->
 * msgpackr) is a native decoder for msgpack strings, with its per-platform builds and loader:
 * bullmq only packs on the Node side (its Lua scripts unpack inside Redis), and msgpackr works
 * the same in plain JavaScript without it.
 */
const LEFT_OUT_ON_PURPOSE: RegExp[] = [
  /^msgpackr-extract$/,
  /^@msgpackr-extract\/msgpackr-extract-/,
  /^node-gyp-build-optional-packages$/,
];

describe('Production dependencies (what the image ships)', () => {
  it('keeps package-lock.json in step with package.json', () => {
    const root = lock.packages[''];
    expect(root.dependencies ?? {}).toEqual(pkg.dependencies ?? {});
    expect(root.devDependencies ?? {}).toEqual(pkg.devDependencies ?? {});
    expect(root.engines ?? {}).toEqual(pkg.engines ?? {});
  });

  it('installs them in the Dockerfile with --omit=dev --omit=optional, nothing included back', () => {
    expect(depsStageInstall()).not.toMatch(/--include|--production=false/);
    expect([...depsStageOmit()]).toEqual(expect.arrayContaining(['dev', 'optional']));
  });

  it('lists no build, test or lint tool under "dependencies"', () => {
    expect(Object.keys(pkg.dependencies).filter(isBuildTime)).toEqual([]);
  });

  it('pulls in no build, test or lint tool, directly or through another package', () => {
    const shipped = locked.filter((entry) => !omitted(entry, depsStageOmit()));
    expect(shipped.length).toBeGreaterThan(50);
    expect(shipped.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(Object.keys(pkg.dependencies)),
    );
    // Type packages a shipped package itself depends on (class-validator: @types/validator) are
    // its choice, and small.
    const declaredTypes = (name: string) =>
      name.startsWith('@types/') && shipped.some((entry) => entry.dependencies?.[name]);
    const tools = shipped
      .filter((entry) => isBuildTime(entry.name) && !declaredTypes(entry.name))
      .map((entry) => `${entry.path}@${entry.version}`);
    expect(tools).toEqual([]);
  });

  it('leaves out no optional production package but those decided on below', () => {
    // A new one (say a native speed-up with per-platform builds) fails here: decide whether the
    // image may go without it (add it below, with the reason) or must install it explicitly.
    const leftOut = locked
      .filter((entry) => entry.optional === true && entry.dev !== true)
      .filter((entry) => !LEFT_OUT_ON_PURPOSE.some((pattern) => pattern.test(entry.name)))
      .map((entry) => `${entry.path}@${entry.version}`);
    expect(leftOut).toEqual([]);
  });
});
