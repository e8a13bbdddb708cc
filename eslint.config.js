// Lint: strict TypeScript plus the layering rules of the design (translators and model are pure:
// they may not import I/O, RxJS, gRPC or Kubernetes libraries).
import tseslint from 'typescript-eslint';

const impure = ['rxjs', 'rxjs/*', '@grpc/*', '@kubernetes/*', 'node:*', 'fs', 'path', 'os', 'http', 'http2', 'net', 'child_process', 'crypto', 'pino', 'prom-client'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['translators/**/*.ts', 'model/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testdata/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: impure, message: 'translators/ and model/ are pure: no I/O, RxJS, gRPC or Kubernetes imports (design invariant 1).' },
          { group: ['**/server/*', '**/watchers/*', '**/e2e/*'], message: 'translators/ and model/ may not import later pipeline stages.' },
          { group: ['**/proto/registry*', '**/proto/encode*', '**/proto/wire*', '**/proto/json*', '**/proto/validate*'], message: 'translators/ may import only the pure parts of proto/ (types, any, struct, typeurls).' },
        ],
      }],
    },
  },
  {
    files: ['model/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: impure, message: 'model/ is plain data: no I/O imports.' },
          { group: ['**/translators/*', '**/server/*', '**/watchers/*', '**/proto/*'], message: 'model/ imports nothing from the other stages.' },
        ],
      }],
    },
  },
  {
    files: ['watchers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/server/*', '**/translators/*'], message: 'watchers/ feed the store; they may not import server/ or translators/.' }],
      }],
    },
  },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
