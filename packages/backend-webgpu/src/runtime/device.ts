import type { CodegenLimits } from '../codegen/kernel.js';

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

/** A kernel's compiled pieces. */
export interface Prepared {
  readonly module: GPUShaderModule;
  readonly layout: GPUBindGroupLayout;
  readonly pipeline: Promise<GPUComputePipeline>;
  resolved?: GPUComputePipeline;
  pipelineNow(): GPUComputePipeline;
}

/** The limits the backend asks for: as much as the adapter offers of what kernels use. */
const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension', 'maxComputeWorkgroupSizeX', 'maxBindingsPerBindGroup',
] as const;

export interface DeviceLimits extends CodegenLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

/**
 * The device and what wraps it: limits, device-loss and uncaptured-error tracking (a lost
 * device or an out-of-memory error becomes a clear Error on the next call, never a crash),
 * and caches of shader modules and pipelines keyed by WGSL source (identical kernels in
 * different functions share one pipeline).
 */
export class DeviceContext {
  readonly limits: DeviceLimits;
  private lostReason: string | undefined;
  private errors: string[] = [];
  private readonly prepared = new Map<string, Prepared>();

  /** Whether the device can time passes itself ('timestamp-query'; then executables have runTimed). */
  readonly timestamps: boolean;

  private constructor(readonly device: GPUDevice, readonly adapterName: string) {
    this.timestamps = device.features.has('timestamp-query');
    const l = device.limits as unknown as Record<string, number>;
    this.limits = Object.fromEntries(LIMITS.map((k) => [k, l[k]!])) as unknown as DeviceLimits;
    void device.lost.then((info) => {
      this.lostReason = `${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}`;
    });
    device.addEventListener?.('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      const kind = e?.constructor?.name === 'GPUOutOfMemoryError' || /out of memory/i.test(e?.message ?? '') ? 'out of device memory' : 'device error';
      this.errors.push(`${kind}: ${e?.message ?? String(e)}`);
    });
  }

  /**
   * Requests a device with the adapter's limits for everything the kernels use, and its
   * timestamp queries where it has them (used only by profile runs).
   */
  static async create(adapter: GPUAdapter, adapterName: string): Promise<DeviceContext> {
    const a = adapter.limits as unknown as Record<string, number>;
    const requiredLimits: Record<string, number> = {};
    for (const k of LIMITS) if (typeof a[k] === 'number') requiredLimits[k] = a[k];
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'symgrad' });
    return new DeviceContext(device, adapterName);
  }

  /** Whether the device was lost (destroyed, reset, driver failure). */
  get lost(): string | undefined {
    return this.lostReason;
  }

  /** Throws when the device is lost, or an error (out of memory, validation) was raised since the last check. */
  check(): void {
    if (this.lostReason !== undefined) throw new Error(`webgpu backend: the device was lost (${this.lostReason}); create a new backend`);
    if (this.errors.length) {
      const errs = this.errors.splice(0);
      throw new Error(`webgpu backend: ${errs.join('; ')}`);
    }
  }

  /**
   * The shader module, bind group layout and pipeline of a kernel's WGSL, cached by source:
   * identical kernels in different functions share them. The pipeline is created
   * asynchronously (`pipeline`); `pipelineNow` gives it at once for a run before it is ready.
   */
  prepare(code: string, label: string, bindings: readonly { write: boolean }[]): Prepared {
    let p = this.prepared.get(code);
    if (!p) {
      const module = this.device.createShaderModule({ code, label });
      const layout = this.device.createBindGroupLayout({
        label,
        entries: bindings.map((b, i) => ({ binding: i, visibility: COMPUTE, buffer: { type: b.write ? 'storage' as const : 'read-only-storage' as const } })),
      });
      const descriptor: GPUComputePipelineDescriptor = {
        label,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      };
      const entry: Prepared = {
        module, layout,
        pipeline: this.device.createComputePipelineAsync(descriptor).then((pl) => (entry.resolved = pl)),
        pipelineNow: () => (entry.resolved ??= this.device.createComputePipeline(descriptor)),
      };
      entry.pipeline.catch(() => this.prepared.delete(code));
      p = entry;
      this.prepared.set(code, p);
    }
    return p;
  }

  /** The compiler's messages for a module, one per line. */
  async compilationMessages(module: GPUShaderModule): Promise<string> {
    try {
      const info = await module.getCompilationInfo();
      return info.messages.map((m) => `${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    } catch {
      return '';
    }
  }

  destroy(): void {
    this.prepared.clear();
    this.device.destroy();
  }
}
