import { describe, expect, it } from "vitest";
import { abortable } from "./abortable.ts";

describe("abortable", () => {
  it("settles with the work when there is no abort", async () => {
    await expect(abortable(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(abortable(Promise.reject(new Error("boom")), new AbortController().signal)).rejects.toThrow("boom");
  });

  it("rejects with the reason as soon as the signal aborts, even if the work never ends", async () => {
    const controller = new AbortController();
    const pending = abortable(new Promise<never>(() => undefined), controller.signal);
    controller.abort(new Error("stop now"));
    await expect(pending).rejects.toThrow("stop now");
  });

  it("rejects at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    await expect(abortable(Promise.resolve(1), controller.signal)).rejects.toThrow("too late");
  });
});
