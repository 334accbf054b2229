// The same app written with `require`, bundled by esbuild to CommonJS (see ../README.md).
const { TTPayClient, TTPayError } = require('ttpay-wasm');

async function main() {
  const env = process.env;
  const client = new TTPayClient({
    appId: env.TTPAY_APP_ID ?? 'ttpay-demo-app',
    appSecret: env.TTPAY_APP_SECRET ?? 'demo-secret-0123456789abcdefghij', // the mock's demo app
    mchId: env.TTPAY_MCH_ID ?? '100001',
    baseUrl: env.TTPAY_BASE_URL ?? 'http://127.0.0.1:8787',
  });
  const closed = await client.closeOrder({ transactionId: env.TTPAY_ORDER ?? 'order-1001' });
  let unknown;
  try {
    await client.closeOrder({ transactionId: 'no-such-order' });
  } catch (err) {
    if (!(err instanceof TTPayError)) throw err;
    unknown = { kind: err.kind, code: err.code, msg: err.msg };
  }
  console.log(JSON.stringify({ closed, unknown }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
