// A check of the fake driver's cuEventRecordWithFlags through the driver API alone (no
// addon), against what the CUDA docs say: CU_EVENT_RECORD_EXTERNAL is invalid outside capture
// and inside one creates an event record node; flags 0 is cuEventRecord. Timing runs on the
// fake clock (a device-to-device copy costs 1e-7 ms per byte), so elapsed times are exact.
// Built and run by src/runtime/fake-cuda-profile.test.ts against the fake libcuda.so.1;
// prints one line per check and exits nonzero when any fails.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" {
typedef unsigned long long CUdeviceptr;
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuMemAlloc_v2(CUdeviceptr*, size_t);
int cuMemcpyDtoDAsync_v2(CUdeviceptr, CUdeviceptr, size_t, void*);
int cuStreamCreate(void**, unsigned);
int cuStreamBeginCapture_v2(void*, int);
int cuStreamEndCapture(void*, void**);
int cuGraphInstantiateWithFlags(void**, void*, unsigned long long);
int cuGraphLaunch(void*, void*);
int cuGraphExecDestroy(void*);
int cuGraphDestroy(void*);
int cuEventCreate(void**, unsigned);
int cuEventDestroy_v2(void*);
int cuEventRecord(void*, void*);
int cuEventRecordWithFlags(void*, void*, unsigned);
int cuEventQuery(void*);
int cuEventSynchronize(void*);
int cuEventElapsedTime(float*, void*, void*);
int cuStreamSynchronize(void*);
}

namespace {
constexpr unsigned kExternal = 1, kDisableTiming = 2;
constexpr int kInvalidValue = 1, kInvalidHandle = 400, kNotSupported = 801, kCaptureInvalidated = 901;
int failures = 0;
void check(bool ok, const char* name, const std::string& detail = "") {
  printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, detail.empty() ? "" : ": ", detail.c_str());
  if (!ok) failures++;
}
void must(int rc, const char* call) {
  if (rc != 0) {
    printf("FAIL setup: %s returned %d\n", call, rc);
    exit(2);
  }
}
bool near(float a, double b) { return std::fabs(a - b) < 1e-6; }
std::string got(int rc, float ms = NAN) { return "rc " + std::to_string(rc) + (std::isnan(ms) ? "" : ", " + std::to_string(ms) + " ms"); }
void* event(unsigned flags = 0) {
  void* e = nullptr;
  must(cuEventCreate(&e, flags), "cuEventCreate");
  return e;
}
}  // namespace

