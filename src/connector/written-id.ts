import type { IdSource, ResourceTypeName } from '../mapping/mapping-types.js';
import { isPlainObject } from '../scim/attributes.js';
import { type ScimError, scimErrors } from '../scim/errors.js';
import type { OperationOutcome } from './connector.js';
import type { AppView } from './gateway.js';

/** How a record is read through the mapping: its view, and the app id a value yields. */
interface RecordReading {
  view(record: Record<string, unknown>): Promise<AppView>;
  appIdIfAny(value: unknown): Promise<string | undefined>;
}

/**
 * The record an answer of create or update holds, or the app id it names, as `idFrom` says
 * (`source`). Without it: the record when the answer is one (an object of several keys from which
 * the id expression reads an id), else a bare id, a small object holding the id, or the last
 * segment of `Location`. A receipt of a few keys without an id is never taken for the record.
 */
export async function answeredRecordOrId(
  outcome: OperationOutcome,
  source: IdSource | undefined,
  reading: RecordReading,
): Promise<{ view?: AppView; id?: string }> {
  const { result, response } = outcome;
  switch (source?.from) {
    case 'location': {
      const id = idFromLocation(response.headers.location);
      return id === undefined ? {} : { id };
    }
    case 'header': {
      const id = response.headers[source.header]?.trim();
      return id ? { id } : {};
    }
    case 'response':
      if (typeof result === 'string' || typeof result === 'number') return { id: String(result) };
      if (isPlainObject(result) && (await reading.appIdIfAny(result)) !== undefined)
        return { view: await reading.view(result) };
      return {};
    default: {
      const id = await reading.appIdIfAny(result);
      if (isPlainObject(result) && Object.keys(result).length > 1 && id !== undefined)
        return { view: await reading.view(result) };
      if (typeof result === 'string' || typeof result === 'number') return { id: String(result) };
      const located = id ?? idFromLocation(response.headers.location);
      return located === undefined ? {} : { id: located };
    }
  }
}

/**
 * The 502 for a create whose answer names no id where `idFrom` says (or, without it, nowhere). It
 * names the setting, and says the record may exist: the IdP's retry of the create takes it over.
 */
export function noIdInAnswer(type: ResourceTypeName, source: IdSource | undefined): ScimError {
  const missing =
    source?.from === 'location'
      ? 'has no Location header'
      : source?.from === 'header'
        ? `has no ${source.header} header`
        : source?.from === 'response'
          ? 'names no id in what operations.create.response picks out'
          : "holds neither the record (with an id the mapping's id expression reads) nor its id, nor a Location header";
  const fix =
    'set operations.create.idFrom (response, location or { header: <name> }) to where the app names the id';
  return scimErrors.badGateway(
    `The app's answer to ${type} create ${missing}; the app may have created it, and a resent create takes it over (${fix})`,
  );
}

/** The last segment of a Location header: `/users/42.json` gives `42`. */
export function idFromLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const last = location.split('?')[0]?.replace(/\/+$/, '').split('/').pop();
  return last ? decodeURIComponent(last.replace(/\.json$/, '')) : undefined;
}
