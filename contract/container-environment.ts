import { type StageInput, StageInputSchema } from './stage';

/**
 * The codec between a stage input and a container's environment: how the state machine's
 * container overrides hand a Fargate task its input, and how the entrypoint reads it back.
 *
 * Every field of {@link StageInput} has an entry below (the mapped type makes a missing one a
 * compile error), so a field added to the input reaches Fargate. A value travels as the text
 * Step Functions' `States.Format('{}', value)` renders: strings as they are, booleans as
 * `true`/`false`. An absent optional field travels as the empty string.
 */
interface FieldCodec<T> {
  /** The environment variable that carries the field. */
  name: string;
  encode(value: T): string;
  decode(text: string): unknown;
}

const text = (name: string): FieldCodec<string> => ({
  name,
  encode: (value) => value,
  decode: (value) => value,
});

const flag = (name: string): FieldCodec<boolean> => ({
  name,
  encode: (value) => String(value),
  // Anything else stays text, so that the schema rejects it instead of reading it as false.
  decode: (value) => (value === 'true' ? true : value === 'false' ? false : value),
});

const count = (name: string): FieldCodec<number> => ({
  name,
  encode: (value) => String(value),
  // Anything but digits stays text, so that the schema rejects it.
  decode: (value) => (/^\d+$/.test(value) ? Number(value) : value),
});

export const STAGE_ENVIRONMENT: {
  [K in keyof StageInput]-?: FieldCodec<NonNullable<StageInput[K]>>;
} = {
  runId: text('ETL_RUN_ID'),
  table: text('ETL_TABLE'),
  stage: text('ETL_STAGE'),
  mode: text('ETL_MODE'),
  strategy: text('ETL_STRATEGY'),
  reconcile: flag('ETL_RECONCILE'),
  compareRows: count('ETL_COMPARE_ROWS'),
};

type Field = keyof StageInput;
const FIELDS = Object.keys(STAGE_ENVIRONMENT) as Field[];

/** The environment variables of a stage input, as the state machine's container overrides set them. */
export function encodeStageEnvironment(input: StageInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const field of FIELDS) {
    const codec = STAGE_ENVIRONMENT[field] as FieldCodec<unknown>;
    const value = input[field];
    env[codec.name] = value === undefined ? '' : codec.encode(value);
  }
  return env;
}

/** The stage input a container was started with; a ZodError when the environment is not one. */
export function decodeStageEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): StageInput {
  const fields: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const codec = STAGE_ENVIRONMENT[field];
    const value = env[codec.name];
    if (value !== undefined && value !== '') fields[field] = codec.decode(value);
  }
  return StageInputSchema.parse(fields);
}

/** A container override's environment (`[{ Name, Value }]`, as ECS RunTask takes it) as a record. */
export function environmentRecord(
  list: readonly { Name?: string; Value?: string }[] | undefined,
): Record<string, string> {
  return Object.fromEntries((list ?? []).map((e) => [e.Name ?? '', e.Value ?? '']));
}

/**
 * The stage input of a task's parameters, whichever runner: a Lambda task's payload (`Payload`,
 * or the input itself), or an ECS task's container overrides. Null when they hold none.
 */
export function stageInputOfTask(parameters: unknown): StageInput | null {
  const p = (parameters ?? {}) as {
    Payload?: unknown;
    Overrides?: { ContainerOverrides?: { Environment?: { Name?: string; Value?: string }[] }[] };
  };
  const environment = p.Overrides?.ContainerOverrides?.[0]?.Environment;
  try {
    return environment
      ? decodeStageEnvironment(environmentRecord(environment))
      : StageInputSchema.parse(p.Payload ?? parameters);
  } catch {
    return null;
  }
}
