/**
 * The visitor's country, looked up in the API process so the IP never leaves it. The database ships inside
 * an npm package (@ip-location-db/geo-whois-asn-country-mmdb, CC0: country per address range from the
 * regional registries' whois and ASN data); nothing is downloaded at run time, and a release of the package
 * is an update of the data. Read once, on the first lookup (8 MB, a few milliseconds).
 */
import { readFileSync } from 'node:fs';
import { Reader, type CountryResponse } from 'mmdb-lib';

/** This database's records are flat ({country_code}), not MaxMind's nested country object. */
interface CountryRecord {
  country_code?: string;
}

const DATABASE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';
const ALPHA2 = /^[A-Z]{2}$/;
let reader: Reader<CountryResponse> | undefined;

function open(): Reader<CountryResponse> {
  reader ??= new Reader<CountryResponse>(readFileSync(require.resolve(DATABASE)));
  return reader;
}

/** ISO 3166-1 alpha-2 of `ip` (IPv4, IPv6 or IPv4-mapped IPv6), or '' when unknown or not an address. */
export function countryOf(ip: string): string {
  // Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; the database keys them as IPv4.
  const address = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  try {
    const code = (open().get(address) as CountryRecord | null)?.country_code;
    return code && ALPHA2.test(code) ? code : '';
  } catch {
    // mmdb-lib throws on strings that are not addresses (a proxy header can carry anything).
    return '';
  }
}
