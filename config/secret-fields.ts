import { z } from 'zod';

/**
 * The configuration values that are credentials, marked where the schema declares them (with
 * {@link secret}) so that every copy of the configuration leaving the machine it was loaded on
 * (the CloudFormation template, a Lambda function's or a Fargate task's environment) can drop
 * them all, including fields added later: {@link withoutSecrets}.
 */
export const secretFields = z.registry<{ secret: true }>();

/** Marks a schema as holding a credential (a password, a webhook URL with its token). */
export function secret<T extends z.ZodType>(schema: T): T {
  secretFields.add(schema, { secret: true });
  return schema;
}

/** A path into the configuration; `*` stands for every key of a record or item of an array. */
export type FieldPath = readonly string[];

/** Every leaf field the schema declares, with whether it is marked secret. */
export function schemaFields(schema: z.ZodType): { path: FieldPath; secret: boolean }[] {
  const fields = new Map<string, { path: FieldPath; secret: boolean }>();
  const visit = (node: unknown, path: string[], marked: boolean, depth: number): void => {
    if (depth > 40) return;
    const s = node as z.ZodType & { def: Record<string, unknown> & { type: string } };
    const isSecret = marked || secretFields.has(s);
    const def = s.def;
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
      case 'catch':
        visit(def.innerType, path, isSecret, depth + 1);
        return;
      case 'pipe': {
        // z.preprocess is a pipe from a transform to the schema that validates.
        const input = def.in as { def: { type: string } };
        visit(input.def.type === 'transform' ? def.out : input, path, isSecret, depth + 1);
        return;
      }
      case 'object':
        for (const [key, child] of Object.entries(def.shape as Record<string, unknown>))
          visit(child, [...path, key], isSecret, depth + 1);
        return;
      case 'union':
        for (const option of def.options as unknown[]) visit(option, path, isSecret, depth + 1);
        return;
      case 'record':
        visit(def.valueType, [...path, '*'], isSecret, depth + 1);
        return;
      case 'array':
        visit(def.element, [...path, '*'], isSecret, depth + 1);
        return;
      default: {
        const key = path.join('.');
        const known = fields.get(key);
        fields.set(key, { path, secret: isSecret || (known?.secret ?? false) });
      }
    }
  };
  visit(schema, [], false, 0);
  return [...fields.values()];
}

/** The paths of the fields marked secret. */
export function secretPaths(schema: z.ZodType): FieldPath[] {
  return schemaFields(schema)
    .filter((f) => f.secret)
    .map((f) => f.path);
}

/**
 * A deep copy of `value` (a configuration parsed by `schema`) without any field marked secret:
 * the fields are removed, so parsing the copy again gives each its default (an empty password)
 * or leaves it unset.
 */
export function withoutSecrets<T>(schema: z.ZodType, value: T): T {
  const copy = structuredClone(value);
  for (const path of secretPaths(schema)) removeAt(copy, path);
  return copy;
}

function removeAt(node: unknown, path: FieldPath): void {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (Array.isArray(node) && head === '*' && rest.length === 0) {
    node.length = 0;
    return;
  }
  const record = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : [head];
  for (const key of keys) {
    if (!(key in record)) continue;
    if (rest.length === 0) delete record[key];
    else removeAt(record[key], rest);
  }
}
