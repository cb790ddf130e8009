#include "engine/posix.h"  // first: see posix.h
#include "engine/environment.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace pipe {

namespace {
std::vector<EnvProvider>& providers() {
  static std::vector<EnvProvider> p;
  return p;
}
std::vector<ThreadHook>& thread_hooks() {
  static std::vector<ThreadHook> h;
  return h;
}
}  // namespace

void add_env_provider(EnvProvider provider) { providers().push_back(std::move(provider)); }
void add_thread_hook(ThreadHook hook) { thread_hooks().push_back(std::move(hook)); }

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0) return std::atoi(env);
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? static_cast<int>(cores) : 1;
}

void apply_threads(int threads) {
  for (auto& h : thread_hooks()) h(threads);
}

nlohmann::json capture_environment(int threads, const std::string& command_line) {
  nlohmann::json env;
  env["pipe_version"] = PIPE_VERSION;
  env["git_commit"] = PIPE_GIT_COMMIT;
#if defined(__clang__)
  env["compiler"] = std::string("clang ") + __clang_version__;
#else
  env["compiler"] = std::string("g++ ") + __VERSION__;
#endif
  env["cxx_standard"] = static_cast<long>(__cplusplus);
  env["threads"] = threads;
  env["command"] = command_line;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  env["host"] = host;
  env["cores"] = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::set<std::string> wanted = {"sse4_2",   "avx",      "avx2",        "fma",         "avx512f",
                                  "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile"};
  std::vector<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && !env.contains("cpu")) env["cpu"] = value;
    if (key == "flags" && flags.empty()) {
      std::istringstream ss(value);
      std::string f;
      while (ss >> f)
        if (wanted.count(f)) flags.push_back(f);
    }
  }
  env["isa_flags"] = flags;
  for (auto& p : providers()) p(env);
  return env;
}

}  // namespace pipe
