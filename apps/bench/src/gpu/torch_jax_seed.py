"""The seed step (MLP 1000-1000-1000-10, batch 800, SGD lr 0.1) on PyTorch CUDA (eager, and the
whole step captured as one CUDA graph) and JAX (jit), in fp32 and tf32: the peers of symgrad's
cuda and webgpu backends, timed the same way (steps enqueued back to back, one sync at the end).
With a second argument `cpu`, PyTorch on the CPU instead (all cores), for the cpu backend's row.
Prints one JSON object per line: {"peer", "item", "us", "reps", "note"} or {"peer", "error"}."""
import json, sys, time, traceback

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
N, F, H, C, LR = 800, 1000, 1000, 10, 0.1


def emit(o):
    sys.stdout.write(json.dumps(o) + "\n")
    sys.stdout.flush()


def torch_sgd_step(torch, X, y, W):
    """One seed step (forward, backward, SGD) on PyTorch tensors, as a closure returning the loss."""
    opt = torch.optim.SGD(W, lr=LR)

    def step():
        W1, W2, W3 = W
        loss = torch.nn.functional.cross_entropy(torch.relu(torch.relu(X @ W1) @ W2) @ W3, y)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        return loss
    return step


def run_torch():
    import torch
    dev = torch.device("cuda")
    g = torch.Generator(device="cpu").manual_seed(0)
    X = (torch.rand(N, F, generator=g) * 2 - 1).to(dev)
    y = torch.randint(0, C, (N,), generator=g).to(dev)
    init = [torch.randn(F, H, generator=g) * (2 / F) ** 0.5, torch.randn(H, H, generator=g) * (2 / H) ** 0.5,
            torch.randn(H, C, generator=g) * (2 / H) ** 0.5]
    for precision in ("fp32", "tf32"):
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.allow_tf32 = precision == "tf32"
        step = torch_sgd_step(torch, X, y, [w.clone().to(dev).requires_grad_() for w in init])

        def timed(fn, reps):
            for _ in range(20):
                fn()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            torch.cuda.synchronize()
            return (time.perf_counter() - t0) * 1e6 / reps

        us = timed(step, REPS)
        emit({"peer": "PyTorch %s eager" % torch.__version__, "item": "seed step " + precision, "us": us, "reps": REPS, "note": torch.cuda.get_device_name()})
        # The whole step (forward, backward, update) as one CUDA graph, replayed.
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        us = timed(graph.replay, REPS)
        emit({"peer": "PyTorch %s CUDA graph" % torch.__version__, "item": "seed step " + precision, "us": us, "reps": REPS, "note": ""})
        # The GEMMs alone at the seed's shapes, for the kernel rows.
        A = torch.rand(800, 1000, device=dev); B = torch.rand(1000, 1000, device=dev); A2 = torch.rand(2048, 2048, device=dev)
        for name, f, fl in (("sgemm 800×1000×1000", lambda: A @ B, 2 * 800 * 1000 * 1000),
                            ("sgemm 800×1000×1000 Bᵀ", lambda: A @ B.t(), 2 * 800 * 1000 * 1000),
                            ("sgemm 1000×1000×800 Aᵀ", lambda: A.t() @ A[:, :1000], 2 * 1000 * 1000 * 800),
                            ("sgemm 2048×2048×2048", lambda: A2 @ A2, 2 * 2048 ** 3)):
            us = timed(f, 200)
            emit({"peer": "PyTorch %s" % torch.__version__, "item": name + " " + precision, "us": us, "reps": 200, "note": "%.1f TFLOP/s" % (fl / us / 1e6)})
        if precision == "fp32":
            def time_sgd_step(module, loss_of, peer, item):
                # One SGD step (lr 0.01) on loss_of(), timed back to back; the gradients kept allocated between steps.
                opt = torch.optim.SGD(module.parameters(), lr=0.01)

                def step():
                    loss = loss_of()
                    opt.zero_grad(set_to_none=False)
                    loss.backward()
                    opt.step()
                us = timed(step, min(REPS, 300))
                emit({"peer": peer, "item": item, "us": us, "reps": min(REPS, 300), "note": ""})
            eager = "PyTorch %s eager" % torch.__version__
            # The LSTM step of `pnpm bench` (32×40×64 → 128, loss Σ h_last · G): cuDNN's LSTM.
            lstm = torch.nn.LSTM(64, 128, batch_first=True).to(dev)
            Xl = (torch.rand(32, 40, 64, generator=g) * 2 - 1).to(dev)
            Gl = (torch.rand(32, 128, generator=g) * 2 - 1).to(dev)
            time_sgd_step(lstm, lambda: (lstm(Xl)[1][0][-1] * Gl).sum(), eager + " (cuDNN)", "LSTM step 32×40×64 → 128")
            # The transformer encoder step of `pnpm bench` (32×40×64, 4 heads, ff 128, post-norm,
            # no dropout; loss Σ out · G).
            enc = torch.nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True).to(dev)
            Xt = (torch.rand(32, 40, 64, generator=g) * 2 - 1).to(dev)
            Gt = (torch.rand(32, 40, 64, generator=g) * 2 - 1).to(dev)
            time_sgd_step(enc, lambda: (enc(Xt) * Gt).sum(), eager, "transformer encoder step 32×40×64, 4 heads, ff 128")
            # The transformer decoder step: the same sizes, reading a memory of 40 steps, with a
            # causal target mask (symgrad's TransformerDecoder is causal by default).
            dec = torch.nn.TransformerDecoderLayer(64, 4, 128, dropout=0.0, batch_first=True).to(dev)
            Mt = (torch.rand(32, 40, 64, generator=g) * 2 - 1).to(dev)
            causal = torch.nn.Transformer.generate_square_subsequent_mask(40).to(dev)
            time_sgd_step(dec, lambda: (dec(Xt, Mt, tgt_mask=causal) * Gt).sum(), eager, "transformer decoder step 32×40×64 reading 40 memory steps, 4 heads, ff 128")

