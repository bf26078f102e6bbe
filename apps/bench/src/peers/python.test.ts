import { describe, expect, it } from 'vitest';
import { probe, pythonCandidates, pyPeerName } from './python.js';

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
