/**
 * Python peers, each a long-lived child process running a small inline script: numpy's
 * hand-written seed step (and its forward pass and kernels), and PyTorch CPU's where torch
 * is installed. The child stays up so that its repetitions can take turns with the other
 * peers'. Both run with `OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=passive OPENBLAS_THREAD_TIMEOUT=4` and 2 threads.
 * A missing interpreter or module is reported as 'not installed', never installed.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { RepeatPolicy, Runnable } from '../harness.js';
import { SEED, type MlpShape } from '../data.js';
import { LSTM_LR, type KernelSpec } from '../kernels.js';

export type PyLib = 'numpy' | 'torch';

/**
 * The interpreters tried, in order: $PYTHON, the one on PATH, then the system one, where
 * Debian's python3-torch installs (a pyenv or venv python3 on PATH does not see it).
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env['PYTHON'], 'python3', '/usr/bin/python3'].filter((p): p is string => !!p))];
}

/** The environment the Python peers run under. */
export function pythonEnv(threads = 2): NodeJS.ProcessEnv {
  const t = String(threads);
  return {
    ...process.env,
    OPENBLAS_CORETYPE: 'SkylakeX', OMP_WAIT_POLICY: 'passive',
    // OpenBLAS's own (pthreads) workers otherwise spin between calls and take a core from
    // whichever peer runs next: with the shortest timeout they sleep, as symgrad's pool does.
    OPENBLAS_THREAD_TIMEOUT: '4',
    OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t,
  };
}

export type ProbeResult = { ok: true; version: string; python: string } | { ok: false; reason: string };

/**
 * `lib`'s version and the first interpreter that imports it together with numpy (the inputs
 * are made with numpy), or why none can ('not installed' when the module is missing).
 */
export function probe(lib: PyLib, candidates = pythonCandidates()): ProbeResult {
  const reasons: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', `import numpy, ${lib}; print(${lib}.__version__)`], { env: pythonEnv(), encoding: 'utf8', timeout: 60_000 });
    if (r.error) { reasons.push(`${python}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`); continue; }
    if (r.status === 0) return { ok: true, version: r.stdout.trim(), python };
    const err = r.stderr.trim().split('\n').pop() ?? '';
    reasons.push(`${python}: ${/ModuleNotFoundError|No module named/.test(err) ? `no module ${/'([^']+)'/.exec(err)?.[1] ?? lib}` : `failed: ${err}`}`);
  }
  return { ok: false, reason: `not installed (${reasons.join('; ')})` };
}

/**
 * The child: reads one JSON request a line from stdin and answers one JSON line on stdout.
 * {op:'prepare', key, spec} builds a closure for a step, forward pass or kernel and runs it
 * once; {op:'run', key} runs it once and answers the ms it took, timed in Python;
 * {op:'drop', key} frees it. The first line out is {info}.
 */
