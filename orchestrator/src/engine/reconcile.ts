/**
 * A set checker in the style of Jepsen's: given what was sent (each item accepted once) and what
 * was received, which items were lost (sent, never received), unexpected (received, never sent) and
 * duplicated (received more than once). Items are compared as text. Pure.
 */
export interface Reconciliation {
  sent: number;
  received: number;
  lost: string[];
  unexpected: string[];
  duplicated: string[];
  lostCount: number;
  unexpectedCount: number;
  duplicatedCount: number;
}

export function reconcile(sent: readonly unknown[], received: readonly unknown[]): Reconciliation {
  const key = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const sentSet = new Set(sent.map(key));
  const seen = new Map<string, number>();
  for (const r of received.map(key)) seen.set(r, (seen.get(r) ?? 0) + 1);
  const lost = [...sentSet].filter((s) => !seen.has(s)).sort();
  const unexpected = [...seen.keys()].filter((r) => !sentSet.has(r)).sort();
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([r]) => r).sort();
  return {
    sent: sentSet.size,
    received: received.length,
    lost,
    unexpected,
    duplicated,
    lostCount: lost.length,
    unexpectedCount: unexpected.length,
    duplicatedCount: duplicated.length,
  };
}
