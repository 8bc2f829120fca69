/**
 * The RFC 4475 torture messages by section (see ../shared/testdata/README.md), named once for the tests and
 * the benchmark.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TESTDATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/testdata');

/** §3.1.2: syntactically invalid; must be refused (400 where a response can be built). */
export const INVALID_4475 = [
  'badinv01',
  'clerr',
  'ncl',
  'scalar02',
  'scalarlg',
  'quotbal',
  'ltgtruri',
  'lwsruri',
  'lwsstart',
  'trws',
  'escruri',
  'baddate',
  'regbadct',
  'badaspec',
  'baddn',
  'badvers',
  'mismatch01',
  'mismatch02',
  'bigcode',
] as const;
