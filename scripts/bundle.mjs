// `npm run build` ends here: the compiled gateway (dist/, from `nest build`) bundled by esbuild into
// one file, dist/bundle/gateway.js, behind a small entry, dist/bundle/main.js, that turns on Node's
// compile cache first. What this buys, measured (docs/performance.md): start-up and idle memory
// (one file parsed instead of over a thousand modules resolved, read and compiled one by one).
//
// Bundled from tsc's output rather than from the TypeScript sources because esbuild does not emit
// decorator metadata, which Nest's dependency injection reads; tsc already wrote it.
// Left out of the bundle, loaded from node_modules at run time:
// - packages that read their own files at run time: swagger-ui-dist (Swagger UI's assets),
//   bullmq (its Lua scripts), pino (its transports run in worker threads from files);
// - what only some configurations load, lazily: ioredis and bullmq (REDIS_URL), the OTLP exporters
//   (OTEL_EXPORTER_OTLP_*), pino-pretty (development);
// - optional packages Nest tries to load and this gateway does not install (microservices,
//   websockets, Express, multipart, views): a plugin finds them (what cannot be resolved).
// libphonenumber-js, which class-validator imports for @IsPhoneNumber alone (480 KB), is replaced
// by a module that refuses to be used (this gateway validates no phone number).
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXTERNAL_PACKAGES } from './bundle-externals.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bare imports that do not resolve (packages Nest loads only if installed) stay `require`s. */
const notInstalled = (found) => ({
  name: 'not-installed',
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'probe') return undefined;
      const resolved = await context.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'probe',
      });
      if (resolved.errors.length === 0) return undefined;
      found.add(args.path);
      return { path: args.path, external: true };
    });
  },
});

const noPhoneNumbers = {
  name: 'no-phone-numbers',
  setup(context) {
    context.onResolve({ filter: /^libphonenumber-js(\/.*)?$/ }, () => ({
      path: 'libphonenumber-js',
      namespace: 'no-phone-numbers',
    }));
    context.onLoad({ filter: /.*/, namespace: 'no-phone-numbers' }, () => ({
      contents:
        "const refuse = () => { throw new Error('libphonenumber-js is left out of this bundle: no phone number is validated'); };\n" +
        'module.exports = { parsePhoneNumber: refuse, default: refuse };',
      loader: 'js',
    }));
  },
};

/**
 * Every character outside ASCII as a `\\uXXXX` escape, one per UTF-16 code unit: the same
 * character inside a string, a template or a regular expression without the `u` flag, where
 * esbuild leaves them (validator's alphabets).
 */
export function asciiOnly(code) {
  return code.replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Bundles `entry` (tsc's output of src/main.ts) into `outDir`/gateway.js behind `outDir`/main.js. */
export async function bundle({
  entry = join(root, 'dist', 'main.js'),
  outDir = join(root, 'dist', 'bundle'),
} = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const notFound = new Set();
  const result = await build({
    entryPoints: [entry],
    outfile: join(outDir, 'gateway.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: EXTERNAL_PACKAGES,
    plugins: [notInstalled(notFound), noPhoneNumbers],
    // ESM-only packages (NestJS 12, jose) use import.meta.url, which a CommonJS bundle lacks: it
    // becomes the bundle's own URL, so createRequire() resolves from dist/bundle/ (node_modules
    // is found above it, as for dist/main.js).
    define: { 'import.meta.url': '__bundle_url' },
    banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
    // Minified, but class and function names are kept (Nest names providers and log contexts by
    // them); stack traces map back to the sources with the source map (--enable-source-maps).
    minify: true,
    keepNames: true,
    // ASCII only: V8 keeps a script's source in memory, one byte per character if it is all
    // Latin-1, else two (5.5 MB instead of 2.7). esbuild escapes strings; the regular expressions
    // of validator's locales are escaped below.
    charset: 'ascii',
    write: false,
    sourcemap: 'linked',
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) {
    writeFileSync(file.path, file.path.endsWith('.js') ? asciiOnly(file.text) : file.contents);
  }
  writeFileSync(
    join(outDir, 'main.js'),
    [
      '"use strict";',
      "// The production entry: Node's compile cache on (Node 22.1+: the bundle's compiled code is",
      '// kept on disk, in NODE_COMPILE_CACHE or the temporary directory, so later start-ups skip',
      '// compiling it), then the bundled gateway. See scripts/bundle.mjs.',
      "require('node:module').enableCompileCache?.();",
      "require('./gateway.js');",
      '',
    ].join('\n'),
  );
  writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
  return { notFound: [...notFound].sort(), metafile: result.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // node scripts/bundle.mjs [--entry dist/main.js] [--out dist/bundle]
  const { values } = parseArgs({ options: { entry: { type: 'string' }, out: { type: 'string' } } });
  const { notFound, metafile } = await bundle({
    ...(values.entry ? { entry: values.entry } : {}),
    ...(values.out ? { outDir: values.out } : {}),
  });
  const bytes = Object.values(metafile.outputs).find((output) => output.entryPoint)?.bytes ?? 0;
  process.stdout.write(
    `${join(values.out ?? 'dist/bundle', 'gateway.js')}: ${(bytes / 1024 / 1024).toFixed(1)} MiB; not installed, left as require: ${notFound.join(', ')}\n`,
  );
}
