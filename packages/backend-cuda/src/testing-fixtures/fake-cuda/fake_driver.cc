// Fake libcuda.so.1: the CUDA driver API entry points the addon resolves, on the host.
// Device memory is host memory (256-byte aligned, filled with 0xFF = NaN like uninitialized
// device memory). Work runs synchronously when enqueued, except on a capturing stream, where
// it is recorded into a graph as the driver docs describe (cuStreamBeginCapture,
// cuStreamWaitEvent, cuEventRecord, cuStreamEndCapture). Misuse returns the documented error.
// Stricter than a real driver, on purpose: work enqueued from the capturing thread onto a
// stream that is not part of the active capture returns CUDA_ERROR_STREAM_CAPTURE_ISOLATION
// (905), because in this project such work would silently escape the graph.
#include "fake_internal.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace {
enum : int {
  OK = 0, INVALID_VALUE = 1, OOM = 2, NOT_INITIALIZED = 3, INVALID_DEVICE = 101, INVALID_IMAGE = 200,
  INVALID_CONTEXT = 201, NO_BINARY = 209, INVALID_HANDLE = 400, ILLEGAL_STATE = 401, NOT_FOUND = 500,
  NOT_READY = 600, ILLEGAL_ADDRESS = 700, CAP_UNSUPPORTED = 900, CAP_INVALIDATED = 901, CAP_MERGE = 902,
  CAP_UNMATCHED = 903, CAP_UNJOINED = 904, CAP_ISOLATION = 905, CAP_IMPLICIT = 906, CAPTURED_EVENT = 907,
  CAP_WRONG_THREAD = 908,
};
const struct { int code; const char* name; const char* text; } kErrors[] = {
    {OK, "CUDA_SUCCESS", "no error"}, {INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {OOM, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"}, {NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"}, {INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"}, {NO_BINARY, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"}, {ILLEGAL_STATE, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"}, {NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CAP_UNSUPPORTED, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {CAP_INVALIDATED, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {CAP_MERGE, "CUDA_ERROR_STREAM_CAPTURE_MERGE", "operation would result in a merge of separate capture sequences"},
    {CAP_UNMATCHED, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "capture was not ended in the same stream as it began"},
    {CAP_UNJOINED, "CUDA_ERROR_STREAM_CAPTURE_UNJOINED", "capturing stream has unjoined work"},
    {CAP_ISOLATION, "CUDA_ERROR_STREAM_CAPTURE_ISOLATION", "dependency created on uncaptured work in another stream"},
    {CAP_IMPLICIT, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"},
    {CAPTURED_EVENT, "CUDA_ERROR_CAPTURED_EVENT", "operation not permitted on an event last recorded in a capturing stream"},
    {CAP_WRONG_THREAD, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD", "attempt to terminate a thread-local capture sequence from another thread"},
};

std::recursive_mutex g_mu;
#define LOCK std::lock_guard<std::recursive_mutex> lock_(g_mu)
bool g_init = false;
double g_clockMs = 0;  // the fake device clock: advanced by each executed op's cost

// ---- log -------------------------------------------------------------------------------
void logLine(const char* fmt, ...) {
  const char* path = getenv("FAKE_CUDA_LOG");
  if (!path || !*path) return;
  FILE* f = fopen(path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}
int complain(int code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fake-cuda: error %d: ", code);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

// ---- context ---------------------------------------------------------------------------
struct Ctx { int magic; };
Ctx g_ctx{0xC7C7};
int g_ctxRefs = 0;
thread_local Ctx* t_current = nullptr;  // the driver's current context is per thread

// ---- memory ----------------------------------------------------------------------------
struct Alloc { size_t bytes; bool graphOwned; };
std::map<uintptr_t, Alloc> g_allocs;  // device allocations by start address
std::set<void*> g_hostAllocs;
size_t g_used = 0;
size_t memLimit() {
  const char* v = getenv("FAKE_CUDA_MEM_LIMIT");
  return v && *v ? (size_t)strtoull(v, nullptr, 10) : (size_t)16 << 30;
}
int allocate(size_t bytes, uintptr_t* out, bool graphOwned) {
  if (bytes == 0) return INVALID_VALUE;  // documented: bytesize 0 is CUDA_ERROR_INVALID_VALUE
  size_t rounded = (bytes + 255) & ~(size_t)255;
  if (g_used + rounded > memLimit()) return OOM;
  void* p = aligned_alloc(256, rounded);
  if (!p) return OOM;
  memset(p, 0xFF, rounded);
  g_allocs[(uintptr_t)p] = {rounded, graphOwned};
  g_used += rounded;
  *out = (uintptr_t)p;
  return OK;
}
int release(uintptr_t p) {
  auto it = g_allocs.find(p);
  if (it == g_allocs.end()) return complain(INVALID_VALUE, "free of %p, which is not a live device allocation", (void*)p);
  g_used -= it->second.bytes;
  free((void*)p);
  g_allocs.erase(it);
  return OK;
}

// ---- streams, events, graphs -----------------------------------------------------------
struct Node { std::shared_ptr<FakeOp> op; std::vector<size_t> deps; int streamId; };
// Memory allocated while capturing belongs to the graph (and its instantiations): freed when
// the last of them is destroyed, unless the program frees it first.
struct Owned {
  std::vector<uintptr_t> ptrs;
  ~Owned() { for (auto p : ptrs) if (g_allocs.count(p)) release(p); }
};
struct Graph { int id; std::vector<Node> nodes; std::shared_ptr<Owned> owned = std::make_shared<Owned>(); };
struct Exec { int id; std::vector<Node> nodes; std::vector<size_t> order; std::shared_ptr<Owned> owned; };
struct Capture;
struct Stream { int id; unsigned flags; Capture* cap = nullptr; std::vector<size_t> deps; };
struct Capture { uint64_t serial; Graph* graph; Stream* origin; int mode; std::thread::id thread; std::set<Stream*> members; int invalid = 0; };
struct Event { unsigned flags; bool recorded = false; double timeMs = 0; uint64_t capSerial = 0; std::vector<size_t> deps; };

std::set<Stream*> g_streams;
std::set<Event*> g_events;
std::set<Graph*> g_graphs;
std::set<Exec*> g_execs;
std::map<uint64_t, Capture*> g_captures;  // active captures by serial
int g_nextStream = 1, g_nextGraph = 1;
uint64_t g_nextCapture = 1;

Stream* const kLegacy = reinterpret_cast<Stream*>(0x1);
Stream* const kPerThread = reinterpret_cast<Stream*>(0x2);
bool isDefault(void* s) { return s == nullptr || s == kLegacy || s == kPerThread; }
bool validStream(void* s) { return isDefault(s) || g_streams.count((Stream*)s); }
int streamId(void* s) { return isDefault(s) ? 0 : ((Stream*)s)->id; }

// A capture begun on this thread (or a global-mode one anywhere) that is still active.
Capture* captureAffectingThisThread() {
  for (auto& [serial, c] : g_captures)
    if (c->thread == std::this_thread::get_id() || c->mode == 0) return c;
  return nullptr;
}
void invalidate(Capture* c, int code) { if (!c->invalid) c->invalid = code; }

// Work on a stream outside the capture while a capture is active: the legacy stream joins
// with capturing blocking streams (906, documented); any other stream is the fake's strict
// rule (905): the work would run eagerly instead of in the graph.
int checkUncapturedStream(void* stream, const char* what) {
  Capture* c = captureAffectingThisThread();
  if (!c) return OK;
  if (stream == nullptr || stream == kLegacy) {
    invalidate(c, CAP_IMPLICIT);
    return complain(CAP_IMPLICIT, "%s on the legacy stream while stream %d is capturing", what, c->origin->id);
  }
  return complain(CAP_ISOLATION, "%s on stream %d, which is not part of the capture begun on stream %d (it would run outside the graph)",
                  what, streamId(stream), c->origin->id);
}

int execute(const std::shared_ptr<FakeOp>& op, int sid, const char* mode) {
  int rc = op->run ? op->run() : OK;
  g_clockMs += op->costMs;
  logLine("op=%s mode=%s stream=%d %s%s", op->kind.c_str(), mode, sid, op->detail.c_str(), rc ? " FAILED" : "");
  return rc;
}

// Record a node on a capturing stream: it depends on the stream's current dependency set.
void record(Stream* s, std::shared_ptr<FakeOp> op) {
  Graph* g = s->cap->graph;
  g->nodes.push_back({std::move(op), s->deps, s->id});
  s->deps = {g->nodes.size() - 1};
}

int submit(void* stream, std::shared_ptr<FakeOp> op) {
  if (!t_current) return INVALID_CONTEXT;
  if (!validStream(stream)) return INVALID_HANDLE;
  if (!isDefault(stream) && ((Stream*)stream)->cap) {
    Stream* s = (Stream*)stream;
    if (s->cap->invalid) return CAP_INVALIDATED;
    record(s, std::move(op));
    return OK;
  }
  if (int rc = checkUncapturedStream(stream, op->kind.c_str())) return rc;
  return execute(op, streamId(stream), "eager");
}

void endCaptureOf(Capture* c) {
  for (Stream* s : c->members) { s->cap = nullptr; s->deps.clear(); }
  g_captures.erase(c->serial);
  delete c;
}

// ---- modules ---------------------------------------------------------------------------
struct Module;
struct Function { Module* mod; std::string name; };
struct Module { std::map<std::string, Function*> fns; std::set<std::string> names; };
std::set<Module*> g_modules;
std::set<Function*> g_functions;
}  // namespace

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

#define NEED_INIT if (!g_init) return NOT_INITIALIZED
#define NEED_CTX NEED_INIT; if (!t_current) return INVALID_CONTEXT

extern "C" {
CUresult cuInit(unsigned flags) {
  LOCK;
  if (flags != 0) return INVALID_VALUE;  // documented: Flags must be 0
  g_init = true;
  return OK;
}
CUresult cuDriverGetVersion(int* v) {
  if (!v) return INVALID_VALUE;
  *v = 13000;
  return OK;
}
CUresult cuGetErrorName(CUresult e, const char** s) {
  if (!s) return INVALID_VALUE;
  for (auto& k : kErrors) if (k.code == e) { *s = k.name; return OK; }
  *s = nullptr;
  return INVALID_VALUE;
}
CUresult cuGetErrorString(CUresult e, const char** s) {
  if (!s) return INVALID_VALUE;
  for (auto& k : kErrors) if (k.code == e) { *s = k.text; return OK; }
  *s = nullptr;
  return INVALID_VALUE;
}
CUresult cuDeviceGetCount(int* n) { NEED_INIT; if (!n) return INVALID_VALUE; *n = 1; return OK; }
CUresult cuDeviceGet(int* d, int ordinal) {
  NEED_INIT;
  if (!d) return INVALID_VALUE;
  if (ordinal != 0) return INVALID_DEVICE;
  *d = 0;
  return OK;
}
CUresult cuDeviceGetName(char* name, int len, int dev) {
  NEED_INIT;
  if (!name || len <= 0) return INVALID_VALUE;
  if (dev != 0) return INVALID_DEVICE;
  snprintf(name, (size_t)len, "%s", "Fake CUDA device");
  return OK;
}
CUresult cuDeviceGetAttribute(int* v, int attr, int dev) {
  NEED_INIT;
  if (!v) return INVALID_VALUE;
  if (dev != 0) return INVALID_DEVICE;
  static const std::map<int, int> kAttrs = {
      {1, 1024}, {2, 1024}, {3, 1024}, {4, 64}, {5, 2147483647}, {6, 65535}, {7, 65535}, {8, 49152}, {10, 32},
      {12, 65536}, {13, 1980000}, {16, 132}, {36, 2619000}, {37, 5120}, {39, 2048}, {75, 9}, {76, 0}, {81, 233472},
      {82, 65536}, {97, 232448}, {115, 1}};
  if (attr <= 0 || attr > 150) return INVALID_VALUE;
  auto it = kAttrs.find(attr);
  *v = it == kAttrs.end() ? 0 : it->second;
  return OK;
}
CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev) {
  NEED_INIT;
  if (!bytes) return INVALID_VALUE;
  if (dev != 0) return INVALID_DEVICE;
  *bytes = memLimit();
  return OK;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int dev) {
  LOCK;
  NEED_INIT;
  if (!ctx) return INVALID_VALUE;
  if (dev != 0) return INVALID_DEVICE;
  g_ctxRefs++;
  *ctx = &g_ctx;
  return OK;
}
CUresult cuDevicePrimaryCtxRelease_v2(int dev) {
  LOCK;
  NEED_INIT;
  if (dev != 0) return INVALID_DEVICE;
  if (g_ctxRefs <= 0) return INVALID_CONTEXT;
  g_ctxRefs--;
  return OK;
}
CUresult cuCtxSetCurrent(void* ctx) {
  LOCK;
  NEED_INIT;
  if (ctx && (ctx != &g_ctx || g_ctxRefs <= 0)) return INVALID_CONTEXT;
  t_current = (Ctx*)ctx;
  return OK;
}

CUresult cuStreamCreate(void** out, unsigned flags) {
  LOCK;
  NEED_CTX;
  if (!out || (flags & ~1u)) return INVALID_VALUE;
  Stream* s = new Stream{g_nextStream++, flags};
  g_streams.insert(s);
  *out = s;
  return OK;
}
CUresult cuStreamDestroy_v2(void* stream) {
  LOCK;
  NEED_INIT;
  if (isDefault(stream) || !g_streams.count((Stream*)stream)) return INVALID_HANDLE;
  Stream* s = (Stream*)stream;
  if (s->cap) { invalidate(s->cap, CAP_INVALIDATED); s->cap->members.erase(s); }
  g_streams.erase(s);
  delete s;
  return OK;
}
CUresult cuStreamSynchronize(void* stream) {
  LOCK;
  NEED_INIT;
  if (!validStream(stream)) return INVALID_HANDLE;
  if (!isDefault(stream) && ((Stream*)stream)->cap) {  // documented as illegal while capturing
    invalidate(((Stream*)stream)->cap, CAP_UNSUPPORTED);
    return complain(CAP_UNSUPPORTED, "cuStreamSynchronize on capturing stream %d", streamId(stream));
  }
  if (isDefault(stream))
    if (Capture* c = captureAffectingThisThread()) {
      invalidate(c, CAP_UNSUPPORTED);
      return complain(CAP_UNSUPPORTED, "cuStreamSynchronize(default stream) while stream %d is capturing", c->origin->id);
    }
  return OK;  // all work already ran
}

CUresult cuEventCreate(void** out, unsigned flags) {
  LOCK;
  NEED_CTX;
  if (!out || (flags & ~0xFu)) return INVALID_VALUE;
  Event* e = new Event{flags};
  g_events.insert(e);
  *out = e;
  return OK;
}
CUresult cuEventDestroy_v2(void* ev) {
  LOCK;
  NEED_INIT;
  if (!g_events.count((Event*)ev)) return INVALID_HANDLE;
  g_events.erase((Event*)ev);
  delete (Event*)ev;
  return OK;
}
// An event whose last record was in a still-active capture (documented: 907 for query/sync).
static bool capturedNow(Event* e) { return e->capSerial && g_captures.count(e->capSerial); }
CUresult cuEventRecord(void* ev, void* stream) {
  LOCK;
  NEED_CTX;
  Event* e = (Event*)ev;
  if (!g_events.count(e) || !validStream(stream)) return INVALID_HANDLE;
  if (!isDefault(stream) && ((Stream*)stream)->cap) {
    Stream* s = (Stream*)stream;
    if (s->cap->invalid) return CAP_INVALIDATED;
    e->capSerial = s->cap->serial;  // no node: the event only carries the stream's dependencies
    e->deps = s->deps;
    return OK;
  }
  if (int rc = checkUncapturedStream(stream, "cuEventRecord")) return rc;
  e->capSerial = 0;
  e->deps.clear();
  e->recorded = true;
  e->timeMs = g_clockMs;
  logLine("op=event_record mode=eager stream=%d", streamId(stream));
  return OK;
}
CUresult cuEventQuery(void* ev) {
  LOCK;
  NEED_INIT;
  Event* e = (Event*)ev;
  if (!g_events.count(e)) return INVALID_HANDLE;
  if (capturedNow(e)) return complain(CAPTURED_EVENT, "cuEventQuery on an event recorded in an active capture");
  return OK;
}
CUresult cuEventSynchronize(void* ev) {
  LOCK;
  NEED_INIT;
  Event* e = (Event*)ev;
  if (!g_events.count(e)) return INVALID_HANDLE;
  if (capturedNow(e)) return complain(CAPTURED_EVENT, "cuEventSynchronize on an event recorded in an active capture");
  return OK;
}
// Elapsed time is the fake clock between the two records: the summed cost of every op that
// ran in between (see FakeOp::costMs; cuBLASLt algorithms differ in cost, fake_cublaslt.cc).
CUresult cuEventElapsedTime(float* ms, void* a, void* b) {
  LOCK;
  NEED_INIT;
  Event *s = (Event*)a, *e = (Event*)b;
  if (!ms) return INVALID_VALUE;
  if (!g_events.count(s) || !g_events.count(e)) return INVALID_HANDLE;
  if (capturedNow(s) || capturedNow(e)) return complain(CAPTURED_EVENT, "cuEventElapsedTime on an event recorded in an active capture");
  if ((s->flags | e->flags) & 2u) return complain(INVALID_HANDLE, "cuEventElapsedTime on an event created with CU_EVENT_DISABLE_TIMING");
  if (!s->recorded || !e->recorded) return complain(INVALID_HANDLE, "cuEventElapsedTime on an event never recorded");
  *ms = (float)(e->timeMs - s->timeMs);
  return OK;
}
CUresult cuStreamWaitEvent(void* stream, void* ev, unsigned flags) {
  LOCK;
  NEED_CTX;
  Event* e = (Event*)ev;
  if (!g_events.count(e) || !validStream(stream)) return INVALID_HANDLE;
  if (flags & ~1u) return INVALID_VALUE;
  Stream* s = isDefault(stream) ? nullptr : (Stream*)stream;
  if (capturedNow(e)) {
    Capture* c = g_captures[e->capSerial];
    if (!s) { invalidate(c, CAP_IMPLICIT); return complain(CAP_IMPLICIT, "default stream waits on a captured event"); }
    if (s->cap && s->cap != c) {
      invalidate(c, CAP_MERGE);
      invalidate(s->cap, CAP_MERGE);
      return complain(CAP_MERGE, "stream %d (capturing) waits on an event of another capture", s->id);
    }
    if (c->invalid) return CAP_INVALIDATED;
    if (!s->cap) {  // the stream joins the capture, depending on what the event captured
      s->cap = c;
      s->deps = e->deps;
      c->members.insert(s);
    } else {
      for (size_t d : e->deps) if (std::find(s->deps.begin(), s->deps.end(), d) == s->deps.end()) s->deps.push_back(d);
    }
    return OK;
  }
  if (s && s->cap) {  // a dependency on work outside the capture
    invalidate(s->cap, CAP_ISOLATION);
    return complain(CAP_ISOLATION, "capturing stream %d waits on an event not recorded in the capture", s->id);
  }
  if (int rc = checkUncapturedStream(stream, "cuStreamWaitEvent")) return rc;
  logLine("op=wait_event mode=eager stream=%d", streamId(stream));
  return OK;
}

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

// A fake cubin (fake_nvrtc.cc): "FAKECUBIN\narch=sm_XX\nkernel=NAME\n...\0".
CUresult cuModuleLoadData(void** out, const void* image) {
  LOCK;
  NEED_CTX;
  if (!out || !image) return INVALID_VALUE;
  const char* s = (const char*)image;
  if (strncmp(s, "FAKECUBIN\narch=sm_", 18) != 0) return complain(INVALID_IMAGE, "module image is not a fake cubin");
  int arch = atoi(s + 18);
  if (arch / 10 != 9 || arch % 10 > 0) return complain(NO_BINARY, "cubin for sm_%d cannot run on the sm_90 fake device", arch);
  Module* m = new Module;
  for (const char* p = strstr(s, "\nkernel="); p; p = strstr(p + 1, "\nkernel=")) {
    const char* b = p + 8;
    m->names.insert(std::string(b, strcspn(b, "\n")));
  }
  g_modules.insert(m);
  *out = m;
  return OK;
}
CUresult cuModuleUnload(void* mod) {
  LOCK;
  NEED_INIT;
  Module* m = (Module*)mod;
  if (!g_modules.erase(m)) return INVALID_HANDLE;
  for (auto& [n, f] : m->fns) { g_functions.erase(f); delete f; }
  delete m;
  return OK;
}
CUresult cuModuleGetFunction(void** out, void* mod, const char* name) {
  LOCK;
  NEED_CTX;
  Module* m = (Module*)mod;
  if (!out || !name) return INVALID_VALUE;
  if (!g_modules.count(m)) return INVALID_HANDLE;
  if (!m->names.count(name)) return complain(NOT_FOUND, "no kernel named %s in the module (not extern \"C\"?)", name);
  Function*& f = m->fns[name];
  if (!f) { f = new Function{m, name}; g_functions.insert(f); }
  *out = f;
  return OK;
}
// Kernels cannot run on the host: a launch is checked, recorded and logged, and does nothing.
CUresult cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shmem, void* stream, void** params, void** extra) {
  LOCK;
  NEED_CTX;
  Function* f = (Function*)fn;
  if (!g_functions.count(f)) return INVALID_HANDLE;
  if (!gx || !gy || !gz || !bx || !by || !bz || gy > 65535 || gz > 65535 || gx > 2147483647u) return INVALID_VALUE;
  if (bx > 1024 || by > 1024 || bz > 64 || (unsigned long long)bx * by * bz > 1024) return INVALID_VALUE;
  if (shmem > 49152) return complain(INVALID_VALUE, "%u bytes of dynamic shared memory without the opt-in attribute", shmem);
  if (params && extra) return INVALID_VALUE;
  auto op = std::make_shared<FakeOp>();
  op->kind = "kernel";
  op->detail = "name=" + f->name + " grid=" + std::to_string(gx) + "," + std::to_string(gy) + "," + std::to_string(gz) +
               " block=" + std::to_string(bx) + "," + std::to_string(by) + "," + std::to_string(bz);
  op->costMs = 0.003;
  op->run = [f]() { return g_functions.count(f) ? (int)OK : complain(INVALID_HANDLE, "replayed launch of an unloaded kernel"); };
  return submit(stream, op);
}

CUresult cuStreamBeginCapture_v2(void* stream, int mode) {
  LOCK;
  NEED_CTX;
  if (mode < 0 || mode > 2) return INVALID_VALUE;
  if (isDefault(stream)) return complain(CAP_UNSUPPORTED, "the legacy stream cannot be captured");
  if (!g_streams.count((Stream*)stream)) return INVALID_HANDLE;
  Stream* s = (Stream*)stream;
  if (s->cap) return complain(ILLEGAL_STATE, "cuStreamBeginCapture on stream %d, already capturing", s->id);
  Capture* c = new Capture{g_nextCapture++, new Graph{g_nextGraph++}, s, mode, std::this_thread::get_id()};
  c->members.insert(s);
  g_captures[c->serial] = c;
  s->cap = c;
  s->deps.clear();
  return OK;
}
CUresult cuStreamEndCapture(void* stream, void** graph) {
  LOCK;
  NEED_CTX;
  if (!graph) return INVALID_VALUE;
  *graph = nullptr;
  if (isDefault(stream) || !g_streams.count((Stream*)stream)) return INVALID_HANDLE;
  Stream* s = (Stream*)stream;
  Capture* c = s->cap;
  if (!c) return complain(ILLEGAL_STATE, "cuStreamEndCapture on stream %d, which is not capturing", s->id);
  if (c->mode != 2 && c->thread != std::this_thread::get_id()) return CAP_WRONG_THREAD;
  Graph* g = c->graph;
  int rc = OK;
  if (c->origin != s) rc = complain(CAP_UNMATCHED, "capture begun on stream %d ended on stream %d", c->origin->id, s->id);
  else if (c->invalid) rc = complain(CAP_INVALIDATED, "capture on stream %d was invalidated by error %d", s->id, c->invalid);
  else {
    // Every stream that joined must have been joined back: its last work must be an
    // ancestor of (or equal to) the origin stream's current dependencies.
    std::vector<char> reach(g->nodes.size(), 0);
    std::vector<size_t> todo = s->deps;
    while (!todo.empty()) {
      size_t n = todo.back();
      todo.pop_back();
      if (reach[n]) continue;
      reach[n] = 1;
      for (size_t d : g->nodes[n].deps) todo.push_back(d);
    }
    for (Stream* t : c->members)
      for (size_t d : t->deps)
        if (t != s && !reach[d]) {
          rc = complain(CAP_UNJOINED, "stream %d joined the capture of stream %d but was not joined back (its %s is not waited on)",
                        t->id, s->id, g->nodes[d].op->kind.c_str());
          break;
        }
  }
  endCaptureOf(c);
  if (rc) { delete g; return rc; }
  g_graphs.insert(g);
  *graph = g;
  return OK;
}
// Replays in a valid topological order that is as unlike capture order as possible (the
// latest-captured ready node first), so a missing cross-stream dependency shows up as a
// wrong result instead of being hidden by capture order.
CUresult cuGraphInstantiateWithFlags(void** out, void* graph, unsigned long long flags) {
  LOCK;
  NEED_CTX;
  Graph* g = (Graph*)graph;
  if (!out) return INVALID_VALUE;
  if (!g_graphs.count(g)) return INVALID_HANDLE;
  if (flags & ~0xFull) return INVALID_VALUE;
  static int nextExec = 1;
  Exec* x = new Exec{nextExec++, g->nodes, {}, g->owned};
  size_t n = x->nodes.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> users(n);
  for (size_t i = 0; i < n; i++)
    for (size_t d : x->nodes[i].deps) { pending[i]++; users[d].push_back(i); }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; i++) if (!pending[i]) ready.insert(i);
  while (!ready.empty()) {
    size_t i = *ready.rbegin();
    ready.erase(i);
    x->order.push_back(i);
    for (size_t u : users[i]) if (--pending[u] == 0) ready.insert(u);
  }
  g_execs.insert(x);
  *out = x;
  return OK;
}
CUresult cuGraphLaunch(void* exec, void* stream) {
  LOCK;
  NEED_CTX;
  Exec* x = (Exec*)exec;
  if (!g_execs.count(x)) return INVALID_HANDLE;
  auto op = std::make_shared<FakeOp>();
  op->kind = "graph_launch";
  op->detail = "exec=" + std::to_string(x->id) + " nodes=" + std::to_string(x->nodes.size());
  op->costMs = 0;
  op->run = [x]() {
    if (!g_execs.count(x)) return (int)INVALID_HANDLE;
    for (size_t i : x->order)
      if (int rc = execute(x->nodes[i].op, x->nodes[i].streamId, "replay")) return rc;
    return (int)OK;
  };
  return submit(stream, op);
}
CUresult cuGraphExecDestroy(void* exec) {
  LOCK;
  NEED_INIT;
  if (!g_execs.erase((Exec*)exec)) return INVALID_HANDLE;
  delete (Exec*)exec;
  return OK;
}
CUresult cuGraphDestroy(void* graph) {
  LOCK;
  NEED_INIT;
  if (!g_graphs.erase((Graph*)graph)) return INVALID_HANDLE;
  delete (Graph*)graph;
  return OK;
}
}  // extern "C"
