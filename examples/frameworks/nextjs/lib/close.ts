import { errorResponse, ttpay } from '@/lib/ttpay';

/** POST { transactionId }: the typed result, or the typed error as `{ kind, code, message }`. */
export async function POST(request: Request) {
  const { transactionId } = await request.json().catch(() => ({}));
  const client = ttpay(); // an unset TTPAY_* variable throws here: a 500, named in the server log
  try {
    const result = await client.closeOrder({ transactionId });
    // x-runtime tells the test which runtime answered; your app does not need it.
    return Response.json(result, { headers: { 'x-runtime': 'EdgeRuntime' in globalThis ? 'edge' : 'nodejs' } });
  } catch (err) {
    return errorResponse(err);
  }
}
