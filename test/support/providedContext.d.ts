import 'vitest';

declare module 'vitest' {
  /** What test/support/globalSetup.ts provides to every test. */
  export interface ProvidedContext {
    etcdEndpoints: string[];
  }
}
