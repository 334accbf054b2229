// Vite SSR build of a Node app: `vite build --ssr app.mjs` writes dist/app.mjs.
// `noExternal: true` bundles the dependencies too, so dist/ runs without node_modules.
import { defineConfig } from 'vite';

export default defineConfig({
  ssr: { noExternal: true },
});
