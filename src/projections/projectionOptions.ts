/** Tunables shared by every projection fold. Every field has a default, so `{}` is valid. */
export interface ProjectionOptions {
  /** Maglev lookup table size M (a prime). Default 16381, as Cilium's default. */
  readonly maglevTableSize?: number;
}

/** The default Maglev table size (a prime; Cilium's default). */
export const DEFAULT_MAGLEV_TABLE_SIZE = 16381;
