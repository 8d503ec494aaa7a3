import { beforeAll, describe, expect, it } from "vitest";
import { explain, runScenario, sh, type Run, type RunStep } from "./lab.ts";

interface Totals {
  expected: number;
  lost: number;
  lossPercent: number;
}

describe("scenario rtsp-playback", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("rtsp-playback"));
  }, 120_000);

  it("passes: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, PLAY, TEARDOWN over UDP and interleaved TCP, 454 and 404", () => {
    expect(run.status, explain(run)).toBe("passed");
  });

  it("receives both tracks with the payload types of the SDP and reads the server's sender reports", () => {
    const tracks = (step("udp").result as { tracks: { encoding: string; payloadType: number; rtp: { packets: number }; rtcp: { senderReports: number } }[] }).tracks;
    expect(tracks.map((t) => [t.encoding, t.payloadType])).toEqual([["PCMU", 0], ["JPEG", 26]]);
    for (const t of tracks) {
      expect(t.rtp.packets).toBeGreaterThan(0);
      expect(t.rtcp.senderReports).toBeGreaterThan(0);
    }
  });
});

describe("scenario rtsp-lossy", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("rtsp-lossy"));
  }, 120_000);

  it("passes: the client's measured RTP loss is 5% within 2.5 points, and the loss is removed", () => {
    expect(run.status, explain(run)).toBe("passed");
    expect(run.cleanup.filter((c) => !c.ok)).toEqual([]);
  });

  it("the client's measured RTP loss is within 2.5 points of the share of the server's packets the fault dropped", () => {
    const totals = (step("play").result as { totals: Totals }).totals;
    const counters = (step("healed").result as { counters: { measuredPercent: number } }).counters;
    console.log(`[rtsp-lossy] RTP loss measured by the client ${totals.lossPercent}% (${totals.lost} of ${totals.expected}); the fault dropped ${counters.measuredPercent}% of the server's packets`);
    const off = Math.abs(totals.lossPercent - counters.measuredPercent);
    expect(off, `client ${totals.lossPercent}%, fault ${counters.measuredPercent}%: ${off.toFixed(2)} points apart, bound 2.5`).toBeLessThan(2.5);
  });
});

describe("RTSP from Bob's workstation, as the README shows", () => {
  it("telnet to port 554 and DESCRIBE: the SDP has PCMU as payload type 0 and a JPEG video track", async () => {
    const r = await sh("bob", `(printf 'DESCRIBE rtsp://media.someschool.edu/twister RTSP/1.0\\nCSeq: 1\\n\\n'; sleep 2) | telnet media.someschool.edu 554`);
    expect(r.out).toMatch(/^RTSP\/1\.0 200 OK\r?$/m);
    expect(r.out).toMatch(/^m=audio 0 RTP\/AVP 0\r?$/m);
    expect(r.out).toMatch(/^a=rtpmap:0 PCMU\/8000\r?$/m);
    expect(r.out).toMatch(/^m=video 0 RTP\/AVP 26\r?$/m);
  });
});
