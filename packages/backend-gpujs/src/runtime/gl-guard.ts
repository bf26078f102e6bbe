import type { GpuKernelLike, GpuLike } from './gpu-loader.js';

/**
 * Works around a gpu.js 2.x pitfall in its WebGL modes: all kernels of a GPU share one GL
 * context, and a kernel binds its full-screen quad's vertex buffer to the context's
 * attributes only when it is built. Destroying any kernel deletes that kernel's vertex
 * buffer, so every other kernel that was built earlier and is called again draws with no
 * buffer bound ("drawArrays: no buffer is bound to enabled attribute") and silently writes
 * nothing. Texture mode keeps kernels alive across executables (uploads, copies) and
 * functions are disposed while others live on, so this wrapper re-binds a kernel's own quad
 * before its call whenever some kernel was destroyed since it last ran.
 *
 * It reads gpu.js internals (`kernel.context`, `.buffer`, `.program`, the `aPos`/`aTexCoord`
 * attributes of gpu.js 2.24's vertex shader); where they are absent (cpu/webasm modes, the
 * test stand-in, a kernel not built yet, which binds itself when built) it does nothing.
 */
interface GlKernelInternals {
  context?: {
    ARRAY_BUFFER: number; FLOAT: number;
    bindBuffer(target: number, buffer: unknown): void;
    getAttribLocation(program: unknown, name: string): number;
    enableVertexAttribArray(loc: number): void;
    vertexAttribPointer(loc: number, size: number, type: number, normalized: boolean, stride: number, offset: number): void;
  } | null;
  buffer?: unknown;
  program?: unknown;
}

/** Byte offset of the texture coordinates in gpu.js's quad buffer (after 4 vec2 vertices). */
const TEX_COORD_OFFSET = 8 * 4;

function rebindQuad(shortcut: GpuKernelLike): void {
  const k = (shortcut as unknown as { kernel?: GlKernelInternals }).kernel;
  const gl = k?.context;
  if (!k || !gl || !k.buffer || !k.program) return;
  gl.bindBuffer(gl.ARRAY_BUFFER, k.buffer);
  const pos = gl.getAttribLocation(k.program, 'aPos');
  if (pos !== -1) {
    gl.enableVertexAttribArray(pos);
    gl.vertexAttribPointer(pos, 2, gl.FLOAT, false, 0, 0);
  }
  const tex = gl.getAttribLocation(k.program, 'aTexCoord');
  if (tex !== -1) {
    gl.enableVertexAttribArray(tex);
    gl.vertexAttribPointer(tex, 2, gl.FLOAT, false, 0, TEX_COORD_OFFSET);
  }
}

/** A GPU whose kernels survive the destruction of other kernels (see the file comment). */
export function guardKernels(gpu: GpuLike): GpuLike {
  let destroyed = 0;
  return {
    mode: gpu.mode,
    Kernel: gpu.Kernel,
    createKernel(source: string, settings?: Record<string, unknown>): GpuKernelLike {
      const inner = gpu.createKernel(source, settings);
      let seen = destroyed;
      const run = (...args: unknown[]): unknown => {
        if (seen !== destroyed) rebindQuad(inner);
        const r = inner(...args);
        seen = destroyed;
        return r;
      };
      return Object.assign(run, {
        setOutput(output: number[]): GpuKernelLike {
          inner.setOutput(output);
          return run as GpuKernelLike;
        },
        destroy(removeCanvasReferences?: boolean): void {
          inner.destroy?.(removeCanvasReferences);
          destroyed++;
        },
      }) as GpuKernelLike;
    },
    destroy: () => gpu.destroy?.(),
  };
}
