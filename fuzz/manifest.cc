// Fuzz target: the manifest CSV reader (stages/image/source.cc,
// list_manifest via list_source) — BOM, quoting, header columns, paths that
// try to escape the root, missing files — then the label rules and the
// per-class limit.  The root holds two real files so some rows are found.
#include <cstdint>

#include "engine/error.h"
#include "fuzz/scratch.h"
#include "stages/image/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pipe::image;
  static const std::string root = [] {
    const uint8_t byte = 0;
    pipe::fuzz::scratch_file("root/a.png", &byte, 1);
    pipe::fuzz::scratch_file("root/cat/b.png", &byte, 1);
    return pipe::fuzz::scratch_dir() + "/root";
  }();
  pipe::fuzz::scratch_file("root/manifest.csv", data, size);
  for (int limit : {0, 1}) {
    SourceSpec spec;
    spec.path = root;
    spec.layout = "manifest";
    spec.limit_per_class = limit;
    spec.rename = {{"cat", "feline"}};
    try {
      Listing listing = list_source(spec);
      for (const auto& e : listing.entries)
        if (e.rel.empty() || e.rel.rfind("..", 0) == 0) __builtin_trap();  // stays inside the root
    } catch (const pipe::Error&) {
    }
  }
  return 0;
}
