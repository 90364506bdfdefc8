export { decide } from './decide';
export type * from './types';
export type * from './message';
