/** The backends the web page knows, and why one cannot run in this browser. */
import { getBackend, listBackends } from '@symgrad/core';
import '@symgrad/backend-cpu';
import '@symgrad/backend-webgpu';
import '@symgrad/backend-gpujs';

export interface WebBackend {
  readonly name: string;
  readonly label: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly device?: string;
}

/** What the browser itself offers, said next to a backend's own reason. */
function webgl2(): boolean {
  try {
    return document.createElement('canvas').getContext('webgl2') !== null;
  } catch {
    return false;
  }
}

/** WebGPU first, then gpu.js (WebGL2), then the TypeScript CPU path, as the page shows them. */
export async function webBackends(): Promise<WebBackend[]> {
  const registered = new Map((await listBackends()).map((b) => [b.name, b]));
  const out: WebBackend[] = [];
  for (const [name, label] of [['webgpu', 'WebGPU'], ['gpujs', 'gpu.js (WebGL2)'], ['cpu', 'TypeScript CPU']] as const) {
    const reg = registered.get(name);
    if (!reg) {
      out.push({
        name, label, available: false,
        reason: `the @symgrad/backend-gpujs package does not exist in this build yet, so there are no gpu.js kernels to run (this browser ${webgl2() ? 'has' : 'lacks'} WebGL2)`,
      });
    } else if (!reg.available) {
      out.push({ name, label, available: false, reason: reg.reason ?? 'unavailable' });
    } else {
      try {
        const b = await getBackend(name);
        out.push({ name, label, available: true, device: b.capabilities.device });
      } catch (err) {
        out.push({ name, label, available: false, reason: (err as Error).message });
      }
    }
  }
  return out;
}
