// Element-wise host loops on the OpenMP threads.
#pragma once

#include <omp.h>

#include <cstddef>

namespace pipe::nn {

// Runs f(begin, end) over [0, count) split across the OpenMP threads when count is at
// least `grain` and no parallel region is running, else in one call here.  f's loop
// is a plain loop the compiler vectorizes (an `omp parallel for simd` with an `if`
// clause vectorizes badly with GCC).
template <class F>
void for_ranges(size_t count, size_t grain, F&& f) {
  if (count < grain || omp_in_parallel() || omp_get_max_threads() == 1) {
    f(size_t{0}, count);
    return;
  }
#pragma omp parallel
  {
    const size_t t = static_cast<size_t>(omp_get_thread_num());
    const size_t threads = static_cast<size_t>(omp_get_num_threads());
    f(count * t / threads, count * (t + 1) / threads);
  }
}

}  // namespace pipe::nn
