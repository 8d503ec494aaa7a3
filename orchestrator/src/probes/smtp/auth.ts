/**
 * SMTP AUTH (RFC 4954) helpers, pure: the PLAIN token, the choice of mechanism, and how a command
 * is shown in the transcript so that credentials never appear there.
 */

export const AUTH_METHODS = ["PLAIN", "LOGIN"] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const MASK = "****";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** The AUTH PLAIN response (RFC 4616): base64 of NUL user NUL password, with no authorization id. */
export function plainToken(user: string, pass: string): string {
  return base64(`\0${user}\0${pass}`);
}

/** The AUTH LOGIN answers to "Username:" and "Password:". */
export function loginAnswers(user: string, pass: string): [string, string] {
  return [base64(user), base64(pass)];
}

/** The mechanism asked for, else PLAIN when the server offers it, else LOGIN when it offers that, else PLAIN. */
export function chooseAuthMethod(requested: AuthMethod | undefined, offered: readonly string[]): AuthMethod {
  if (requested) return requested;
  const upper = offered.map((m) => m.toUpperCase());
  if (upper.includes("PLAIN")) return "PLAIN";
  if (upper.includes("LOGIN")) return "LOGIN";
  return "PLAIN";
}

/**
 * A command as the transcript shows it: "AUTH PLAIN <token>" becomes "AUTH PLAIN ****", and any
 * line sent in answer to a 334 challenge (a user name, a password, a token) becomes "****".
 */
export function maskCommand(command: string, answersChallenge: boolean): string {
  if (answersChallenge) return MASK;
  const m = /^(\s*AUTH\s+\S+)\s+\S/i.exec(command);
  return m ? `${m[1]} ${MASK}` : command;
}
