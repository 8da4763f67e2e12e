import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm ci` refuses a lockfile that lacks an entry for any dependency a locked package declares,
// optional platform builds included ("Missing: @swc/core-darwin-arm64 from lock file"). A lockfile
// written on one platform after pruning keeps only that platform's builds: `npm ci` then fails on
// a clean clone everywhere, and `npm install` rewrites the file. This holds the lockfile whole.

interface LockEntry {
  readonly version?: string;
  readonly os?: string[];
  readonly cpu?: string[];
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(__dirname, '..', 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** Where Node (and npm) would find `name` from the package at `from`: nearest node_modules up. */
function resolve(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (candidate in lock.packages) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

describe('package-lock.json', () => {
  it('has an entry for every optional dependency of every locked package, whatever its platform', () => {
    const missing = Object.entries(lock.packages).flatMap(([path, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => resolve(path, name) === undefined)
        .map((name) => `${path || '(root)'} -> ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('locks builds for more than one platform wherever a package ships platform builds', () => {
    const platformSpecific = Object.keys(lock.packages).filter(
      (path) => lock.packages[path].os !== undefined || lock.packages[path].cpu !== undefined,
    );
    const platforms = new Set(
      platformSpecific.map(
        (path) => `${String(lock.packages[path].os)}/${String(lock.packages[path].cpu)}`,
      ),
    );
    expect(platforms.size).toBeGreaterThan(1);
    expect([...platforms]).toEqual(expect.arrayContaining(['darwin/arm64', 'win32/x64']));
  });
});
