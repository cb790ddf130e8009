#include <catch2/catch.hpp>

#include <cstring>

#include "engine/error.h"
#include "stages/image/dataset.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using pipe::image::testing::TempDir;

namespace {

Dataset mixed() {
  Dataset d;
  d.classes = {"alpha", "beta", "gamma"};
  for (int i = 0; i < 7; ++i) {
    Sample s;
    s.label = i % 3;
    s.height = 2 + i;
    s.width = 3 + (i % 2);
    s.channels = i == 4 ? 3 : 1;
    s.path = "class/" + std::to_string(i) + ".png";
    s.group = i % 2 ? "writer" + std::to_string(i) : "";
    s.split = i == 0 ? "test" : "";
    for (int k = 0; k < s.height * s.width * s.channels; ++k) s.pixels.push_back(static_cast<uint8_t>(k * 7 + i));
    d.samples.push_back(s);
  }
  return d;
}

}  // namespace

TEST_CASE("a dataset file round-trips every field", "[dataset]") {
  TempDir tmp;
  Dataset d = mixed();
  std::string file = tmp.at("dataset.bin");
  write_dataset(file, d);
  DatasetView v = DatasetView::open(file);
  REQUIRE(v.size() == d.samples.size());
  CHECK(v.classes() == d.classes);
  for (size_t i = 0; i < v.size(); ++i) {
    const Sample& s = d.samples[i];
    CHECK(v.label(i) == s.label);
    CHECK(v.height(i) == s.height);
    CHECK(v.width(i) == s.width);
    CHECK(v.channels(i) == s.channels);
    CHECK(v.path(i) == s.path);
    CHECK(v.group(i) == s.group);
    CHECK(v.split(i) == s.split);
    CHECK(std::vector<uint8_t>(v.pixels(i), v.pixels(i) + s.pixels.size()) == s.pixels);
  }
  int h, w, c;
  v.common_shape(&h, &w, &c);
  CHECK(h == 0);
  CHECK(v.contiguous_pixels() == nullptr);
  Dataset back = v.load();
  CHECK(back.samples.size() == d.samples.size());
  CHECK(back.samples[4].pixels == d.samples[4].pixels);
}

TEST_CASE("a dataset with one shape is one contiguous array", "[dataset]") {
  TempDir tmp;
  Dataset d;
  d.classes = {"a"};
  for (int i = 0; i < 5; ++i) {
    Sample s;
    s.label = 0;
    s.height = s.width = 4;
    s.channels = 1;
    s.pixels.assign(16, static_cast<uint8_t>(i));
    d.samples.push_back(s);
  }
  write_dataset(tmp.at("d.bin"), d);
  DatasetView v = DatasetView::open(tmp.at("d.bin"));
  int h, w, c;
  v.common_shape(&h, &w, &c);
  CHECK((h == 4 && w == 4 && c == 1));
  const uint8_t* all = v.contiguous_pixels();
  REQUIRE(all != nullptr);
  for (int i = 0; i < 5; ++i) CHECK(all[i * 16 + 5] == i);
}

TEST_CASE("an empty dataset is a valid file", "[dataset]") {
  TempDir tmp;
  Dataset d;
  d.classes = {"x", "y"};
  write_dataset(tmp.at("e.bin"), d);
  DatasetView v = DatasetView::open(tmp.at("e.bin"));
  CHECK(v.size() == 0);
  CHECK(v.classes().size() == 2);
}

TEST_CASE("write_subset writes the chosen samples in the given order", "[dataset]") {
  TempDir tmp;
  write_dataset(tmp.at("all.bin"), mixed());
  DatasetView all = DatasetView::open(tmp.at("all.bin"));
  write_subset(tmp.at("sub.bin"), all, {5, 1, 3});
  DatasetView sub = DatasetView::open(tmp.at("sub.bin"));
  REQUIRE(sub.size() == 3);
  CHECK(sub.classes() == all.classes());
  CHECK(sub.path(0) == all.path(5));
  CHECK(sub.path(1) == all.path(1));
  CHECK(sub.group(2) == all.group(3));
  CHECK(sub.pixels(0)[3] == all.pixels(5)[3]);
}

