/**
 * What PXELINUX does before it loads a kernel, as pure functions: the order in which it looks for
 * its configuration file, and the reading of that file. See the syslinux wiki, "PXELINUX"
 * (configuration file search) and "Config" (the directives).
 */

/** A MAC address as written in the lab: six hex pairs separated by ":" or "-". */
export const MAC_PATTERN = "^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$";
/** A UUID (the client's SMBIOS system UUID) in its usual 8-4-4-4-12 form. */
export const UUID_PATTERN = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

export interface PxeClientIdentity {
  mac: string;
  /** The client's IPv4 address (from DHCP, in a real boot). */
  ip: string;
  uuid?: string;
}

/** The IPv4 address as 8 upper-case hex digits: 10.1.0.77 → "0A01004D". */
export function hexAddress(ip: string): string {
  const octets = ip.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new RangeError(`"${ip}" is not an IPv4 address`);
  }
  return octets.map((o) => o.toString(16).toUpperCase().padStart(2, "0")).join("");
}

/**
 * The configuration files PXELINUX tries, in order, under `dir` (default "pxelinux.cfg"):
 *   1. the client's UUID, in lower case;
 *   2. "01-" (ARP type 1, Ethernet) and the MAC in lower-case hex pairs joined by dashes;
 *   3. the IPv4 address in upper-case hex, then with one digit removed from the end at a time,
 *      down to one digit (so a file can serve a whole subnet);
 *   4. "default".
 */
export function configCandidates(client: PxeClientIdentity, dir = "pxelinux.cfg"): string[] {
  const names: string[] = [];
  if (client.uuid !== undefined) names.push(client.uuid.toLowerCase());
  names.push(`01-${client.mac.toLowerCase().replace(/:/g, "-")}`);
  const hex = hexAddress(client.ip);
  for (let n = hex.length; n >= 1; n--) names.push(hex.slice(0, n));
  names.push("default");
  return names.map((n) => `${dir}/${n}`);
}

export interface PxeLabel {
  name: string;
  menuLabel?: string;
  /** KERNEL or LINUX: the file to load. */
  kernel?: string;
  /** INITRD (comma-separated) and any initrd= in APPEND, in order. */
  initrds: string[];
  append?: string;
}

export interface PxeConfig {
  /** The DEFAULT line's value (a label name, or a kernel command line). */
  default?: string;
  /** A global APPEND (before the first LABEL): it applies to every label without its own. */
  append?: string;
  prompt?: number;
  /** In tenths of a second. */
  timeout?: number;
  labels: PxeLabel[];
  /** The directives this reader does not interpret (MENU TITLE, SERIAL, ...), for the record. */
  ignored: string[];
}

/**
 * Reads a PXELINUX configuration file. Keywords are case-insensitive; "#" starts a comment line;
 * KERNEL and LINUX name the kernel; INITRD takes a comma-separated list; "initrd=" inside APPEND
 * also names initrds. Lines before the first LABEL are global.
 */
export function parsePxeConfig(text: string): PxeConfig {
  const config: PxeConfig = { labels: [], ignored: [] };
  let current: PxeLabel | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const value = (m[2] ?? "").trim();
    switch (keyword) {
      case "DEFAULT":
        config.default = value;
        break;
      case "PROMPT":
        config.prompt = Number(value);
        break;
      case "TIMEOUT":
        config.timeout = Number(value);
        break;
      case "LABEL":
        current = { name: value, initrds: [] };
        config.labels.push(current);
        break;
      case "KERNEL":
      case "LINUX":
        if (current) current.kernel = value;
        else config.ignored.push(line);
        break;
      case "INITRD":
        if (current) current.initrds.push(...splitList(value));
        else config.ignored.push(line);
        break;
      case "APPEND":
        if (current) {
          current.append = value;
          current.initrds.push(...initrdsIn(value));
        } else config.append = value;
        break;
      case "MENU":
        if (current && /^label\s+/i.test(value)) current.menuLabel = value.replace(/^label\s+/i, "");
        else config.ignored.push(line);
        break;
      default:
        config.ignored.push(line);
    }
  }
  return config;
}

function initrdsIn(append: string): string[] {
  return append.split(/\s+/).flatMap((arg) => splitList(/^initrd=(.+)$/.exec(arg)?.[1] ?? ""));
}

function splitList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}

/**
 * The label a client boots without a keypress, as PXELINUX chooses it: the label DEFAULT names
 * (its first word; any further words are added to the label's APPEND), or, when no label has that
 * name, DEFAULT itself as a kernel and its command line. With no DEFAULT, PXELINUX stops at its
 * "boot:" prompt ("No DEFAULT or UI configuration directive found!") and boots nothing by itself.
 * A label without an APPEND of its own takes the global one.
 */
export function chosenLabel(config: PxeConfig, override?: string): { label?: PxeLabel; problem?: string } {
  const want = override ?? config.default;
  if (want === undefined || want.trim() === "") {
    return { problem: "the configuration has no DEFAULT, so PXELINUX would stop at its boot: prompt and boot nothing by itself" };
  }
  const [name, ...extra] = want.trim().split(/\s+/);
  const found = config.labels.find((l) => l.name === name);
  if (found) {
    const append = [found.append ?? config.append, ...extra].filter((a) => a !== undefined && a !== "").join(" ");
    const label: PxeLabel = { ...found, initrds: found.append === undefined ? [...found.initrds, ...initrdsIn(config.append ?? "")] : [...found.initrds] };
    if (append !== "") label.append = append;
    return { label };
  }
  if (override !== undefined) {
    return { problem: `label "${override}" is not in the configuration; its labels are ${config.labels.map((l) => `"${l.name}"`).join(", ") || "(none)"}` };
  }
  return { label: { name: want, kernel: name!, initrds: initrdsIn(extra.join(" ")), append: extra.join(" ") } };
}

/**
 * A file name from the configuration as the path to ask the TFTP server for. PXELINUX resolves a
 * relative name against the directory the boot file came from; "::name" and "/name" mean the
 * server's root, asked for here without the leading slash (tftpd-hpa --secure serves from its root).
 */
export function resolveBootPath(name: string, bootfile: string): string {
  if (name.startsWith("/") || name.includes("::")) return name.replace(/^.*::/, "").replace(/^\/+/, "");
  const slash = bootfile.lastIndexOf("/");
  return slash < 0 ? name : `${bootfile.slice(0, slash + 1)}${name}`;
}
