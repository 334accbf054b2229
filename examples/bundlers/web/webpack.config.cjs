// webpack 5 for browsers: `webpack --config webpack.config.cjs` writes dist-webpack/main.js,
// which index.html loads.
const path = require('node:path');

module.exports = {
  mode: 'production',
  target: 'web',
  entry: './main.js',
  output: { path: path.resolve(__dirname, 'dist-webpack') },
};
