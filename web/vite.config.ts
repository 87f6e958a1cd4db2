// The console is one SPA under /console/. The agent desktop is split into its own chunk (it carries
// the twilio-taskrouter SDK), so the admin pages load without it.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string): string => new URL(path, import.meta.url).pathname;

export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [react()],
  // The SDK's CommonJS build reads `global`; browsers call it globalThis.
  define: { global: 'globalThis' },
  resolve: {
    alias: [
      // The SDK's `browser` build is a webpack bundle that still calls require(); bundle the
      // CommonJS main instead and give it browser stand-ins for the Node modules it names.
      { find: /^twilio-taskrouter$/, replacement: here('../node_modules/twilio-taskrouter/dist/index.commonjs2.js') },
      { find: /^https$/, replacement: here('src/agent/shims/https.ts') },
      { find: /^ws$/, replacement: here('src/agent/shims/ws.ts') },
      { find: /^path$/, replacement: 'path-browserify' },
      { find: /^@twilio-paste\/core\/(.*)$/, replacement: '@twilio-paste/$1' },
    ],
  },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    // The budget (issue 7) is on gzipped JS; the default 500 kB warning is on raw size.
    chunkSizeWarningLimit: 1500,
  },
});
