// Profile mode's timed runs (Device::timeOps). The ops are captured with a timing event
// record node before each and after the last, and the graph is launched once: the device runs
// them back to back, so no time is the device waiting for the host to enqueue the next op
// (what an uncaptured run of short ops measures). Where the driver lacks
// cuEventRecordWithFlags, or any call before the launch fails, everything the attempt created
// is undone and the ops run uncaptured between ordinary event records instead.
#include <algorithm>
#include <string>

#include "device.h"
#include "loader.h"
#include "lt_gemm.h"

namespace sg {

TimedOps Device::timeOps(const std::vector<Op>& ops) {
  TimedOps out;
  out.times.assign(ops.size(), 0.0f);
  if (ops.empty()) {
    out.fallback = "no ops to time";
    return out;
  }
  // Tuning runs and times candidates on the stream itself, and must never run while it
  // captures: it happens here, before the first event of either path.
  for (const auto& op : ops)
    if (op.kind == Op::Gemm && op.lt && op.k > 0) lt().prepare(op);
  if (!libraries().cuOpt.cuEventRecordWithFlags) {
    out.fallback = "the driver lacks cuEventRecordWithFlags";
  } else if (graphTimingWorks(&out.fallback) && timeOpsInGraph(ops, out.times, &out.fallback)) {
    out.graph = true;
    return out;
  }
  timeOpsDirect(ops, out.times);
  return out;
}

// Times an empty graph (two event record nodes, no op) once per device: a driver that
// captures the nodes but cannot time them would otherwise fail only after the real ops have
// run, when they cannot be run again. Remembers the answer; false with `why` where it fails.
bool Device::graphTimingWorks(std::string* why) {
  if (graphTiming_ < 0) {
    std::vector<float> none;
    std::string failed;
    try {
      // No op can run twice here, so a failure after the launch is an answer, not an error.
      graphTiming_ = timeOpsInGraph({}, none, &failed) ? 1 : 0;
    } catch (const CudaError& e) {
      graphTiming_ = 0;
      failed = e.what();
    }
    if (!graphTiming_) graphTimingWhy_ = "timing event record nodes do not work here: " + failed;
  }
  if (!graphTiming_) *why = graphTimingWhy_;
  return graphTiming_ == 1;
}

// Returns false, with `why` and nothing left behind (no capture, graph or event; cuBLAS back
// on the device's stream), when any call up to and including cuGraphLaunch fails. A real
// driver reports a failed cuGraphLaunch before running anything (and a fault inside the graph
// is sticky, failing the direct path too), so no op has run twice. Throws when a call after a
// successful launch fails: the ops may have run by then, and running them again would apply
// the function's updates twice.
bool Device::timeOpsInGraph(const std::vector<Op>& ops, std::vector<float>& times, std::string* why) {
  auto& cu = libraries().cu;
  auto recordExternal = libraries().cuOpt.cuEventRecordWithFlags;
  const std::string run = "timed run of " + std::to_string(ops.size()) + " ops";
  // One interval per op, and one (empty) where there is none: the probe times two bare nodes.
  const size_t intervals = std::max<size_t>(ops.size(), 1);
  std::vector<CUevent> events(intervals + 1, nullptr);
  times.resize(intervals);
  CUgraph graph = nullptr;
  CUgraphExec exec = nullptr;
  bool capturing = false;
  auto cleanup = [&]() {
    if (capturing) {
      // As createGraph's error path: end the (possibly invalidated) capture, drop what it made.
      CUgraph broken = nullptr;
      cu.cuStreamEndCapture(stream_, &broken);
      if (broken) cu.cuGraphDestroy(broken);
      capturing = false;
    }
    restoreBlasStream();
    if (exec) cu.cuGraphExecDestroy(exec);
    if (graph) cu.cuGraphDestroy(graph);
    for (auto e : events) if (e) cu.cuEventDestroy_v2(e);
  };
  bool launched = false;
  try {
    for (auto& e : events) check(cu.cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate", "timing events");
    check(cu.cuStreamBeginCapture_v2(stream_, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture", run);
    capturing = true;
    // Event i is an event record node before op i, event n one after the last op. The graph's
    // first node waits behind whatever the stream already holds, so op 0's time is its own.
    for (size_t i = 0; i < intervals; i++) {
      const std::string& what = i < ops.size() ? ops[i].what : run;
      check(recordExternal(events[i], stream_, CU_EVENT_RECORD_EXTERNAL), "cuEventRecordWithFlags", what);
      if (i < ops.size()) enqueue(ops[i], 0);
    }
    check(recordExternal(events.back(), stream_, CU_EVENT_RECORD_EXTERNAL), "cuEventRecordWithFlags", ops.empty() ? run : "after " + ops.back().what);
    restoreBlasStream();
    capturing = false;  // cuStreamEndCapture ends the capture whether or not it succeeds
    check(cu.cuStreamEndCapture(stream_, &graph), "cuStreamEndCapture", run);
    check(cu.cuGraphInstantiateWithFlags(&exec, graph, 0), "cuGraphInstantiateWithFlags", run);
    check(cu.cuGraphLaunch(exec, stream_), "cuGraphLaunch", run);
    launched = true;
    check(cu.cuStreamSynchronize(stream_), "cuStreamSynchronize", run);
    for (size_t i = 0; i < intervals; i++) check(cu.cuEventElapsedTime(&times[i], events[i], events[i + 1]), "cuEventElapsedTime", i < ops.size() ? ops[i].what : run);
  } catch (const CudaError& e) {
    if (launched) cu.cuStreamSynchronize(stream_);  // the events and graph may still be in use (best effort)
    cleanup();
    if (launched) throw;
    *why = e.what();
    return false;
  } catch (...) {
    if (launched) cu.cuStreamSynchronize(stream_);
    cleanup();
    throw;
  }
  cleanup();
  return true;
}

// The ops uncaptured, one after another on the device's stream, with an ordinary event
// record before the first and after each. Where the device outruns the host's enqueueing
// (ops of a few µs), a time includes that wait.
void Device::timeOpsDirect(const std::vector<Op>& ops, std::vector<float>& times) {
  auto& cu = libraries().cu;
  std::vector<CUevent> events(ops.size() + 1, nullptr);
  auto destroyEvents = [&]() {
    for (auto e : events) if (e) cu.cuEventDestroy_v2(e);
  };
  try {
    for (auto& e : events) check(cu.cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate", "timing events");
    check(cu.cuEventRecord(events[0], stream_), "cuEventRecord", "timing events");
    for (size_t i = 0; i < ops.size(); i++) {
      enqueue(ops[i], 0);
      check(cu.cuEventRecord(events[i + 1], stream_), "cuEventRecord", ops[i].what);
    }
    check(cu.cuEventSynchronize(events.back()), "cuEventSynchronize", "timed run of " + std::to_string(ops.size()) + " ops");
    for (size_t i = 0; i < ops.size(); i++) check(cu.cuEventElapsedTime(&times[i], events[i], events[i + 1]), "cuEventElapsedTime", ops[i].what);
  } catch (...) {
    // Events may still be pending behind enqueued ops; wait before they go (best effort).
    cu.cuStreamSynchronize(stream_);
    restoreBlasStream();
    destroyEvents();
    throw;
  }
  restoreBlasStream();
  destroyEvents();
}

}  // namespace sg
