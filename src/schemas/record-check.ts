import { z } from 'zod';
import { builtInSchemas, type BuiltInSchemaName } from './built-in';
import { declaredField, type DeclaredFieldType } from './field-types';

/** One reason a record failed its schema: where in the record, and what was wrong (never the value itself). */
export interface RecordIssue {
  path: string;
  message: string;
}

/** Issues of one record against its resource's schema; empty when it is valid. */
export type RecordCheck = (record: unknown) => RecordIssue[];

/** A minimal schema declared in a spec: dotted field paths and their JSON types. */
export interface DeclaredSchema {
  required: Record<string, DeclaredFieldType>;
  optional: Record<string, DeclaredFieldType>;
}

export type SchemaChoice = BuiltInSchemaName | DeclaredSchema;

interface FieldTree {
  [name: string]: { type?: DeclaredFieldType; required: boolean; children: FieldTree };
}

/** A tree without a prototype, so a declared field named `constructor` is a field like any other. */
const emptyTree = (): FieldTree => Object.create(null) as FieldTree;

function addField(tree: FieldTree, path: string[], type: DeclaredFieldType, required: boolean): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const node = (tree[head] ??= { required: false, children: emptyTree() });
  // A parent of a required field is itself required; of optional fields only, it may be absent.
  node.required ||= required;
  if (rest.length === 0) node.type = type;
  else addField(node.children, rest, type, required);
}

function objectOf(tree: FieldTree): z.ZodType {
  const shape = Object.entries(tree).map(([name, node]): [string, z.ZodType] => {
    const field = node.type !== undefined ? declaredField(node.type) : objectOf(node.children);
    return [name, node.required ? field : field.nullable().optional()];
  });
  // fromEntries defines own fields, so even `__proto__` is a field name rather than the shape's prototype.
  return z.looseObject(Object.fromEntries(shape));
}

/** The zod schema of a declared one: unknown fields pass, declared ones must have their type. */
export function declaredSchema(declared: DeclaredSchema): z.ZodType {
  const tree = emptyTree();
  for (const [path, type] of Object.entries(declared.required)) addField(tree, path.split('.'), type, true);
  for (const [path, type] of Object.entries(declared.optional)) addField(tree, path.split('.'), type, false);
  return objectOf(tree);
}

/**
 * A copy of parsed JSON whose objects have no prototype. zod reads a declared field with `record[name]`, which
 * would find `Object.prototype.constructor` for a record without a `constructor` field; on the copy only the
 * record's own fields exist.
 */
function ownFieldsOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ownFieldsOnly);
  if (value === null || typeof value !== 'object') return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [name, field] of Object.entries(value)) copy[name] = ownFieldsOnly(field);
  return copy;
}

/** The check a resource's records must pass, or none when its spec names no schema. */
export function recordCheckFor(choice: SchemaChoice | undefined): RecordCheck | undefined {
  if (choice === undefined) return undefined;
  const schema = typeof choice === 'string' ? builtInSchemas[choice] : declaredSchema(choice);
  return (record) => {
    const result = schema.safeParse(ownFieldsOnly(record));
    if (result.success) return [];
    return result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(record)', message: issue.message }));
  };
}

export function describeIssues(issues: RecordIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
