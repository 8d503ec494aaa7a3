import { dnsProbe } from "./dns/dns-probe.ts";
import { ftpProbe } from "./ftp/ftp-probe.ts";
import { httpProbe } from "./http/http-probe.ts";
import { httpmixProbe } from "./httpmix/httpmix-probe.ts";
import { imapProbe } from "./imap/imap-probe.ts";
import { logsProbe } from "./logs/logs-probe.ts";
import { netbootProbe } from "./netboot/netboot-probe.ts";
import { pop3Probe } from "./pop3/pop3-probe.ts";
import { pxeProbe } from "./pxe/pxe-probe.ts";
import { rtspProbe } from "./rtsp/rtsp-probe.ts";
import type { Probe } from "./probe.ts";
import { ProbeRegistry } from "./registry.ts";
import { smtpProbe } from "./smtp/smtp-probe.ts";
import { tftpProbe } from "./tftp/tftp-probe.ts";
import { webpageProbe } from "./webpage/webpage-probe.ts";

/**
 * The probes that talk to the lab's servers over the lab networks: in the lab they run in the
 * prober (orchestrator/src/prober), which is on those networks and has nothing else.
 */
const NETWORK_PROBES = [dnsProbe, ftpProbe, httpProbe, httpmixProbe, imapProbe, pop3Probe, pxeProbe, rtspProbe, smtpProbe, tftpProbe, webpageProbe];
/**
 * The probes that read Docker (a service's log, a container's state) and so run where the Docker
 * socket is: the controller.
 */
const CONTROLLER_PROBES = [logsProbe, netbootProbe];

/** Every probe the orchestrator offers to scenarios, all in this process. */
export function defaultProbes(): ProbeRegistry {
  return new ProbeRegistry([...NETWORK_PROBES, ...CONTROLLER_PROBES]);
}

/** The probes the prober runs. */
export function networkProbes(): ProbeRegistry {
  return new ProbeRegistry(NETWORK_PROBES);
}

/**
 * Every probe, the network ones through `remote` (which runs one in the prober): the controller's
 * registry. Names, descriptions and parameter schemas are the same as defaultProbes().
 */
export function splitProbes(remote: (local: Probe) => Probe): ProbeRegistry {
  return new ProbeRegistry([...NETWORK_PROBES.map(remote), ...CONTROLLER_PROBES]);
}
