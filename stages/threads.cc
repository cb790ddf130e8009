// Thread counts for every library, set once before any stage runs: oneDNN
// reads OpenMP's count when a primitive is created, Debian's OpenCV uses
// TBB.  Two cores must never carry more than `--threads` busy threads.
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <opencv2/core.hpp>

#include "engine/environment.h"
#include "stages/register.h"

namespace pipe {

void register_threads() {
  add_thread_hook([](int threads) {
    omp_set_num_threads(threads);
    cv::setNumThreads(threads);
  });
  add_env_provider([](nlohmann::json& env) {
    env["opencv"] = CV_VERSION;
    const dnnl_version_t* v = dnnl::version();
    env["onednn"] = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
                    " (" + v->hash + ", " + (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime") + ")";
    env["omp_max_threads"] = omp_get_max_threads();
  });
}

}  // namespace pipe
