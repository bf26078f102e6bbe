// The fake driver's kernel executor (fake_simt.cc): runs a host-compiled kernel (simt_abi.h)
// over a grid the way a GPU would schedule it, as far as any CUDA program may observe.
#pragma once
#include "simt_abi.h"

#include <string>

namespace fakesimt {
// Points a freshly loaded module's barrier hooks and exchange buffer at this executor.
void bind(FakeSimtState* st);
// Runs entry(args) for every thread of every block: blocks one after another (x fastest, as
// blockIdx enumerates them), the threads of a block as cooperative fibers. Returns 0, or a
// CUresult with `why` saying what went wrong (threads of a block waiting at different barriers).
int runGrid(FakeSimtState* st, FakeSimtEntry entry, void** args, const unsigned grid[3], const unsigned block[3], std::string* why);
}  // namespace fakesimt
