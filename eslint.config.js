// Lint: strict TypeScript plus the layering rules of the design (translators and model are pure:
// they may not import I/O, RxJS, gRPC or Kubernetes libraries).
import tseslint from 'typescript-eslint';

const impure = [
  'rxjs',
  'rxjs/*',
  '@grpc/*',
  '@kubernetes/*',
  'node:*',
  'fs',
  'path',
  'os',
  'http',
  'http2',
  'net',
  'child_process',
  'crypto',
  'pino',
  'prom-client',
];

/** The wiring files at server/'s top (serve.ts, main.ts, …): nothing below them imports them. */
const serverRoot = [
  '**/server/serve*',
  '**/server/main*',
  '**/server/observe*',
  '**/server/source*',
  '**/server/metrics*',
  '../serve*',
  '../main*',
  '../observe*',
  '../source*',
  '../metrics*',
];

/** One no-restricted-imports block per server/ folder: it may not import the folders listed (nor the wiring). */
function serverLayers(forbidden) {
  return Object.entries(forbidden).map(([folder, banned]) => ({
    files: [`server/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts', '**/conformance/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: banned
                .map((b) => (b === 'translators' ? '**/translators/*' : `**/server/${b}/*`))
                .concat(banned.filter((b) => b !== 'translators').map((b) => `../${b}/*`)),
              message: `server/${folder}/ may not import ${banned.join(', ')}: imports inside server/ go one way, cli/http → explain → push → xds → cache (docs/architecture.md).`,
            },
            {
              group: serverRoot,
              message: `server/${folder}/ may not import the wiring (serve.ts, main.ts, observe.ts, source.ts, metrics.ts): those import it.`,
            },
          ],
        },
      ],
    },
  }));
}

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
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: impure, message: 'translators/ and model/ are pure: no I/O, RxJS, gRPC or Kubernetes imports (design invariant 1).' },
            {
              group: ['**/server/*', '**/watchers/*', '**/e2e/*'],
              message: 'translators/ and model/ may not import later pipeline stages.',
            },
            {
              group: ['**/proto/registry*', '**/proto/encode*', '**/proto/wire*', '**/proto/json*', '**/proto/validate*'],
              message: 'translators/ may import only the pure parts of proto/ (types, any, struct, typeurls).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['model/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: impure, message: 'model/ is plain data: no I/O imports.' },
            {
              group: ['**/translators/*', '**/server/*', '**/watchers/*', '**/proto/*'],
              message: 'model/ imports nothing from the other stages.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['watchers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/*', '**/translators/*'],
              message: 'watchers/ feed the store; they may not import server/ or translators/.',
            },
          ],
        },
      ],
    },
  },
  // The Gateway API conversion runs inside the store but is pure like translators/: model/ only.
  {
    files: ['watchers/gatewayapi/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: impure, message: 'watchers/gatewayapi/ is a pure conversion: no I/O, RxJS, gRPC or Kubernetes imports.' },
            {
              group: ['**/server/*', '**/translators/*', '**/proto/*', '../file/*', '../kube/*', '../store/*', '../validate/*'],
              message: 'watchers/gatewayapi/ imports model/ only.',
            },
          ],
        },
      ],
    },
  },
  // Inside server/: one direction, front ends down to the cache (docs/architecture.md):
  //   cli, http → explain → push → xds → cache   (security and ca serve xds; serve.ts/main.ts wire them all)
  // A folder may import the folders to its right and model/, proto/, watchers/, translators/ as the
  // top-level rules allow — except xds/, which is protocol only and imports no translators/.
  ...serverLayers({
    cache: ['push', 'xds', 'explain', 'cli', 'http', 'security', 'ca'],
    xds: ['push', 'explain', 'cli', 'http', 'translators'],
    push: ['explain', 'cli', 'http'],
    explain: ['cli', 'http'],
    cli: ['http'],
    http: ['cli'],
    security: ['cache', 'xds', 'push', 'explain', 'cli', 'http'],
    ca: ['cache', 'xds', 'push', 'explain', 'cli', 'http'],
    // The Gateway API status writer: beside the wiring, using ca/'s Lease; nothing of the push path.
    gwstatus: ['cache', 'xds', 'push', 'explain', 'cli', 'http'],
    // The console and the multi-replica views are served by http/ (beside it, below cli/).
    ui: ['cli'],
    replica: ['cli'],
  }),
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
