// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import typeImportCycles from './scripts/eslint/no-type-import-cycle.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/__generated__/**', '**/dist/**', '.state/**', 'coverage/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // No import cycles anywhere: modules must form layers (a cycle makes load order decide what is
    // still undefined). Imports are resolved as Node does, `.ts` files and package exports included.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX, local: typeImportCycles },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    // import-x skips type-only imports; the local rule checks those (scripts/eslint/no-type-import-cycle.js).
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }], 'local/no-type-import-cycle': 'error' },
  },
  {
    files: ['**/test/**/*.ts', 'packages/testing/**/*.ts', 'scripts/**/*.ts', 'web/scripts/**/*.ts', 'bench/**/*.ts', 'drills/**/*.ts', 'examples/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
