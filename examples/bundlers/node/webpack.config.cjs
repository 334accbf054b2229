// webpack 5 for Node: `webpack --config webpack.config.cjs` writes dist-webpack/main.js.
const path = require('node:path');

module.exports = {
  mode: 'production',
  target: 'node',
  entry: './app.mjs',
  output: { path: path.resolve(__dirname, 'dist-webpack') },
};
