/**
 * The demo's randomness: small, fast and seedable (Math.random is neither),
 * plus the distributions the traffic model draws from.
 */

export type Rng = () => number;

export function hash32(x: number): number {
  // splitmix32-style finalizer: turns consecutive seeds into unrelated states.
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export function createRng(seed: number): Rng {
  let a = hash32(seed);
  let b = hash32(a ^ 0x1234567);
  let c = hash32(b ^ 0x89abcdef);
  let d = hash32(c ^ 0x2545f491);
  const next = (): number => {
    // sfc32
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rng();
    while (p > limit) {
      k++;
      p *= rng();
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
}

/** Walker/Vose alias table: O(1) weighted choice, needed per flow at a million sessions. */
export interface Alias {
  readonly n: number;
  readonly prob: Float64Array;
  readonly alias: Int32Array;
}

export function buildAlias(weights: ArrayLike<number>): Alias {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]!;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / sum;
    (scaled[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of large) prob[i] = 1;
  for (const i of small) prob[i] = 1;
  return { n, prob, alias };
}

export function sampleAlias(a: Alias, rng: Rng): number {
  const x = rng() * a.n;
  const i = Math.floor(x);
  return x - i < a.prob[i]! ? i : a.alias[i]!;
}

/** Values with weights, for sampleAlias. */
export function buildWeighted(pairs: readonly (readonly [number, number])[]): { values: readonly number[]; alias: Alias } {
  return { values: pairs.map((p) => p[0]), alias: buildAlias(pairs.map((p) => p[1])) };
}
