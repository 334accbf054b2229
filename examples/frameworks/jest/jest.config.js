// A typical React project's Jest config: jsdom for every test file by default. The test files that
// use ttpay-wasm opt into Node with a `/** @jest-environment node */` docblock at the very top.
module.exports = {
  testEnvironment: 'jsdom',
};
