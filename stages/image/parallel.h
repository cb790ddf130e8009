// parallel_for — runs a loop body on a few threads, the caller included.
//
// Indices are handed out in small chunks from an atomic counter, so slow
// items (a large PNG among small ones) do not stall one thread; results are
// written by index, so the output order never depends on the thread count.
// The first exception thrown by the body stops the loop and is rethrown.
#pragma once

#include <cstddef>
#include <functional>

namespace pipe::image {

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& body);

}  // namespace pipe::image
