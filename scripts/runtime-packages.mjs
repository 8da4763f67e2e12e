// The packages the bundled gateway (dist/bundle, see scripts/bundle.mjs) still loads from
// node_modules at run time: the packages it leaves external and everything they depend on, read
// from package-lock.json (npm's nesting rules: a dependency is looked up in the dependent's own
// node_modules, then in each one above it).
//
//   node scripts/runtime-packages.mjs                 prints them
//   node scripts/runtime-packages.mjs --prune <dir>   removes every other package from <dir>/node_modules
//
// The image's deps stage prunes its production install with it: the image carries the bundle
// and only those packages.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXTERNAL_PACKAGES } from './bundle-externals.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where npm puts the dependency `name` of the package at `from` (a lockfile path), if anywhere. */
function resolve(packages, from, name) {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at === -1 ? '' : base.slice(0, at);
  }
}

/** Lockfile paths of `roots` and everything they depend on (dependencies, optional and peer). */
export function runtimeClosure(lock, roots = EXTERNAL_PACKAGES) {
  const packages = lock.packages;
  const found = new Set();
  const queue = roots.map((name) => resolve(packages, '', name)).filter(Boolean);
  while (queue.length > 0) {
    const path = queue.pop();
    if (found.has(path)) continue;
    found.add(path);
    const entry = packages[path];
    const names = Object.keys({
      ...entry.dependencies,
      ...entry.optionalDependencies,
      ...entry.peerDependencies,
    });
    for (const name of names) {
      const dependency = resolve(packages, path, name);
      if (dependency !== undefined && !found.has(dependency)) queue.push(dependency);
    }
  }
  return [...found].sort();
}

/** Removes from `dir`/node_modules every package of the lockfile outside the closure. */
export function prune(dir, lock, closure = runtimeClosure(lock)) {
  const keep = new Set(closure);
  const removed = [];
  for (const path of Object.keys(lock.packages)) {
    if (path === '' || keep.has(path)) continue;
    // A package inside one that goes goes with it.
    const parent = path.slice(0, path.lastIndexOf('/node_modules/'));
    if (parent !== '' && parent !== path && !keep.has(parent) && parent in lock.packages) continue;
    const target = join(dir, path);
    if (existsSync(target)) {
      rmSync(target, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const closure = runtimeClosure(lock);
  const at = process.argv.indexOf('--prune');
  if (at === -1) {
    process.stdout.write(`${closure.join('\n')}\n`);
  } else {
    const dir = process.argv[at + 1];
    if (!dir) throw new Error('--prune needs a directory (the one holding node_modules)');
    const removed = prune(dir, lock, closure);
    process.stdout.write(`kept ${closure.length} packages, removed ${removed.length}\n`);
  }
}
