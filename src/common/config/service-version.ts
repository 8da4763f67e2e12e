import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The nearest package.json above this file: the repository's from src/config/ (tests) and from
 * dist/config/ or .test-build/gateway/config/ (built), /app/package.json in the Docker image
 * (copied there beside dist/).
 */
function readPackageJson(): { name: string; version: string } {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const { name, version } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      if (typeof name !== 'string' || typeof version !== 'string') {
        throw new Error(`${path} has no name or version`);
      }
      return { name, version };
    }
    if (dirname(dir) === dir) throw new Error(`No package.json above ${__dirname}`);
  }
}

/** The gateway's name and version, from package.json, read once: the one place they are set. */
export const { name: SERVICE_NAME, version: SERVICE_VERSION } = readPackageJson();
