import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'mock-api/dist/**', 'coverage/**', 'node_modules/**', '.test-build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // The circuit breaker core and load control (hedged requests, the retry budget, latency
  // percentiles, the adaptive concurrency limit) stay plain TypeScript: no framework, HTTP client
  // or server, and nothing from the rest of the gateway but the common primitives (adapters live
  // with the code that owns the calls; specs may use the test helpers).
  frameworkFreeCore('src/circuit-breaker/**/*.ts', 'The circuit breaker core'),
  frameworkFreeCore('src/load-control/**/*.ts', 'Load control'),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests walk JSON documents (OpenAPI, manifests, health bodies) by path.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);

/** Keeps `files` framework-free: `what` names them in the messages. */
function frameworkFreeCore(files, what) {
  return {
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'axios',
                'axios/*',
                'fastify',
                'fastify/*',
                '@fastify/*',
                'rxjs',
              ],
              message: `${what} must not depend on a framework or HTTP library.`,
            },
            {
              group: ['../*', '!../common', '!../testing'],
              message: `${what} must not import the rest of the gateway.`,
            },
            {
              // ../common (its index) is the framework-free primitives; the rest of common/ is not.
              group: ['../common/*'],
              message: `${what} imports only the common primitives (../common).`,
            },
          ],
        },
      ],
    },
  };
}
