// Damaged safetensors files — cut short anywhere, shapes that are negative
// or multiply past 2^64, offsets past the end — are errors naming the file,
// never a crash, a huge allocation or a tensor with the wrong amount of data.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>

#include "engine/error.h"
#include "engine/posix.h"  // first: see posix.h
#include "stages/nn/safetensors.h"
#include "tests/nn/helpers.h"

namespace pipe::nn::test {

namespace {

struct TempPath {
  explicit TempPath(const std::string& tag)
      : path("/tmp/pipe_safetensors_test_" + std::to_string(::getpid()) + "_" + tag + ".safetensors") {}
  ~TempPath() { std::remove(path.c_str()); }
  std::string path;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A safetensors file with one tensor whose header is `entry`, then `data`.
std::string with_entry(const std::string& entry, const std::string& data) {
  std::string header = "{\"t\":" + entry + "}";
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string error_line(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.line();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a safetensors file cut short anywhere is an error naming the file", "[nn][safetensors]") {
  TempPath good("good"), cut("cut");
  write_safetensors(good.path, {{"w", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"b", {2}, {7, 8}}}, {{"format", "pipe.nn 1"}});
  std::string bytes = read_all(good.path);
  REQUIRE(read_safetensors(good.path).tensors.at("w").data.size() == 6);
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_all(cut.path, bytes.substr(0, n));
    std::string line = error_line([&] { read_safetensors(cut.path); });
    INFO("cut after " << n << " bytes: " << line);
    CHECK(line.rfind(cut.path + ": not a safetensors file: ", 0) == 0);
  }
  // Every byte of the header changed in turn: an error or a file that still adds up.
  for (size_t i = 8; i < bytes.size() - 32; ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x21);
    write_all(cut.path, damaged);
    try {
      TensorFile f = read_safetensors(cut.path);
      for (const auto& [name, t] : f.tensors) CHECK(static_cast<int64_t>(t.data.size()) == product(t.shape));
    } catch (const Error& e) {
      CHECK(e.where() == cut.path);
    }
  }
}

TEST_CASE("a safetensors shape that is negative or wraps around 2^64 is an error", "[nn][safetensors]") {
  TempPath file("shape");
  // [-1, -1] multiplies to 1: it used to read one float for a shape of -1x-1.
  write_all(file.path, with_entry(R"({"dtype":"F32","shape":[-1,-1],"data_offsets":[0,4]})", std::string(4, '\0')));
  CHECK(error_line([&] { read_safetensors(file.path); }) ==
        file.path + ": not a safetensors file: tensor t has shape -1x-1");
  // 2^32 × 2^32 wraps to 0 elements: it used to load as an empty tensor of that shape.
  write_all(file.path, with_entry(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]})", ""));
  CHECK(error_line([&] { read_safetensors(file.path); }) ==
        file.path + ": not a safetensors file: tensor t has shape 4294967296x4294967296");
  // 2^62 floats are 2^64 bytes, which wraps to 0 bytes.
  write_all(file.path, with_entry(R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]})", ""));
  CHECK(error_line([&] { read_safetensors(file.path); }) ==
        file.path + ": not a safetensors file: tensor t has bad data_offsets");
  write_all(file.path, with_entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", std::string(4, '\0')));
  CHECK(error_line([&] { read_safetensors(file.path); }) ==
        file.path + ": not a safetensors file: tensor t has bad data_offsets");
  write_all(file.path, with_entry(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})", std::string(8, '\0')));
  CHECK(error_line([&] { read_safetensors(file.path); }).rfind(file.path + ": not a safetensors file: tensor t: ", 0) ==
        0);
}

TEST_CASE("a net loading a truncated checkpoint names the file", "[nn][safetensors][checkpoint]") {
  TempPath file("net");
  auto net = make_net(R"(["flatten", {"dense": 3}])", {1, 2, 2}, 3);
  net->save(file.path, nlohmann::json::object());
  std::string bytes = read_all(file.path);
  write_all(file.path, bytes.substr(0, bytes.size() - 5));
  CHECK(error_line([&] { net->load(file.path); }) ==
        file.path + ": not a safetensors file: tensor " + "dense_1.bias" + " has bad data_offsets");
}

}  // namespace pipe::nn::test
