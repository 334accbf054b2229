// The handler is shared with the edge route; only the runtime differs.
export { POST } from '@/lib/close';

export const runtime = 'nodejs';
