// Fake libcublasLt.so.13: descriptors that store attributes (every SetAttribute checks the
// value's size against the attribute's documented type and returns
// CUBLAS_STATUS_INVALID_VALUE on mismatch), heuristics that check the layouts against the
// operation, and cublasLtMatmul computed on the host through the fake driver's streams.
//
// Algorithms. For a consistent problem the heuristic hands out up to three algorithms:
//   index 0: workspace 0,        cost factor 2  (returned first, as the "heuristic best")
//   index 1: workspace 64 KiB,   cost factor 1  (only if MAX_WORKSPACE_BYTES >= 64 KiB)
//   index 2: workspace 0,        cost factor 3
// A run costs (1e-6 * m*n*k*batch + 0.01) ms * factor on the fake clock that
// cuEventElapsedTime reads, so a tuner that times the candidates between events prefers
// index 1, while one that trusts the heuristic order takes index 0. The log names the index.
// Each algorithm must come from this library (magic + serial), match the descriptor's types
// and epilogue, and get at least its workspace; pointers must honour the alignment declared in
// the preference (CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_*_BYTES, default 256, capped at 16).
#include "fake_internal.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

typedef int cublasStatus_t;
namespace {
enum : int { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, EXECUTION_FAILED = 13, NOT_SUPPORTED = 15 };
enum : int { R_32F = 0, R_64F = 1 };
enum : int { C32F = 68, C32F_PEDANTIC = 69, C64F = 70, C32F_FAST_TF32 = 77 };
constexpr uint64_t kMagic = 0xFA4EC0B1A5A1600Full;
constexpr size_t kAlgo1Workspace = 64 << 10;
const double kCostFactor[3] = {2.0, 1.0, 3.0};

int fail(int code, const char* what) {
  fprintf(stderr, "fake-cublasLt: status %d: %s\n", code, what);
  return code;
}

struct Lt { int magic = 0x17; };
struct Desc {
  int32_t computeType, scaleType, pointerMode = 0, transa = 0, transb = 0, transc = 0, fill = 0;
  uint32_t epilogue = 1;
  const void* bias = nullptr;
  int64_t biasBatchStride = 0;
  int32_t biasType = -1;  // -1: unset, i.e. the type of D
};
struct Layout { uint32_t type; int32_t order = 0; uint64_t rows, cols; int64_t ld; int32_t batch = 1; int64_t stride = 0; };
struct Pref { uint32_t search = 0; uint64_t maxWorkspace = 0; uint32_t align[4] = {256, 256, 256, 256}; };

std::mutex g_mu;
std::set<void*> g_live;           // live descriptors, layouts, preferences, handles
std::set<uint64_t> g_algoSerials;  // every algorithm handed out
uint64_t g_nextSerial = 1;
bool live(void* p) { std::lock_guard<std::mutex> l(g_mu); return p && g_live.count(p); }
void add(void* p) { std::lock_guard<std::mutex> l(g_mu); g_live.insert(p); }
bool drop(void* p) { std::lock_guard<std::mutex> l(g_mu); return g_live.erase(p) > 0; }

// Copies an attribute value after checking its size against the documented type.
template <class T>
int setExact(T& field, const void* buf, size_t size) {
  if (!buf || size != sizeof(T)) return fail(INVALID_VALUE, "attribute value size does not match its documented type");
  memcpy(&field, buf, sizeof(T));
  return OK;
}

const char* epilogueName(uint32_t e) {
  switch (e) {
    case 1: return "DEFAULT"; case 2: return "RELU"; case 4: return "BIAS"; case 6: return "RELU_BIAS";
    default: return "?";
  }
}

struct Problem { int64_t m, n, k, batch; bool ta, tb; int type; };
// The documented consistency rules: D is m x n and C matches it; op(A) is m x k (A itself
// k x m when transposed); op(B) is k x n; column-major with ld >= rows; one batch count;
// types agree with the compute type (fake supports 32F data with 32F* compute, 64F with 64F).
int checkProblem(const Desc* d, const Layout* A, const Layout* B, const Layout* C, const Layout* D, Problem& p) {
  if (!d || !A || !B || !C || !D) return fail(INVALID_VALUE, "null descriptor");
  if (A->order || B->order || C->order || D->order) return fail(NOT_SUPPORTED, "only column-major layouts are supported");
  if (A->type != D->type || B->type != D->type || C->type != D->type) return fail(NOT_SUPPORTED, "mixed matrix types");
  bool f64 = d->computeType == C64F;
  if (f64 ? (D->type != R_64F || d->scaleType != R_64F)
          : (D->type != R_32F || d->scaleType != R_32F ||
             (d->computeType != C32F && d->computeType != C32F_PEDANTIC && d->computeType != C32F_FAST_TF32)))
    return fail(NOT_SUPPORTED, "compute type / scale type / matrix type combination");
  if (d->transc != 0 || d->pointerMode != 0) return fail(NOT_SUPPORTED, "TRANSC or device pointer mode");
  const uint32_t e = d->epilogue;
  // The epilogues symgrad uses; the fake has no others (RELU_AUX / DRELU masks, GELU, …).
  if (e != 1 && e != 2 && e != 4 && e != 6) return fail(NOT_SUPPORTED, "epilogue");
  if (d->biasType != -1 && (uint32_t)d->biasType != D->type) return fail(NOT_SUPPORTED, "bias data type differs from D");
  p.ta = d->transa != 0;
  p.tb = d->transb != 0;
  p.m = (int64_t)D->rows;
  p.n = (int64_t)D->cols;
  p.k = (int64_t)(p.ta ? A->rows : A->cols);
  p.type = (int)D->type;
  if ((p.ta ? A->cols : A->rows) != D->rows) return fail(INVALID_VALUE, "rows of op(A) != rows of D");
  if ((p.tb ? B->rows : B->cols) != D->cols) return fail(INVALID_VALUE, "cols of op(B) != cols of D");
  if ((int64_t)(p.tb ? B->cols : B->rows) != p.k) return fail(INVALID_VALUE, "cols of op(A) != rows of op(B)");
  if (C->rows != D->rows || C->cols != D->cols) return fail(INVALID_VALUE, "C and D shapes differ");
  for (const Layout* l : {A, B, C, D})
    if (l->ld < (int64_t)std::max<uint64_t>(1, l->rows)) return fail(INVALID_VALUE, "leading dimension < rows");
  if (D->batch < 1 || A->batch != D->batch || B->batch != D->batch || C->batch != D->batch)
    return fail(INVALID_VALUE, "batch counts differ between A, B, C and D");
  p.batch = D->batch;
  return OK;
}
uint64_t signature(const Desc* d, const Problem& p) { return (uint64_t)d->computeType | (uint64_t)p.type << 8 | (uint64_t)d->epilogue << 16; }

template <class T>
int run(const Problem& p, double alpha, double beta, const T* A, Layout la, const T* B, Layout lb, const T* C, Layout lc, T* D,
        Layout ld, const T* bias, int64_t biasStride, uint32_t epi, bool tf32, void* ws, size_t wsNeeded) {
  const size_t e = sizeof(T);
  bool readAB = alpha != 0 && p.k > 0;
  if (readAB) {
    if (int rc = fakecuda_check_range(A, fakecuda_extent(la.rows, la.cols, la.ld, la.batch, la.stride, e), "ltmatmul A")) return rc;
    if (int rc = fakecuda_check_range(B, fakecuda_extent(lb.rows, lb.cols, lb.ld, lb.batch, lb.stride, e), "ltmatmul B")) return rc;
  }
  if (beta != 0)
    if (int rc = fakecuda_check_range(C, fakecuda_extent(lc.rows, lc.cols, lc.ld, lc.batch, lc.stride, e), "ltmatmul C")) return rc;
  if (int rc = fakecuda_check_range(D, fakecuda_extent(ld.rows, ld.cols, ld.ld, ld.batch, ld.stride, e), "ltmatmul D")) return rc;
  if (readAB) {
    const size_t dBytes = fakecuda_extent(ld.rows, ld.cols, ld.ld, ld.batch, ld.stride, e);
    if (int rc = fakecuda_check_overlap(D, dBytes, A, fakecuda_extent(la.rows, la.cols, la.ld, la.batch, la.stride, e), "ltmatmul D vs A")) return rc;
    if (int rc = fakecuda_check_overlap(D, dBytes, B, fakecuda_extent(lb.rows, lb.cols, lb.ld, lb.batch, lb.stride, e), "ltmatmul D vs B")) return rc;
  }
  if (epi & 4u)
    if (int rc = fakecuda_check_range(bias, fakecuda_extent(p.m, 1, p.m, p.batch, biasStride, e), "ltmatmul bias")) return rc;
  if (wsNeeded)
    if (int rc = fakecuda_check_range(ws, wsNeeded, "ltmatmul workspace")) return rc;
  for (int64_t b = 0; b < p.batch; b++)
    fakecuda_gemm<T>(p.ta, p.tb, p.m, p.n, readAB ? p.k : 0, alpha, A + b * la.stride, la.ld, B + b * lb.stride, lb.ld, beta,
                     C + b * lc.stride, lc.ld, D + b * ld.stride, ld.ld, tf32, bias ? bias + b * biasStride : nullptr, epi);
  return 0;
}
}  // namespace

