// Fuzz target: `--set KEY=VALUE` parsing (engine/config.cc parse_set: the
// value is YAML) and applying the override to a pipeline, then validating
// the result against the stage kinds' schemas (the engine's fake stage
// kinds, so the target needs neither OpenCV nor oneDNN).  Every input must
// succeed or fail with pipe::Error.
#include <cstdint>
#include <string>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/graph.h"
#include "engine/stage.h"
#include "fuzz/scratch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe;
  static const PipelineSpec pipeline = [] {
    register_builtin_stages();
    const std::string yaml =
        "name: demo\nseed: 1\nstages:\n"
        "  - { id: a, kind: source, path: in.txt }\n"
        "  - { id: b, kind: append, input: a, suffix: x, also: [a] }\n"
        "  - { id: s, kind: score, input: b, epochs: 3 }\n"
        "  - { id: f, kind: fork, input: b }\n";
    pipe::fuzz::scratch_file("in.txt", nullptr, 0);
    std::string file = pipe::fuzz::scratch_file("demo.yaml", reinterpret_cast<const uint8_t*>(yaml.data()),
                                                yaml.size());
    return load_pipeline(file);
  }();
  std::string arg(reinterpret_cast<const char*>(data), size);
  try {
    Override o = parse_set(arg);
    PipelineSpec p = pipeline;
    apply_override(p, o);
    Graph::build(p, Registry::global());
  } catch (const Error&) {
  }
  return 0;
}
