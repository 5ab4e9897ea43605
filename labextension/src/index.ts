export * from './model';
export * from './format';
export { TraceView } from './view';
