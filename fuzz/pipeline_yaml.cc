// Fuzz target: pipeline and experiment YAML (engine/node.cc parse_yaml and
// its conversion, engine/config.cc expand_runs: variants, grid, seeds,
// overrides), then every run validated against the stage kinds' schemas
// (engine/schema.cc, with the engine's fake stage kinds).  An experiment's
// `pipeline:` may name base.yaml, a small valid pipeline beside the input.
// Every input must expand or fail with pipe::Error; anchors and aliases
// must not expand without bound.
#include <cstdint>
#include <string>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/graph.h"
#include "engine/stage.h"
#include "fuzz/scratch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe;
  static const bool ready = [] {
    register_builtin_stages();
    const std::string base =
        "stages:\n  - { id: a, kind: source, path: in.txt }\n  - { id: b, kind: append, input: a }\n"
        "  - { id: s, kind: score, input: b }\n";
    pipe::fuzz::scratch_file("in.txt", nullptr, 0);
    pipe::fuzz::scratch_file("base.yaml", reinterpret_cast<const uint8_t*>(base.data()), base.size());
    return true;
  }();
  (void)ready;
  std::string file = pipe::fuzz::scratch_file("input.yaml", data, size);
  try {
    std::vector<RunSpec> runs = expand_runs(file, ExpandOptions{});
    for (const auto& run : runs) Graph::build(run.pipeline, Registry::global());
  } catch (const Error&) {
  }
  return 0;
}
