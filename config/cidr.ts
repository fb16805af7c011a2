import ipaddr from 'ipaddr.js';

/**
 * IPv4 addresses and CIDR blocks as the network configuration writes them: four decimal numbers
 * without leading zeros (ipaddr.js alone would also read `010.0.0.1` as octal or `10.1` as
 * 10.0.0.1), a prefix of 0 to 32, and no host bits set.
 */

/** Why `text` is not an IPv4 address in dotted decimal, or undefined when it is one. */
export function ipv4Problem(text: string): string | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(text)
    ? undefined
    : 'must be an IPv4 address: four numbers from 0 to 255, such as 203.0.113.10';
}

/** Why `text` is not an IPv4 CIDR block (network address / prefix), or undefined when it is. */
export function cidrProblem(text: string): string | undefined {
  const match = /^([^/]*)\/(\d{1,2})$/.exec(text);
  const address = match?.[1] ?? '';
  const prefix = Number(match?.[2]);
  if (!match || !ipaddr.IPv4.isValidFourPartDecimal(address) || prefix > 32) {
    return 'must be an IPv4 CIDR block: four numbers from 0 to 255, then /0 to /32, such as 10.40.0.0/16';
  }
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== address) {
    return `has host bits set for a /${prefix}: its network address is ${network}/${prefix}`;
  }
  return undefined;
}

/** The prefix length of a valid CIDR block. */
export function prefixOf(cidr: string): number {
  return ipaddr.IPv4.parseCIDR(cidr)[1];
}

/** Whether two valid CIDR blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [first, firstPrefix] = ipaddr.IPv4.parseCIDR(a);
  const [second, secondPrefix] = ipaddr.IPv4.parseCIDR(b);
  return first.match(second, secondPrefix) || second.match(first, firstPrefix);
}

/** Whether valid CIDR block `inner` lies wholly inside valid CIDR block `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const [network, prefix] = ipaddr.IPv4.parseCIDR(inner);
  const [outerNetwork, outerPrefix] = ipaddr.IPv4.parseCIDR(outer);
  return prefix >= outerPrefix && network.match(outerNetwork, outerPrefix);
}

/** Whether a valid IPv4 address is publicly routable (not private, shared, reserved, …). */
export function isPublicIpv4(address: string): boolean {
  return ipaddr.IPv4.parse(address).range() === 'unicast';
}
