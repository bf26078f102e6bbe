// The N-API surface of the CUDA addon (typed in src/native.ts). Loading this file never
// touches CUDA: libraries are dlopen()ed by probe(), and nothing else works before init().
#include <napi.h>

#include "device.h"
#include "loader.h"

namespace {
using sg::CudaError;
using sg::device;

Napi::Error toJs(Napi::Env env, const CudaError& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  err.Set("code", Napi::String::New(env, e.oom ? "ERR_CUDA_OUT_OF_MEMORY" : "ERR_CUDA"));
  return err;
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& f) {
  try {
    return f();
  } catch (const CudaError& e) {
    throw toJs(info.Env(), e);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "out of host memory in the CUDA addon");
  }
}

sg::CUdeviceptr ptrArg(const Napi::Value& v) {
  bool lossless = true;
  if (!v.IsBigInt()) throw Napi::TypeError::New(v.Env(), "device pointer must be a bigint");
  return v.As<Napi::BigInt>().Uint64Value(&lossless);
}

void requireReady(Napi::Env env) {
  if (!device().ready()) throw Napi::Error::New(env, "the CUDA device is not initialized (call init() first)");
}

Napi::Object libInfo(Napi::Env env, const sg::LibInfo& l) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("found", l.found);
  if (l.found) {
    o.Set("path", l.path);
    o.Set("version", l.version);
  } else {
    o.Set("error", l.error);
  }
  return o;
}

Napi::Value Probe(const Napi::CallbackInfo& info) {
  std::vector<std::string> dirs;
  if (info.Length() > 0 && info[0].IsArray()) {
    Napi::Array a = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) dirs.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  auto& L = sg::loadLibraries(dirs);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("driver", libInfo(info.Env(), L.driver));
  o.Set("nvrtc", libInfo(info.Env(), L.nvrtc));
  o.Set("cublas", libInfo(info.Env(), L.cublas));
  o.Set("cublasLt", libInfo(info.Env(), L.cublasLt));
  return o;
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    device().init(info.Length() > 0 ? info[0].As<Napi::Number>().Int32Value() : 0);
    const auto& d = device().info();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("name", d.name);
    o.Set("ccMajor", d.ccMajor);
    o.Set("ccMinor", d.ccMinor);
    o.Set("totalMem", static_cast<double>(d.totalMem));
    return o;
  });
}

Napi::Value Compile(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto cubin = device().compile(info[0].As<Napi::String>(), info[1].As<Napi::String>(), info[2].As<Napi::String>());
    return Napi::Buffer<char>::Copy(info.Env(), cubin.data(), cubin.size());
  });
}

Napi::Value LoadModule(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    auto buf = info[0].As<Napi::Buffer<char>>();
    std::vector<char> cubin(buf.Data(), buf.Data() + buf.Length());
    std::vector<std::string> names;
    Napi::Array a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) names.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    std::vector<int> fns;
    int mod = device().loadModule(cubin, names, fns);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("module", mod);
    Napi::Array f = Napi::Array::New(info.Env(), fns.size());
    for (size_t i = 0; i < fns.size(); i++) f.Set(static_cast<uint32_t>(i), fns[i]);
    o.Set("functions", f);
    return o;
  });
}

Napi::Value UnloadModule(const Napi::CallbackInfo& info) {
  if (device().ready()) device().unloadModule(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    auto p = device().alloc(static_cast<size_t>(info[0].As<Napi::Number>().DoubleValue()));
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(p));
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    device().free(ptrArg(info[0]));
    return info.Env().Undefined();
  });
}

Napi::Value Upload(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    auto view = info[1].As<Napi::TypedArray>();
    auto* base = static_cast<char*>(view.ArrayBuffer().Data()) + view.ByteOffset();
    device().upload(ptrArg(info[0]), base, view.ByteLength());
    return info.Env().Undefined();
  });
}

class DownloadWorker : public Napi::AsyncWorker {
 public:
  DownloadWorker(Napi::Env env, sg::Download d) : Napi::AsyncWorker(env), d_(d), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      device().waitDownload(d_);
    } catch (const CudaError& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::ArrayBuffer out = Napi::ArrayBuffer::New(Env(), d_.bytes);
    device().finishDownload(d_, out.Data());
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override {
    device().finishDownload(d_, nullptr);
    deferred_.Reject(e.Value());
  }

 private:
  sg::Download d_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Download(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    auto d = device().startDownload(ptrArg(info[0]), static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue()));
    auto* w = new DownloadWorker(info.Env(), d);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

Napi::Value DownloadSync(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    auto d = device().startDownload(ptrArg(info[0]), static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue()));
    try {
      device().waitDownload(d);
    } catch (...) {
      device().finishDownload(d, nullptr);
      throw;
    }
    Napi::ArrayBuffer out = Napi::ArrayBuffer::New(info.Env(), d.bytes);
    device().finishDownload(d, out.Data());
    return out;
  });
}

int intField(const Napi::Object& o, const char* k) { return o.Get(k).As<Napi::Number>().Int32Value(); }

