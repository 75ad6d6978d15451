;; The trainer's hot loops in WebAssembly SIMD (float32x4), assembled by wabt (scripts/build-wasm.mjs
;; at build time; src/train/wasm.ts from this text when running from the sources). Every pointer is a
;; byte offset into the exported memory; every matrix is row-major float32 with a row length padded to
;; a multiple of 8 floats where a function says so. Plain mul + add, no fused multiply-add: the same
;; bytes in give the same bytes out on every machine.
(module
  (memory (export "memory") 1)

  ;; C[i*N + j] (+)= sum_{p<P} A[i*ars + p*aps] * B[p*N + j] for i < M, j < N (N a multiple of 8).
  ;; The forward pass (A = activity [n x K], ars = K, aps = 1) and the weight gradient
  ;; (A = activity transposed: ars = 1, aps = K) are both this form. Blocks of 4 rows x 8 columns:
  ;; eight float32x4 sums share each load of B; rows past the last full block go one by one.
  (func (export "gemm") (param $C i32) (param $A i32) (param $B i32) (param $M i32) (param $N i32) (param $P i32) (param $ars i32) (param $aps i32) (param $add i32)
    (local $i i32) (local $j i32) (local $p i32) (local $pa i32) (local $pb i32) (local $pc i32)
    (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $as i32) (local $bs i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $as (i32.shl (local.get $aps) (i32.const 2)))
    (local.set $bs (i32.shl (local.get $N) (i32.const 2)))
    (local.set $r1 (i32.shl (local.get $ars) (i32.const 2)))
    (local.set $r2 (i32.shl (local.get $ars) (i32.const 3)))
    (local.set $r3 (i32.add (local.get $r1) (local.get $r2)))
    (local.set $i (i32.const 0))
    (block $rows4_done
      (loop $rows4
        (br_if $rows4_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $M)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $r1))))
            (local.set $pb (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $P))
            (block $inner_done
              (loop $inner
                (br_if $inner_done (i32.eqz (local.get $p)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $a (v128.load32_splat (local.get $pa)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
                (local.set $a (v128.load32_splat (i32.add (local.get $pa) (local.get $r1))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
                (local.set $a (v128.load32_splat (i32.add (local.get $pa) (local.get $r2))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
                (local.set $a (v128.load32_splat (i32.add (local.get $pa) (local.get $r3))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $as)))
                (local.set $pb (i32.add (local.get $pb) (local.get $bs)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $inner)))
            (local.set $pc (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2))))
            (if (local.get $add)
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $pc))))
                (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))
                (local.set $c10 (f32x4.add (local.get $c10) (v128.load (i32.add (local.get $pc) (local.get $bs)))))
                (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $pc) (local.get $bs)))))
                (local.set $c20 (f32x4.add (local.get $c20) (v128.load (i32.add (local.get $pc) (i32.shl (local.get $bs) (i32.const 1))))))
                (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $bs) (i32.const 1))))))
                (local.set $c30 (f32x4.add (local.get $c30) (v128.load (i32.add (local.get $pc) (i32.mul (local.get $bs) (i32.const 3))))))
                (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $bs) (i32.const 3))))))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $bs)))
            (v128.store (local.get $pc) (local.get $c10))
            (v128.store offset=16 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $bs)))
            (v128.store (local.get $pc) (local.get $c20))
            (v128.store offset=16 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $bs)))
            (v128.store (local.get $pc) (local.get $c30))
            (v128.store offset=16 (local.get $pc) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; the rows past the last block of 4
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $j (i32.const 0))
        (block $cols1_done
          (loop $cols1
            (br_if $cols1_done (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $r1))))
            (local.set $pb (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $p (local.get $P))
            (block $inner1_done
              (loop $inner1
                (br_if $inner1_done (i32.eqz (local.get $p)))
                (local.set $a (v128.load32_splat (local.get $pa)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (v128.load (local.get $pb)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (local.get $as)))
                (local.set $pb (i32.add (local.get $pb) (local.get $bs)))
                (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                (br $inner1)))
            (local.set $pc (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $N)) (local.get $j)) (i32.const 2))))
            (if (local.get $add)
              (then
                (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $pc))))
                (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $pc))))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $cols1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; C[r*K + k] = sum_{j<N} X[r*N + j] * Y[k*N + j] for r < M, k < K (N a multiple of 4): the error
  ;; sent back through the weights (X = dL/du [n x J], Y = the effective weights [K x J]).
  (func (export "gemmNT") (param $C i32) (param $X i32) (param $Y i32) (param $M i32) (param $K i32) (param $N i32)
    (local $r i32) (local $k i32) (local $j i32) (local $px i32) (local $py i32) (local $s v128)
    (local.set $r (i32.const 0))
    (block $r_done
      (loop $rl
        (br_if $r_done (i32.ge_u (local.get $r) (local.get $M)))
        (local.set $k (i32.const 0))
        (block $k_done
          (loop $kl
            (br_if $k_done (i32.ge_u (local.get $k) (local.get $K)))
            (local.set $s (v128.const i32x4 0 0 0 0))
            (local.set $px (i32.add (local.get $X) (i32.shl (i32.mul (local.get $r) (local.get $N)) (i32.const 2))))
            (local.set $py (i32.add (local.get $Y) (i32.shl (i32.mul (local.get $k) (local.get $N)) (i32.const 2))))
            (local.set $j (i32.const 0))
            (block $j_done
              (loop $jl
                (br_if $j_done (i32.ge_u (local.get $j) (local.get $N)))
                (local.set $s (f32x4.add (local.get $s) (f32x4.mul (v128.load (local.get $px)) (v128.load (local.get $py)))))
                (local.set $px (i32.add (local.get $px) (i32.const 16)))
                (local.set $py (i32.add (local.get $py) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $jl)))
            (f32.store
              (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $K)) (local.get $k)) (i32.const 2)))
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
                (f32.add (f32x4.extract_lane 2 (local.get $s)) (f32x4.extract_lane 3 (local.get $s)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))

  ;; One Adam step (decoupled weight decay, shadow weights clipped to +-clip) on n weights (n a
  ;; multiple of 4), from the gradients of the effective weights: straight through, each weight's
  ;; gradient is gA * slopeA + gB * slopeB at the sign of the weight (slopes: the device's mean
  ;; gain per code step; hasB = 0: no log term, gB unused).
  ;; w -= lrc1 * m / (sqrt(v * c2inv) + eps) + lrDecay * w.
  (func (export "adam") (param $W i32) (param $M i32) (param $V i32) (param $gA i32) (param $gB i32)
        (param $sAp i32) (param $sAn i32) (param $sBp i32) (param $sBn i32) (param $n i32) (param $hasB i32)
        (param $b1 f32) (param $b2 f32) (param $lrc1 f32) (param $c2inv f32) (param $eps f32) (param $lrDecay f32) (param $clip f32)
    (local $o i32) (local $end i32) (local $w v128) (local $neg v128) (local $g v128) (local $m v128) (local $v v128)
    (local $vb1 v128) (local $vb1c v128) (local $vb2 v128) (local $vb2c v128) (local $vlr v128) (local $vc2 v128)
    (local $veps v128) (local $vdec v128) (local $vclip v128) (local $vnclip v128)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vb1c (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vb2c (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $vlr (f32x4.splat (local.get $lrc1)))
    (local.set $vc2 (f32x4.splat (local.get $c2inv)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vdec (f32x4.splat (local.get $lrDecay)))
    (local.set $vclip (f32x4.splat (local.get $clip)))
    (local.set $vnclip (f32x4.neg (local.get $vclip)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $o (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $w (v128.load (i32.add (local.get $W) (local.get $o))))
        (local.set $neg (f32x4.lt (local.get $w) (v128.const f32x4 0 0 0 0)))
        (local.set $g (f32x4.mul (v128.load (i32.add (local.get $gA) (local.get $o)))
          (v128.bitselect (v128.load (i32.add (local.get $sAn) (local.get $o))) (v128.load (i32.add (local.get $sAp) (local.get $o))) (local.get $neg))))
        (if (local.get $hasB)
          (then
            (local.set $g (f32x4.add (local.get $g) (f32x4.mul (v128.load (i32.add (local.get $gB) (local.get $o)))
              (v128.bitselect (v128.load (i32.add (local.get $sBn) (local.get $o))) (v128.load (i32.add (local.get $sBp) (local.get $o))) (local.get $neg)))))))
        (local.set $m (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $M) (local.get $o)))) (f32x4.mul (local.get $vb1c) (local.get $g))))
        (local.set $v (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $V) (local.get $o)))) (f32x4.mul (local.get $vb2c) (f32x4.mul (local.get $g) (local.get $g)))))
        (v128.store (i32.add (local.get $M) (local.get $o)) (local.get $m))
        (v128.store (i32.add (local.get $V) (local.get $o)) (local.get $v))
        (local.set $w (f32x4.sub (local.get $w)
          (f32x4.add
            (f32x4.div (f32x4.mul (local.get $vlr) (local.get $m)) (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $v) (local.get $vc2))) (local.get $veps)))
            (f32x4.mul (local.get $vdec) (local.get $w)))))
        (v128.store (i32.add (local.get $W) (local.get $o)) (f32x4.max (local.get $vnclip) (f32x4.min (local.get $vclip) (local.get $w))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $l))))

  ;; The effective weights of quantized training, rewritten only where a code changed. For each weight
  ;; (i, j) of W [I x Jp] (row-major, J used): c = sign(w) * min(7, round half up |w|); when c differs
  ;; from codes[i*J + j] (int8), store it and copy the effective weights of c from the table: per
  ;; weight k = i*J + j, `tstride` bytes holding A(c) at float c + 7, then (hasB) B(c) at float 16 + c + 7.
  ;; Returns how many codes changed.
  (func (export "requantize") (param $W i32) (param $EA i32) (param $EB i32) (param $codes i32) (param $tab i32) (param $tstride i32)
        (param $I i32) (param $J i32) (param $Jp i32) (param $hasB i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $q i32) (local $w f32) (local $c i32) (local $t i32) (local $changed i32)
    (block $i_done
      (loop $il
        (br_if $i_done (i32.ge_u (local.get $i) (local.get $I)))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $jl
            (br_if $j_done (i32.ge_u (local.get $j) (local.get $J)))
            (local.set $q (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Jp)) (local.get $j)) (i32.const 2)))
            (local.set $w (f32.load (i32.add (local.get $W) (local.get $q))))
            (local.set $c (i32.trunc_f32_s (f32.add (f32.abs (local.get $w)) (f32.const 0.5))))
            (if (i32.gt_s (local.get $c) (i32.const 7)) (then (local.set $c (i32.const 7))))
            (if (f32.lt (local.get $w) (f32.const 0)) (then (local.set $c (i32.sub (i32.const 0) (local.get $c)))))
            (if (i32.ne (local.get $c) (i32.load8_s (i32.add (local.get $codes) (local.get $k))))
              (then
                (i32.store8 (i32.add (local.get $codes) (local.get $k)) (local.get $c))
                (local.set $t (i32.add (i32.add (local.get $tab) (i32.mul (local.get $k) (local.get $tstride))) (i32.shl (i32.add (local.get $c) (i32.const 7)) (i32.const 2))))
                (f32.store (i32.add (local.get $EA) (local.get $q)) (f32.load (local.get $t)))
                (if (local.get $hasB) (then (f32.store (i32.add (local.get $EB) (local.get $q)) (f32.load offset=64 (local.get $t)))))
                (local.set $changed (i32.add (local.get $changed) (i32.const 1)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
    (local.get $changed))

  ;; The effective weights of the float network on n weights (a multiple of 4): clip(w, +-7) times
  ;; the straight line's slope at the sign of w (A; and B when hasB).
  (func (export "floatEffective") (param $W i32) (param $EA i32) (param $EB i32) (param $sAp i32) (param $sAn i32) (param $sBp i32) (param $sBn i32)
        (param $n i32) (param $hasB i32)
    (local $o i32) (local $end i32) (local $w v128) (local $c v128) (local $neg v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $w (v128.load (i32.add (local.get $W) (local.get $o))))
        (local.set $neg (f32x4.lt (local.get $w) (v128.const f32x4 0 0 0 0)))
        (local.set $c (f32x4.max (v128.const f32x4 -7 -7 -7 -7) (f32x4.min (v128.const f32x4 7 7 7 7) (local.get $w))))
        (v128.store (i32.add (local.get $EA) (local.get $o))
          (f32x4.mul (local.get $c) (v128.bitselect (v128.load (i32.add (local.get $sAn) (local.get $o))) (v128.load (i32.add (local.get $sAp) (local.get $o))) (local.get $neg))))
        (if (local.get $hasB)
          (then (v128.store (i32.add (local.get $EB) (local.get $o))
            (f32x4.mul (local.get $c) (v128.bitselect (v128.load (i32.add (local.get $sBn) (local.get $o))) (v128.load (i32.add (local.get $sBp) (local.get $o))) (local.get $neg))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $l))))

  ;; ln x for x > 0, float32: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s),
  ;; s = (m - 1)/(m + 1), |s| <= 0.172, by its series to s^9 (truncation below 1e-9).
  (func $ln (param $x f32) (result f32)
    (local $b i32) (local $e i32) (local $m f32) (local $s f32) (local $z f32)
    (local.set $b (i32.reinterpret_f32 (local.get $x)))
    (local.set $e (i32.sub (i32.shr_u (local.get $b) (i32.const 23)) (i32.const 127)))
    (local.set $m (f32.reinterpret_i32 (i32.or (i32.and (local.get $b) (i32.const 0x7fffff)) (i32.const 0x3f800000))))
    (if (f32.gt (local.get $m) (f32.const 1.41421356))
      (then (local.set $m (f32.mul (local.get $m) (f32.const 0.5))) (local.set $e (i32.add (local.get $e) (i32.const 1)))))
    (local.set $s (f32.div (f32.sub (local.get $m) (f32.const 1)) (f32.add (local.get $m) (f32.const 1))))
    (local.set $z (f32.mul (local.get $s) (local.get $s)))
    (f32.add
      (f32.mul (f32.mul (f32.const 2) (local.get $s))
        (f32.add (f32.const 1) (f32.mul (local.get $z) (f32.add (f32.const 0.33333333) (f32.mul (local.get $z) (f32.add (f32.const 0.2) (f32.mul (local.get $z) (f32.add (f32.const 0.14285714) (f32.mul (local.get $z) (f32.const 0.11111111))))))))))
      (f32.mul (f32.convert_i32_s (local.get $e)) (f32.const 0.69314718))))
  (func (export "ln") (param $x f32) (result f32) (call $ln (local.get $x)))

  ;; ReLU somas of one layer for n rows: u = U - t (stored back into U), h = a * max(0, u) into
  ;; H [n x NK] at column j, and (withLog) h ln h at column J + j (0 where h < 1e-30).
  (func (export "reluForward") (param $U i32) (param $t i32) (param $a i32) (param $n i32) (param $J i32) (param $Jp i32)
        (param $H i32) (param $NK i32) (param $withLog i32)
    (local $r i32) (local $j i32) (local $pu i32) (local $ph i32) (local $u f32) (local $h f32)
    (block $r_done
      (loop $rl
        (br_if $r_done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $jl
            (br_if $j_done (i32.ge_u (local.get $j) (local.get $J)))
            (local.set $pu (i32.add (local.get $U) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $Jp)) (local.get $j)) (i32.const 2))))
            (local.set $u (f32.sub (f32.load (local.get $pu)) (f32.load (i32.add (local.get $t) (i32.shl (local.get $j) (i32.const 2))))))
            (f32.store (local.get $pu) (local.get $u))
            (local.set $h (select (f32.mul (f32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2)))) (local.get $u)) (f32.const 0) (f32.gt (local.get $u) (f32.const 0))))
            (local.set $ph (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $NK)) (local.get $j)) (i32.const 2))))
            (f32.store (local.get $ph) (local.get $h))
            (if (local.get $withLog)
              (then (f32.store (i32.add (local.get $ph) (i32.shl (local.get $J) (i32.const 2)))
                (if (result f32) (f32.ge (local.get $h) (f32.const 1e-30)) (then (f32.mul (local.get $h) (call $ln (local.get $h)))) (else (f32.const 0))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))

  ;; dL/du of ReLU somas for n rows, [n x Jp] at dU: dh * a * [u > 0], where dh is D[r*DK + j]
  ;; plus (hasB) D[r*DK + J + j] * (ln h + 1) with h, h ln h from H [n x DK] (the error arriving
  ;; through the next layer's A and B; for the output layer D = dL/dh, DK = J, hasB = 0).
  ;; With pen > 0, the range penalty's gradient pen * max(0, u - umax[j]) is added (umax: float32 [J]).
  (func (export "reluBackward") (param $dU i32) (param $U i32) (param $a i32) (param $n i32) (param $J i32) (param $Jp i32)
        (param $D i32) (param $DK i32) (param $H i32) (param $hasB i32) (param $umax i32) (param $pen f32)
    (local $r i32) (local $j i32) (local $pu i32) (local $pd i32) (local $dh f32) (local $h f32) (local $u f32)
    (block $r_done
      (loop $rl
        (br_if $r_done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $jl
            (br_if $j_done (i32.ge_u (local.get $j) (local.get $J)))
            (local.set $pu (i32.shl (i32.add (i32.mul (local.get $r) (local.get $Jp)) (local.get $j)) (i32.const 2)))
            (local.set $pd (i32.shl (i32.add (i32.mul (local.get $r) (local.get $DK)) (local.get $j)) (i32.const 2)))
            (local.set $dh (f32.load (i32.add (local.get $D) (local.get $pd))))
            (if (local.get $hasB)
              (then
                (local.set $h (f32.load (i32.add (local.get $H) (local.get $pd))))
                (if (f32.ge (local.get $h) (f32.const 1e-30))
                  (then (local.set $dh (f32.add (local.get $dh)
                    (f32.mul (f32.load (i32.add (i32.add (local.get $D) (local.get $pd)) (i32.shl (local.get $J) (i32.const 2))))
                      (f32.add (f32.div (f32.load (i32.add (i32.add (local.get $H) (local.get $pd)) (i32.shl (local.get $J) (i32.const 2)))) (local.get $h)) (f32.const 1)))))))))
            (local.set $u (f32.load (i32.add (local.get $U) (local.get $pu))))
            (f32.store (i32.add (local.get $dU) (local.get $pu))
              (f32.add
                (select (f32.mul (local.get $dh) (f32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))))) (f32.const 0) (f32.gt (local.get $u) (f32.const 0)))
                (f32.mul (local.get $pen) (f32.max (f32.const 0) (f32.sub (local.get $u) (f32.load (i32.add (local.get $umax) (i32.shl (local.get $j) (i32.const 2)))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))
)
