// Run-time lookup of libmvec functions newer than the glibc the addon must load on.
#pragma once

#include <dlfcn.h>

#include <cmath>

namespace symgrad {

// The address of libmvec's `name`, or null where this glibc's libmvec lacks it. libmvec is
// already loaded (the addon links it for exp and log) but in the addon's own scope, which a
// lookup through RTLD_DEFAULT would not search: take its handle instead.
static inline void* libmvec_symbol(const char* name) {
  static void* const lib = dlopen("libmvec.so.1", RTLD_LAZY | RTLD_NOLOAD);
  return lib ? dlsym(lib, name) : nullptr;
}

// Plain functions for templates (std::tanh and the like are overloaded). Internal linkage:
// each ISA tier compiles its own copy with its own -m flags (see bytecode.h).
static inline double scalar_tanh(double x) { return std::tanh(x); }
static inline double scalar_log1p(double x) { return std::log1p(x); }
static inline double scalar_expm1(double x) { return std::expm1(x); }

}  // namespace symgrad
