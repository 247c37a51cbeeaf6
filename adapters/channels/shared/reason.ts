// The innermost cause of a failed API call, in a phrase: "connect ECONNREFUSED 127.0.0.1:9" rather than the
// SDK's "Network request for 'getMe' failed!" or fetch's "fetch failed".

/** Follows `cause` (and grammY's `error`) down to the last error that says something. */
export function innermostReason(err: unknown): string {
  let reason = err instanceof Error ? err.message : String(err);
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (current.message) reason = current.message;
    const next: unknown = current.cause ?? (current as { error?: unknown }).error;
    if (next === current) break;
    current = next;
  }
  return reason.replace(/\s*\n\s*/g, '; ').replace(/[.\s]+$/, '');
}
