import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { PythonServer, probe, pythonCandidates, pyPeerName } from './python.js';

describe('the Python peers', () => {
  it('try $PYTHON, then python3 on PATH, then the system interpreter (where Debian installs torch), without repeats', () => {
    expect(pythonCandidates({})).toEqual(['python3', '/usr/bin/python3']);
    expect(pythonCandidates({ PYTHON: '/opt/py/bin/python' })).toEqual(['/opt/py/bin/python', 'python3', '/usr/bin/python3']);
    expect(pythonCandidates({ PYTHON: 'python3' })).toEqual(['python3', '/usr/bin/python3']);
  });

  it('say why each interpreter cannot be used, and report the first that can', () => {
    const missing = probe('numpy', ['/nonexistent/python3']);
    expect(missing).toEqual({ ok: false, reason: 'not installed (/nonexistent/python3: ENOENT)' });
    const found = probe('numpy', ['/nonexistent/python3', ...pythonCandidates()]);
    // Where no interpreter has numpy the reason names every one tried.
    if (found.ok) expect(found.python).not.toBe('/nonexistent/python3');
    else expect(found.reason).toMatch(/^not installed \(\/nonexistent\/python3: ENOENT; python3: /);
  });

  it('names rows by library and version', () => {
    expect(pyPeerName('torch', '1.13.0a0')).toBe('PyTorch 1.13.0a0 CPU');
    expect(pyPeerName('numpy')).toBe('numpy');
  });
});

// A stand-in for python3 (a Node script): it answers the probe, then behaves as FAKE_PYTHON_MODE says,
// so that each way a real child can fail is seen as the reason the bench reports.
const FAKE_PYTHON = `#!${process.execPath}
const args = process.argv.slice(2);
if (args.length === 2) { console.log('9.9.9'); process.exit(0); } // the probe: -c 'import numpy, …'
const mode = process.env.FAKE_PYTHON_MODE;
if (mode === 'no-start') { setTimeout(() => process.exit(0), 1000); return; }
if (mode === 'no-module') { process.stderr.write("ModuleNotFoundError: No module named 'torch'\\n"); process.exit(1); }
if (mode === 'warns') { console.log('<frozen importlib._bootstrap>:241: RuntimeWarning: numpy.ndarray size changed'); process.exit(0); }
console.log(JSON.stringify({ info: 'fake numpy 9.9.9' }));
// Stops reading, then exits: the first request is written to a closed pipe (EPIPE) before the exit.
if (mode === 'quits') { require('node:fs').closeSync(0); setTimeout(() => process.exit(5), 300); return; }
let buf = '';
process.stdin.on('data', (c) => {
  buf += c;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const req = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (req.op === 'quit') process.exit(0);
    if (mode === 'die') { process.stderr.write('Traceback (most recent call last):\\nMemoryError: Unable to allocate 3.73 GiB\\n'); process.exit(3); }
    if (mode === 'killed') process.kill(process.pid, 'SIGKILL');
    if (mode === 'not-json') console.log('Segmentation fault in libopenblas');
    if (mode === 'raise') console.log(JSON.stringify({ error: "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0" }));
    // 'silent': no answer
  }
});
process.stdin.on('end', () => process.exit(0));
`;

describe('a Python child that fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'symgrad-fake-python-'));
  const fake = join(dir, 'python3');
  writeFileSync(fake, FAKE_PYTHON, { mode: 0o755 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });
  const row = { group: 'seed', item: 'seed step', flops: 1 };
  const policy = { warmup: 0, minReps: 1, maxReps: 1, budgetMs: 0 };
  const spec = { kind: 'step', shape: { rows: 4, features: 3, hidden: 5, classes: 2 } } as const;
  const startFake = (mode: string): Promise<PythonServer> => {
    vi.stubEnv('PYTHON', fake);
    vi.stubEnv('FAKE_PYTHON_MODE', mode);
    return PythonServer.start('numpy');
  };

  it('reports its exit code and last stderr line, for this request and every later one', async () => {
    const s = await startFake('die');
    expect(s.info).toBe('fake numpy 9.9.9');
    expect(s.peer).toBe('numpy 9.9.9');
    await expect(s.prepare(spec, row, policy)).rejects.toThrow('python exited with code 3: MemoryError: Unable to allocate 3.73 GiB');
    await expect(s.prepare(spec, row, policy)).rejects.toThrow('python exited with code 3: MemoryError: Unable to allocate 3.73 GiB');
    await s.close();
  });

  it('reports the signal that ended it when it wrote nothing to stderr', async () => {
    const s = await startFake('killed');
    await expect(s.prepare(spec, row, policy)).rejects.toThrow('python exited on signal SIGKILL: no message on stderr');
  });

  it('reports an answer that is not JSON, naming the request', async () => {
    const s = await startFake('not-json');
    await expect(s.prepare(spec, row, policy)).rejects.toThrow("python answered the 'prepare' request with a line that is not JSON: Segmentation fault in libopenblas");
    await s.close();
  });

  it("passes on the child's own exception", async () => {
    const s = await startFake('raise');
    await expect(s.prepare(spec, row, policy)).rejects.toThrow('ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0');
    await s.close();
  });

  it('gives up on a request it does not answer, naming the request and the wait', async () => {
    const s = await startFake('silent');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const answer = expect(s.prepare(spec, row, policy)).rejects.toThrow("python did not answer the 'prepare' request in 300 s");
    await vi.advanceTimersByTimeAsync(300_000);
    await answer;
    vi.useRealTimers();
    await s.close();
  });

  it('reports a child that dies before its first line, with its exit code and message', async () => {
    await expect(startFake('no-module')).rejects.toThrow("python exited with code 1: ModuleNotFoundError: No module named 'torch'");
  });

  it('answers a request written to a child that is gone with its exit, not an uncaught EPIPE', async () => {
    const s = await startFake('quits');
    await expect(s.prepare(spec, row, policy)).rejects.toThrow('python exited with code 5: no message on stderr');
  });

  it('reports a first line that is not JSON', async () => {
    await expect(startFake('warns')).rejects.toThrow('python answered at start with a line that is not JSON: <frozen importlib._bootstrap>:241: RuntimeWarning: numpy.ndarray size changed');
  });

  it('gives up on a child that never writes its first line', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const started = expect(startFake('no-start')).rejects.toThrow('python did not start in 120 s (no first line on stdout)');
    await vi.advanceTimersByTimeAsync(120_000);
    await started;
  });
});
