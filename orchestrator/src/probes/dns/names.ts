import { isIPv4, isIPv6 } from "node:net";

/** Domain-name helpers. Pure. Names are compared case-insensitively, as DNS does. */

/** The absolute form of a name: trailing dot, the root as ".". */
export function absoluteName(name: string): string {
  const trimmed = name.trim().replace(/\.+$/, "");
  return trimmed === "" ? "." : trimmed + ".";
}

/** Whether two names are the same domain name. */
export function sameName(a: string, b: string): boolean {
  return absoluteName(a).toLowerCase() === absoluteName(b).toLowerCase();
}

/** Whether `name` is `zone` or below it ("www.hamburger.edu." is below "edu." and "."). */
export function isAtOrBelow(name: string, zone: string): boolean {
  const n = absoluteName(name).toLowerCase();
  const z = absoluteName(zone).toLowerCase();
  return z === "." || n === z || n.endsWith("." + z);
}

/** Whether `name` is strictly below `zone`. */
export function isBelow(name: string, zone: string): boolean {
  return isAtOrBelow(name, zone) && !sameName(name, zone);
}

/** The number of labels of a name ("." has 0, "edu." 1). */
export function labelCount(name: string): number {
  const n = absoluteName(name);
  return n === "." ? 0 : n.split(".").length - 1;
}

/**
 * The reverse-lookup name of an IP address ("192.0.2.1" -> "1.2.0.192.in-addr.arpa."), or
 * undefined when `address` is not an IP address.
 */
export function reverseName(address: string): string | undefined {
  if (isIPv4(address)) return address.split(".").reverse().join(".") + ".in-addr.arpa.";
  if (isIPv6(address)) {
    const [head = "", tail = ""] = address.split("::");
    const groups = (s: string) => (s === "" ? [] : s.split(":"));
    const h = groups(head);
    const t = address.includes("::") ? groups(tail) : [];
    const all = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
    const nibbles = all.map((g) => g.padStart(4, "0")).join("").toLowerCase();
    return [...nibbles].reverse().join(".") + ".ip6.arpa.";
  }
  return undefined;
}
