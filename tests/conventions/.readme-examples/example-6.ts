import { WebGPUBackend, withDawnFeatures } from '@symgrad/backend-webgpu';
const gpu = await WebGPUBackend.create({ dawnFlags: withDawnFeatures(['disable_robustness']) });

export {};
