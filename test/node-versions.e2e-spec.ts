import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion, satisfies, subset, valid } from 'semver';

// One Node version is tested and shipped: .nvmrc names it, the Dockerfile builds and runs on it,
// .ci/run runs the suite on it. package.json's engines says which versions the project supports;
// it may only admit versions that every locked package (dependencies and the dev toolchain)
// declares it supports, so no supported Node gets an EBADENGINE warning from `npm install`.

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json'));
const lock = JSON.parse(read('package-lock.json'));
const supported: string = pkg.engines.node;
const pinned = read('.nvmrc').trim();
const dockerfile = read('Dockerfile');

describe('Node versions', () => {
  it('pins one exact Node version in .nvmrc, inside engines', () => {
    expect(valid(pinned)).toBe(pinned);
    expect(satisfies(pinned, supported)).toBe(true);
  });

  it('builds and runs the image on that version, in every stage', () => {
    const image = /^ARG NODE_IMAGE=node:(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toBe(`${pinned}-bookworm-slim`);
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.filter((from) => from !== '${NODE_IMAGE}')).toEqual([]);
  });

  it('supports only Node versions every locked package accepts', () => {
    const narrower = Object.entries(lock.packages as Record<string, any>)
      .filter(([path, entry]) => path !== '' && typeof entry.engines?.node === 'string')
      .filter(([, entry]) => !subset(supported, entry.engines.node))
      .map(([path, entry]) => `${path}@${entry.version} wants node ${entry.engines.node}`);
    expect(narrower).toEqual([]);
  });

  it('type-checks against the oldest Node major it supports', () => {
    const oldest = minVersion(supported)!.major;
    expect(minVersion(pkg.devDependencies['@types/node'])!.major).toBe(oldest);
  });
});
