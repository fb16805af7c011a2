import { describe, expect, it } from 'vitest';
import { cidrProblem, cidrsOverlap, cidrWithin } from '../../config/cidr';
import { configErrorOf, loadConfigText } from '../helpers/config-files';

/** A pipeline.yml whose `aws.network` is the given YAML (indented under it). */
function pipelineWith(network: string): string {
  const indented = network
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `aws:\n  network:\n${indented}\n`;
}
const load = (network: string) => loadConfigText(pipelineWith(network)).pipeline.aws.network;
/** The loader's message for a refused `aws.network`. */
const refusal = (network: string) => configErrorOf(pipelineWith(network));

const VPN = `
type: new_vpc
cidr: 10.40.0.0/16
vpn:
  customer_gateway_ip: 44.192.10.20
  clinic_cidrs:
    - 192.168.10.0/24
    - 10.40.128.0/20
`;

describe('aws.network in pipeline.yml', () => {
  it('defaults to a new VPC: 10.40.0.0/16 over two zones, no NAT gateway, no VPN', () => {
    const config = loadConfigText('');
    expect(config.pipeline.aws.network).toEqual({
      type: 'new_vpc',
      cidr: '10.40.0.0/16',
      max_azs: 2,
      nat_gateway: false,
    });
  });

  it('reads each topology', () => {
    expect(load(VPN.replace('10.40.128.0/20', '172.16.0.0/16'))).toMatchObject({
      type: 'new_vpc',
      vpn: { clinic_cidrs: ['192.168.10.0/24', '172.16.0.0/16'] },
    });
    expect(
      load('type: existing_vpc\nvpc_id: vpc-0abc123\nsubnet_ids: [subnet-0a, subnet-0b]'),
    ).toEqual({
      type: 'existing_vpc',
      vpc_id: 'vpc-0abc123',
      subnet_ids: ['subnet-0a', 'subnet-0b'],
      endpoints: true,
    });
    expect(load('type: local')).toEqual({ type: 'local' });
  });

  it('refuses a clinic network that overlaps the VPC, naming the file, line and key', () => {
    expect(refusal(VPN)).toMatch(
      /pipeline\.yml:9:11 aws\.network\.vpn\.clinic_cidrs\.1: overlaps the VPC's CIDR \(aws\.network\.cidr: 10\.40\.0\.0\/16\)/,
    );
  });

  it('refuses an overlap with the default VPC CIDR too, and source_cidrs that overlap it', () => {
    const message = refusal(`
type: new_vpc
nat_gateway: true
vpn:
  customer_gateway_ip: 44.192.10.20
  clinic_cidrs: [10.0.0.0/8]
source_cidrs: [10.40.7.0/24]
`);
    expect(message).toMatch(/pipeline\.yml:7:22 aws\.network\.vpn\.clinic_cidrs\.0: overlaps/);
    expect(message).toMatch(/pipeline\.yml:8:20 aws\.network\.source_cidrs\.0: overlaps/);
    expect(message).toMatch(/2 problems/);
  });

  it('refuses malformed CIDR blocks, each with what is wrong', () => {
    const message = refusal(`
type: new_vpc
cidr: 10.40.1.0/16
source_cidrs: [192.168.1.256/24, 10.1.0.0/33, 010.0.0.0/8, 192.168.1.0]
`);
    expect(message).toMatch(
      /aws\.network\.cidr: has host bits set for a \/16: its network address is 10\.40\.0\.0\/16/,
    );
    for (const i of [0, 1, 2, 3]) {
      expect(message).toMatch(
        new RegExp(`aws\\.network\\.source_cidrs\\.${i}: must be an IPv4 CIDR block`),
      );
    }
  });

  it('refuses a VPC block AWS would refuse or the stack could not divide', () => {
    expect(refusal('type: new_vpc\ncidr: 10.0.0.0/8')).toMatch(
      /aws\.network\.cidr: must be a \/16 to \/24 block/,
    );
    expect(refusal('type: new_vpc\ncidr: 10.40.0.0/26')).toMatch(/must be a \/16 to \/24 block/);
    expect(load('type: new_vpc\ncidr: 10.40.0.0/24')).toMatchObject({ cidr: '10.40.0.0/24' });
  });

  it('refuses a customer gateway address that is not public', () => {
    for (const address of ['192.168.1.1', '10.0.0.1', '100.64.0.1', '203.0.113.10']) {
      expect(
        refusal(
          `type: new_vpc\nvpn:\n  customer_gateway_ip: ${address}\n  clinic_cidrs: [192.168.10.0/24]`,
        ),
      ).toMatch(/aws\.network\.vpn\.customer_gateway_ip: must be the clinic router's public IPv4/);
    }
    expect(refusal(VPN.replace('44.192.10.20', '44.192.10'))).toMatch(
      /customer_gateway_ip: must be an IPv4 address/,
    );
  });

  it('refuses the ASN of the AWS side for the clinic router', () => {
    expect(refusal(`${VPN.replace('10.40.128.0/20', '172.16.0.0/16')}  bgp_asn: 64512`)).toMatch(
      /aws\.network\.vpn\.bgp_asn: is the ASN of the AWS side of the VPN \(64512\)/,
    );
  });

  it('refuses database networks that nothing routes to: outside the VPC, the VPN and without NAT', () => {
    const message = refusal(`
type: new_vpc
vpn:
  customer_gateway_ip: 44.192.10.20
  clinic_cidrs: [192.168.10.0/24]
source_cidrs: [192.168.10.5/32, 192.168.11.0/24]
database_cidrs: [10.40.3.0/24, 172.16.0.0/24]
`);
    expect(message).toMatch(/2 problems/);
    expect(message).toMatch(
      /aws\.network\.source_cidrs\.1: is outside the VPC and outside every vpn\.clinic_cidrs block: nothing routes to it without a NAT gateway/,
    );
    expect(message).toMatch(/aws\.network\.database_cidrs\.1: is outside the VPC/);
    // With a NAT gateway they may be anywhere (a database at a public address, with TLS).
    expect(load('type: new_vpc\nnat_gateway: true\nsource_cidrs: [52.4.0.10/32]')).toMatchObject({
      source_cidrs: ['52.4.0.10/32'],
    });
  });

  it('refuses keys of another topology', () => {
    expect(refusal('type: local\ncidr: 10.40.0.0/16')).toMatch(/aws\.network\.cidr: unknown key/);
  });
});

describe('CIDR arithmetic (config/cidr.ts)', () => {
  it('tells overlapping and nested blocks apart', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.40.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.40.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(cidrsOverlap('10.40.0.0/16', '10.41.0.0/16')).toBe(false);
    expect(cidrsOverlap('192.168.0.0/24', '192.168.0.255/32')).toBe(true);
    expect(cidrWithin('192.168.0.128/25', '192.168.0.0/24')).toBe(true);
    expect(cidrWithin('192.168.0.0/23', '192.168.0.0/24')).toBe(false);
    expect(cidrProblem('0.0.0.0/0')).toBeUndefined();
    expect(cidrProblem('10.0.0.1/32')).toBeUndefined();
  });
});