const SCRIPT = String.raw`
import json, sys, time
lib = sys.argv[1]
threads = int(sys.argv[2])
lr = float(sys.argv[3])
LSTM_LR = float(sys.argv[4])
import numpy as np
rng = np.random.default_rng(0)

def he(fan_in, shape):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

def data(s):
    n, f, h, c = s['rows'], s['features'], s['hidden'], s['classes']
    X = rng.uniform(-1, 1, (n, f)).astype(np.float32)
    y = rng.integers(0, c, n).astype(np.int32)
    return X, y, [he(f, (f, h)), he(h, (h, h)), he(h, (h, c))]

def operands(k):
    if k['kind'] == 'lstm':
        B, T, F, U = k['batch'], k['steps'], k['features'], k['units']
        return (rng.uniform(-1, 1, (B, T, F)).astype(np.float32), rng.uniform(-1, 1, (B, U)).astype(np.float32))
    if k['kind'] == 'transformer':
        shape = (k['batch'], k['steps'], k['features'])
        return (rng.uniform(-1, 1, shape).astype(np.float32), rng.uniform(-1, 1, shape).astype(np.float32))
    if k['kind'] == 'decoder':
        shape = (k['batch'], k['steps'], k['features'])
        memory = (k['batch'], k['memorySteps'], k['features'])
        return (rng.uniform(-1, 1, shape).astype(np.float32), rng.uniform(-1, 1, memory).astype(np.float32), rng.uniform(-1, 1, shape).astype(np.float32))
    if k['kind'] == 'embedding':
        V, D, n = k['vocab'], k['dim'], k['tokens']
        return (rng.uniform(-1, 1, (V, D)).astype(np.float32), rng.integers(0, V, n).astype(np.int32), rng.uniform(-1, 1, (n, D)).astype(np.float32))
    if k['kind'] == 'gemm':
        A = rng.uniform(-1, 1, (k['k'], k['m']) if k['transA'] else (k['m'], k['k'])).astype(np.float32)
        B = rng.uniform(-1, 1, (k['n'], k['k']) if k['transB'] else (k['k'], k['n'])).astype(np.float32)
        return A, B
    return (rng.uniform(-1, 1, (k['rows'], k['cols'])).astype(np.float32),)

if lib == 'numpy':
    info = 'numpy %s' % np.__version__
    def make_step(X, y, W):
        n = X.shape[0]
        rows = np.arange(n)
        def step():
            W1, W2, W3 = W
            a1 = X @ W1; h1 = np.maximum(a1, 0)
            a2 = h1 @ W2; h2 = np.maximum(a2, 0)
            z = h2 @ W3
            e = np.exp(z - z.max(axis=1, keepdims=True)); p = e / e.sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(p[rows, y]))
            dz = p; dz[rows, y] -= 1; dz /= n
            dW3 = h2.T @ dz
            dh2 = dz @ W3.T; dh2 *= (a2 > 0)
            dW2 = h1.T @ dh2
            dh1 = dh2 @ W2.T; dh1 *= (a1 > 0)
            dW1 = X.T @ dh1
            W1 -= lr * dW1; W2 -= lr * dW2; W3 -= lr * dW3
            return float(loss)
        return step
    def make_matmuls(X, W):
        # The seed step's eight GEMMs alone, on intermediates of the step's shapes, into
        # preallocated outputs: the OpenBLAS time that a whole step is compared against.
        W1, W2, W3 = W
        n, h, c = X.shape[0], W1.shape[1], W3.shape[1]
        H1, H2 = [rng.uniform(0, 1, (n, h)).astype(np.float32) for _ in range(2)]
        G1, G2 = [rng.uniform(-1, 1, (n, h)).astype(np.float32) for _ in range(2)]
        G3 = rng.uniform(-1, 1, (n, c)).astype(np.float32)
        jobs = [(X, W1), (H1, W2), (H2, W3), (H2.T, G3), (G3, W3.T), (H1.T, G2), (G2, W2.T), (X.T, G1)]
        outs = [np.empty((a.shape[0], b.shape[1]), np.float32) for a, b in jobs]
        def matmuls():
            for (a, b), o in zip(jobs, outs):
                np.matmul(a, b, out=o)
        return matmuls
    def make_forward(X, W):
        W1, W2, W3 = W
        def forward():
            z = np.maximum(np.maximum(X @ W1, 0) @ W2, 0) @ W3
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return forward
    def make_kernel(k):
        ops = operands(k)
        if k['kind'] == 'embedding':
            W, ids, G = ops
            def emb():
                loss = float(np.sum(W[ids] * G))
                gW = np.zeros_like(W)
                np.add.at(gW, ids, G)
                np.subtract(W, np.float32(lr) * gW, out=W)
                return loss
            return emb
        if k['kind'] == 'gemm':
            a = ops[0].T if k['transA'] else ops[0]
            b = ops[1].T if k['transB'] else ops[1]
            return lambda: a @ b
        A = ops[0]
        if k['kind'] == 'elementwise':
            return lambda: np.maximum(A, 0) + 0.5 * np.exp(-(A * A))
        if k['kind'] == 'dropout':
            # numpy's own Philox generator, float32 uniforms, as symgrad draws them
            gen = np.random.Generator(np.random.Philox(7))
            keep = np.float32(1 - k['rate']); scale = np.float32(1 / (1 - k['rate']))
            return lambda: A * np.where(gen.random(A.shape, dtype=np.float32) < keep, scale, np.float32(0))
        def sm():
            e = np.exp(A - A.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return sm
else:
    import torch
    torch.set_num_threads(threads)
    info = 'torch %s, %d threads' % (torch.__version__, torch.get_num_threads())
    def make_step(X, y, W):
        X = torch.from_numpy(X); y = torch.from_numpy(y.astype(np.int64)).view(-1, 1)
        W = [torch.from_numpy(w).requires_grad_() for w in W]
        def step():
            W1, W2, W3 = W
            p = torch.softmax(torch.relu(torch.relu(X @ W1) @ W2) @ W3, dim=1)
            loss = -torch.log(p.gather(1, y)).mean()
            loss.backward()
            with torch.no_grad():
                for w in W:
                    w -= lr * w.grad
                    w.grad = None
            return float(loss)
        return step
    def make_forward(X, W):
        X = torch.from_numpy(X); W1, W2, W3 = [torch.from_numpy(w) for w in W]
        def forward():
            with torch.no_grad():
                return torch.softmax(torch.relu(torch.relu(X @ W1) @ W2) @ W3, dim=1)
        return forward
    def sgd_step(module, loss_of):
        # One SGD step of a module on the loss loss_of() builds, the loss read back.
        params = list(module.parameters())
        def step():
            loss = loss_of()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.sub_(LSTM_LR * p.grad)
                    p.grad = None
            return float(loss)
        return step
    def make_kernel(k):
        if k['kind'] == 'lstm':
            X, G = [torch.from_numpy(o) for o in operands(k)]
            torch.manual_seed(3)
            cell = torch.nn.LSTM(k['features'], k['units'], batch_first=True)
            return sgd_step(cell, lambda: (cell(X)[1][0][-1] * G).sum())
        if k['kind'] == 'transformer':
            X, G = [torch.from_numpy(o) for o in operands(k)]
            torch.manual_seed(3)
            layer = torch.nn.TransformerEncoderLayer(k['features'], k['heads'], k['ffDim'], dropout=0.0, batch_first=True)
            return sgd_step(layer, lambda: (layer(X) * G).sum())
        if k['kind'] == 'decoder':
            X, M, G = [torch.from_numpy(o) for o in operands(k)]
            torch.manual_seed(3)
            layer = torch.nn.TransformerDecoderLayer(k['features'], k['heads'], k['ffDim'], dropout=0.0, batch_first=True)
            causal = torch.nn.Transformer.generate_square_subsequent_mask(k['steps'])
            return sgd_step(layer, lambda: (layer(X, M, tgt_mask=causal) * G).sum())
        if k['kind'] == 'embedding':
            W, ids, G = operands(k)
            W = torch.from_numpy(W).requires_grad_(); ids = torch.from_numpy(ids.astype(np.int64)); G = torch.from_numpy(G)
            def emb():
                loss = (torch.nn.functional.embedding(ids, W) * G).sum()
                loss.backward()
                with torch.no_grad():
                    W.sub_(lr * W.grad)
                W.grad = None
                return float(loss)
            return emb
        ops = [torch.from_numpy(o) for o in operands(k)]
        if k['kind'] == 'gemm':
            a = ops[0].t() if k['transA'] else ops[0]
            b = ops[1].t() if k['transB'] else ops[1]
            return lambda: a @ b
        A = ops[0]
        if k['kind'] == 'elementwise':
            return lambda: torch.relu(A) + 0.5 * torch.exp(-(A * A))
        if k['kind'] == 'dropout':
            return lambda: torch.nn.functional.dropout(A, k['rate'], training=True)
        return lambda: torch.softmax(A, dim=1)

def reply(o):
    sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()

bodies = {}
reply({'info': info})
for line in sys.stdin:
    req = json.loads(line)
    try:
        op = req['op']
        if op == 'quit':
            break
        if op == 'drop':
            bodies.pop(req['key'], None); reply({'ok': True}); continue
        if op == 'prepare':
            s = req['spec']
            if s['kind'] == 'step':
                X, y, W = data(s['shape']); body = make_step(X, y, W)
            elif s['kind'] == 'forward':
                X, y, W = data(s['shape']); body = make_forward(X, W)
            elif s['kind'] == 'matmuls':
                X, y, W = data(s['shape']); body = make_matmuls(X, W)
            else:
                body = make_kernel(s['kernel'])
            bodies[req['key']] = body
        t0 = time.perf_counter(); bodies[req['key']](); ms = (time.perf_counter() - t0) * 1e3
        reply({'ms': ms})
    except Exception as e:
        reply({'error': '%s: %s' % (type(e).__name__, e)})
`;

