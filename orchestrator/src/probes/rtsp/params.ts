import { Type, type Static } from "typebox";
import {
  DEFAULT_PATH,
  DEFAULT_PAUSE_MS,
  DEFAULT_PLAY_MS,
  DEFAULT_TEARDOWN_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_RECEIVE_MS,
  MAX_TOTAL_RECEIVE_MS,
  RAW_METHODS,
  RTSP_PORT,
  RTSP_TRANSPORTS,
} from "./types.ts";

/**
 * The parameters of the RTSP probe, and the checks a schema cannot express. No `default:` here:
 * the scenario loader would fill it in; defaults are the probe's, written in the descriptions.
 */

const strict = { additionalProperties: false } as const;
const receiveMs = (description: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RECEIVE_MS, description }));
const resourcePath = (description: string) => Type.String({ minLength: 1, maxLength: 1024, description });

export const rtspActionSchema = Type.Union(
  [
    Type.Object({ options: Type.Literal(true, { description: "OPTIONS: record the Public methods" }) }, strict),
    Type.Object(
      { describe: Type.Union([Type.Literal(true), resourcePath("DESCRIBE this path instead, e.g. /other")], { description: "DESCRIBE the probe's path (true) or another path" }) },
      strict,
    ),
    Type.Object(
      {
        setup: Type.Union(
          [
            Type.Literal("all"),
            Type.Array(Type.Integer({ minimum: 0, maximum: 127 }), { minItems: 1, maxItems: 32, description: "Track indexes of the last DESCRIBE, e.g. [0, 1]" }),
          ],
          { description: 'SETUP every track of the last DESCRIBE ("all") or the listed ones' },
        ),
      },
      strict,
    ),
    Type.Object(
      {
        play: Type.Literal(true, { description: "PLAY the session (aggregate URL), then receive" }),
        receiveMs: receiveMs(`How long to receive after the reply; default ${DEFAULT_PLAY_MS}`),
        range: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A Range header to send, e.g. "npt=0-"' })),
      },
      strict,
    ),
    Type.Object(
      { pause: Type.Literal(true, { description: "PAUSE the session, then watch what still arrives" }), receiveMs: receiveMs(`The window after the reply; default ${DEFAULT_PAUSE_MS}`) },
      strict,
    ),
    Type.Object(
      {
        teardown: Type.Literal(true, { description: "TEARDOWN the session, then watch what still arrives" }),
        receiveMs: receiveMs(`The window after the reply; default ${DEFAULT_TEARDOWN_MS}`),
      },
      strict,
    ),
    Type.Object({ getParameter: Type.Literal(true, { description: "GET_PARAMETER with no body: a keep-alive" }) }, strict),
    Type.Object(
      {
        request: Type.Enum([...RAW_METHODS], { description: "Send one request of this method as it is; the probe's own session state does not change" }),
        session: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The Session header to send (e.g. a wrong one, for 454); without it none is sent" })),
        url: Type.Optional(
          Type.String({ minLength: 1, maxLength: 1024, description: 'The request URL: rtsp://..., a path such as /twister, or "*"; default the session\'s aggregate URL, else the probe\'s URL' }),
        ),
      },
      strict,
    ),
    Type.Object({ wait: Type.Integer({ minimum: 0, maximum: MAX_RECEIVE_MS, description: "Keep receiving for this many ms" }) }, strict),
  ],
  {
    description:
      '{options: true}, {describe: true | "/path"}, {setup: "all" | [i, ...]}, {play: true, receiveMs?, range?}, {pause: true, receiveMs?}, {teardown: true, receiveMs?}, {getParameter: true}, {request: METHOD, session?, url?} or {wait: ms}',
  },
);

export type RtspAction = Static<typeof rtspActionSchema>;

export const rtspParamsSchema = Type.Object(
  {
    server: Type.String({ minLength: 1, description: "The RTSP server: a compose service, a lab host name or an address" }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: `The RTSP port; default ${RTSP_PORT}` })),
    path: Type.Optional(resourcePath(`The presentation's path, starting with "/"; default "${DEFAULT_PATH}"`)),
    transport: Type.Optional(Type.Enum([...RTSP_TRANSPORTS], { description: "udp: RTP/AVP to client_port pairs (default); tcp: RTP/AVP/TCP interleaved on the RTSP connection" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, description: `Timeout of connecting and of each reply, ms; default ${DEFAULT_TIMEOUT_MS}` })),
    actions: Type.Optional(
      Type.Array(rtspActionSchema, {
        maxItems: 100,
        description: `What to do, in order, on one RTSP connection; default options, describe, setup all, play ${DEFAULT_PLAY_MS} ms, teardown`,
      }),
    ),
  },
  strict,
);

export type RtspProbeParams = Static<typeof rtspParamsSchema>;

/** The actions when none are given: the whole playback sequence. */
export const DEFAULT_ACTIONS: readonly RtspAction[] = [{ options: true }, { describe: true }, { setup: "all" }, { play: true, receiveMs: DEFAULT_PLAY_MS }, { teardown: true }];

/** How long an action receives (its window), ms. */
export function receiveMsOf(action: RtspAction): number {
  if ("play" in action) return action.receiveMs ?? DEFAULT_PLAY_MS;
  if ("pause" in action) return action.receiveMs ?? DEFAULT_PAUSE_MS;
  if ("teardown" in action) return action.receiveMs ?? DEFAULT_TEARDOWN_MS;
  if ("wait" in action) return action.wait;
  return 0;
}

const PATH = /^\/[^\s\0]*$/;
const ONE_LINE = /^[^\r\n\0]*$/;

/** What the schema cannot say. */
export function paramProblems(params: RtspProbeParams): string[] {
  const problems: string[] = [];
  if (params.path !== undefined && !PATH.test(params.path)) problems.push(`path ${JSON.stringify(params.path)} must start with "/" and contain no white space, e.g. "${DEFAULT_PATH}"`);
  let total = 0;
  (params.actions ?? DEFAULT_ACTIONS).forEach((action, i) => {
    const where = `actions[${i}]`;
    total += receiveMsOf(action);
    if ("describe" in action && typeof action.describe === "string" && !PATH.test(action.describe)) {
      problems.push(`${where}: describe ${JSON.stringify(action.describe)} must be a path starting with "/" without white space, or true`);
    }
    if ("setup" in action && Array.isArray(action.setup) && new Set(action.setup).size !== action.setup.length) {
      problems.push(`${where}: setup lists a track twice (${JSON.stringify(action.setup)})`);
    }
    if ("range" in action && action.range !== undefined && !ONE_LINE.test(action.range)) problems.push(`${where}: range must be one line`);
    if ("request" in action) {
      if (action.session !== undefined && !/^[^\r\n\0]+$/.test(action.session)) problems.push(`${where}: session must be one line`);
      if (action.url !== undefined && !(action.url === "*" || PATH.test(action.url) || /^rtsps?:\/\/\S+$/i.test(action.url))) {
        problems.push(`${where}: url ${JSON.stringify(action.url)} must be an rtsp:// URL, a path starting with "/", or "*"`);
      }
    }
  });
  if (total > MAX_TOTAL_RECEIVE_MS) problems.push(`the receive windows add up to ${total} ms, more than the ${MAX_TOTAL_RECEIVE_MS} ms one probe call may take; split the actions over several steps`);
  return problems;
}
