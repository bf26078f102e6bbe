// Fake libcuda.so.1, part three: modules and kernel launches. A "cubin" from the fake NVRTC
// (fake_nvrtc.cc) carries a host shared object compiled from the program's CUDA C; loading
// the module dlopen()s it, and a launch runs the kernel on the host (fake_simt.cc), eagerly or
// when a captured graph replays, in stream order like every other op. See fake_driver.cc.
#include "fake_driver_state.h"
#include "fake_simt.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>

using namespace fakedrv;

namespace {
// CUDA's limit on the bytes of kernel parameters (Volta and later, CUDA 12.1+).
constexpr size_t kMaxParamBytes = 32764;

// Writes the module's shared object to a file of its own and dlopen()s it. The name is unique
// within the process (pid + counter) because glibc returns an already-loaded object for a
// name it has seen, and the file goes as soon as it is mapped.
void* openSharedObject(const char* bytes, size_t size, std::string* err) {
  static unsigned long long counter = 0;
  const char* tmp = getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/fake-cuda-module-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-XXXXXX";
  int fd = mkstemp(&path[0]);
  if (fd < 0) { *err = "cannot create " + path; return nullptr; }
  bool ok = true;
  for (size_t done = 0; ok && done < size;) {
    ssize_t w = write(fd, bytes + done, size - done);
    ok = w > 0;
    if (ok) done += (size_t)w;
  }
  close(fd);
  void* so = ok ? dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) : nullptr;
  if (!so) *err = ok ? std::string(dlerror()) : "cannot write " + path;
  unlink(path.c_str());
  return so;
}

// The bytes behind an allocation's requested size (its rounding and red zone, see Alloc), as
// they were before a kernel ran: a kernel that changes them wrote out of bounds, which a GPU
// might not report but is a bug in the kernel all the same. Reads out of bounds go unnoticed.
struct Tail { uintptr_t start; size_t requested; std::vector<unsigned char> bytes; };
void snapshotTail(uintptr_t p, std::vector<Tail>* tails) {
  auto it = g_allocs.upper_bound(p);
  if (it == g_allocs.begin()) return;
  --it;
  for (const Tail& t : *tails) if (t.start == it->first) return;
  const unsigned char* from = (const unsigned char*)it->first + it->second.requested;
  tails->push_back({it->first, it->second.requested, std::vector<unsigned char>(from, from + it->second.bytes + kRedZone - it->second.requested)});
}
}  // namespace

