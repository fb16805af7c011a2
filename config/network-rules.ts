import type { z } from 'zod';
import { cidrProblem, cidrsOverlap, cidrWithin, prefixOf } from './cidr';

/**
 * The checks on `aws.network` that span several keys (network-schema.ts runs them after each
 * key is valid on its own). Each problem is reported at the key to change, so the loader names
 * its file:line and key path.
 */

/** The ASN AWS gives a virtual private gateway when none is chosen; the stack chooses none. */
export const AMAZON_SIDE_ASN = 64512;

/** What the checks read of a `new_vpc` network (its schema is in network-schema.ts). */
interface NewVpcShape {
  readonly cidr: string;
  readonly nat_gateway: boolean;
  readonly vpn?: { readonly clinic_cidrs: readonly string[]; readonly bgp_asn?: number };
  readonly source_cidrs?: readonly string[];
  readonly database_cidrs?: readonly string[];
}

/**
 * A new VPC must be a block AWS allows and the stack can divide, must not overlap the clinic's
 * networks or the source's (the VPC's local route would keep their traffic inside it), and every
 * database network must have a way out of the VPC: the VPN to the clinic, or a NAT gateway.
 */
export function checkNewVpc(network: NewVpcShape, ctx: z.RefinementCtx): void {
  const problem = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  // A block with a problem of its own is reported by its schema (zod runs this check anyway).
  const valid = (cidr: string) => cidrProblem(cidr) === undefined;
  const vpc = network.cidr;
  if (!valid(vpc)) return;
  const prefix = prefixOf(vpc);
  if (prefix < 16 || prefix > 24) {
    problem(
      ['cidr'],
      'must be a /16 to /24 block: AWS allows no VPC larger than a /16, and the subnets of two or more zones, with the VPC endpoints in each, need at least a /24',
    );
  }
  const overlap = `overlaps the VPC's CIDR (aws.network.cidr: ${vpc}): the VPC's local route would keep that traffic inside the VPC; give aws.network.cidr a block the clinic does not use`;
  const clinic = (network.vpn?.clinic_cidrs ?? []).filter(valid);
  const atClinic = (cidr: string) => clinic.some((c) => cidrWithin(cidr, c));
  const noWayOut = (what: string) =>
    `is outside the VPC${clinic.length > 0 ? ' and outside every vpn.clinic_cidrs block' : ', and there is no VPN'}: nothing routes to it without a NAT gateway (aws.network.nat_gateway: true) ${what}`;

  network.vpn?.clinic_cidrs.forEach((cidr, i) => {
    if (valid(cidr) && cidrsOverlap(cidr, vpc)) problem(['vpn', 'clinic_cidrs', i], overlap);
  });
  network.source_cidrs?.forEach((cidr, i) => {
    if (!valid(cidr)) return;
    if (cidrsOverlap(cidr, vpc)) problem(['source_cidrs', i], overlap);
    else if (!network.nat_gateway && !atClinic(cidr)) {
      problem(['source_cidrs', i], noWayOut('or a VPN to the network of the source database'));
    }
  });
  network.database_cidrs?.forEach((cidr, i) => {
    if (valid(cidr) && !network.nat_gateway && !cidrWithin(cidr, vpc) && !atClinic(cidr)) {
      problem(['database_cidrs', i], noWayOut('or a VPN to the network of the databases'));
    }
  });
  if (network.vpn?.bgp_asn === AMAZON_SIDE_ASN) {
    problem(
      ['vpn', 'bgp_asn'],
      `is the ASN of the AWS side of the VPN (${AMAZON_SIDE_ASN}): BGP needs the clinic router to have a different one`,
    );
  }
}
