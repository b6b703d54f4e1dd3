import { createRequire } from 'node:module';

/** The package version, read from package.json (two levels up from both src/shared and dist/shared). */
export const version: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
