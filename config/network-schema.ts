import { z } from 'zod';
import { cidrProblem, ipv4Problem, isPublicIpv4 } from './cidr';
import { checkNewVpc } from './network-rules';
import { bool, int } from './schema-primitives';

/**
 * `aws.network`: how the runners (Lambda functions and Fargate tasks) reach the databases.
 * - `new_vpc`: a VPC made by the stack, optionally with a Site-to-Site VPN to the clinic;
 * - `existing_vpc`: a VPC, subnets and (optionally) a security group by id, for groups that
 *   already reach their clinics through Transit Gateway or Direct Connect;
 * - `local`: nothing in AWS; the CLI runs on a machine at the clinic.
 * The checks that span keys (CIDR overlap, a way out of the VPC) are in network-rules.ts.
 */

/** Reports `problem(value)` as the value's own issue, when there is one. */
const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

export const cidr = () => checked(cidrProblem);

/** The customer gateway: AWS reaches it over the internet, so it must be a public address. */
const publicIpv4 = () =>
  checked(
    (value) =>
      ipv4Problem(value) ??
      (isPublicIpv4(value)
        ? undefined
        : "must be the clinic router's public IPv4 address: this one is private or reserved"),
  );

export const VpnSchema = z.strictObject({
  /** The public IPv4 address of the clinic's VPN router (the customer gateway). */
  customer_gateway_ip: publicIpv4(),
  /** The clinic's networks: the source database's server is in one of them. */
  clinic_cidrs: z.array(cidr()).min(1),
  /**
   * The clinic router's BGP ASN for dynamic routing; omit for static routes to clinic_cidrs.
   * CloudFormation's customer gateway takes 1 to 2147483647.
   */
  bgp_asn: int(1, 2_147_483_647).optional(),
});

/** What every topology in AWS shares: which networks the runners may open connections to. */
const egress = {
  /**
   * Where the source database may be: default `vpn.clinic_cidrs` with a VPN, else the VPC's
   * CIDR. The runners' security group opens the source port to these only.
   */
  source_cidrs: z.array(cidr()).optional(),
  /**
   * Where the replica and analytics databases are when the stack does not provision them
   * (`aws.databases`): default the VPC's CIDR.
   */
  database_cidrs: z.array(cidr()).optional(),
};

export const NewVpcSchema = z
  .strictObject({
    type: z.literal('new_vpc'),
    /** The VPC's CIDR; must not overlap the clinic's networks. */
    cidr: cidr().default('10.40.0.0/16'),
    max_azs: int(2, 6).default(2),
    /** A NAT gateway for internet egress; the VPC endpoints make it unnecessary for AWS APIs. */
    nat_gateway: bool().default(false),
    vpn: VpnSchema.optional(),
    ...egress,
  })
  .superRefine(checkNewVpc);

export const ExistingVpcSchema = z.strictObject({
  type: z.literal('existing_vpc'),
  vpc_id: z.string().regex(/^vpc-[0-9a-f]+$/, 'must be a VPC id such as vpc-0abc123'),
  /** Private subnets that route to the databases (Transit Gateway, Direct Connect, VPN). */
  subnet_ids: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet id')).min(1),
  /** An existing security group for the runners; omit to have the stack create one. */
  security_group_id: z
    .string()
    .regex(/^sg-[0-9a-f]+$/, 'must be a security group id')
    .optional(),
  /** Create the VPC endpoints; false when the VPC already has them (or a NAT gateway). */
  endpoints: bool().default(true),
  ...egress,
});

export const LocalNetworkSchema = z.strictObject({ type: z.literal('local') });

export const NetworkSchema = z
  .discriminatedUnion('type', [NewVpcSchema, ExistingVpcSchema, LocalNetworkSchema])
  .prefault({ type: 'new_vpc' });

export type NetworkConfig = z.infer<typeof NetworkSchema>;
