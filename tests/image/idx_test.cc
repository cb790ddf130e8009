#include "engine/posix.h"  // first: see posix.h (zlib.h)

#include <catch2/catch.hpp>

#include "engine/error.h"
#include "stages/image/idx.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using pipe::image::testing::TempDir;

namespace {

std::string idx_bytes(uint8_t ndims, std::vector<uint32_t> dims, const std::vector<uint8_t>& data) {
  std::string out = {0, 0, 8, static_cast<char>(ndims)};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((d >> s) & 0xFF);
  out.append(data.begin(), data.end());
  return out;
}

void write_gz(const std::string& file, const std::string& bytes) {
  gzFile f = gzopen(file.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 3);
  return v;
}

}  // namespace

TEST_CASE("IDX images and labels are read gzipped or plain", "[idx]") {
  TempDir tmp;
  std::vector<uint8_t> pixels = ramp(3 * 4 * 5);
  write_gz(tmp.at("x-images-idx3-ubyte.gz"), idx_bytes(3, {3, 4, 5}, pixels));
  write_gz(tmp.at("x-labels-idx1-ubyte.gz"), idx_bytes(1, {3}, {7, 0, 2}));
  pipe::image::testing::write_bytes(tmp.at("p-images-idx3-ubyte"), idx_bytes(3, {3, 4, 5}, pixels));
  pipe::image::testing::write_bytes(tmp.at("p-labels-idx1-ubyte"), idx_bytes(1, {3}, {7, 0, 2}));
  for (std::string stem : {"x", "p"}) {
    std::string ext = stem == "x" ? ".gz" : "";
    IdxImages r = read_idx_images(tmp.at(stem + "-images-idx3-ubyte" + ext), tmp.at(stem + "-labels-idx1-ubyte" + ext));
    CHECK(r.count == 3);
    CHECK(r.height == 4);
    CHECK(r.width == 5);
    CHECK(r.channels == 1);
    CHECK(r.pixels == pixels);
    CHECK(r.labels == std::vector<uint8_t>{7, 0, 2});
  }
}

TEST_CASE("truncated and malformed IDX files are clear errors", "[idx]") {
  TempDir tmp;
  std::string full = idx_bytes(3, {10, 28, 28}, ramp(10 * 28 * 28));
  pipe::image::testing::write_bytes(tmp.at("cut"), full.substr(0, 500));
  CHECK_THROWS_WITH(read_idx(tmp.at("cut")), Catch::Contains("truncated IDX file") && Catch::Contains("7840 bytes"));
  write_gz(tmp.at("cut.gz"), full.substr(0, 2000));
  CHECK_THROWS_WITH(read_idx(tmp.at("cut.gz")), Catch::Contains("truncated"));
  pipe::image::testing::write_bytes(tmp.at("header"), full.substr(0, 6));
  CHECK_THROWS_WITH(read_idx(tmp.at("header")), Catch::Contains("header ends early"));
  pipe::image::testing::write_bytes(tmp.at("magic"), "\x12\x34\x08\x01rest");
  CHECK_THROWS_WITH(read_idx(tmp.at("magic")), Catch::Contains("bad magic"));
  pipe::image::testing::write_bytes(tmp.at("float"), std::string("\0\0\x0d\x01\0\0\0\x01xxxx", 12));
  CHECK_THROWS_WITH(read_idx(tmp.at("float")), Catch::Contains("0x0d"));
  CHECK_THROWS_WITH(read_idx(tmp.at("nothing")), Catch::Contains("cannot open"));
  // A gzip stream whose compressed bytes are damaged.
  write_gz(tmp.at("ok.gz"), full);
  std::string gz = pipe::image::testing::read_bytes(tmp.at("ok.gz"));
  for (size_t i = 40; i < 80; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5A);
  pipe::image::testing::write_bytes(tmp.at("bad.gz"), gz);
  CHECK_THROWS_AS(read_idx(tmp.at("bad.gz")), pipe::Error);
}

