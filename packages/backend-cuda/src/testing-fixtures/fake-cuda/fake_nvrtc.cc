// Fake libnvrtc.so.13: compiles CUDA C as host C++ so that the fake driver can run it. First a
// quick scan (brackets balance; the names of the extern "C" __global__ functions, the only
// ones that keep their name in a real cubin), then the host compiler ($FAKE_CUDA_CXX, else
// c++) builds the source, with simt_host.h (the CUDA device environment, found next to this
// library) included first and an entry point appended per kernel, into a shared object. The
// fake cubin is "FAKECUBIN\narch=sm_XX\nkernel=NAME\n...\nso-bytes=N\n\0" + the object's N bytes,
// which fake_driver_kernels.cc loads. The compiler's diagnostics are the program log, as
// NVRTC's are. Only -arch=sm_XX (a real architecture) yields a cubin, as with NVRTC, where
// compute_XX yields PTX only.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

typedef int nvrtcResult;
namespace {
enum : int { OK = 0, OOM = 1, CREATION_FAILURE = 2, INVALID_INPUT = 3, INVALID_PROGRAM = 4, INVALID_OPTION = 5, COMPILATION = 6 };
struct Program {
  int magic = 0x4e565254;
  std::string src, name, log, cubin;
  bool compiled = false;
  int arch = 0;  // 90 for sm_90; 0 when compiled for a virtual architecture
};
bool valid(Program* p) { return p && p->magic == 0x4e565254; }
bool isIdent(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// Strips comments and string/char literals so that the scan below sees only code.
std::string stripped(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s.compare(i, 2, "//") == 0) { while (i < s.size() && s[i] != '\n') i++; out += '\n'; continue; }
    if (s.compare(i, 2, "/*") == 0) { size_t e = s.find("*/", i + 2); i = e == std::string::npos ? s.size() : e + 1; out += ' '; continue; }
    if (s[i] == '"' || s[i] == '\'') {
      char q = s[i];
      size_t j = i + 1;
      while (j < s.size() && s[j] != q) j += s[j] == '\\' ? 2 : 1;
      // keep extern "C" recognisable
      out += (q == '"' && s.compare(i, 3, "\"C\"") == 0) ? "\"C\"" : "\"\"";
      i = j;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string compile(const std::string& raw, std::vector<std::string>& kernels) {
  std::string s = stripped(raw);
  int paren = 0, brace = 0, bracket = 0;
  for (char c : s) {
    paren += c == '(' ? 1 : c == ')' ? -1 : 0;
    brace += c == '{' ? 1 : c == '}' ? -1 : 0;
    bracket += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (paren < 0 || brace < 0 || bracket < 0) return "error: unbalanced closing bracket";
  }
  if (paren || brace || bracket) return "error: unbalanced brackets at end of file";
  // extern "C" { ... } blocks: the byte ranges where declarations get C linkage.
  std::vector<std::pair<size_t, size_t>> cBlocks;
  for (size_t p = s.find("extern \"C\""); p != std::string::npos; p = s.find("extern \"C\"", p + 1)) {
    size_t q = p + 10;
    while (q < s.size() && isspace((unsigned char)s[q])) q++;
    if (q < s.size() && s[q] == '{') {
      int depth = 0;
      size_t e = q;
      for (; e < s.size(); e++) { depth += s[e] == '{' ? 1 : s[e] == '}' ? -1 : 0; if (!depth) break; }
      cBlocks.push_back({q, e});
    }
  }
  for (size_t p = s.find("__global__"); p != std::string::npos; p = s.find("__global__", p + 1)) {
    if ((p > 0 && isIdent(s[p - 1])) || isIdent(s[p + 10])) continue;
    // The declaration starts after the previous ';', '}' or '{'.
    size_t start = s.find_last_of(";{}", p);
    start = start == std::string::npos ? 0 : start + 1;
    std::string head = s.substr(start, p - start);
    bool cLinkage = head.find("extern \"C\"") != std::string::npos && head.find("template") == std::string::npos;
    for (auto& b : cBlocks) if (p > b.first && p < b.second) cLinkage = true;
    // The name: the identifier before the first '(' that does not open __launch_bounds__(...).
    size_t q = p + 10;
    std::string name;
    while (q < s.size()) {
      size_t open = s.find('(', q);
      if (open == std::string::npos) break;
      size_t e = open;
      while (e > 0 && isspace((unsigned char)s[e - 1])) e--;
      size_t b = e;
      while (b > 0 && isIdent(s[b - 1])) b--;
      std::string id = s.substr(b, e - b);
      if (id == "__launch_bounds__" || id == "__attribute__" || id == "__align__") {
        int depth = 0;
        for (q = open; q < s.size(); q++) { depth += s[q] == '(' ? 1 : s[q] == ')' ? -1 : 0; if (!depth) break; }
        q++;
        continue;
      }
      name = id;
      break;
    }
    if (name.empty()) return "error: __global__ without a function name";
    if (cLinkage) kernels.push_back(name);
  }
  return "";
}

// The directory this library was loaded from: buildFakeCuda puts simt_host.h and simt_abi.h there.
std::string ownDir() {
  Dl_info info;
  if (!dladdr((void*)&isIdent, &info) || !info.dli_fname) return ".";
  std::string p = info.dli_fname;
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

bool readFile(const std::string& path, std::string* out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[65536];
  out->clear();
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) out->append(buf, n);
  fclose(f);
  return true;
}

// Builds `src` (plus an entry point per kernel) into a shared object, in a private temporary
// directory that is removed afterwards (kept with FAKE_CUDA_NVRTC_KEEP=1, for a look). The
// compiler runs there, so its diagnostics name the program as NVRTC's do ("name.cu:3:1: error").
// True with the object's bytes in *so; false with the reason in *log.
bool hostCompile(const std::string& src, std::string name, const std::vector<std::string>& kernels, std::string* log, std::string* so) {
  for (char& c : name) if (!isIdent(c) && c != '.' && c != '-') c = '_';
  if (name.empty() || name[0] == '.') name = "program.cu";
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/fake-nvrtc-XXXXXX";
  if (!mkdtemp(&dir[0])) { *log = "fake nvrtc: cannot create a directory in " + dir + "\n"; return false; }
  std::string full = src + "\n// fake NVRTC: host entry points (simt_host.h)\n";
  for (auto& k : kernels) full += "FAKESIMT_KERNEL(" + k + ")\n";
  bool ok = false;
  if (FILE* f = fopen((dir + "/" + name).c_str(), "wb")) {
    ok = fwrite(full.data(), 1, full.size(), f) == full.size();
    ok = fclose(f) == 0 && ok;
  }
  if (!ok) *log = "fake nvrtc: cannot write the source into " + dir + "\n";
  const char* env = getenv("FAKE_CUDA_CXX");
  const std::string cxx = env && *env ? env : "c++", header = ownDir() + "/simt_host.h";
  // -ffp-contract=off: no fused multiply-adds, so results do not depend on the host CPU.
  std::vector<std::string> args = {cxx, "-std=c++17", "-O1", "-g0", "-fPIC", "-shared", "-ffp-contract=off",
                                   "-include", header, "-x", "c++", name, "-o", "module.so", "-lm"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  posix_spawn_file_actions_addopen(&fa, 1, "compiler.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int status = 0;
  if (ok && posix_spawnp(&pid, cxx.c_str(), &fa, nullptr, argv.data(), environ) != 0) {
    *log = "fake nvrtc: cannot run the host compiler '" + cxx + "' (set FAKE_CUDA_CXX)\n";
    ok = false;
  }
  posix_spawn_file_actions_destroy(&fa);
  if (ok) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    readFile(dir + "/compiler.log", log);
    ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && readFile(dir + "/module.so", so);
    if (!ok && log->empty()) *log = "fake nvrtc: the host compiler failed without a message\n";
  }
  const char* keep = getenv("FAKE_CUDA_NVRTC_KEEP");
  if (!(keep && *keep == '1')) {
    for (const char* f : {"compiler.log", "module.so"}) unlink((dir + "/" + f).c_str());
    unlink((dir + "/" + name).c_str());
    rmdir(dir.c_str());
  }
  return ok;
}
}  // namespace

extern "C" {
nvrtcResult nvrtcVersion(int* major, int* minor) {
  if (!major || !minor) return INVALID_INPUT;
  *major = 13;
  *minor = 0;
  return OK;
}
const char* nvrtcGetErrorString(nvrtcResult r) {
  switch (r) {
    case OK: return "NVRTC_SUCCESS";
    case OOM: return "NVRTC_ERROR_OUT_OF_MEMORY";
    case CREATION_FAILURE: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
    case INVALID_INPUT: return "NVRTC_ERROR_INVALID_INPUT";
    case INVALID_PROGRAM: return "NVRTC_ERROR_INVALID_PROGRAM";
    case INVALID_OPTION: return "NVRTC_ERROR_INVALID_OPTION";
    case COMPILATION: return "NVRTC_ERROR_COMPILATION";
    default: return "NVRTC_ERROR unknown";
  }
}
nvrtcResult nvrtcCreateProgram(Program** prog, const char* src, const char* name, int numHeaders, const char* const* headers,
                               const char* const* includeNames) {
  if (!prog || !src || numHeaders < 0) return INVALID_INPUT;
  if (numHeaders > 0 && (!headers || !includeNames)) return INVALID_INPUT;
  Program* p = new Program;
  p->src = src;
  p->name = name ? name : "";
  *prog = p;
  return OK;
}
nvrtcResult nvrtcCompileProgram(Program* p, int numOptions, const char* const* options) {
  if (!valid(p)) return INVALID_PROGRAM;
  if (numOptions < 0 || (numOptions > 0 && !options)) return INVALID_INPUT;
  p->arch = 0;
  for (int i = 0; i < numOptions; i++) {
    const char* o = options[i];
    if (!o || o[0] != '-') { p->log = std::string("nvrtc: error: invalid option '") + (o ? o : "(null)") + "'"; return INVALID_OPTION; }
    std::string v(o);
    for (const char* pre : {"-arch=", "--gpu-architecture="})
      if (v.rfind(pre, 0) == 0) {
        std::string a = v.substr(strlen(pre));
        p->arch = a.rfind("sm_", 0) == 0 ? atoi(a.c_str() + 3) : 0;
      }
  }
  std::vector<std::string> kernels;
  std::string err = compile(p->src, kernels);
  if (!err.empty()) { p->log = "program.cu: " + err + "\n"; return COMPILATION; }
  std::string so;
  if (!hostCompile(p->src, p->name, kernels, &p->log, &so)) return COMPILATION;
  p->compiled = true;
  p->cubin = "FAKECUBIN\narch=sm_" + std::to_string(p->arch);
  for (auto& k : kernels) p->cubin += "\nkernel=" + k;
  p->cubin += "\nso-bytes=" + std::to_string(so.size()) + "\n";
  p->cubin += '\0';
  p->cubin += so;
  return OK;
}
nvrtcResult nvrtcGetProgramLogSize(Program* p, size_t* n) {
  if (!valid(p)) return INVALID_PROGRAM;
  if (!n) return INVALID_INPUT;
  *n = p->log.size() + 1;
  return OK;
}
nvrtcResult nvrtcGetProgramLog(Program* p, char* out) {
  if (!valid(p)) return INVALID_PROGRAM;
  if (!out) return INVALID_INPUT;
  memcpy(out, p->log.c_str(), p->log.size() + 1);
  return OK;
}
// No cubin unless compiled successfully for a real architecture (-arch=sm_XX).
nvrtcResult nvrtcGetCUBINSize(Program* p, size_t* n) {
  if (!valid(p)) return INVALID_PROGRAM;
  if (!n) return INVALID_INPUT;
  if (!p->compiled || p->arch == 0) return INVALID_PROGRAM;
  *n = p->cubin.size();
  return OK;
}
nvrtcResult nvrtcGetCUBIN(Program* p, char* out) {
  if (!valid(p)) return INVALID_PROGRAM;
  if (!out) return INVALID_INPUT;
  if (!p->compiled || p->arch == 0) return INVALID_PROGRAM;
  memcpy(out, p->cubin.data(), p->cubin.size());
  return OK;
}
nvrtcResult nvrtcDestroyProgram(Program** p) {
  if (!p || !valid(*p)) return INVALID_PROGRAM;
  (*p)->magic = 0;
  delete *p;
  *p = nullptr;
  return OK;
}
}
