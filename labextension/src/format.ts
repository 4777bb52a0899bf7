/**
 * Pure parsing and formatting of what the server sends, one module per concern; this module
 * re-exports them all.
 */
export * from './formatstore';
export * from './formattime';
export * from './formatvalue';
export * from './overrides';
