// Rollup for Node: `rollup -c` writes dist-rollup/app.mjs. node-resolve picks the package's
// `node` entry; commonjs is there for the CommonJS dependencies an app usually has.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';

export default {
  input: 'app.mjs',
  output: { file: 'dist-rollup/app.mjs', format: 'es' },
  plugins: [nodeResolve({ exportConditions: ['node'] }), commonjs()],
};
