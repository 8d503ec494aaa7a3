import { describe, expect, it } from "vitest";
import { CAPTURE_USAGE, captureQuery, parseCaptureCommand, parseRunCommand, RUN_USAGE } from "./run-args.ts";

describe("l7lab run: its options", () => {
  it("takes a scenario alone, with transcripts off", () => {
    expect(parseRunCommand(["dns-resolution"])).toEqual({ name: "dns-resolution", transcripts: false });
  });

  it("takes --pcap FILE and --pcap=FILE, with a filter either way", () => {
    expect(parseRunCommand(["mail-link-down", "--pcap", "out/run.pcapng"])).toEqual({ name: "mail-link-down", transcripts: false, pcap: "out/run.pcapng" });
    expect(parseRunCommand(["--pcap=run.pcapng", "mail-link-down"])).toEqual({ name: "mail-link-down", transcripts: false, pcap: "run.pcapng" });
    expect(parseRunCommand(["mail-link-down", "--pcap", "x.pcapng", "--filter", "tcp port 25"])).toMatchObject({ pcap: "x.pcapng", filter: "tcp port 25" });
    expect(parseRunCommand(["mail-link-down", "--filter=port 53 or port 25", "--pcap=x.pcapng"])).toMatchObject({ pcap: "x.pcapng", filter: "port 53 or port 25" });
  });

  it("keeps everything after the first = of an inline value", () => {
    expect(parseRunCommand(["s", "--pcap=a=b.pcapng"]).pcap).toBe("a=b.pcapng");
  });

  it("takes --transcript and --junit FILE with the rest", () => {
    expect(parseRunCommand(["smtp-errors", "--transcript", "--junit", "reports/smtp.xml", "--pcap", "smtp.pcapng"])).toEqual({
      name: "smtp-errors",
      transcripts: true,
      junit: "reports/smtp.xml",
      pcap: "smtp.pcapng",
    });
    expect(parseRunCommand(["smtp-errors", "--junit=r.xml"])).toEqual({ name: "smtp-errors", transcripts: false, junit: "r.xml" });
  });

  it("refuses --filter without --pcap: it narrows a capture", () => {
    expect(() => parseRunCommand(["s", "--filter", "port 25"])).toThrow(`--filter narrows a capture: give --pcap FILE too. ${RUN_USAGE}`);
  });

  it("refuses an option without its value", () => {
    expect(() => parseRunCommand(["s", "--pcap"])).toThrow(`--pcap needs a value. ${RUN_USAGE}`);
    expect(() => parseRunCommand(["s", "--pcap="])).toThrow("--pcap needs a value");
    expect(() => parseRunCommand(["s", "--junit", ""])).toThrow("--junit needs a value");
  });

  it("refuses an unknown option, listing the valid ones", () => {
    expect(() => parseRunCommand(["s", "--pcapng", "x"])).toThrow(`unknown option --pcapng; valid options are --transcript, --pcap, --filter, --junit. ${RUN_USAGE}`);
    expect(() => parseRunCommand(["s", "--capture=x"])).toThrow(/^unknown option --capture; valid options are /);
  });

  it("runs one scenario at a time, and needs one", () => {
    expect(() => parseRunCommand(["dns-resolution", "pxe-boot"])).toThrow(`one scenario at a time (got dns-resolution, pxe-boot). ${RUN_USAGE}`);
    expect(() => parseRunCommand(["a", "--pcap", "x.pcapng", "b"])).toThrow(/^one scenario at a time \(got a, b\)/);
    expect(() => parseRunCommand([])).toThrow(RUN_USAGE);
    expect(() => parseRunCommand(["--transcript"])).toThrow(RUN_USAGE);
  });
});

describe("l7lab capture: its options", () => {
  it("captures a service, or a network with --network", () => {
    expect(parseCaptureCommand(["mail-crepes"])).toEqual({ service: "mail-crepes" });
    expect(parseCaptureCommand(["--network", "campus"])).toEqual({ network: "campus" });
    expect(parseCaptureCommand(["--network=internet", "--filter", "udp port 53", "--seconds", "30"])).toEqual({ network: "internet", filter: "udp port 53", seconds: 30 });
    expect(parseCaptureCommand(["dns-resolver", "--seconds=3600"])).toEqual({ service: "dns-resolver", seconds: 3600 });
  });

  it("refuses both a service and a network, neither, or two services", () => {
    const message = `name one service, or one network with --network. ${CAPTURE_USAGE}`;
    expect(() => parseCaptureCommand(["www", "--network", "internet"])).toThrow(message);
    expect(() => parseCaptureCommand([])).toThrow(message);
    expect(() => parseCaptureCommand(["--filter", "port 80"])).toThrow(message);
    expect(() => parseCaptureCommand(["www", "proxy"])).toThrow(message);
  });

  it.each(["0", "3601", "1.5", "-5", "ten", "1e9"])("refuses --seconds %s: a whole number from 1 to 3600", (value) => {
    expect(() => parseCaptureCommand(["www", "--seconds", value])).toThrow(`--seconds takes a whole number from 1 to 3600, not "${value}". ${CAPTURE_USAGE}`);
  });

  it("refuses options it does not know, listing the ones it does", () => {
    expect(() => parseCaptureCommand(["www", "--pcap", "x"])).toThrow(`unknown option --pcap; valid options are --network, --filter, --seconds. ${CAPTURE_USAGE}`);
    expect(() => parseCaptureCommand(["--network"])).toThrow("--network needs a value");
  });
});

describe("captureQuery", () => {
  it("puts the capture's options in the query, the filter encoded so the server reads it back whole", () => {
    const filter = "tcp port 25 and (host 10.0.0.21 or host 10.0.0.25) && !arp";
    const query = captureQuery({ service: "mail-crepes", filter, seconds: 60 });
    // The filter's own "&&" and blanks do not split or end the query.
    expect(query.split("&")).toHaveLength(3);
    expect(query).not.toMatch(/[ ()!]/);
    const back = new URLSearchParams(query);
    expect(Object.fromEntries(back)).toEqual({ service: "mail-crepes", filter, seconds: "60" });
    expect(captureQuery({ network: "campus" })).toBe("network=campus");
  });

  it("round-trips what parseCaptureCommand read", () => {
    const command = parseCaptureCommand(["--network", "hamburger-mail-backend", "--filter", "port 24 or port 12345", "--seconds", "5"]);
    expect(Object.fromEntries(new URLSearchParams(captureQuery(command)))).toEqual({ network: "hamburger-mail-backend", filter: "port 24 or port 12345", seconds: "5" });
  });
});
