import type { Client, ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { LMS_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

/** The server's name of each SDK search-attribute type. */
const INDEXED_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/** The names of ours not yet registered on the namespace. */
export async function missingSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return LMS_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => customAttributes?.[name] === undefined);
}

/** Registers ours on the namespace (`lms-export setup`); those present already are left as they are. */
export async function registerSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const missing = new Set(await missingSearchAttributes(connection, namespace));
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of LMS_SEARCH_ATTRIBUTES) if (missing.has(key.name)) searchAttributes[key.name] = INDEXED_TYPE[key.type] as temporal.api.enums.v1.IndexedValueType;
  if (missing.size > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return [...missing];
}

const registered = new WeakMap<Client, Promise<boolean>>();

/** Whether this client's namespace has all of ours (asked once per client): a run carries them only then. */
export function searchAttributesRegistered(client: Client): Promise<boolean> {
  let known = registered.get(client);
  if (known === undefined) {
    known = missingSearchAttributes(client.connection, client.options.namespace).then((missing) => missing.length === 0, () => false);
    registered.set(client, known);
  }
  return known;
}
