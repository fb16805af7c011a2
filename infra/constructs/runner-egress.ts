import type { NetworkConfig } from '../../config/network-schema';

/** A network the stack deploys into: `aws.network` other than `local`. */
export type AwsNetworkConfig = Exclude<NetworkConfig, { type: 'local' }>;

/** `connections.<name>.port` of each database the runners open. */
export interface DatabasePorts {
  readonly source: number;
  readonly replication: number;
  readonly analytics: number;
}

/** One egress rule of the runners' security group: TCP to `port` of the `cidr` block. */
export interface DatabaseEgress {
  readonly cidr: string;
  readonly port: number;
  /** Which databases it is for (the rule's description). */
  readonly databases: readonly string[];
}

/**
 * Where the runners may open database connections, from `aws.network`: the source's port to
 * `source_cidrs` (default: the clinic's networks behind the VPN, else the VPC), the replica's and
 * the analytics database's ports to `database_cidrs` (default: the VPC). A block and port that
 * two databases share is one rule naming both.
 */
export function databaseEgress(
  network: AwsNetworkConfig,
  ports: DatabasePorts,
  /** The VPC's CIDR block: the default for both lists. */
  vpcCidr: string,
  /**
   * The databases the stack provisions (`aws.databases`): the runners reach those through a
   * rule naming the instance's security group (ManagedDatabases), so no block is opened for them.
   */
  provisioned: { replica: boolean; analytics: boolean } = { replica: false, analytics: false },
): DatabaseEgress[] {
  const clinic = network.type === 'new_vpc' ? network.vpn?.clinic_cidrs : undefined;
  const sourceCidrs = network.source_cidrs ?? clinic ?? [vpcCidr];
  const databaseCidrs = network.database_cidrs ?? [vpcCidr];
  const wanted = [
    ...sourceCidrs.map((cidr) => ({ cidr, port: ports.source, database: 'source' })),
    ...databaseCidrs.flatMap((cidr) => [
      ...(provisioned.replica ? [] : [{ cidr, port: ports.replication, database: 'replica' }]),
      ...(provisioned.analytics ? [] : [{ cidr, port: ports.analytics, database: 'analytics' }]),
    ]),
  ];
  const rules = new Map<string, { cidr: string; port: number; databases: string[] }>();
  for (const { cidr, port, database } of wanted) {
    const key = `${cidr}:${port}`;
    const rule = rules.get(key) ?? { cidr, port, databases: [] };
    if (!rule.databases.includes(database)) rule.databases.push(database);
    rules.set(key, rule);
  }
  return [...rules.values()];
}
