#include <catch2/catch.hpp>

#include "stages/image/augmenter.h"
#include "stages/image/contact_sheet.h"
#include "stages/image/recipe.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using namespace pipe::image::testing;

namespace {

std::string small_dataset(const TempDir& tmp, int per_class_a, int per_class_b) {
  Dataset d;
  d.classes = {"alpha", "beta"};
  for (int i = 0; i < per_class_a + per_class_b; ++i) {
    Sample s;
    s.label = i < per_class_a ? 0 : 1;
    s.height = s.width = 28;
    s.channels = 3;  // colours text never has: (200, 10, 10) and (10, 90, 10), RGB
    for (int p = 0; p < 28 * 28; ++p) {
      s.pixels.push_back(i < per_class_a ? 200 : 10);
      s.pixels.push_back(i < per_class_a ? 10 : 90);
      s.pixels.push_back(10);
    }
    d.samples.push_back(s);
  }
  std::string file = tmp.at("d.bin");
  write_dataset(file, d);
  return file;
}

}  // namespace

TEST_CASE("a contact sheet has one row per class and up to N cells", "[sheet]") {
  TempDir tmp;
  DatasetView v = DatasetView::open(small_dataset(tmp, 12, 3));
  SheetOptions o;
  o.per_class = 5;
  o.title = "test sheet";
  cv::Mat sheet = contact_sheet(v, o);
  REQUIRE(sheet.type() == CV_8UC3);
  // 28×28 samples are magnified 2×: 56-pixel cells.
  CHECK(sheet.rows > 2 * 56);
  CHECK(sheet.rows < 2 * 56 + 80);
  CHECK(sheet.cols > 5 * 56);
  // Row 0 shows 5 samples, row 1 only its 3: count their cells by colour (BGR on the sheet).
  cv::Mat first, second;
  cv::inRange(sheet, cv::Scalar(10, 10, 200), cv::Scalar(10, 10, 200), first);
  cv::inRange(sheet, cv::Scalar(10, 90, 10), cv::Scalar(10, 90, 10), second);
  CHECK(cv::countNonZero(first) == 5 * 56 * 56);
  CHECK(cv::countNonZero(second) == 3 * 56 * 56);
  // The same seed picks the same samples; the sheet is a PNG on disk.
  CHECK(cv::countNonZero(contact_sheet(v, o).reshape(1) != sheet.reshape(1)) == 0);
  pipe::image::write_png(tmp.at("sheet.png"), sheet);
  cv::Mat back = cv::imread(tmp.at("sheet.png"));
  CHECK(back.size() == sheet.size());
}

TEST_CASE("a sheet with an augmenter shows the transformed samples", "[sheet]") {
  TempDir tmp;
  Dataset d;
  d.classes = {"x"};
  Sample s;
  s.label = 0;
  s.height = s.width = 28;
  s.channels = 3;  // left half (200, 10, 10), right half (10, 90, 10), RGB
  for (int p = 0; p < 28 * 28; ++p) {
    bool left = p % 28 < 14;
    s.pixels.insert(s.pixels.end(), {uint8_t(left ? 200 : 10), uint8_t(left ? 10 : 90), 10});
  }
  d.samples.push_back(s);
  write_dataset(tmp.at("h.bin"), d);
  DatasetView v = DatasetView::open(tmp.at("h.bin"));
  auto halves = [](const cv::Mat& sheet) {
    cv::Mat red, green;
    cv::inRange(sheet, cv::Scalar(10, 10, 200), cv::Scalar(10, 10, 200), red);
    cv::inRange(sheet, cv::Scalar(10, 90, 10), cv::Scalar(10, 90, 10), green);
    return std::make_pair(cv::boundingRect(red), cv::boundingRect(green));
  };
  SheetOptions o;
  auto [red, green] = halves(contact_sheet(v, o));
  CHECK(red.width == 28);
  CHECK(red.x < green.x);
  Augmenter mirror(nlohmann::json::parse(R"([{"flip_h": 1}])"));
  o.transform = [&mirror](const uint8_t* in, int h, int w, int c, uint8_t* out, Rng& rng) {
    mirror.apply(in, h, w, c, out, rng);
  };
  auto [red_flipped, green_flipped] = halves(contact_sheet(v, o));
  CHECK(red_flipped.width == 28);
  CHECK(red_flipped.x > green_flipped.x);
}

TEST_CASE("mixed sizes are fitted into square cells", "[sheet]") {
  TempDir tmp;
  Dataset d;
  d.classes = {"x"};
  for (int i = 0; i < 3; ++i) {
    Sample s;
    s.label = 0;
    s.height = 50 + 40 * i;
    s.width = 120;
    s.channels = 3;
    s.pixels.assign(static_cast<size_t>(s.height) * 120 * 3, 255);
    d.samples.push_back(s);
  }
  write_dataset(tmp.at("m.bin"), d);
  cv::Mat sheet = contact_sheet(DatasetView::open(tmp.at("m.bin")), SheetOptions());
  CHECK(sheet.rows < 120);  // one row of 72-pixel cells
}

TEST_CASE("the preprocessing record round-trips and replays clean", "[recipe]") {
  TempDir tmp;
  Recipe r;
  r.decode = DecodeMode::kGray;
  r.max_side = 64;
  CleanOptions c;
  c.crop = "content";
  c.height = c.width = 20;
  c.pad = 2;
  c.stroke = 2;
  r.cleans.push_back(c);
  r.save(tmp.path());
  Recipe back;
  REQUIRE(Recipe::load(tmp.path(), &back));
  CHECK(back.to_json() == r.to_json());
  CHECK_FALSE(Recipe::load(tmp.path() + "/nothing", &back));

  // Reading an image file replays decode, shrink and clean.
  cv::Mat big = glyph(200, 9, 0, 255);
  cv::Mat rgb;
  cv::cvtColor(big, rgb, cv::COLOR_GRAY2BGR);
  cv::imwrite(tmp.at("x.png"), rgb);
  std::string error;
  cv::Mat out = r.read(tmp.at("x.png"), &error);
  REQUIRE(error.empty());
  CHECK(out.size() == cv::Size(20, 20));
  CHECK(out.channels() == 1);
  CHECK(out.at<uint8_t>(0, 0) == 0);  // inverted: light ink on black
  cv::Mat via_apply = r.apply(big);
  CHECK(via_apply.size() == out.size());
  CHECK(r.read(tmp.at("missing.png"), &error).empty());
  CHECK_FALSE(error.empty());
}