int main() {
  void* ctx = nullptr;
  void* s = nullptr;
  CUdeviceptr a = 0, b = 0;
  must(cuInit(0), "cuInit");
  must(cuDevicePrimaryCtxRetain(&ctx, 0), "cuDevicePrimaryCtxRetain");
  must(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  must(cuStreamCreate(&s, 1), "cuStreamCreate");
  must(cuMemAlloc_v2(&a, 40000), "cuMemAlloc");
  must(cuMemAlloc_v2(&b, 40000), "cuMemAlloc");
  void *e0 = event(), *e1 = event(), *e2 = event(), *off = event(kDisableTiming);

  // Documented: "This flag is invalid when used outside of capture."
  int rc = cuEventRecordWithFlags(e0, s, kExternal);
  check(rc == kInvalidValue, "EXTERNAL outside capture is CUDA_ERROR_INVALID_VALUE", got(rc));
  rc = cuEventRecordWithFlags(e0, nullptr, kExternal);
  check(rc == kInvalidValue, "EXTERNAL on the legacy stream (never capturing) is CUDA_ERROR_INVALID_VALUE", got(rc));
  rc = cuEventRecordWithFlags(e0, s, 4);
  check(rc == kInvalidValue, "an unknown flag is CUDA_ERROR_INVALID_VALUE", got(rc));

  // Flags 0: an ordinary record.
  float ms = NAN;
  must(cuEventRecordWithFlags(e0, s, 0), "cuEventRecordWithFlags(0)");
  must(cuMemcpyDtoDAsync_v2(b, a, 10000, s), "cuMemcpyDtoDAsync");
  must(cuEventRecordWithFlags(e1, s, 0), "cuEventRecordWithFlags(0)");
  rc = cuEventElapsedTime(&ms, e0, e1);
  check(rc == 0 && near(ms, 0.001), "flags 0 records as cuEventRecord does", got(rc, ms));

  // Inside a capture: record nodes after the stream's captured tail. The copy before the first
  // node is not timed; the two copies between nodes are. Fresh events are never recorded
  // until the graph runs.
  void *t0 = event(), *t1 = event(), *t2 = event();
  void *graph = nullptr, *exec = nullptr;
  must(cuStreamBeginCapture_v2(s, 1), "cuStreamBeginCapture");
  must(cuMemcpyDtoDAsync_v2(b, a, 10000, s), "cuMemcpyDtoDAsync");
  must(cuEventRecordWithFlags(t0, s, kExternal), "cuEventRecordWithFlags(EXTERNAL)");
  must(cuMemcpyDtoDAsync_v2(b, a, 20000, s), "cuMemcpyDtoDAsync");
  must(cuEventRecordWithFlags(t1, s, kExternal), "cuEventRecordWithFlags(EXTERNAL)");
  must(cuMemcpyDtoDAsync_v2(b, a, 30000, s), "cuMemcpyDtoDAsync");
  must(cuEventRecordWithFlags(t2, s, kExternal), "cuEventRecordWithFlags(EXTERNAL)");
  must(cuEventRecordWithFlags(off, s, kExternal), "cuEventRecordWithFlags(EXTERNAL)");
  must(cuStreamEndCapture(s, &graph), "cuStreamEndCapture");
  must(cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiateWithFlags");
  rc = cuEventElapsedTime(&ms, t0, t1);
  check(rc == kInvalidHandle, "before the launch, record nodes have recorded nothing", got(rc));
  must(cuMemcpyDtoDAsync_v2(b, a, 40000, s), "cuMemcpyDtoDAsync");  // uncaptured work between: not timed
  must(cuGraphLaunch(exec, s), "cuGraphLaunch");
  int q = cuEventQuery(t2), y = cuEventSynchronize(t2);
  check(q == 0 && y == 0, "after the launch, a node's event can be queried and synchronized", "query " + got(q) + ", synchronize " + got(y));
  float m01 = NAN, m12 = NAN, m02 = NAN;
  int r01 = cuEventElapsedTime(&m01, t0, t1), r12 = cuEventElapsedTime(&m12, t1, t2), r02 = cuEventElapsedTime(&m02, t0, t2);
  check(r01 == 0 && r12 == 0 && r02 == 0 && near(m01, 0.002) && near(m12, 0.003) && near(m02, 0.005),
        "elapsed time between record nodes is the fake time of the nodes between them", got(r01, m01) + "; " + got(r12, m12) + "; " + got(r02, m02));
  rc = cuEventElapsedTime(&ms, t2, off);
  check(rc == kInvalidHandle, "a CU_EVENT_DISABLE_TIMING event recorded by a node still has no time", got(rc));
  // A second launch records the events again, after the work enqueued before it.
  must(cuEventRecord(e0, s), "cuEventRecord");
  must(cuGraphLaunch(exec, s), "cuGraphLaunch");
  r01 = cuEventElapsedTime(&m01, t0, t1);
  int r = cuEventElapsedTime(&ms, e0, t0);
  check(r01 == 0 && near(m01, 0.002) && r == 0 && near(ms, 0.001), "a relaunch records the events again", got(r01, m01) + "; " + got(r, ms));
  must(cuGraphExecDestroy(exec), "cuGraphExecDestroy");
  must(cuGraphDestroy(graph), "cuGraphDestroy");

  // FAKE_CUDA_RECORD_EXTERNAL=unsupported: the call fails and invalidates the capture, which
  // must still be ended (the addon's fallback path does this).
  setenv("FAKE_CUDA_RECORD_EXTERNAL", "unsupported", 1);
  must(cuStreamBeginCapture_v2(s, 1), "cuStreamBeginCapture");
  rc = cuEventRecordWithFlags(t0, s, kExternal);
  graph = reinterpret_cast<void*>(1);
  int end = cuStreamEndCapture(s, &graph);
  check(rc == kNotSupported && end == kCaptureInvalidated && graph == nullptr, "FAKE_CUDA_RECORD_EXTERNAL=unsupported fails the record and the capture",
        "record " + got(rc) + ", end capture " + got(end));
  unsetenv("FAKE_CUDA_RECORD_EXTERNAL");
  rc = cuStreamSynchronize(s);
  check(rc == 0, "the stream is usable after the failed capture", got(rc));

  for (void* e : {e0, e1, e2, off, t0, t1, t2}) must(cuEventDestroy_v2(e), "cuEventDestroy");
  return failures ? 1 : 0;
}
