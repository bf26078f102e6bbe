// Fake libcuda.so.1: the CUDA driver API entry points the addon resolves, on the host.
// Device memory is host memory (256-byte aligned, filled with 0xFF = NaN like uninitialized
// device memory). Work runs synchronously when enqueued, except on a capturing stream, where
// it is recorded into a graph as the driver docs describe (cuStreamBeginCapture,
// cuStreamWaitEvent, cuEventRecord, cuStreamEndCapture). Misuse returns the documented error.
// Stricter than a real driver, on purpose: work enqueued from the capturing thread onto a
// stream that is not part of the active capture returns CUDA_ERROR_STREAM_CAPTURE_ISOLATION
// (905), because in this project such work would silently escape the graph.
#include "fake_driver_state.h"

using namespace fakedrv;

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
#ifndef FAKE_CUDA_NO_EVENT_RECORD_WITH_FLAGS  // defined: a driver without it (the addon must fall back)
// CU_EVENT_RECORD_EXTERNAL (1) is documented as invalid outside capture; inside one it makes an
// event record node, which records the event on the fake clock when the graph replays, so
// cuEventElapsedTime after the launch gives the cost of the nodes in between.
// FAKE_CUDA_RECORD_EXTERNAL=unsupported fails it with CUDA_ERROR_NOT_SUPPORTED instead,
// invalidating the capture as a failed captured call does (tests the addon's fallback).
CUresult cuEventRecordWithFlags(void* ev, void* stream, unsigned flags) {
  LOCK;
  NEED_CTX;
  if (flags & ~1u) return INVALID_VALUE;
  if (flags == 0) return cuEventRecord(ev, stream);
  Event* e = (Event*)ev;
  if (!g_events.count(e) || !validStream(stream)) return INVALID_HANDLE;
  Stream* s = isDefault(stream) ? nullptr : (Stream*)stream;
  if (!s || !s->cap) return complain(INVALID_VALUE, "cuEventRecordWithFlags(CU_EVENT_RECORD_EXTERNAL) on stream %d, which is not capturing", streamId(stream));
  if (s->cap->invalid) return CAP_INVALIDATED;
  const char* mode = getenv("FAKE_CUDA_RECORD_EXTERNAL");
  if (mode && !strcmp(mode, "unsupported")) {
    invalidate(s->cap, NOT_SUPPORTED);
    return complain(NOT_SUPPORTED, "cuEventRecordWithFlags(CU_EVENT_RECORD_EXTERNAL): unsupported (FAKE_CUDA_RECORD_EXTERNAL)");
  }
  auto op = std::make_shared<FakeOp>();
  op->kind = "event_record";
  op->detail = "external";
  op->costMs = 0;
  op->run = [e]() {
    if (!g_events.count(e)) return complain(INVALID_HANDLE, "an event record node ran after its event was destroyed");
    e->capSerial = 0;
    e->deps.clear();
    e->recorded = true;
    e->timeMs = g_clockMs;
    return (int)OK;
  };
  record(s, std::move(op));
  return OK;
}
#endif
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