extern "C" {
// A fake cubin (fake_nvrtc.cc): "FAKECUBIN\narch=sm_XX\nkernel=NAME\n...\nso-bytes=N\n\0" and
// then the N bytes of the shared object.
CUresult cuModuleLoadData(void** out, const void* image) {
  LOCK;
  NEED_CTX;
  if (!out || !image) return INVALID_VALUE;
  const char* s = (const char*)image;
  if (strncmp(s, "FAKECUBIN\narch=sm_", 18) != 0) return complain(INVALID_IMAGE, "module image is not a fake cubin");
  int arch = atoi(s + 18);
  if (arch / 10 != 9 || arch % 10 > 0) return complain(NO_BINARY, "cubin for sm_%d cannot run on the sm_90 fake device", arch);
  const char* so = strstr(s, "\nso-bytes=");
  if (!so) return complain(INVALID_IMAGE, "fake cubin without code");
  std::string err;
  void* handle = openSharedObject(s + strlen(s) + 1, (size_t)strtoull(so + 10, nullptr, 10), &err);
  if (!handle) return complain(INVALID_IMAGE, "loading the module's host code failed: %s", err.c_str());
  auto* simt = (FakeSimtState*)dlsym(handle, "fakesimt_state");
  if (!simt || simt->abi != FAKESIMT_ABI) {
    dlclose(handle);
    return complain(INVALID_IMAGE, "the module's host code was not built against this simt_abi.h");
  }
  fakesimt::bind(simt);
  Module* m = new Module;
  m->so = handle;
  m->simt = simt;
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
  if (m->so) dlclose(m->so);
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
  if (!f) {
    auto entry = (FakeSimtEntry)dlsym(m->so, ("fakesimt_entry_" + std::string(name)).c_str());
    auto params = (FakeSimtParams)dlsym(m->so, ("fakesimt_params_" + std::string(name)).c_str());
    if (!entry || !params) {
      m->fns.erase(name);
      return complain(NOT_FOUND, "kernel %s has no host entry point in the module", name);
    }
    int n = params(nullptr, nullptr, 0);
    std::vector<unsigned> sizes((size_t)n), pointers((size_t)n);
    params(sizes.data(), pointers.data(), n);
    f = new Function{m, name, entry, sizes, pointers};
    g_functions.insert(f);
  }
  *out = f;
  return OK;
}
// Checks the launch, copies the parameter values (as CUDA does: the caller's params array and
// what it points to may change right after), and enqueues a run of the grid.
CUresult cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shmem, void* stream, void** params, void** extra) {
  LOCK;
  NEED_CTX;
  Function* f = (Function*)fn;
  if (!g_functions.count(f)) return INVALID_HANDLE;
  if (!gx || !gy || !gz || !bx || !by || !bz || gy > 65535 || gz > 65535 || gx > 2147483647u) return INVALID_VALUE;
  if (bx > 1024 || by > 1024 || bz > 64 || (unsigned long long)bx * by * bz > 1024) return INVALID_VALUE;
  if (shmem > 49152) return complain(INVALID_VALUE, "%u bytes of dynamic shared memory without the opt-in attribute", shmem);
  if (shmem) return complain(INVALID_VALUE, "%s: dynamic shared memory is not emulated by the fake", f->name.c_str());
  if (params && extra) return INVALID_VALUE;
  if (extra) return complain(INVALID_VALUE, "%s: parameters through `extra` are not emulated by the fake", f->name.c_str());
  const size_t n = f->sizes.size();
  if (n && !params) return complain(INVALID_VALUE, "%s takes %zu parameters, launched with none", f->name.c_str(), n);
  std::vector<size_t> offsets(n);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    offsets[i] = (total + 15) & ~(size_t)15;
    total = offsets[i] + f->sizes[i];
  }
  if (total > kMaxParamBytes) return complain(INVALID_VALUE, "%s: %zu bytes of parameters (the limit is %zu)", f->name.c_str(), total, kMaxParamBytes);
  auto blob = std::make_shared<std::vector<unsigned char>>(total + 16);
  for (size_t i = 0; i < n; i++) {
    if (!params[i]) return complain(INVALID_VALUE, "%s: parameter %zu is a null pointer in params", f->name.c_str(), i);
    memcpy(blob->data() + offsets[i], params[i], f->sizes[i]);
  }
  auto op = std::make_shared<FakeOp>();
  op->kind = "kernel";
  op->detail = "name=" + f->name + " grid=" + std::to_string(gx) + "," + std::to_string(gy) + "," + std::to_string(gz) +
               " block=" + std::to_string(bx) + "," + std::to_string(by) + "," + std::to_string(bz);
  op->costMs = 0.003;
  const std::array<unsigned, 3> grid = {gx, gy, gz}, block = {bx, by, bz};
  op->run = [f, blob, offsets, grid, block]() {
    if (!g_functions.count(f)) return complain(INVALID_HANDLE, "replayed launch of an unloaded kernel");
    std::vector<void*> args(offsets.size());
    std::vector<Tail> tails;
    for (size_t i = 0; i < offsets.size(); i++) {
      args[i] = blob->data() + offsets[i];
      if (!f->pointers[i] || f->sizes[i] != sizeof(void*)) continue;
      // A pointer parameter must point into live device memory (or be null).
      void* p;
      memcpy(&p, args[i], sizeof p);
      std::string what = f->name + " parameter " + std::to_string(i);
      if (p && fakecuda_check_range(p, 1, what.c_str())) return (int)ILLEGAL_ADDRESS;
      if (p) snapshotTail((uintptr_t)p, &tails);
    }
    std::string why;
    if (int rc = fakesimt::runGrid(f->mod->simt, f->entry, args.data(), grid.data(), block.data(), &why))
      return complain(rc, "kernel %s: %s", f->name.c_str(), why.c_str());
    for (const Tail& t : tails)
      for (size_t k = 0; k < t.bytes.size(); k++)
        if (((const unsigned char*)t.start)[t.requested + k] != t.bytes[k])
          return complain(ILLEGAL_ADDRESS, "kernel %s wrote byte %zu of a %zu-byte allocation (past its end)", f->name.c_str(), t.requested + k, t.requested);
    return (int)OK;
  };
  return submit(stream, op);
}
}  // extern "C"
