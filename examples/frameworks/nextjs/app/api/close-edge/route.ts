// The same handler as app/api/close, in the edge runtime.
export { POST } from '@/lib/close';

export const runtime = 'edge';