TEST_CASE("images and labels must agree", "[idx]") {
  TempDir tmp;
  pipe::image::testing::write_bytes(tmp.at("i"), idx_bytes(3, {2, 2, 2}, ramp(8)));
  pipe::image::testing::write_bytes(tmp.at("l"), idx_bytes(1, {3}, {1, 2, 3}));
  CHECK_THROWS_WITH(read_idx_images(tmp.at("i"), tmp.at("l")), Catch::Contains("3 labels for 2 images"));
  CHECK_THROWS_WITH(read_idx_images(tmp.at("l"), tmp.at("l")), Catch::Contains("dimensions"));
}

TEST_CASE("the labels file beside an images file", "[idx]") {
  CHECK(idx_labels_beside("/d/t10k-images-idx3-ubyte.gz") == "/d/t10k-labels-idx1-ubyte.gz");
  CHECK(idx_labels_beside("/d/dig-mnist-images-idx3-ubyte") == "/d/dig-mnist-labels-idx1-ubyte");
  CHECK(idx_labels_beside("/images/data.bin") == "");
}

TEST_CASE("an IDX header whose sizes multiply past 2^64 or past the file is an error", "[idx]") {
  TempDir tmp;
  using pipe::image::testing::write_bytes;
  // 131072 × 131072 × 1073741824 = 2^68: wrapped to 0, it used to load as an empty array.
  write_bytes(tmp.at("wrap"), idx_bytes(3, {131072, 131072, 1073741824}, ramp(64)));
  try {
    read_idx(tmp.at("wrap"));
    FAIL("expected an error");
  } catch (const pipe::Error& e) {
    CHECK(e.line() == tmp.at("wrap") +
                          ": IDX header declares 131072 x 131072 x 1073741824 bytes of data, more than 17179869184");
    CHECK(e.hint_text() == "the header is damaged, or the file is not an IDX file");
  }
  CHECK_THROWS_AS(read_idx_images(tmp.at("wrap"), tmp.at("wrap")), pipe::Error);
  // 2^32 × 2^32 wraps to exactly 0 with two dimensions.
  write_bytes(tmp.at("wrap2"), idx_bytes(4, {65536, 65536, 65536, 65536}, {}));
  CHECK_THROWS_WITH(read_idx(tmp.at("wrap2")), Catch::Contains("more than 17179869184"));
  // Plausible in size but far longer than the file: an error, not a 1 GB allocation.
  write_bytes(tmp.at("long"), idx_bytes(3, {1000, 1000, 1000}, ramp(10)));
  try {
    read_idx(tmp.at("long"));
    FAIL("expected an error");
  } catch (const pipe::Error& e) {
    CHECK(e.line() == tmp.at("long") +
                          ": truncated IDX file: the header declares 1000 x 1000 x 1000 = 1000000000 bytes of data, "
                          "the file holds 10");
  }
}

TEST_CASE("an IDX images file with an empty or oversized side is an error", "[idx]") {
  TempDir tmp;
  using pipe::image::testing::write_bytes;
  write_bytes(tmp.at("i"), idx_bytes(3, {2, 0, 5}, {}));
  write_bytes(tmp.at("l"), idx_bytes(1, {2}, {1, 2}));
  try {
    read_idx_images(tmp.at("i"), tmp.at("l"));
    FAIL("expected an error");
  } catch (const pipe::Error& e) {
    CHECK(e.line() == tmp.at("i") + ": IDX images file declares 0 rows");
    CHECK(e.hint_text() == "rows and columns are at least 1, channels 1 to 4");
  }
  write_bytes(tmp.at("big"), idx_bytes(3, {0, 3000000000u, 2}, {}));
  CHECK_THROWS_WITH(read_idx_images(tmp.at("big"), tmp.at("l")),
                    tmp.at("big") + ": IDX images file declares 3000000000 rows");
  write_bytes(tmp.at("deep"), idx_bytes(4, {2, 1, 1, 600}, ramp(1200)));
  CHECK_THROWS_WITH(read_idx_images(tmp.at("deep"), tmp.at("l")),
                    tmp.at("deep") + ": IDX images file declares 600 channels");
  // No images at all is a valid, empty set.
  write_bytes(tmp.at("none"), idx_bytes(3, {0, 28, 28}, {}));
  write_bytes(tmp.at("none-l"), idx_bytes(1, {0}, {}));
  CHECK(read_idx_images(tmp.at("none"), tmp.at("none-l")).count == 0);
}
