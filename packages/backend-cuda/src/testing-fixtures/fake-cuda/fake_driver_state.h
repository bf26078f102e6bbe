// The fake driver's state and the helpers its entry points share (fake_driver.cc: context,
// streams, events, capture and graphs; fake_driver_memory.cc: memory and copies;
// fake_driver_kernels.cc: modules and launches, run by fake_simt.cc). One copy per process:
// C++17 inline variables, linked into libcuda.so.1 once.
#pragma once

#include "fake_internal.h"
#include "simt_abi.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

namespace fakedrv {
enum : int {
  OK = 0, INVALID_VALUE = 1, OOM = 2, NOT_INITIALIZED = 3, INVALID_DEVICE = 101, INVALID_IMAGE = 200,
  INVALID_CONTEXT = 201, NO_BINARY = 209, INVALID_HANDLE = 400, ILLEGAL_STATE = 401, NOT_FOUND = 500,
  NOT_READY = 600, ILLEGAL_ADDRESS = 700, CAP_UNSUPPORTED = 900, CAP_INVALIDATED = 901, CAP_MERGE = 902,
  CAP_UNMATCHED = 903, CAP_UNJOINED = 904, CAP_ISOLATION = 905, CAP_IMPLICIT = 906, CAPTURED_EVENT = 907,
  CAP_WRONG_THREAD = 908, LAUNCH_FAILED = 719, NOT_SUPPORTED = 801,
};
struct ErrorName { int code; const char* name; const char* text; };
inline const ErrorName kErrors[] = {
    {OK, "CUDA_SUCCESS", "no error"}, {INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {OOM, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"}, {NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"}, {INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"}, {NO_BINARY, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"}, {ILLEGAL_STATE, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"}, {NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
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

inline std::recursive_mutex g_mu;
inline bool g_init = false;
inline double g_clockMs = 0;  // the fake device clock: advanced by each executed op's cost

// ---- log -------------------------------------------------------------------------------
inline void logLine(const char* fmt, ...) {
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
inline int complain(int code, const char* fmt, ...) {
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
inline Ctx g_ctx{0xC7C7};
inline int g_ctxRefs = 0;
inline thread_local Ctx* t_current = nullptr;  // the driver's current context is per thread

// ---- memory ----------------------------------------------------------------------------
// `bytes` is the size rounded up to 256 (what the checks of API calls allow), `requested` what
// was asked for. Each allocation has kRedZone more bytes behind it, filled like the rest, so a
// kernel that writes past `requested` can be caught (fake_driver_kernels.cc).
struct Alloc { size_t bytes; bool graphOwned; size_t requested; };
constexpr size_t kRedZone = 256;
inline std::map<uintptr_t, Alloc> g_allocs;  // device allocations by start address
inline std::set<void*> g_hostAllocs;
inline size_t g_used = 0;
inline size_t memLimit() {
  const char* v = getenv("FAKE_CUDA_MEM_LIMIT");
  return v && *v ? (size_t)strtoull(v, nullptr, 10) : (size_t)16 << 30;
}
inline int allocate(size_t bytes, uintptr_t* out, bool graphOwned) {
  if (bytes == 0) return INVALID_VALUE;  // documented: bytesize 0 is CUDA_ERROR_INVALID_VALUE
  size_t rounded = (bytes + 255) & ~(size_t)255;
  if (g_used + rounded > memLimit()) return OOM;
  void* p = aligned_alloc(256, rounded + kRedZone);
  if (!p) return OOM;
  memset(p, 0xFF, rounded + kRedZone);
  g_allocs[(uintptr_t)p] = {rounded, graphOwned, bytes};
  g_used += rounded;
  *out = (uintptr_t)p;
  return OK;
}
inline int release(uintptr_t p) {
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

inline std::set<Stream*> g_streams;
inline std::set<Event*> g_events;
inline std::set<Graph*> g_graphs;
inline std::set<Exec*> g_execs;
inline std::map<uint64_t, Capture*> g_captures;  // active captures by serial
inline int g_nextStream = 1, g_nextGraph = 1;
inline uint64_t g_nextCapture = 1;

inline Stream* const kLegacy = reinterpret_cast<Stream*>(0x1);
inline Stream* const kPerThread = reinterpret_cast<Stream*>(0x2);
inline bool isDefault(void* s) { return s == nullptr || s == kLegacy || s == kPerThread; }
inline bool validStream(void* s) { return isDefault(s) || g_streams.count((Stream*)s); }
inline int streamId(void* s) { return isDefault(s) ? 0 : ((Stream*)s)->id; }

// A capture begun on this thread (or a global-mode one anywhere) that is still active.
inline Capture* captureAffectingThisThread() {
  for (auto& [serial, c] : g_captures)
    if (c->thread == std::this_thread::get_id() || c->mode == 0) return c;
  return nullptr;
}
inline void invalidate(Capture* c, int code) { if (!c->invalid) c->invalid = code; }

// Work on a stream outside the capture while a capture is active: the legacy stream joins
// with capturing blocking streams (906, documented); any other stream is the fake's strict
// rule (905): the work would run eagerly instead of in the graph.
inline int checkUncapturedStream(void* stream, const char* what) {
  Capture* c = captureAffectingThisThread();
  if (!c) return OK;
  if (stream == nullptr || stream == kLegacy) {
    invalidate(c, CAP_IMPLICIT);
    return complain(CAP_IMPLICIT, "%s on the legacy stream while stream %d is capturing", what, c->origin->id);
  }
  return complain(CAP_ISOLATION, "%s on stream %d, which is not part of the capture begun on stream %d (it would run outside the graph)",
                  what, streamId(stream), c->origin->id);
}

inline int execute(const std::shared_ptr<FakeOp>& op, int sid, const char* mode) {
  int rc = op->run ? op->run() : OK;
  g_clockMs += op->costMs;
  logLine("op=%s mode=%s stream=%d %s%s", op->kind.c_str(), mode, sid, op->detail.c_str(), rc ? " FAILED" : "");
  return rc;
}

// Record a node on a capturing stream: it depends on the stream's current dependency set.
inline void record(Stream* s, std::shared_ptr<FakeOp> op) {
  Graph* g = s->cap->graph;
  g->nodes.push_back({std::move(op), s->deps, s->id});
  s->deps = {g->nodes.size() - 1};
}

inline int submit(void* stream, std::shared_ptr<FakeOp> op) {
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

inline void endCaptureOf(Capture* c) {
  for (Stream* s : c->members) { s->cap = nullptr; s->deps.clear(); }
  g_captures.erase(c->serial);
  delete c;
}

// ---- modules ---------------------------------------------------------------------------
// A module is a host shared object built by the fake NVRTC (fake_nvrtc.cc, simt_abi.h): `so`
// is its dlopen() handle, `simt` the block/thread state its kernels read.
struct Module;
struct Function {
  Module* mod;
  std::string name;
  FakeSimtEntry entry;
  std::vector<unsigned> sizes, pointers;  // per parameter: bytes, and whether it is a pointer
};
struct Module { std::map<std::string, Function*> fns; std::set<std::string> names; void* so = nullptr; FakeSimtState* simt = nullptr; };
inline std::set<Module*> g_modules;
inline std::set<Function*> g_functions;
}  // namespace fakedrv

#define LOCK std::lock_guard<std::recursive_mutex> lock_(fakedrv::g_mu)
#define NEED_INIT if (!fakedrv::g_init) return fakedrv::NOT_INITIALIZED
#define NEED_CTX NEED_INIT; if (!fakedrv::t_current) return fakedrv::INVALID_CONTEXT
