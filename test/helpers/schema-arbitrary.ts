import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  type?: string;
  enum?: readonly (string | number)[];
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
};

/**
 * Values valid for an object schema, generated from its JSON Schema: enums, booleans, integers
 * and patterned strings, optional fields sometimes absent. A field of any other kind fails the
 * test that asks for it, so a new field of the contract cannot go untested.
 */
export function arbitraryOf<S extends z.ZodType>(schema: S): fc.Arbitrary<z.output<S>> {
  const json = z.toJSONSchema(schema, { io: 'output' }) as JsonSchema;
  const fields = Object.fromEntries(
    Object.entries(json.properties ?? {}).map(([name, field]) => [
      name,
      fieldArbitrary(name, field),
    ]),
  );
  return fc
    .record(fields, { requiredKeys: [...(json.required ?? [])] })
    .map((value) => schema.parse(value) as z.output<S>);
}

function fieldArbitrary(name: string, field: JsonSchema): fc.Arbitrary<unknown> {
  if (field.enum) return fc.constantFrom(...field.enum);
  if (field.type === 'boolean') return fc.boolean();
  if (field.type === 'integer') return fc.integer({ min: 0, max: 1_000_000 });
  if (field.type === 'number') return fc.double({ min: 0, max: 1e9, noNaN: true });
  if (field.type === 'string' && field.pattern)
    return fc.stringMatching(new RegExp(field.pattern)).filter((s) => s.length <= 64);
  if (field.type === 'string') return fc.string({ maxLength: 40 });
  throw new Error(`no generator for field ${name} (${JSON.stringify(field)}): add one`);
}
