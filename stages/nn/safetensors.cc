#include "stages/nn/safetensors.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/posix.h"  // first: see posix.h

namespace pipe::nn {

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  size_t offset = 0;
  for (const auto& t : tensors) {
    if (static_cast<int64_t>(t.data.size()) != product(t.shape))
      throw Error("tensor " + t.name + " has " + std::to_string(t.data.size()) + " values for shape " +
                  shape_str(t.shape));
    const size_t bytes = t.data.size() * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  const uint64_t length = text.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(length >> (8 * i));

  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write: " + std::string(std::strerror(errno))).at(tmp);
  bool ok = std::fwrite(prefix, 1, 8, f) == 8 && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (const auto& t : tensors)
    ok = ok && std::fwrite(t.data.data(), sizeof(float), t.data.size(), f) == t.data.size();
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error("cannot write: " + why).at(path);
  }
}

TensorFile read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read the checkpoint: " + std::string(std::strerror(errno))).at(path);
  auto bad = [&](const std::string& what) { return Error("not a safetensors file: " + what).at(path); };
  unsigned char prefix[8];
  if (!in.read(reinterpret_cast<char*>(prefix), 8)) throw bad("too short");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(prefix[i]) << (8 * i);
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  if (end < 8) throw Error("cannot read the checkpoint").at(path);
  const uint64_t size = static_cast<uint64_t>(end);
  if (length > size - 8) throw bad("header length " + std::to_string(length) + " past the end");
  in.seekg(8);
  std::string text(length, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(length))) throw bad("the header is cut short");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("header: ") + e.what());
  }
  if (!header.is_object()) throw bad("the header is not a map");
  const uint64_t data_start = 8 + length, data_size = size - data_start;
  TensorFile file;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw bad("__metadata__ is not a map");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) throw bad("metadata " + k + " is not a string");
        file.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    try {
      NamedTensor t;
      t.name = name;
      if (entry.at("dtype").get<std::string>() != "F32")
        throw Error("tensor " + name + " is " + entry.at("dtype").get<std::string>() + ", expected F32")
            .at(path);
      t.shape = entry.at("shape").get<Dims>();
      const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      // The shape's product, checked: negative sizes and products past 2^64
      // would otherwise pass the offsets check below by wrapping around.
      uint64_t count = 1;
      for (int64_t d : t.shape)
        if (d < 0 || __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count))
          throw bad("tensor " + name + " has shape " + shape_str(t.shape));
      if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] > data_size ||
          count > data_size / sizeof(float) || offsets[1] - offsets[0] != count * sizeof(float))
        throw bad("tensor " + name + " has bad data_offsets");
      t.data.resize(count);
      in.seekg(static_cast<std::streamoff>(data_start + offsets[0]));
      if (!in.read(reinterpret_cast<char*>(t.data.data()), static_cast<std::streamsize>(count * 4)))
        throw bad("tensor " + name + " is cut short");
      file.tensors[name] = std::move(t);
    } catch (const nlohmann::json::exception& e) {
      throw bad("tensor " + name + ": " + e.what());
    }
  }
  return file;
}

}  // namespace pipe::nn
