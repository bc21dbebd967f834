declare module 'vitest' {
  export interface ProvidedContext {
    backend: 'pglite' | 'postgres';
    neonUrl: string;
    stripeUrl: string;
    /** JSON: EmulatorAccountKeys[] */
    stripeAccounts: string;
  }
}

export {};
