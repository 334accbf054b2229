// The declarations in a project with neither the DOM lib nor @types/node (a Worker project with
// only its own types, a library's strict build): nothing may refer to a global type it lacks.
import { TTPayClient, TTPayCode, TTPayError, closeOrder, type AbortSignalLike, type FetchLike } from 'ttpay-wasm';
import { DEMO_APP, startMockServer } from 'ttpay-wasm/mock';

declare const signal: AbortSignalLike;
declare const myFetch: FetchLike;

export async function use(): Promise<number> {
  const client = new TTPayClient({ ...DEMO_APP, fetch: myFetch });
  try {
    const r = await client.closeOrder({ transactionId: 'tx' }, { signal });
    return r.code;
  } catch (err) {
    if (err instanceof TTPayError && err.kind === 'api' && err.code === TTPayCode.DATA_ABSENT) return 1;
    throw err;
  } finally {
    await closeOrder({ ...DEMO_APP, transactionId: 'tx', signal });
    await (await startMockServer()).close();
  }
}
