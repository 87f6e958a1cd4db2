// The one rule of imports (docs/architecture.md): core ← service ← {store, bus, facades} ← main.
// Each folder may import only the layers beneath it; core/ also may not reach time, timers or I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'os', 'ws', 'fastify', 'better-sqlite3', 'pg', 'pino'];
const layer = (...forbidden) => ({
  'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message: 'Breaks the layer rule in docs/architecture.md.' })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bin/**', '.bench-out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/service/**', '**/store/**', '**/bus/**', '**/facades/**', '**/main.js', '**/config.js', '**/log.js'], message: 'core/ imports only core/.' },
          { group: nodeIo, message: 'core/ does no I/O.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'Date', message: 'Time arrives as a number (epoch ms).' },
        { name: 'setTimeout', message: 'core/ has no timers.' },
        { name: 'setInterval', message: 'core/ has no timers.' },
        { name: 'setImmediate', message: 'core/ has no timers.' },
        { name: 'process', message: 'core/ does not read the environment.' },
        { name: 'performance', message: 'Time arrives as a number.' },
        { name: 'console', message: 'The core never logs.' },
      ],
    },
  },
  { files: ['src/service/**/*.ts'], ignores: ['src/service/**/*.test.ts'], rules: layer('**/store/**', '**/bus/**', '**/facades/**', '**/main.js', 'better-sqlite3', 'pg', 'fastify', 'ws') },
  { files: ['src/store/**/*.ts', 'src/bus/**/*.ts'], ignores: ['**/*.test.ts'], rules: layer('**/facades/**', '**/main.js') },
  { files: ['src/facades/**/*.ts'], ignores: ['**/*.test.ts'], rules: layer('**/store/**', '**/bus/**', '**/main.js', 'better-sqlite3', 'pg') },
);
