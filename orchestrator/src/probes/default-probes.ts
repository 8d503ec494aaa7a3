import { dnsProbe } from "./dns/dns-probe.ts";
import { ftpProbe } from "./ftp/ftp-probe.ts";
import { httpProbe } from "./http/http-probe.ts";
import { httpmixProbe } from "./httpmix/httpmix-probe.ts";
import { imapProbe } from "./imap/imap-probe.ts";
import { logsProbe } from "./logs/logs-probe.ts";
import { pop3Probe } from "./pop3/pop3-probe.ts";
import { pxeProbe } from "./pxe/pxe-probe.ts";
import { rtspProbe } from "./rtsp/rtsp-probe.ts";
import { ProbeRegistry } from "./registry.ts";
import { smtpProbe } from "./smtp/smtp-probe.ts";
import { tftpProbe } from "./tftp/tftp-probe.ts";

/** Every probe the orchestrator offers to scenarios. */
export function defaultProbes(): ProbeRegistry {
  return new ProbeRegistry([dnsProbe, ftpProbe, httpProbe, httpmixProbe, imapProbe, logsProbe, pop3Probe, pxeProbe, rtspProbe, smtpProbe, tftpProbe]);
}
