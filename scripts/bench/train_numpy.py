#!/usr/bin/env python3
"""The numpy reference of the trainer's step, for `npm run bench -- train` (scripts/bench/train.ts).

The same computation as the project's trainer on a network of fitted devices, written the
straightforward numpy way: per synapse and sign three bit gains g_b and log terms d_b; codes
-7..7 from shadow weights (round half away from zero, clip), effective weights recomputed from
the codes every step, straight-through gradient along the mean gain per code step; per layer
u = h @ A + (h ln h) @ B - t, h' = a * max(0, u); softmax cross-entropy on logit_scale * h_out;
Adam with decoupled weight decay, shadow weights clipped to +-7.5. The input somas' outputs
(and their h ln h) are computed once for the training set, as the trainer does.

Reads the die, data, initial weights and sample order that train.ts wrote into DIR (meta.json
and raw little-endian arrays), so both train the same network on the same batches. Prints one
JSON line per dtype: samples per second of forward + backward + Adam (best of `trials` runs of
`epochs` epochs), test accuracy after those epochs, and the BLAS library and kernel numpy uses;
writes the shadow-weight gradient of the first step (float64) to DIR/grad0-<layer>.f64 for the
equivalence check. Run with one BLAS thread and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset
(train.ts does): a current numpy is slower with them set.
Usage: python3 train_numpy.py DIR
"""
import ctypes, json, os, sys, time
import numpy as np

BITS = np.array([[(c >> k) & 1 for k in (2, 1, 0)] for c in range(8)])


def blas_kernel():
    """The BLAS library numpy loaded and the kernel it picked (OpenBLAS corename via ctypes)."""
    libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.split()[-1].lower()})
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ('scipy_openblas_', 'openblas_'):
            for suffix in ('64_', ''):
                core, config = getattr(lib, f'{prefix}get_corename{suffix}', None), getattr(lib, f'{prefix}get_config{suffix}', None)
                if core is not None:
                    core.restype = ctypes.c_char_p
                    cfg = ''
                    if config is not None:
                        config.restype = ctypes.c_char_p
                        cfg = config().decode()
                    return f'{os.path.basename(path)}: {cfg.split(" USE")[0] if cfg else "OpenBLAS"}, kernel {core().decode()}'
    return ', '.join(os.path.basename(p) for p in libs) or 'unknown (no BLAS library found in the process maps)'


def load(d, name, dtype, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype=dtype)
    return a.reshape(shape) if shape is not None else a


def layers_of(d, meta, dtype):
    out = []
    for k, (I, J) in enumerate(zip(meta['layers'][:-1], meta['layers'][1:])):
        g = {s: load(d, f'g{s}-{k}.f64', np.float64, (I, J, 3)).astype(dtype) for s in ('pos', 'neg')}
        dl = {s: load(d, f'd{s}-{k}.f64', np.float64, (I, J, 3)).astype(dtype) for s in ('pos', 'neg')}
        gd = {s: g[s] * dl[s] for s in g}
        out.append(dict(g=g, gd=gd, a=load(d, f'a-{k}.f64', np.float64).astype(dtype), t=load(d, f't-{k}.f64', np.float64).astype(dtype)))
    return out


def effective(L, w):
    mag = np.minimum(np.floor(np.abs(w) + 0.5), 7).astype(np.int64)  # round half away from zero, clip
    bits = BITS[mag].astype(w.dtype)                                   # [I, J, 3]
    neg = w < 0
    sign = np.where(neg, -1, 1).astype(w.dtype)
    g = np.where(neg[..., None], L['g']['neg'], L['g']['pos'])
    gd = np.where(neg[..., None], L['gd']['neg'], L['gd']['pos'])
    A = sign * (bits * g).sum(-1); B = sign * (bits * gd).sum(-1)
    return A, B, g.sum(-1) / 7, gd.sum(-1) / 7                         # straight-through slopes


def xlnx(h):
    return np.where(h > 0, h * np.log(np.maximum(h, 1e-30)), 0).astype(h.dtype)


