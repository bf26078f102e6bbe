import { describe, expect, it } from 'vitest';
import { T, applyOp, listOps, type OpName } from '../index.js';

const x = T.matrix('x');
const v = T.vector('v');
const r = T.row('r');
const w = T.tensor('float32', [3, 4], 'w');
const y = T.ivector('y');

describe('shape and dtype inference', () => {
  it('elementwise broadcasting follows NumPy with static size-1 axes', () => {
    expect(T.add(w, T.tensor('float32', [4], 'b')).shape).toEqual([3, 4]);
    expect(T.add(r, x).shape).toEqual([null, null]);
    expect(T.add(T.tensor('float32', [3, 1]), T.tensor('float32', [1, 5])).shape).toEqual([3, 5]);
    expect(T.mul(x, 2).shape).toEqual([null, null]);
    expect(T.add(x, T.tensor('float32', [null, 7])).shape).toEqual([null, 7]);
  });
  it('dtype promotion keeps JS numbers weak', () => {
    expect(T.mul(x, 0.1).dtype).toBe('float32');
    expect(T.add(y, 1).dtype).toBe('int32');
    expect(T.add(y, 0.5).dtype).toBe('float32');
    expect(T.add(y, x).dtype).toBe('float32');
    expect(T.add(T.dmatrix(), x).dtype).toBe('float64');
    expect(T.exp(y).dtype).toBe('float32');
    expect(T.div(y, y).dtype).toBe('float32');
    expect(T.gt(x, 0).dtype).toBe('bool');
    expect(T.sum(T.bvector()).dtype).toBe('int32');
    expect(T.neg(T.bvector()).dtype).toBe('int32');
    expect(T.cast(x, 'int32').dtype).toBe('int32');
    expect(T.where(T.gt(x, 0), x, y).dtype).toBe('float32');
  });
  it('reductions', () => {
    expect(T.sum(w).shape).toEqual([]);
    expect(T.sum(w, 0).shape).toEqual([4]);
    expect(T.max(w, 1, true).shape).toEqual([3, 1]);
    expect(T.mean(w, [0, 1], true).shape).toEqual([1, 1]);
    expect(T.mean(y).dtype).toBe('float32');
    expect(T.argmax(w).shape).toEqual([3]);
    expect(T.argmax(w, 0, true).dtype).toBe('int32');
    expect(T.min(w, -1).shape).toEqual([3]);
    expect(T.logSumExp(w, 1).shape).toEqual([3]);
  });
  it('matmul and dot', () => {
    expect(T.dot(x, w).shape).toEqual([null, 4]);
    expect(T.dot(w, T.tensor('float32', [4])).shape).toEqual([3]);
    expect(T.dot(T.tensor('float32', [3]), w).shape).toEqual([4]);
    expect(T.dot(v, v).shape).toEqual([]);
    expect(T.matmul(w, w, { transA: true }).shape).toEqual([4, 4]);
    expect(T.matmul(w, w, { transB: true }).shape).toEqual([3, 3]);
    expect(T.matmul(T.tensor('float32', [2, 1, 3, 4]), T.tensor('float32', [5, 4, 6])).shape).toEqual([2, 5, 3, 6]);
  });
  it('movement', () => {
    expect(T.transpose(w).shape).toEqual([4, 3]);
    expect(w.T.shape).toEqual([4, 3]);
    expect(T.transpose(T.tensor3(), [1, 2, 0]).ndim).toBe(3);
    expect(T.reshape(w, [2, -1]).shape).toEqual([2, 6]);
    expect(T.reshape(x, [-1]).shape).toEqual([null]);
    expect(T.flatten(w).shape).toEqual([12]);
    expect(T.broadcastTo(T.tensor('float32', [1, 4]), [3, 4]).shape).toEqual([3, 4]);
    expect(T.slice(w, [1, null], [null, null, 2]).shape).toEqual([2, 2]);
    expect(T.slice(w, -1).shape).toEqual([4]);
    expect(T.slice(w, [-10, 10]).shape).toEqual([3, 4]);
    expect(T.concat([w, w], 1).shape).toEqual([3, 8]);
    expect(T.concat([x, w], 0).shape).toEqual([null, 4]);
    expect(T.expandDims(w, 0).shape).toEqual([1, 3, 4]);
    expect(T.splitLike(T.concat([w, w]), [w, w], 0).map((p) => p.shape)).toEqual([[3, 4], [3, 4]]);
  });
  it('nnet', () => {
    expect(T.softmax(x).shape).toEqual([null, null]);
    expect(T.logSoftmax(w, 0).shape).toEqual([3, 4]);
    expect(T.categoricalCrossentropy(T.softmax(x), y).shape).toEqual([null]);
    expect(T.categoricalCrossentropy(w, w).shape).toEqual([3]);
    expect(T.oneHot(y, 10).shape).toEqual([null, 10]);
    expect(T.oneHot(y, 10, 'int32').dtype).toBe('int32');
    expect(T.binaryCrossentropy(w, w).shape).toEqual([3, 4]);
    expect(T.size(x, 0).shape).toEqual([]);
  });
  it('every op is reachable from a test above', () => {
    const tested: OpName[] = ['add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum', 'lt', 'le', 'gt', 'ge', 'eq', 'ne'];
    expect(listOps().length).toBeGreaterThan(40);
    for (const op of tested) expect(listOps()).toContain(op);
  });
});

