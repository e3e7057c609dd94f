import { defineConfig } from 'vite';

// Served by nginx at /explore/ in development (infra/nginx/nginx.conf.template); everything it
// loads is bundled here, so the page works on a machine without internet access.
export default defineConfig({
  root: import.meta.dirname,
  base: '/explore/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4_000,
    rolldownOptions: {
      // framer-motion (under GraphiQL) marks modules "use client", which means nothing in a plain SPA;
      // plugin timings vary with the machine's load and say nothing about the build.
      onLog(level, log, handler) {
        if (log.code !== 'MODULE_LEVEL_DIRECTIVE' && log.code !== 'PLUGIN_TIMINGS') handler(level, log);
      },
    },
  },
  logLevel: 'warn',
});