TEST_CASE("damaged dataset files are errors naming the file", "[dataset]") {
  TempDir tmp;
  write_dataset(tmp.at("good.bin"), mixed());
  std::string bytes = pipe::image::testing::read_bytes(tmp.at("good.bin"));

  pipe::image::testing::write_bytes(tmp.at("short.bin"), bytes.substr(0, bytes.size() - 10));
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("short.bin")), Catch::Contains("truncated"));

  std::string bad = bytes;
  bad[0] = 'X';
  pipe::image::testing::write_bytes(tmp.at("magic.bin"), bad);
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("magic.bin")), Catch::Contains("not a pipe dataset"));

  pipe::image::testing::write_bytes(tmp.at("tiny.bin"), "PIPE");
  CHECK_THROWS_AS(DatasetView::open(tmp.at("tiny.bin")), pipe::Error);
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("missing.bin")), Catch::Contains("missing.bin"));
}

TEST_CASE("write_dataset refuses inconsistent samples", "[dataset]") {
  TempDir tmp;
  Dataset d = mixed();
  d.samples[2].pixels.pop_back();
  CHECK_THROWS_WITH(write_dataset(tmp.at("x.bin"), d), Catch::Contains("bytes of pixels"));
  d = mixed();
  d.samples[1].label = 9;
  CHECK_THROWS_WITH(write_dataset(tmp.at("y.bin"), d), Catch::Contains("label 9"));
  CHECK_FALSE(std::filesystem::exists(tmp.at("y.bin")));
}

TEST_CASE("a dataset record with no channels or an impossible shape is an error", "[dataset]") {
  TempDir tmp;
  write_dataset(tmp.at("good.bin"), mixed());
  std::string bytes = pipe::image::testing::read_bytes(tmp.at("good.bin"));
  // The first record follows the 64-byte header and the class names
  // (a u32 length and the text each): label, height, width, channels.
  size_t record = 64 + (4 + 5) + (4 + 4) + (4 + 5);
  auto with_shape = [&](int32_t h, int32_t w, int32_t c) {
    std::string b = bytes;
    std::memcpy(&b[record + 4], &h, 4);
    std::memcpy(&b[record + 8], &w, 4);
    std::memcpy(&b[record + 12], &c, 4);
    return b;
  };
  int32_t h0 = 0;
  std::memcpy(&h0, &bytes[record + 4], 4);
  REQUIRE(h0 == 2);  // the layout this test assumes
  pipe::image::testing::write_bytes(tmp.at("zero.bin"), with_shape(2, 3, 0));
  try {
    DatasetView::open(tmp.at("zero.bin"));
    FAIL("expected an error");
  } catch (const pipe::Error& e) {
    CHECK(e.line() == tmp.at("zero.bin") + ": dataset sample 0 has shape 2x3x0");
    CHECK(e.hint_text() ==
          "height and width are at least 1, channels 1 to 4; the file is damaged: re-run the stage that wrote it");
  }
  pipe::image::testing::write_bytes(tmp.at("huge.bin"), with_shape(1 << 30, 1 << 30, 4));
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("huge.bin")),
                    tmp.at("huge.bin") + ": dataset file is truncated or corrupt");
  pipe::image::testing::write_bytes(tmp.at("five.bin"), with_shape(2, 3, 5));
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("five.bin")), tmp.at("five.bin") + ": dataset sample 0 has shape 2x3x5");
}

TEST_CASE("dataset counts beyond what the file holds are errors, not huge reservations", "[dataset]") {
  TempDir tmp;
  write_dataset(tmp.at("good.bin"), mixed());
  std::string bytes = pipe::image::testing::read_bytes(tmp.at("good.bin"));
  // Header: magic, version, header size, then u64 samples at 16 and u32 classes at 24.
  std::string classes = bytes;
  uint32_t many = 0xFFFFFFFFu;
  std::memcpy(&classes[24], &many, 4);
  pipe::image::testing::write_bytes(tmp.at("classes.bin"), classes);
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("classes.bin")),
                    tmp.at("classes.bin") + ": dataset file is truncated or corrupt");
  std::string samples = bytes;
  uint64_t lots = 1000000;
  std::memcpy(&samples[16], &lots, 8);
  pipe::image::testing::write_bytes(tmp.at("samples.bin"), samples);
  CHECK_THROWS_WITH(DatasetView::open(tmp.at("samples.bin")),
                    tmp.at("samples.bin") + ": dataset file is truncated or corrupt");
}
