import { describe, it, expect } from 'vitest';
import { classifyAddress } from '../src/net/address.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.0.0.5', 'a private network address'],
    ['172.16.0.1', 'a private network address'],
    ['172.31.255.255', 'a private network address'],
    ['192.168.1.1', 'a private network address'],
    ['169.254.169.254', 'the cloud metadata address'],
    ['169.254.10.1', 'a link-local address'],
    ['100.100.100.200', 'the cloud metadata address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['100.127.255.255', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'an unspecified address'],
    ['0.1.2.3', 'a reserved address'],
    ['192.0.0.8', 'a reserved address'],
    ['192.0.2.1', 'a documentation address'],
    ['198.51.100.7', 'a documentation address'],
    ['203.0.113.9', 'a documentation address'],
    ['198.18.0.1', 'a benchmarking address'],
    ['198.19.255.255', 'a benchmarking address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['240.0.0.1', 'a reserved address'],
    ['255.255.255.255', 'a broadcast address'],
  ])('refuses IPv4 %s as %s', (ip, reason) => {
    expect(classifyAddress(ip)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '192.167.255.255',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '11.0.0.1',
    '126.255.255.255',
    '128.0.0.1',
  ])('accepts public IPv4 %s', (ip) => {
    expect(classifyAddress(ip)).toBeNull();
  });

  it.each([
    ['::1', 'a loopback address'],
    ['[::1]', 'a loopback address'],
    ['0:0:0:0:0:0:0:1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fc00::1', 'a private network address'],
    ['fd12:3456:789a::1', 'a private network address'],
    ['fd00:ec2::254', 'the cloud metadata address'],
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf:ffff::1', 'a link-local address'],
    ['fec0::1', 'a private network address'],
    ['ff02::1', 'a multicast address'],
    ['2001:db8::1', 'a documentation address'],
    ['2001:0:4136:e378::1', 'a reserved address'],
    ['100::1', 'a reserved address'],
    ['::7f00:1', 'a reserved address'],
    ['64:ff9b:1::a00:1', 'a reserved address'],
    ['4000::1', 'a reserved address'],
  ])('refuses IPv6 %s as %s', (ip, reason) => {
    expect(classifyAddress(ip)).toBe(reason);
  });

  it.each([
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::FFFF:10.1.2.3', 'a private network address'],
    ['::ffff:169.254.169.254', 'the cloud metadata address'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'a private network address'],
    ['64:ff9b::127.0.0.1', 'a loopback address'],
    ['64:ff9b::a9fe:a9fe', 'the cloud metadata address'],
    ['64:ff9b::192.168.0.1', 'a private network address'],
    ['2002:7f00:1::', 'a loopback address'],
    ['2002:a00:1::1', 'a private network address'],
    ['2002:a9fe:a9fe:1::1', 'the cloud metadata address'],
  ])('judges IPv6 %s by the IPv4 address inside it (%s)', (ip, reason) => {
    expect(classifyAddress(ip)).toBe(reason);
  });

  it.each([
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('accepts public IPv6 %s', (ip) => {
    expect(classifyAddress(ip)).toBeNull();
  });

  it.each(['', 'localhost', 'example.com', '256.0.0.1', '1.2.3', 'fe80::1::2'])('refuses %j, which is not an IP address', (input) => {
    expect(classifyAddress(input)).toBe('not an IP address');
  });
});