extern "C" {
size_t cublasLtGetVersion() { return 130000; }
const char* cublasLtGetStatusString(cublasStatus_t s) {
  switch (s) {
    case OK: return "CUBLAS_STATUS_SUCCESS";
    case NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}
cublasStatus_t cublasLtCreate(Lt** h) {
  if (!h) return INVALID_VALUE;
  *h = new Lt;
  add(*h);
  return OK;
}
cublasStatus_t cublasLtDestroy(Lt* h) {
  if (!drop(h)) return NOT_INITIALIZED;
  delete h;
  return OK;
}

cublasStatus_t cublasLtMatmulDescCreate(Desc** d, int computeType, int scaleType) {
  if (!d) return INVALID_VALUE;
  if (computeType < 64 || computeType > 79 || scaleType < 0) return fail(INVALID_VALUE, "MatmulDescCreate: compute type");
  *d = new Desc{computeType, scaleType};
  add(*d);
  return OK;
}
cublasStatus_t cublasLtMatmulDescDestroy(Desc* d) {
  if (!drop(d)) return INVALID_VALUE;
  delete d;
  return OK;
}
// Sizes per cublasLtMatmulDescAttributes_t: int32_t for 0-6, 15, 22, 26; uint32_t EPILOGUE (7);
// pointers for 8, 11, 17-21; int64_t for 10, 12, 13, 14.
cublasStatus_t cublasLtMatmulDescSetAttribute(Desc* d, int attr, const void* buf, size_t size) {
  if (!live(d)) return INVALID_VALUE;
  int32_t i32;
  int64_t i64;
  const void* ptr;
  switch (attr) {
    case 0: return setExact(d->computeType, buf, size);
    case 1: return setExact(d->scaleType, buf, size);
    case 2: return setExact(d->pointerMode, buf, size);
    case 3: case 4: {
      if (int rc = setExact(i32, buf, size)) return rc;
      if (i32 < 0 || i32 > 2) return fail(INVALID_VALUE, "TRANSA/TRANSB value");
      (attr == 3 ? d->transa : d->transb) = i32;
      return OK;
    }
    case 5: return setExact(d->transc, buf, size);
    case 6: return setExact(d->fill, buf, size);
    case 7: return setExact(d->epilogue, buf, size);
    case 8: return setExact(d->bias, buf, size);
    case 10: return setExact(d->biasBatchStride, buf, size);
    case 17: case 18: case 19: case 20: case 21: return setExact(ptr, buf, size);
    case 13: case 14: return setExact(i64, buf, size);
    case 15: case 22: return setExact(i32, buf, size);
    case 26: return setExact(d->biasType, buf, size);
    default: return fail(INVALID_VALUE, "MatmulDescSetAttribute: attribute unknown to the fake");
  }
}

cublasStatus_t cublasLtMatrixLayoutCreate(Layout** l, int type, uint64_t rows, uint64_t cols, int64_t ld) {
  if (!l) return INVALID_VALUE;
  *l = new Layout{(uint32_t)type, 0, rows, cols, ld};
  add(*l);
  return OK;
}
cublasStatus_t cublasLtMatrixLayoutDestroy(Layout* l) {
  if (!drop(l)) return INVALID_VALUE;
  delete l;
  return OK;
}
// TYPE uint32_t, ORDER int32_t, ROWS/COLS uint64_t, LD int64_t, BATCH_COUNT int32_t,
// STRIDED_BATCH_OFFSET int64_t, PLANE_OFFSET int64_t.
cublasStatus_t cublasLtMatrixLayoutSetAttribute(Layout* l, int attr, const void* buf, size_t size) {
  if (!live(l)) return INVALID_VALUE;
  int64_t plane;
  switch (attr) {
    case 0: return setExact(l->type, buf, size);
    case 1: return setExact(l->order, buf, size);
    case 2: return setExact(l->rows, buf, size);
    case 3: return setExact(l->cols, buf, size);
    case 4: return setExact(l->ld, buf, size);
    case 5: {
      if (int rc = setExact(l->batch, buf, size)) return rc;
      return l->batch >= 1 ? OK : fail(INVALID_VALUE, "BATCH_COUNT < 1");
    }
    case 6: return setExact(l->stride, buf, size);
    case 7: return setExact(plane, buf, size);
    default: return fail(INVALID_VALUE, "MatrixLayoutSetAttribute: attribute unknown to the fake");
  }
}

cublasStatus_t cublasLtMatmulPreferenceCreate(Pref** p) {
  if (!p) return INVALID_VALUE;
  *p = new Pref;
  add(*p);
  return OK;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(Pref* p) {
  if (!drop(p)) return INVALID_VALUE;
  delete p;
  return OK;
}
// SEARCH_MODE uint32_t, MAX_WORKSPACE_BYTES uint64_t, REDUCTION_SCHEME_MASK uint32_t,
// MIN_ALIGNMENT_{A,B,C,D}_BYTES uint32_t, MAX_WAVES_COUNT float, IMPL_MASK uint64_t.
cublasStatus_t cublasLtMatmulPreferenceSetAttribute(Pref* p, int attr, const void* buf, size_t size) {
  if (!live(p)) return INVALID_VALUE;
  uint32_t u32;
  uint64_t u64;
  float f;
  switch (attr) {
    case 0: return setExact(p->search, buf, size);
    case 1: return setExact(p->maxWorkspace, buf, size);
    case 3: return setExact(u32, buf, size);
    case 5: case 6: case 7: case 8: return setExact(p->align[attr - 5], buf, size);
    case 9: return setExact(f, buf, size);
    case 12: return setExact(u64, buf, size);
    default: return fail(INVALID_VALUE, "MatmulPreferenceSetAttribute: attribute unknown to the fake");
  }
}

struct HeuristicResult { uint64_t algo[8]; size_t workspaceSize; cublasStatus_t state; float wavesCount; int reserved[4]; };
cublasStatus_t cublasLtMatmulAlgoGetHeuristic(Lt* h, Desc* d, Layout* A, Layout* B, Layout* C, Layout* D, Pref* pref, int requested,
                                               HeuristicResult* results, int* returned) {
  if (!live(h)) return NOT_INITIALIZED;
  if (!live(d) || !live(A) || !live(B) || !live(C) || !live(D) || !live(pref) || !results || !returned || requested <= 0)
    return fail(INVALID_VALUE, "AlgoGetHeuristic arguments");
  *returned = 0;
  Problem p;
  if (int rc = checkProblem(d, A, B, C, D, p)) return rc;
  int n = 0;
  for (int idx = 0; idx < 3 && n < requested; idx++) {
    size_t ws = idx == 1 ? kAlgo1Workspace : 0;
    if (ws > pref->maxWorkspace) continue;
    HeuristicResult& r = results[n++];
    memset(&r, 0, sizeof r);
    uint64_t align = 0;
    for (int m = 0; m < 4; m++) align |= (uint64_t)std::min<uint32_t>(16, std::max<uint32_t>(1, pref->align[m])) << (8 * m);
    std::lock_guard<std::mutex> l(g_mu);
    uint64_t serial = g_nextSerial++;
    g_algoSerials.insert(serial);
    r.algo[0] = kMagic;
    r.algo[1] = serial;
    r.algo[2] = (uint64_t)idx;
    r.algo[3] = ws;
    r.algo[4] = signature(d, p);
    r.algo[5] = align;
    r.workspaceSize = ws;
    r.state = OK;
    r.wavesCount = 1.0f;
  }
  *returned = n;
  return n ? OK : fail(NOT_SUPPORTED, "no algorithm fits");
}

cublasStatus_t cublasLtMatmul(Lt* h, Desc* d, const void* alpha, const void* A, Layout* la, const void* B, Layout* lb,
                              const void* beta, const void* C, Layout* lc, void* D, Layout* ld, const uint64_t* algo, void* ws,
                              size_t wsBytes, void* stream) {
  if (!live(h)) return NOT_INITIALIZED;
  if (!live(d) || !live(la) || !live(lb) || !live(lc) || !live(ld) || !alpha || !beta || !D) return fail(INVALID_VALUE, "Matmul arguments");
  Problem p;
  if (int rc = checkProblem(d, la, lb, lc, ld, p)) return rc;
  uint64_t idx = 0, wsNeeded = 0, align = 0x10101010;
  if (algo) {
    bool ours;
    { std::lock_guard<std::mutex> l(g_mu); ours = algo[0] == kMagic && g_algoSerials.count(algo[1]) && algo[2] < 3; }
    if (!ours) return fail(INVALID_VALUE, "algo was not returned by cublasLtMatmulAlgoGetHeuristic");
    if (algo[4] != signature(d, p)) return fail(INVALID_VALUE, "algo was returned for another compute type, data type or epilogue");
    idx = algo[2];
    wsNeeded = algo[3];
    align = algo[5];
  }
  if (wsBytes < wsNeeded) return fail(INVALID_VALUE, "workspace smaller than the algo's workspaceSize");
  if (wsNeeded && !ws) return fail(INVALID_VALUE, "null workspace");
  const void* ptrs[4] = {A, B, C, D};
  for (int m = 0; m < 4; m++)
    if ((uintptr_t)ptrs[m] % ((align >> (8 * m)) & 0xFF)) return fail(NOT_SUPPORTED, "pointer less aligned than the preference's MIN_ALIGNMENT");
  if (C == D && (lc->ld != ld->ld || lc->batch != ld->batch || lc->stride != ld->stride)) return fail(INVALID_VALUE, "in-place C == D with different layouts");
  if ((d->epilogue & 4u) && !d->bias) return fail(INVALID_VALUE, "bias epilogue without BIAS_POINTER");
  const bool f64 = p.type == R_64F, tf32 = d->computeType == C32F_FAST_TF32;
  const double al = f64 ? *(const double*)alpha : *(const float*)alpha, be = f64 ? *(const double*)beta : *(const float*)beta;
  // Everything the run needs is copied now: descriptors may change or die before a replay.
  const Layout a = *la, b = *lb, c = *lc, dd = *ld;
  const uint32_t epi = d->epilogue;
  const void* bias = (epi & 4u) ? d->bias : nullptr;
  const int64_t biasStride = d->biasBatchStride;
  auto op = new FakeOp;
  op->kind = "ltmatmul";
  op->detail = std::string("lib=cublasLt dtype=") + (f64 ? "f64" : "f32") + " compute=" + std::to_string(d->computeType) +
               " m=" + std::to_string(p.m) + " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) + " batch=" +
               std::to_string(p.batch) + " ta=" + (p.ta ? "T" : "N") + " tb=" + (p.tb ? "T" : "N") + " epilogue=" +
               epilogueName(epi) + " algo=" + std::to_string(idx);
  op->costMs = (1e-6 * p.m * p.n * (double)p.k * p.batch + 0.01) * kCostFactor[idx];
  op->run = [=]() {
    return f64 ? run<double>(p, al, be, (const double*)A, a, (const double*)B, b, (const double*)C, c, (double*)D, dd, (const double*)bias,
                             biasStride, epi, false, ws, wsNeeded)
               : run<float>(p, al, be, (const float*)A, a, (const float*)B, b, (const float*)C, c, (float*)D, dd, (const float*)bias,
                            biasStride, epi, tf32, ws, wsNeeded);
  };
  return fakecuda_submit(stream, op) == 0 ? OK : EXECUTION_FAILED;
}
}
