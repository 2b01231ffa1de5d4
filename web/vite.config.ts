import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The node serves dist/ at /; during `npm run dev` the API is proxied to a local node (DUPA_NODE, default https://127.0.0.1:8443).
export default defineConfig({
  plugins: [react()],
  build: {
    // The node's Content-Security-Policy allows no inline script: keep the module preload polyfill out of index.html.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: process.env.DUPA_NODE ?? 'https://127.0.0.1:8443', secure: false, ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
