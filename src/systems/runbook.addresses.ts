import { BlockList, isIP } from 'node:net';

// Where a runbook request may never go: link-local (which holds every cloud's metadata service),
// unspecified and multicast addresses, and loopback unless the connection allows it for a local test.

const neverAllowed = new BlockList();
neverAllowed.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, 169.254.169.254 metadata
neverAllowed.addSubnet('0.0.0.0', 8, 'ipv4');
neverAllowed.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
neverAllowed.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, broadcast
neverAllowed.addSubnet('100.100.100.200', 32, 'ipv4'); // Alibaba Cloud metadata
neverAllowed.addSubnet('fe80::', 10, 'ipv6'); // link-local
neverAllowed.addSubnet('fd00:ec2::', 32, 'ipv6'); // AWS metadata over IPv6
neverAllowed.addSubnet('ff00::', 8, 'ipv6'); // multicast
neverAllowed.addAddress('::', 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Host names of metadata services, refused before any look-up. */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'metadata.azure.internal',
]);

/** Why a host name is refused before it is even looked up, or null. */
export function refusedName(hostname: string): string | null {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(name)) return `${name} is a cloud metadata service`;
  return null;
}

/**
 * Why an address is refused, or null when a runbook request may connect to it. IPv4-mapped IPv6
 * (`::ffff:169.254.169.254`) is judged as the IPv4 address it carries. Pure.
 */
export function refusedAddress(
  address: string,
  { allowLoopback }: { allowLoopback: boolean },
): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const ip = mapped ?? bare;
  const family = isIP(ip);
  if (family === 0) return `${address} is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (neverAllowed.check(ip, type)) return `${ip} is a link-local, metadata or reserved address`;
  if (!allowLoopback && loopback.check(ip, type)) return `${ip} is a loopback address`;
  return null;
}
