/** dynalite 4 ships no type declarations: the part of its API this project uses (see its index.js). */
declare module 'dynalite' {
  import type { Server } from 'node:net';

  interface DynaliteOptions {
    /** the LevelDB store's directory (in memory when unset) */
    path?: string;
    /** how long a table stays CREATING / DELETING / UPDATING (default 500 ms each) */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  /** An http.Server (https.Server with `ssl`) whose `close` also closes the store. */
  function dynalite(options?: DynaliteOptions): Server;

  export = dynalite;
}
