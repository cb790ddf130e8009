// Fuzz target: the safetensors reader (stages/nn/safetensors.cc) — header
// length, JSON header, dtypes, shapes and data offsets.  Every input must
// load or fail with pipe::Error naming the file; every tensor it returns
// holds exactly the values its shape promises.
#include <cstdint>

#include "engine/error.h"
#include "fuzz/scratch.h"
#include "stages/nn/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file = pipe::fuzz::scratch_file("model.safetensors", data, size);
  try {
    pipe::nn::TensorFile f = pipe::nn::read_safetensors(file);
    for (const auto& [name, t] : f.tensors)
      if (static_cast<int64_t>(t.data.size()) != pipe::nn::product(t.shape)) __builtin_trap();
  } catch (const pipe::Error&) {
  }
  return 0;
}
