/**
 * Just enough of the Amazon States Language to decide a Choice state from known data (a Map
 * item), for the history count: JSONPath data-test rules, `And`/`Or`/`Not`, and Parameters-style
 * selectors. Anything it cannot decide is `undefined`, and the count then follows every branch.
 */

/** `true`/`false` when the rule is decided by `input`, `undefined` when it cannot be. */
export type Decision = boolean | undefined;

const MISSING = Symbol('missing');

/** A plain `$`, `$.a.b` or `$['a'].b` path into `root`; `undefined` for anything fancier. */
export function readPath(root: unknown, path: string): unknown | typeof MISSING | undefined {
  if (path === '$') return root;
  const m = /^\$((?:\.[A-Za-z_][A-Za-z0-9_]*|\['[^']+'\])+)$/.exec(path);
  if (!m?.[1]) return undefined;
  const keys = [...m[1].matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\['([^']+)'\]/g)].map(
    (k) => (k[1] ?? k[2]) as string,
  );
  let value: unknown = root;
  for (const key of keys) {
    if (value === null || typeof value !== 'object' || !(key in value)) return MISSING;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const COMPARISONS: Record<string, (a: unknown, b: unknown) => Decision> = {
  StringEquals: (a, b) => (typeof a === 'string' ? a === b : undefined),
  BooleanEquals: (a, b) => (typeof a === 'boolean' ? a === b : undefined),
  NumericEquals: (a, b) => num(a, b, (x, y) => x === y),
  NumericLessThan: (a, b) => num(a, b, (x, y) => x < y),
  NumericLessThanEquals: (a, b) => num(a, b, (x, y) => x <= y),
  NumericGreaterThan: (a, b) => num(a, b, (x, y) => x > y),
  NumericGreaterThanEquals: (a, b) => num(a, b, (x, y) => x >= y),
  IsNull: (a, b) => (a === null) === b,
  IsString: (a, b) => (typeof a === 'string') === b,
  IsBoolean: (a, b) => (typeof a === 'boolean') === b,
  IsNumeric: (a, b) => (typeof a === 'number') === b,
};

function num(a: unknown, b: unknown, f: (x: number, y: number) => boolean): Decision {
  return typeof a === 'number' && typeof b === 'number' ? f(a, b) : undefined;
}

/** Evaluates one Choice rule (JSONPath form) against `input`. */
export function decideRule(rule: Record<string, unknown>, input: unknown): Decision {
  if (Array.isArray(rule.And)) return combine(rule.And, input, 'and');
  if (Array.isArray(rule.Or)) return combine(rule.Or, input, 'or');
  if (rule.Not && typeof rule.Not === 'object') {
    const inner = decideRule(rule.Not as Record<string, unknown>, input);
    return inner === undefined ? undefined : !inner;
  }
  if (typeof rule.Variable !== 'string') return undefined;
  const value = readPath(input, rule.Variable);
  if (value === undefined) return undefined;
  if ('IsPresent' in rule) return (value !== MISSING) === rule.IsPresent;
  if (value === MISSING) return undefined; // Step Functions fails the state: not a branch.
  for (const [operator, compare] of Object.entries(COMPARISONS)) {
    if (operator in rule) return compare(value, rule[operator]);
  }
  return undefined; // a *Path comparison, a Matches pattern, a timestamp: not decided here.
}

function combine(rules: unknown[], input: unknown, kind: 'and' | 'or'): Decision {
  const results = rules.map((r) => decideRule(r as Record<string, unknown>, input));
  // One false decides an And, one true an Or.
  const decisive = kind === 'or';
  if (results.includes(decisive)) return decisive;
  return results.includes(undefined) ? undefined : !decisive;
}

/**
 * The input a Map iteration starts with: the `ItemSelector` (or legacy `Parameters`) applied to
 * the item, or the item itself. Values from the Map's own input are unknown here (`undefined`).
 */
export function iterationInput(
  map: Record<string, unknown>,
  item: unknown,
  index: number,
): unknown {
  const selector = (map.ItemSelector ?? map.Parameters) as Record<string, unknown> | undefined;
  return selector ? select(selector, item, index) : item;
}

function select(template: Record<string, unknown>, item: unknown, index: number): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && typeof value === 'string') {
      const context = value.startsWith('$$.Map.Item.Value')
        ? readPath(item, `$${value.slice('$$.Map.Item.Value'.length)}`)
        : value === '$$.Map.Item.Index'
          ? index
          : undefined;
      out[key.slice(0, -2)] = context === MISSING ? undefined : context;
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = select(value as Record<string, unknown>, item, index);
    } else {
      out[key] = value;
    }
  }
  return out;
}
