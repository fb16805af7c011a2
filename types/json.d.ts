// JSON data files are typed where they are read (core/opendental/*.ts), not inferred by tsc:
// the vendored OpenDental schema is too large for useful inference.
declare module '*.json' {
  const value: unknown;
  export default value;
}

declare module 'asl-validator' {
  const validator: unknown;
  export default validator;
}
