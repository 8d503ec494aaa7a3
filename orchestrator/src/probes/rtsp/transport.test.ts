import dgram from "node:dgram";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { bindUdpPair, closeSocket, plainAddress } from "./transport.ts";

describe("bindUdpPair", () => {
  it("binds an even RTP port and RTCP on the next one, on the given address", async () => {
    const pairs = await Promise.all(Array.from({ length: 6 }, () => bindUdpPair("127.0.0.1")));
    try {
      for (const p of pairs) {
        expect(p.rtpPort % 2).toBe(0);
        expect(p.rtcpPort).toBe(p.rtpPort + 1);
        expect(p.rtp.address()).toMatchObject({ address: "127.0.0.1", port: p.rtpPort });
        expect(p.rtcp.address()).toMatchObject({ address: "127.0.0.1", port: p.rtcpPort });
      }
      // Datagrams arrive on each.
      const sender = dgram.createSocket("udp4");
      const got = once(pairs[0]!.rtcp, "message");
      sender.send(Buffer.from("rtcp"), pairs[0]!.rtcpPort, "127.0.0.1");
      expect(String((await got)[0])).toBe("rtcp");
      await closeSocket(sender);
    } finally {
      await Promise.all(pairs.flatMap((p) => [closeSocket(p.rtp), closeSocket(p.rtcp)]));
    }
  });

  it("an address this host does not have: the bind error is thrown", async () => {
    await expect(bindUdpPair("192.0.2.1", 2)).rejects.toThrow(/EADDRNOTAVAIL|cannot assign/i);
  });

  it("closeSocket twice is fine; plainAddress strips the IPv4-mapped prefix", async () => {
    const s = dgram.createSocket("udp4");
    s.bind(0, "127.0.0.1");
    await once(s, "listening");
    await closeSocket(s);
    await closeSocket(s);
    expect(plainAddress("::ffff:10.0.0.5")).toBe("10.0.0.5");
    expect(plainAddress(undefined)).toBe("");
  });
});