sg::Op parseOp(const Napi::Object& o) {
  sg::Op op;
  op.what = o.Get("what").As<Napi::String>().Utf8Value();
  std::string kind = o.Get("kind").As<Napi::String>().Utf8Value();
  if (o.Has("stream")) op.stream = intField(o, "stream");
  if (o.Has("waits")) {
    Napi::Array w = o.Get("waits").As<Napi::Array>();
    for (uint32_t i = 0; i < w.Length(); i++) op.waits.push_back(w.Get(i).As<Napi::Number>().Int32Value());
  }
  if (kind == "launch") {
    op.kind = sg::Op::Launch;
    op.function = intField(o, "function");
    Napi::Array g = o.Get("grid").As<Napi::Array>(), b = o.Get("block").As<Napi::Array>();
    for (uint32_t i = 0; i < 3; i++) {
      op.grid[i] = g.Get(i).As<Napi::Number>().Uint32Value();
      op.block[i] = b.Get(i).As<Napi::Number>().Uint32Value();
    }
    op.shmem = o.Get("sharedBytes").As<Napi::Number>().Uint32Value();
    Napi::Array args = o.Get("args").As<Napi::Array>();
    for (uint32_t i = 0; i < args.Length(); i++) op.args.push_back(ptrArg(args.Get(i)));
  } else {
    op.kind = sg::Op::Gemm;
    op.f64 = o.Get("f64").ToBoolean();
    op.tf32 = o.Get("tf32").ToBoolean();
    op.opA = intField(o, "opA"); op.opB = intField(o, "opB");
    op.m = intField(o, "m"); op.n = intField(o, "n"); op.k = intField(o, "k");
    op.lda = intField(o, "lda"); op.ldb = intField(o, "ldb"); op.ldc = intField(o, "ldc");
    op.batch = intField(o, "batch");
    op.alpha = o.Get("alpha").As<Napi::Number>().DoubleValue();
    op.beta = o.Get("beta").As<Napi::Number>().DoubleValue();
    op.A = ptrArg(o.Get("A")); op.B = ptrArg(o.Get("B")); op.C = ptrArg(o.Get("C"));
    op.strideA = o.Get("strideA").As<Napi::Number>().Int64Value();
    op.strideB = o.Get("strideB").As<Napi::Number>().Int64Value();
    op.strideC = o.Get("strideC").As<Napi::Number>().Int64Value();
    op.lt = o.Get("lt").ToBoolean();
    if (o.Has("epilogue")) op.epilogue = o.Get("epilogue").As<Napi::Number>().Uint32Value();
    if (op.epilogue > 3) throw Napi::Error::New(o.Env(), "gemm op: epilogue code " + std::to_string(op.epilogue) + " is not 0–3 (" + op.what + ")");
    if (op.epilogue && !op.lt) throw Napi::Error::New(o.Env(), "gemm op: a fused epilogue needs cuBLASLt (" + op.what + ")");
    if (o.Has("bias")) op.bias = ptrArg(o.Get("bias"));
    const bool wantsBias = op.epilogue == 2 || op.epilogue == 3;
    if (wantsBias != (op.bias != 0)) throw Napi::Error::New(o.Env(), std::string("gemm op: epilogue ") + std::to_string(op.epilogue) + (wantsBias ? " without" : " with") + " a bias pointer (" + op.what + ")");
    if (o.Has("biasBatchStride")) op.biasBatchStride = o.Get("biasBatchStride").As<Napi::Number>().Int64Value();
  }
  return op;
}

Napi::Value CreateGraph(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<sg::Op> ops;
  for (uint32_t i = 0; i < a.Length(); i++) ops.push_back(parseOp(a.Get(i).As<Napi::Object>()));
  return guarded(info, [&]() -> Napi::Value { return Napi::Number::New(info.Env(), device().createGraph(ops)); });
}

Napi::Value TimeOps(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<sg::Op> ops;
  for (uint32_t i = 0; i < a.Length(); i++) ops.push_back(parseOp(a.Get(i).As<Napi::Object>()));
  return guarded(info, [&]() -> Napi::Value {
    auto timed = device().timeOps(ops);
    Napi::Array times = Napi::Array::New(info.Env(), timed.times.size());
    for (size_t i = 0; i < timed.times.size(); i++) times.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), timed.times[i]));
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("times", times);
    out.Set("graph", Napi::Boolean::New(info.Env(), timed.graph));
    if (!timed.graph) out.Set("fallback", Napi::String::New(info.Env(), timed.fallback));
    return out;
  });
}

Napi::Value LaunchGraph(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    device().launchGraph(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

Napi::Value DestroyGraph(const Napi::CallbackInfo& info) {
  if (device().ready()) device().destroyGraph(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    device().synchronize();
    return info.Env().Undefined();
  });
}

Napi::Value MemInfo(const Napi::CallbackInfo& info) {
  requireReady(info.Env());
  return guarded(info, [&]() -> Napi::Value {
    size_t f = 0, t = 0;
    device().memInfo(&f, &t);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("free", static_cast<double>(f));
    o.Set("total", static_cast<double>(t));
    return o;
  });
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("compile", Napi::Function::New(env, Compile));
  exports.Set("loadModule", Napi::Function::New(env, LoadModule));
  exports.Set("unloadModule", Napi::Function::New(env, UnloadModule));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("upload", Napi::Function::New(env, Upload));
  exports.Set("download", Napi::Function::New(env, Download));
  exports.Set("downloadSync", Napi::Function::New(env, DownloadSync));
  exports.Set("createGraph", Napi::Function::New(env, CreateGraph));
  exports.Set("timeOps", Napi::Function::New(env, TimeOps));
  exports.Set("launchGraph", Napi::Function::New(env, LaunchGraph));
  exports.Set("destroyGraph", Napi::Function::New(env, DestroyGraph));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("memInfo", Napi::Function::New(env, MemInfo));
  return exports;
}
}  // namespace

NODE_API_MODULE(symgrad_cuda, InitModule)
