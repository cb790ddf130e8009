// safetensors files: an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "string value"}}, then the tensor bytes.
// Only F32 tensors are written and read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "stages/nn/tensor.h"

namespace pipe::nn {

struct NamedTensor {
  std::string name;
  Dims shape;
  std::vector<float> data;
};

struct TensorFile {
  std::map<std::string, NamedTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Writes path + ".tmp", flushes it to disk and renames it to path.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata);
// Throws pipe::Error (at the path) for unreadable or malformed files.
TensorFile read_safetensors(const std::string& path);

}  // namespace pipe::nn
