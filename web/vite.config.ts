import { defaultClientConditions, defineConfig } from 'vite';

// Preact through the automatic JSX runtime; no framework plugin needed.
export default defineConfig({
  root: import.meta.dirname,
  // The SDK is bundled from its TypeScript sources (its package.json names them under this condition).
  resolve: { conditions: ['@finder/source', ...defaultClientConditions] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: {
    // `npm run dev -w web` against the running stack's nginx (NGINX_PORT, 8080 by default).
    proxy: {
      '/graphql': { target: `http://127.0.0.1:${process.env.NGINX_PORT ?? 8080}`, ws: true },
      '/files/': `http://127.0.0.1:${process.env.NGINX_PORT ?? 8080}`,
    },
  },
});
