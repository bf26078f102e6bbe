// Fake libcuda.so.1, part two: device and pinned memory and copies. See fake_driver.cc; modules
// and kernel launches are in fake_driver_kernels.cc.
#include "fake_driver_state.h"

using namespace fakedrv;

// ---- exported to the fake cuBLAS / cuBLASLt ---------------------------------------------
extern "C" int fakecuda_submit(void* stream, FakeOp* op) {
  LOCK;
  return submit(stream, std::shared_ptr<FakeOp>(op));
}
extern "C" int fakecuda_check_range(const void* p, size_t bytes, const char* what) {
  LOCK;
  if (bytes == 0) return OK;
  uintptr_t a = (uintptr_t)p;
  auto it = g_allocs.upper_bound(a);
  if (it != g_allocs.begin()) {
    --it;
    if (a >= it->first && a + bytes <= it->first + it->second.bytes) return OK;
  }
  return complain(ILLEGAL_ADDRESS, "%s: [%p, +%zu bytes) is not inside a live device allocation", what, p, bytes);
}
extern "C" int fakecuda_has_context(void) { return t_current != nullptr; }
extern "C" int fakecuda_stream_valid(void* stream) { LOCK; return validStream(stream); }

extern "C" {
CUresult cuDeviceGetDefaultMemPool(void** pool, int dev) {
  NEED_INIT;
  if (!pool) return INVALID_VALUE;
  if (dev != 0) return INVALID_DEVICE;
  static int thePool;
  *pool = &thePool;
  return OK;
}
CUresult cuMemPoolSetAttribute(void* pool, int attr, void* value) {
  NEED_INIT;
  if (!pool || !value) return INVALID_VALUE;
  // 1-4 settable; 6 and 8 (high watermarks) only reset to 0; 5 and 7 are read-only.
  if (attr >= 1 && attr <= 4) return OK;
  if ((attr == 6 || attr == 8) && *(uint64_t*)value == 0) return OK;
  return INVALID_VALUE;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  LOCK;
  NEED_CTX;
  if (!p) return INVALID_VALUE;
  if (Capture* c = captureAffectingThisThread(); c && c->mode != 2)
    return complain(CAP_UNSUPPORTED, "cuMemAlloc (not stream-ordered) during capture");
  uintptr_t out = 0;
  int rc = allocate(bytes, &out, false);
  if (rc == OK) *p = out;
  return rc;
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  LOCK;
  NEED_CTX;
  if (Capture* c = captureAffectingThisThread(); c && c->mode != 2)
    return complain(CAP_UNSUPPORTED, "cuMemFree (not stream-ordered) during capture");
  return release(p);
}
CUresult cuMemAllocAsync(CUdeviceptr* p, size_t bytes, void* stream) {
  LOCK;
  NEED_CTX;
  if (!p) return INVALID_VALUE;
  if (!validStream(stream)) return INVALID_HANDLE;
  Stream* s = isDefault(stream) ? nullptr : (Stream*)stream;
  if (s && s->cap) {  // a memory-allocation node: the graph owns the memory
    if (s->cap->invalid) return CAP_INVALIDATED;
    uintptr_t out = 0;
    if (int rc = allocate(bytes, &out, true)) return rc;
    s->cap->graph->owned->ptrs.push_back(out);
    auto op = std::make_shared<FakeOp>();
    op->kind = "alloc";
    op->detail = "bytes=" + std::to_string(bytes);
    record(s, op);
    *p = out;
    return OK;
  }
  if (int rc = checkUncapturedStream(stream, "cuMemAllocAsync")) return rc;
  uintptr_t out = 0;
  int rc = allocate(bytes, &out, false);
  if (rc == OK) *p = out;
  return rc;
}
CUresult cuMemFreeAsync(CUdeviceptr p, void* stream) {
  LOCK;
  NEED_CTX;
  if (!validStream(stream)) return INVALID_HANDLE;
  Stream* s = isDefault(stream) ? nullptr : (Stream*)stream;
  if (s && s->cap) {
    if (s->cap->invalid) return CAP_INVALIDATED;
    auto op = std::make_shared<FakeOp>();
    op->kind = "free";
    auto& owned = s->cap->graph->owned->ptrs;
    if (std::find(owned.begin(), owned.end(), (uintptr_t)p) == owned.end()) {
      if (!g_allocs.count(p)) return complain(INVALID_VALUE, "captured free of %p, not a live allocation", (void*)p);
      op->run = [p]() { return release(p); };  // frees at replay: a second replay fails
    }
    record(s, op);
    return OK;
  }
  if (int rc = checkUncapturedStream(stream, "cuMemFreeAsync")) return rc;
  if (int rc = release(p)) return rc;
  for (Graph* g : g_graphs) { auto& v = g->owned->ptrs; v.erase(std::remove(v.begin(), v.end(), (uintptr_t)p), v.end()); }
  return OK;
}
CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned flags) {
  LOCK;
  NEED_CTX;
  if (!p || (flags & ~0xFu)) return INVALID_VALUE;
  *p = malloc(bytes ? bytes : 1);
  if (!*p) return OOM;
  g_hostAllocs.insert(*p);
  return OK;
}
CUresult cuMemFreeHost(void* p) {
  LOCK;
  NEED_CTX;
  if (!g_hostAllocs.erase(p)) return INVALID_VALUE;
  free(p);
  return OK;
}
static CUresult copyOp(void* stream, const char* kind, void* dst, const void* src, size_t bytes, bool dstDev, bool srcDev) {
  auto op = std::make_shared<FakeOp>();
  op->kind = kind;
  op->detail = "bytes=" + std::to_string(bytes);
  op->costMs = 1e-7 * (double)bytes;
  op->run = [=]() {
    if (dstDev) if (int rc = fakecuda_check_range(dst, bytes, kind)) return rc;
    if (srcDev) if (int rc = fakecuda_check_range(src, bytes, kind)) return rc;
    if (!dst || !src) return (int)INVALID_VALUE;
    memmove(dst, src, bytes);
    return (int)OK;
  };
  return submit(stream, op);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream) {
  LOCK;
  NEED_CTX;
  return copyOp(stream, "memcpy_htod", (void*)dst, src, bytes, true, false);
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream) {
  LOCK;
  NEED_CTX;
  return copyOp(stream, "memcpy_dtoh", dst, (const void*)src, bytes, false, true);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream) {
  LOCK;
  NEED_CTX;
  return copyOp(stream, "memcpy_dtod", (void*)dst, (const void*)src, bytes, true, true);
}
CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
  LOCK;
  NEED_CTX;
  if (!freeBytes || !total) return INVALID_VALUE;
  *total = memLimit();
  *freeBytes = *total > g_used ? *total - g_used : 0;
  return OK;
}
}  // extern "C"