def forward(layers, W, h, hl0):
    eff = [effective(L, w) for L, w in zip(layers, W)]
    tapes = []
    for k, (L, (A, B, _, _)) in enumerate(zip(layers, eff)):
        hl = hl0 if k == 0 else xlnx(h)
        u = h @ A + hl @ B - L['t']
        out = L['a'] * np.maximum(u, 0); tapes.append((h, hl, u)); h = out
    return eff, tapes, h


def train(d, meta, dtype, epochs, grad_out=None):
    layers = layers_of(d, meta, dtype)
    F, N, batch, scale = meta['layers'][0], meta['n_train'], meta['batch'], meta['logit_scale']
    X = load(d, 'x.f64', np.float64, (N, F)).astype(dtype); Y = load(d, 'y.u8', np.uint8).astype(np.int64)
    XL = xlnx(X)  # the input somas' h ln h: once, as the trainer does
    order = load(d, 'order.u32', np.uint32, (-1, N))
    W = [load(d, f'w0-{k}.f64', np.float64, (I, J)).astype(dtype) for k, (I, J) in enumerate(zip(meta['layers'][:-1], meta['layers'][1:]))]
    m = [np.zeros_like(w) for w in W]; v = [np.zeros_like(w) for w in W]; step = 0
    lr, decay = meta['lr'], meta['weight_decay']
    for epoch in range(epochs):
        idx = order[epoch % len(order)]
        for s in range(0, N, batch):
            b = idx[s:s + batch]; h0 = X[b]; y = Y[b]; nb = len(b)
            eff, tapes, out = forward(layers, W, h0, XL[b])
            z = scale * out; z = z - z.max(1, keepdims=True); p = np.exp(z); p /= p.sum(1, keepdims=True)
            p[np.arange(nb), y] -= 1; dh = scale * p / nb
            grads = [None] * len(W)
            for k in reversed(range(len(W))):
                L = layers[k]; A, B, sA, sB = eff[k]; hk, hl, u = tapes[k]
                du = dh * L['a'] * (u > 0)
                dA = hk.T @ du; dB = hl.T @ du
                grads[k] = dA * sA + dB * sB
                if k: dh = du @ A.T + (du @ B.T) * np.where(hk > 0, np.log(np.maximum(hk, 1e-30)) + 1, 0)
            if grad_out is not None and step == 0:
                for k, g in enumerate(grads): g.astype(np.float64).tofile(os.path.join(grad_out, f'grad0-{k}.f64'))
            step += 1
            c1, c2 = 1 - 0.9 ** step, 1 - 0.999 ** step
            for k in range(len(W)):
                g = grads[k]; m[k] = 0.9 * m[k] + 0.1 * g; v[k] = 0.999 * v[k] + 0.001 * g * g
                W[k] -= lr * m[k] / c1 / (np.sqrt(v[k] / c2) + 1e-8) + lr * decay * W[k]
                np.clip(W[k], -7.5, 7.5, out=W[k])
    return layers, W


def accuracy(d, meta, layers, W, dtype):
    F = meta['layers'][0]
    X = load(d, 'xtest.f64', np.float64, (-1, F)).astype(dtype); Y = load(d, 'ytest.u8', np.uint8)
    _, _, out = forward(layers, W, X, xlnx(X))
    return float((out.argmax(1) == Y).mean())


if __name__ == '__main__':
    d = sys.argv[1]
    meta = json.load(open(os.path.join(d, 'meta.json')))
    kernel = blas_kernel()
    for dt in (np.float64, np.float32):
        train(d, meta, dt, 1, grad_out=d if dt is np.float64 else None)  # warm-up; writes the first step's gradient
        best = 0.0
        for _ in range(meta['trials']):
            t0 = time.process_time()
            layers, W = train(d, meta, dt, meta['epochs'])
            t1 = time.process_time()
            train(d, meta, dt, 0)  # loading and setup, not a training step
            best = max(best, meta['epochs'] * meta['n_train'] / ((t1 - t0) - (time.process_time() - t1)))
        print(json.dumps({'engine': f'numpy {np.__version__} {np.dtype(dt).name}', 'blas': kernel, 'samples_per_s': round(best), 'test_accuracy': accuracy(d, meta, layers, W, dt)}), flush=True)