describe('errors name the op, inputs, shapes and call site', () => {
  const b5 = T.tensor('float32', [5], 'b5');
  const cases: [string, () => unknown, RegExp][] = [
    ['broadcast', () => T.add(w, b5), /^add: shapes \[3, 4\] and \[5\] cannot be broadcast \(axis -1: 4 vs 5\); inputs: 'w' \(float32\[3, 4\]\), 'b5' \(float32\[5\]\) \(built at .*ops\.test\.ts/],
    ['matmul inner', () => T.dot(w, w), /^matmul: inner dimensions differ: \[3, 4\] · \[3, 4\] \(4 vs 3\); inputs: 'w'/],
    ['matmul dtype', () => T.matmul(T.dmatrix('d'), x), /^matmul: operands must share a float dtype, got float64 and float32/],
    ['matmul int', () => T.matmul(T.imatrix('i'), T.imatrix('j')), /^matmul: operands must share a float dtype, got int32 and int32/],
    ['matmul rank', () => T.matmul(v, x), /^matmul: operands need at least 2 dimensions, got \[\?\] and \[\?, \?\]/],
    ['dot scalar', () => T.dot(T.scalar('s'), x), /^dot: operands must be vectors or matrices, got 's' \(float32\[\]\)/],
    ['where cond', () => T.where(x, x, x), /^where: condition must be bool, got float32 \(compare with T\.gt\/T\.eq or cast first\); inputs: 'x'/],
    ['reduce axis', () => T.sum(w, 2), /^sum: axis 2 is out of range for 'w' \(float32\[3, 4\]\)/],
    ['reduce repeated', () => T.max(w, [0, 0]), /^max: axis 0 is repeated in axes \[0, 0\]/],
    ['argmax axis', () => T.argmax(w, 5), /^argmax: axis 5 is out of range/],
    ['reshape size', () => T.reshape(w, [5, 2]), /^reshape: cannot reshape \[3, 4\] \(12 elements\) to \[5, 2\] \(10 elements\)/],
    ['reshape two -1', () => T.reshape(w, [-1, -1]), /^reshape: only one dimension can be -1/],
    ['reshape -1 no fit', () => T.reshape(w, [5, -1]), /^reshape: cannot reshape \[3, 4\] \(12 elements\) to \[5, -1\]/],
    ['transpose perm', () => T.transpose(w, [0, 0]), /^transpose: perm \[0, 0\] is not a permutation of 2 axes/],
    ['broadcastTo', () => T.broadcastTo(w, [3, 5]), /^broadcastTo: cannot broadcast \[3, 4\] to \[3, 5\]/],
    ['broadcastTo rank', () => T.broadcastTo(w, [4]), /^broadcastTo: cannot broadcast \[3, 4\] to \[4\]: more dimensions than the target/],
    ['slice step', () => T.slice(w, [0, 2, 0]), /^slice: slice step must be a positive integer, got 0 on axis 0/],
    ['slice specs', () => T.slice(w, null, null, null), /^slice: 3 specs for 'w'/],
    ['concat dtype', () => T.concat([w, T.imatrix('i')]), /^concat: all inputs must share a dtype: input 0 is float32, input 1 is int32/],
    ['concat shape', () => T.concat([w, T.tensor('float32', [3, 5])], 0), /^concat: concat input 1 has shape \[3, 5\]: axis 1 must be 4/],
    ['concat rank', () => T.concat([w, v]), /^concat: concat input 1 has rank 1, expected 2/],
    ['concat empty', () => T.concat([]), /^concat: needs at least one tensor/],
    ['oneHot dtype', () => T.oneHot(v, 3), /^oneHot: indices must be int32, got float32/],
    ['oneHot depth', () => T.oneHot(y, 0), /^oneHot: depth must be a positive integer, got 0/],
    ['softmax int', () => T.softmax(y), /^softmax: input must be float, got int32/],
    ['softmax axis', () => T.softmax(w, 3), /^softmax: axis 3 is out of range for 'w'/],
    ['cce labels shape', () => T.categoricalCrossentropy(w, T.ivector('lab', { shape: [4] })), /^categoricalCrossentropy: int labels must have shape \[3\] for probabilities \[3, 4\], got \[4\]/],
    ['cce targets dtype', () => T.categoricalCrossentropy(w, T.bmatrix('t')), /^categoricalCrossentropy: targets must be int32 labels or float one-hot rows, got bool/],
    ['cce onehot shape', () => T.categoricalCrossentropy(w, T.tensor('float32', [3, 5])), /^categoricalCrossentropy: one-hot targets must have the probabilities' shape \[3, 4\], got \[3, 5\]/],
    ['bad operand', () => T.add(x, 'a' as never), /^add: operand 1 is a string, not a tensor, number or array/],
    ['tensor dtype', () => T.tensor('float16' as never, []), /^tensor: unknown dtype 'float16' \(use float32, float64, int32 or bool\)$/],
    ['row dtype', () => T.row('r', 'int8' as never), /^row 'r': unknown dtype 'int8' \(use float32, float64, int32 or bool\)$/],
    ['tensor rank', () => T.matrix('m', { shape: [3] }), /^matrix 'm': a rank-2 variable needs a shape of 2 dims, got \[3\]$/],
    ['tensor dim', () => T.tensor('float32', [2, -1], 't'), /^tensor 't': invalid dimension -1 in shape \[2, -1\]: dimensions must be non-negative integers, or null for a size known at call time$/],
    ['matrix dim', () => T.matrix('m', { shape: [null, 2.5] }), /^matrix 'm': invalid dimension 2\.5 in shape \[\?, 2\.5\]/],
    ['reshape invalid dim', () => T.reshape(w, [2, -2, 3]), /^reshape: invalid target shape \[2, -2, 3\]: dimension 1 is -2, not a non-negative integer or -1; inputs: 'w' \(float32\[3, 4\]\)/],
    ['reshape fractional dim', () => T.reshape(w, [1.5, 8]), /^reshape: invalid target shape \[1\.5, 8\]: dimension 0 is 1\.5/],
    ['reshapeLike size', () => T.reshapeLike(w, b5), /^reshapeLike: cannot reshape \[3, 4\] \(12 elements\) to the shape \[5\] \(5 elements\) of the second input; inputs: 'w' \(float32\[3, 4\]\), 'b5' \(float32\[5\]\)/],
    ['broadcastTo invalid dim', () => T.broadcastTo(w, [-3, 4]), /^broadcastTo: invalid target shape \[-3, 4\]: dimension 0 is -3, not a non-negative integer; inputs: 'w' \(float32\[3, 4\]\)/],
    ['slice index', () => T.slice(w, 1.5), /^slice: index 1\.5 on axis 0 of 'w' \(float32\[3, 4\]\) is not an integer/],
    ['slice bounds', () => T.slice(w, [0.5, 2]), /^slice: slice bounds must be integers, got begin 0\.5 and end 2 on axis 0; inputs: 'w' \(float32\[3, 4\]\)/],
    ['slice drops an axis of unknown shape', () => T.slice(T.tensor3('t3'), 0), /^slice: indexing an axis of 't3' \(float32\[\?, \?, \?\]\) drops it, which needs at most one unknown remaining dimension; use a \[i, i \+ 1\] range instead/],
    ['slice props', () => applyOp('slice', { begin: [0], end: [null], step: [1] }, [w]), /^slice: slice needs begin, end and step for each of 2 axes, got 1, 1 and 1; inputs: 'w'/],
    ['padSlice shape', () => applyOp('padSlice', { begin: [0], end: [2], step: [1] }, [T.tensor('float32', [3], 'g'), b5]), /^padSlice: a slice of \[5\] has shape \[2\], not \[3\]; inputs: 'g' \(float32\[3\]\), 'b5'/],
    ['splitLike tiling', () => T.splitLike(w, [T.tensor('float32', [1, 4]), T.tensor('float32', [1, 4])], 0), /^splitLike: pieces \[1, 4\], \[1, 4\] do not tile \[3, 4\] along axis 0; inputs: 'w'/],
    ['splitLike piece not a variable', () => T.splitLike(w, [3 as never], 0), /^splitLike: input 1 is not a symbolic variable \(got a number\)/],
    ['sizeOf axis', () => applyOp('sizeOf', { axes: [3], dtype: 'float32' }, [w]), /^sizeOf: axis 3 is out of range for rank 2; inputs: 'w'/],
    ['sum axis through applyOp', () => applyOp('sum', { axes: [2], keepdims: false }, [w]), /^sum: axis 2 is out of range for a tensor of rank 2; inputs: 'w'/],
    ['op arity', () => applyOp('add', {}, [w]), /^add: expected 2 inputs, got 1/],
    ['argmax empty axis', () => T.argmax(T.tensor('float32', [0, 3], 'e'), 0), /^argmax: axis 0 has size 0: an empty axis has no largest element; inputs: 'e' \(float32\[0, 3\]\)/],
    ['cce rank 0', () => T.categoricalCrossentropy(T.scalar('p'), T.iscalar('l')), /^categoricalCrossentropy: probabilities need at least one axis \(the classes\); inputs: 'p' \(float32\[\]\), 'l' \(int32\[\]\)/],
    ['sce rank 0', () => T.softmaxCrossEntropy(T.scalar('z'), T.iscalar('l')), /^softmaxCrossEntropy: logits need at least one axis \(the classes\); inputs: 'z' \(float32\[\]\), 'l' \(int32\[\]\)/],
    ['concat axis', () => T.concat([w, w], 2), /^concat: axis 2 is out of range for 'w' \(float32\[3, 4\]\)/],
    ['expandDims axis', () => T.expandDims(w, 4), /^expandDims: axis 4 is out of range for 'w' \(float32\[3, 4\]\)/],
    ['expandDims unknown dims', () => T.expandDims(x, 0), /^expandDims: 'x' \(float32\[\?, \?\]\) has several unknown dimensions; give the variable a static shape/],
    ['cce probabilities dtype', () => T.categoricalCrossentropy(T.imatrix('i'), y), /^categoricalCrossentropy: probabilities must be float, got int32; inputs: 'i'/],
    ['cce one-hot dtype', () => T.categoricalCrossentropy(w, T.dmatrix('t')), /^categoricalCrossentropy: one-hot targets must have the probabilities' dtype float32, got float64; inputs: 'w' \(float32\[3, 4\]\), 't' \(float64\[\?, \?\]\)/],
    ['sce logits dtype', () => T.softmaxCrossEntropy(T.imatrix('i'), y), /^softmaxCrossEntropy: logits must be float, got int32; inputs: 'i'/],
    ['sce labels dtype', () => T.softmaxCrossEntropy(x, v), /^softmaxCrossEntropy: labels must be int32, got float32; inputs: 'x' \(float32\[\?, \?\]\), 'v' \(float32\[\?\]\)/],
    ['sce labels shape', () => T.softmaxCrossEntropy(w, T.ivector('lab', { shape: [4] })), /^softmaxCrossEntropy: labels must have shape \[3\] for logits \[3, 4\], got \[4\]/],
    ['sce grad cotangent', () => applyOp('softmaxCrossEntropyGrad', {}, [x, y, T.dvector('g')]), /^softmaxCrossEntropyGrad: the cotangent must have the logits' dtype float32, got float64; inputs: 'x' \(float32\[\?, \?\]\), 'y' \(int32\[\?\]\), 'g' \(float64\[\?\]\)/],
  ];
  for (const [name, f, re] of cases) {
    it(name, () => expect(f).toThrow(re));
  }
});
