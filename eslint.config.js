// Flat config: typescript-eslint's recommended rules over every TypeScript source.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.trunkline/**', '**/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // The layers of core/ (README: domain → adapters → stages → doors). An import pointing the wrong
  // way is an error, so a side effect cannot creep into the pure domain unnoticed.
  layer('core/src/domain/**', 'domain is pure logic without I/O', ['adapters', 'stages', 'door', 'cli', 'pipeline', 'local'], true),
  layer('core/src/adapters/**', 'an adapter wraps one side effect and knows nothing of who calls it', ['stages', 'door', 'cli', 'pipeline']),
  layer('core/src/stages/**', 'a stage is called by the doors, never the other way', ['door', 'cli']),
);

/**
 * One `no-restricted-imports` block for the files of a layer: relative or `@trunkline/core/...`
 * imports of the `forbidden` folders, and with `noIo` the Node modules that do I/O.
 */
function layer(files, why, forbidden, noIo = false) {
  const patterns = [{ regex: `(^|/)(${forbidden.join('|')})/`, message: `${why}: it imports no ${forbidden.join(', ')}.` }];
  if (noIo) patterns.push({ regex: '^(node:)?(fs|child_process|net|http|https|dgram|tls)(/.*)?$', message: `${why}: file, process and network access go through core/src/adapters.` });
  return { files: [files], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}
