#include "stages/image/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pipe::image {

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& body) {
  if (n == 0) return;
  size_t workers = std::min<size_t>(std::max(threads, 1), n);
  if (workers == 1) {
    for (size_t i = 0; i < n; ++i) body(i);
    return;
  }
  const size_t chunk = std::max<size_t>(1, std::min<size_t>(16, n / (workers * 8)));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      size_t begin = next.fetch_add(chunk);
      if (begin >= n) return;
      size_t end = std::min(n, begin + chunk);
      try {
        for (size_t i = begin; i < end; ++i) body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace pipe::image
