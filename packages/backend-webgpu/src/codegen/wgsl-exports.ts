// The pieces every kernel generator uses, from one place.
export { BindingTable, ELEMENT_WORKGROUP, Helpers, splitDispatch, unravel, viewOffset, wgslType, isFloatD } from './wgsl-types.js';
export { castValue, f32Literal, i32Literal } from './wgsl-expr.js';
export { castVec4, renderExprsVec4 } from './wgsl-expr-vec4.js';