export type PySpec =
  | { readonly kind: 'step'; readonly shape: MlpShape }
  /** numpy only: the seed step's eight GEMMs alone (OpenBLAS), nothing else. */
  | { readonly kind: 'matmuls'; readonly shape: MlpShape }
  | { readonly kind: 'forward'; readonly shape: MlpShape }
  | { readonly kind: 'kernel'; readonly kernel: KernelSpec };

/** A running python3 child that prepares and runs one peer's bodies on request. */
export class PythonServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private buf = '';
  private stderr = '';
  private closed = false;
  /** How the child ended ('with code 1', 'on signal SIGKILL'), once it has. */
  private exit = '';
  private queue: Promise<unknown> = Promise.resolve();
  private nextKey = 0;
  /** The child's own description: library version and threads. */
  info = '';

  private constructor(readonly lib: PyLib, readonly peer: string, readonly threads: number, python: string) {
    this.child = spawn(python, ['-c', SCRIPT, lib, String(threads), String(SEED.lr), String(LSTM_LR)], { env: pythonEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (c: Buffer) => {
      this.buf += c.toString();
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    this.child.stderr.on('data', (c: Buffer) => { this.stderr = (this.stderr + c.toString()).slice(-4000); });
    const end = (how: string): void => {
      this.closed = true;
      this.exit ||= how;
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: this.exited() }));
    };
    this.child.on('close', (code, signal) => end(code !== null ? `with code ${code}` : `on signal ${signal}`));
    this.child.on('error', (err) => end(`(${err.message})`));
    // A child that dies while a request is written makes stdin fail with EPIPE; its exit
    // already answers the request, so the write error must not become an uncaught one.
    this.child.stdin.on('error', () => undefined);
  }

  /** Why the child is gone: how it ended and the last line it wrote to stderr. */
  private exited(): string {
    const last = this.stderr.trim().split('\n').pop() || 'no message on stderr';
    return `python exited ${this.exit}: ${last}`;
  }

  /** The child's next line as JSON; `what` names the answer awaited ('start' or a request's op). */
  private nextLine(timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.closed) { reject(new Error(this.exited())); return; }
      const late = what === 'start' ? `python did not start in ${timeoutMs / 1000} s (no first line on stdout)` : `python did not answer the '${what}' request in ${timeoutMs / 1000} s`;
      const answering = what === 'start' ? 'at start' : `the '${what}' request`;
      const timer = setTimeout(() => reject(new Error(late)), timeoutMs);
      this.waiting.push((line) => {
        clearTimeout(timer);
        try { resolve(JSON.parse(line) as Record<string, unknown>); } catch { reject(new Error(`python answered ${answering} with a line that is not JSON: ${line.slice(0, 200)}`)); }
      });
    });
  }

  /** Sends one request and waits for its answer (requests are serialized). */
  private request(req: { readonly op: string; readonly [field: string]: unknown }, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    const p = this.queue.then(async () => {
      if (this.closed) throw new Error(this.exited());
      const answer = this.nextLine(timeoutMs, req.op);
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
      const a = await answer;
      if (typeof a['error'] === 'string') throw new Error(a['error']);
      return a;
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Starts `lib`'s child, or says why it cannot (missing python, module, or a failed start). */
  static async start(lib: PyLib, threads = 2): Promise<PythonServer> {
    const p = probe(lib);
    if (!p.ok) throw new Error(p.reason);
    const s = new PythonServer(lib, pyPeerName(lib, p.version), threads, p.python);
    const hello = await s.nextLine(120_000, 'start');
    if (typeof hello['error'] === 'string') throw new Error(hello['error']);
    s.info = String(hello['info'] ?? '');
    return s;
  }

  /** Builds `spec` in the child and runs it once; the runnable times each later run in Python. */
  async prepare(spec: PySpec, row: { group: string; item: string; flops: number }, policy: RepeatPolicy, peer = this.peer): Promise<Runnable> {
    const key = `k${this.nextKey++}`;
    await this.request({ op: 'prepare', key, spec });
    return {
      ...row, peer, policy,
      note: `${this.info}; OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=passive OPENBLAS_THREAD_TIMEOUT=4, ${this.threads} threads`,
      run: async () => Number((await this.request({ op: 'run', key }))['ms']),
      dispose: () => this.request({ op: 'drop', key }).catch(() => undefined),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.child.kill('SIGKILL'); resolve(); }, 5_000);
      this.child.once('close', () => { clearTimeout(t); resolve(); });
    });
  }
}

/** A Python peer's row name: 'numpy 2.4.6', 'PyTorch 2.5.1 CPU', or without a version when absent. */
export function pyPeerName(lib: PyLib, version?: string): string {
  if (lib === 'torch') return version ? `PyTorch ${version} CPU` : 'PyTorch CPU';
  return version ? `numpy ${version}` : 'numpy';
}
