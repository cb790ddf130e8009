// Environment — what a run ran on, captured once per run and stored with it:
// pipe version and commit, compiler, CPU model and ISA flags, host, threads,
// command line, plus whatever the linked libraries add (oneDNN, OpenCV
// versions) through providers registered at start-up.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace pipe {

using EnvProvider = std::function<void(nlohmann::json& env)>;
void add_env_provider(EnvProvider provider);
nlohmann::json capture_environment(int threads, const std::string& command_line);

// Called once with the thread count before any stage runs, so libraries
// (OpenMP for oneDNN, OpenCV) are set deliberately, never oversubscribed.
using ThreadHook = std::function<void(int threads)>;
void add_thread_hook(ThreadHook hook);
void apply_threads(int threads);

// The thread count when --threads is not given: OMP_NUM_THREADS, else the cores.
int default_threads();

}  // namespace pipe
