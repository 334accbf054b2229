// The Worker built by Vite with Cloudflare's plugin: `vite build` writes dist/<name>/index.js and
// the .wasm beside it (the plugin reads wrangler.toml).
import { defineConfig } from 'vite';
import { cloudflare } from '@cloudflare/vite-plugin';

export default defineConfig({
  plugins: [cloudflare()],
});
