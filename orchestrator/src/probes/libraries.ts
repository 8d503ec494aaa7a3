/**
 * The larger probe libraries, loaded on first use rather than when the orchestrator starts. Loaded
 * eagerly they were a fifth of its start (~0.3 CPU-s with Node's compile cache), and the lab is up
 * only when the orchestrator answers. The server preloads them once its API listens
 * (preloadProbeLibraries), so a probe does not normally wait for one; if it does, it waits on the
 * same promise, never loads one twice.
 */
const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
};

export const imapflow = once(() => import("imapflow"));
export const mailparser = once(() => import("mailparser"));
export const mailComposer = once(() => import("nodemailer/lib/mail-composer"));
export const undici = once(() => import("undici"));

export async function preloadProbeLibraries(): Promise<void> {
  await Promise.all([imapflow(), mailparser(), mailComposer(), undici()]);
}
