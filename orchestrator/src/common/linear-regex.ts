/**
 * Regular expressions from requests and scenario files, run by RE2 (re2js, a pure-JavaScript port
 * of Google's RE2) rather than by JavaScript's own engine: RE2 matches in time linear in the text,
 * so no pattern can freeze the orchestrator (JavaScript's `^(a+)+$` on 26 characters took 10 s).
 * The price is RE2's syntax: no backreferences (\1) and no lookaround ((?=, (?!, (?<=).
 */
import { RE2JS } from "re2js";

export interface LinearRegex {
  /** Whether the pattern matches anywhere in `text`, as RegExp's test(). */
  test(text: string): boolean;
  /** The capture groups of the first match in `text` (undefined for a group that did not take part), or undefined when there is none. */
  groups(text: string): (string | undefined)[] | undefined;
}

/** Compiles `pattern`; an invalid one (or one RE2 does not run) throws an Error that says why. */
export function linearRegex(pattern: string): LinearRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (error) {
    throw new Error(`${(error as Error).message} (the lab runs regular expressions with RE2, in linear time: no backreferences like \\1, no lookaround like (?= or (?!)`, { cause: error });
  }
  return {
    test: (text) => re.test(text),
    groups: (text) => {
      const m = re.matcher(text);
      if (!m.find()) return undefined;
      return Array.from({ length: m.groupCount() }, (_, i) => m.group(i + 1) ?? undefined);
    },
  };
}