def run_jax():
    import jax
    import jax.numpy as jnp
    key = jax.random.PRNGKey(0)
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    X = jax.random.uniform(k1, (N, F), minval=-1, maxval=1)
    y = jax.random.randint(k2, (N,), 0, C)
    init = (jax.random.normal(k3, (F, H)) * (2 / F) ** 0.5, jax.random.normal(k4, (H, H)) * (2 / H) ** 0.5,
            jax.random.normal(k5, (H, C)) * (2 / H) ** 0.5)
    for precision, prec in (("fp32", jax.lax.Precision.HIGHEST), ("tf32", jax.lax.Precision.DEFAULT)):
        def loss_fn(W):
            W1, W2, W3 = W
            h1 = jax.nn.relu(jnp.dot(X, W1, precision=prec))
            h2 = jax.nn.relu(jnp.dot(h1, W2, precision=prec))
            z = jnp.dot(h2, W3, precision=prec)
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], axis=1))

        @jax.jit
        def step(W):
            loss, g = jax.value_and_grad(loss_fn)(W)
            return tuple(w - LR * gw for w, gw in zip(W, g)), loss

        W = tuple(jnp.array(w) for w in init)
        for _ in range(20):
            W, loss = step(W)
        loss.block_until_ready()
        t0 = time.perf_counter()
        for _ in range(REPS):
            W, loss = step(W)
        loss.block_until_ready()
        us = (time.perf_counter() - t0) * 1e6 / REPS
        emit({"peer": "JAX %s jit" % jax.__version__, "item": "seed step " + precision, "us": us, "reps": REPS, "note": str(jax.devices()[0])})


def run_torch_cpu():
    """PyTorch on the CPU, all cores, for the native CPU backend's row on the same machine."""
    import os
    import torch
    torch.set_num_threads(os.cpu_count())
    g = torch.Generator().manual_seed(0)
    X = torch.rand(N, F, generator=g) * 2 - 1
    y = torch.randint(0, C, (N,), generator=g)
    step = torch_sgd_step(torch, X, y, [(torch.randn(a, b, generator=g) * (2 / a) ** 0.5).requires_grad_() for a, b in ((F, H), (H, H), (H, C))])

    for _ in range(5):
        step()
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e6)
    times.sort()
    emit({"peer": "PyTorch %s CPU, %d threads" % (torch.__version__, torch.get_num_threads()), "item": "seed step fp32", "us": times[len(times) // 2], "reps": 30, "note": "median"})


PARTS = (("PyTorch CPU", run_torch_cpu),) if len(sys.argv) > 2 and sys.argv[2] == "cpu" else (("PyTorch", run_torch), ("JAX", run_jax))
for name, fn in PARTS:
    try:
        fn()
    except Exception as e:  # a missing framework is a row, not a crash
        emit({"peer": name, "error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()[-800:]})
