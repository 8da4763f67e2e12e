// Jest runs in CommonJS mode; @swc/jest compiles our TypeScript and also the ESM-only
// packages (NestJS 12 and a few of its dependencies): Jest's CommonJS runtime cannot load ESM-only
// packages natively (CI runs the suite on the machine's Node and on the image's Node 24).
const esmOnly = [
  '@nestjs',
  'content-disposition',
  'cookie',
  'file-type',
  'jose',
  'load-esm',
  'uid',
];

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swcTransform },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/jest.setup.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/mock-api/src/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
    // Needs Debian's chromium (apt-get install -y chromium): `npm run test:browser`, run by CI.
    {
      ...shared,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
    },
  ],
};
