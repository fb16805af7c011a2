import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf } from '../helpers/bare-stack';
import {
  endpointEgress,
  runnerEgress,
  type Synth,
  synthNetwork,
} from '../helpers/network-template';

const CLINIC = ['192.168.10.0/24', '172.20.0.0/22'];
const ROUTER = '44.192.10.20';

/** Route tables of the runners' subnets, as the template names them. */
const runnerRouteTables = (s: Synth) =>
  s.network.vpc
    .selectSubnets(s.network.subnets)
    .subnets.map((subnet) => s.stack.resolve(subnet.routeTable.routeTableId));

describe('aws.network new_vpc with a VPN, static routes (no bgp_asn)', () => {
  let s: Synth;
  beforeAll(() => {
    s = synthNetwork({
      type: 'new_vpc',
      vpn: { customer_gateway_ip: ROUTER, clinic_cidrs: CLINIC },
    });
  });

  it('attaches a virtual private gateway to the VPC', () => {
    s.template.resourceCountIs('AWS::EC2::VPNGateway', 1);
    s.template.hasResourceProperties('AWS::EC2::VPNGateway', { Type: 'ipsec.1' });
    const [gateway] = Object.keys(s.template.findResources('AWS::EC2::VPNGateway'));
    s.template.hasResourceProperties('AWS::EC2::VPCGatewayAttachment', {
      VpcId: { Ref: logicalIdOf(s.network.vpc) },
      VpnGatewayId: { Ref: gateway },
    });
  });

  it('has a customer gateway at the clinic router’s address, and a static-route connection to it', () => {
    const [customerGateway] = Object.keys(s.template.findResources('AWS::EC2::CustomerGateway'));
    s.template.hasResourceProperties('AWS::EC2::CustomerGateway', {
      IpAddress: ROUTER,
      BgpAsn: 65000,
      Type: 'ipsec.1',
    });
    const [gateway] = Object.keys(s.template.findResources('AWS::EC2::VPNGateway'));
    s.template.resourceCountIs('AWS::EC2::VPNConnection', 1);
    s.template.hasResourceProperties('AWS::EC2::VPNConnection', {
      Type: 'ipsec.1',
      StaticRoutesOnly: true,
      CustomerGatewayId: { Ref: customerGateway },
      VpnGatewayId: { Ref: gateway },
    });
  });

  it('routes each clinic network through the VPN', () => {
    const connection = logicalIdOf(s.network.vpn as NonNullable<Synth['network']['vpn']>);
    const routes = Object.values(s.template.findResources('AWS::EC2::VPNConnectionRoute'));
    expect(routes.map((r) => r.Properties)).toEqual(
      CLINIC.map((cidr) => ({
        DestinationCidrBlock: cidr,
        VpnConnectionId: { Ref: connection },
      })),
    );
  });

  it('propagates the gateway’s routes into the runners’ route tables, once attached', () => {
    const [gateway] = Object.keys(s.template.findResources('AWS::EC2::VPNGateway'));
    const propagations = Object.values(
      s.template.findResources('AWS::EC2::VPNGatewayRoutePropagation'),
    );
    expect(propagations).toHaveLength(1);
    expect(propagations[0]?.Properties).toEqual({
      RouteTableIds: runnerRouteTables(s),
      VpnGatewayId: { Ref: gateway },
    });
    expect(runnerRouteTables(s)).toHaveLength(2);
    const [attachment] = Object.keys(s.template.findResources('AWS::EC2::VPCGatewayAttachment'));
    expect(propagations[0]?.DependsOn).toEqual([attachment]);
  });

  it('opens the source port to the clinic’s networks only; the other databases stay in the VPC', () => {
    const rule = (port: number, cidr: string, description: string) => ({
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: port,
      CidrIp: cidr,
      Description: description,
    });
    expect(runnerEgress(s)).toEqual([
      ...CLINIC.map((cidr) => rule(3306, cidr, 'source database')),
      rule(3307, '10.40.0.0/16', 'replica database'),
      rule(5432, '10.40.0.0/16', 'analytics database'),
      ...endpointEgress(s),
    ]);
  });

  it('outputs the VPN connection id (the clinic’s router configuration is downloaded by it)', () => {
    expect(s.template.findOutputs('VpnConnectionId')).toEqual({
      VpnConnectionId: {
        Description: expect.stringContaining('router configuration'),
        Value: { Ref: logicalIdOf(s.network.vpn as NonNullable<Synth['network']['vpn']>) },
      },
    });
    expect(Object.keys(s.template.findOutputs('*')).sort()).toEqual([
      'RunnerSecurityGroupId',
      'VpnConnectionId',
    ]);
  });
});

describe('aws.network new_vpc with a VPN, BGP (bgp_asn)', () => {
  it('gives the customer gateway the clinic’s ASN, routes dynamically, and still propagates', () => {
    const s = synthNetwork({
      type: 'new_vpc',
      nat_gateway: true,
      vpn: { customer_gateway_ip: ROUTER, clinic_cidrs: CLINIC, bgp_asn: 65010 },
    });
    s.template.hasResourceProperties('AWS::EC2::CustomerGateway', { BgpAsn: 65010 });
    s.template.hasResourceProperties('AWS::EC2::VPNConnection', { StaticRoutesOnly: false });
    s.template.resourceCountIs('AWS::EC2::VPNConnectionRoute', 0);
    // With a NAT gateway the runners' subnets are the private ones with egress: those propagate.
    expect(s.network.vpc.privateSubnets).toHaveLength(2);
    s.template.hasResourceProperties('AWS::EC2::VPNGatewayRoutePropagation', {
      RouteTableIds: s.network.vpc.privateSubnets.map((subnet) =>
        s.stack.resolve(subnet.routeTable.routeTableId),
      ),
    });
  });
});
