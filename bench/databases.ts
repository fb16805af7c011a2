/** Databases the benchmarks create on the local servers (never the demo's or a clinic's). */
export const BENCH_DB = {
  source: 'etl_bench_source',
  replica: 'etl_bench_replica',
  dump: 'etl_bench_dump',
  analytics: 'etl_bench_analytics',
  pgloader: 'etl_bench_pgloader',
};
