/**
 * The hand-written compute engine: dense row-major matrix products on Float64Array, the
 * faster candidate by measurement (`npm run bench -- train`). Every product is brought to
 * one form, C = X @ Y^T with both factors' inner index contiguous, computed in 2x2 tiles
 * (four running sums share each pair of loads: ~2.5 GMAC/s per core in V8, against ~0.7 for
 * the plain triple loop). Transposing a factor costs one pass over it.
 */

/** C[rows x cols] = X[rows x inner] @ Y[cols x inner]^T. */
function gemmNT(C: Float64Array, X: Float64Array, Y: Float64Array, rows: number, cols: number, inner: number, add: boolean): void {
  const r2 = rows & ~1, c2 = cols & ~1;
  for (let r = 0; r < rows; r += 2) {
    const x0 = r * inner, x1 = r + 1 < rows ? x0 + inner : x0; // an odd last row is computed twice, stored once
    for (let j = 0; j < cols; j += 2) {
      const y0 = j * inner, y1 = j + 1 < cols ? y0 + inner : y0;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < inner; p++) {
        const a0 = X[x0 + p], a1 = X[x1 + p], b0 = Y[y0 + p], b1 = Y[y1 + p];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      const c = r * cols + j;
      if (add) {
        C[c] += s00;
        if (j < c2) C[c + 1] += s01;
        if (r < r2) {
          C[c + cols] += s10;
          if (j < c2) C[c + cols + 1] += s11;
        }
      } else {
        C[c] = s00;
        if (j < c2) C[c + 1] = s01;
        if (r < r2) {
          C[c + cols] = s10;
          if (j < c2) C[c + cols + 1] = s11;
        }
      }
    }
  }
}

/** The [cols x rows] transpose of a row-major [rows x cols] matrix. */
export function transpose(M: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) T[c * rows + r] = M[r * cols + c];
  return T;
}

/** C[n x m] = A[n x k] @ B[k x m] (add: C += ...). */
export function matmul(C: Float64Array, A: Float64Array, B: Float64Array, n: number, k: number, m: number, add = false): void {
  gemmNT(C, A, transpose(B, k, m), n, m, k, add);
}

/** C[k x m] = A[n x k]^T @ B[n x m] (the weight gradient: presynaptic activity times postsynaptic error). */
export function matmulAT(C: Float64Array, A: Float64Array, B: Float64Array, n: number, k: number, m: number): void {
  gemmNT(C, transpose(A, n, k), transpose(B, n, m), k, m, n, false);
}

/** C[n x k] = A[n x m] @ B[k x m]^T (the error sent back through the weights). */
export function matmulBT(C: Float64Array, A: Float64Array, B: Float64Array, n: number, m: number, k: number): void {
  gemmNT(C, A, B, n, k, m, false);
}
