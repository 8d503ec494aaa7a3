import type { SearchObject } from "imapflow";
import type { ImapSearchCriteria } from "./types.ts";

/**
 * imapflow's search object for the scenario's criteria. Every criterion must match (IMAP ANDs the
 * keys); none at all, or `all: true`, means every message. A header with an empty text becomes
 * `true`, which asks for messages that have the header at all.
 */
export function searchQuery(criteria: ImapSearchCriteria): SearchObject {
  const query: SearchObject = {};
  if (criteria.subject !== undefined) query.subject = criteria.subject;
  if (criteria.from !== undefined) query.from = criteria.from;
  if (criteria.to !== undefined) query.to = criteria.to;
  if (criteria.header !== undefined) {
    const [name, value] = criteria.header;
    query.header = { [name]: value === "" ? true : value };
  }
  if (criteria.seen !== undefined) query.seen = criteria.seen;
  if (criteria.since !== undefined) query.since = new Date(criteria.since);
  if (criteria.all === true || Object.keys(query).length === 0) query.all = true;
  return query;
}
