#include <catch2/catch.hpp>

#include "engine/error.h"
#include "stages/image/augmenter.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using json = nlohmann::json;

namespace {

cv::Mat sample_image(int channels = 1) {
  cv::Mat m = pipe::image::testing::glyph(28, 3, 255, 0);
  cv::circle(m, {18, 9}, 3, cv::Scalar(160), cv::FILLED);
  if (channels == 3) cv::cvtColor(m, m, cv::COLOR_GRAY2RGB);
  return m;
}

cv::Mat apply(const Augmenter& a, const cv::Mat& in, Rng& rng) {
  cv::Mat out(in.size(), in.type());
  a.apply(in.data, in.rows, in.cols, in.channels(), out.data, rng);
  return out;
}

int changed(const cv::Mat& a, const cv::Mat& b) { return cv::countNonZero(a.reshape(1) != b.reshape(1)); }

}  // namespace

TEST_CASE("every op changes pixels when enabled and nothing at strength 0", "[augment]") {
  std::vector<std::pair<json, json>> ops = {
      {json{{"flip_h", 1}}, json{{"flip_h", 0}}},
      {json{{"flip_v", 1}}, json{{"flip_v", 0}}},
      {json{{"rotate", 15}}, json{{"rotate", 0}}},
      {json{{"shift", 0.15}}, json{{"shift", 0}}},
      {json{{"zoom", 0.2}}, json{{"zoom", 0}}},
      {json{{"aspect", 0.3}}, json{{"aspect", 0}}},
      {json{{"shear", 15}}, json{{"shear", 0}}},
      {json{{"brightness", 0.2}}, json{{"brightness", 0}}},
      {json{{"contrast", 0.3}}, json{{"contrast", 0}}},
      {json{{"noise", 0.05}}, json{{"noise", 0}}},
      {json{{"blur", 1.5}}, json{{"blur", 0}}},
      {json{{"elastic", {{"alpha", 6}, {"sigma", 3}}}}, json{{"elastic", {{"alpha", 0}, {"sigma", 3}}}}},
      {json{{"erasing", 1}}, json{{"erasing", 0}}},
      {json{{"stroke", 1.5}}, json{{"stroke", 0}}},
      {json{{"rotate", json::array({-20, 20})}}, json{{"rotate", json::array({0})}}},
  };
  for (int channels : {1, 3}) {
    cv::Mat in = sample_image(channels);
    for (const auto& [on, off] : ops) {
      INFO(on.dump() << " with " << channels << " channels");
      Augmenter enabled(json::array({on})), disabled(json::array({off}));
      Rng rng = rng_for(1, 2);
      int total = 0;
      for (int k = 0; k < 5; ++k) total += changed(apply(enabled, in, rng), in);
      CHECK(total > 0);
      for (int k = 0; k < 5; ++k) CHECK(changed(apply(disabled, in, rng), in) == 0);
    }
  }
}

TEST_CASE("augmentation is determined by the generator's seed", "[augment]") {
  Augmenter a(json::parse(R"([{"rotate": 10}, {"shift": 0.1}, {"elastic": 5}, {"noise": 0.05}, "flip_h", {"erasing": 0.5}])"));
  cv::Mat in = sample_image();
  Rng r1 = rng_for(42, 7, 3), r2 = rng_for(42, 7, 3), r3 = rng_for(43, 7, 3);
  cv::Mat x = apply(a, in, r1), y = apply(a, in, r2), z = apply(a, in, r3);
  CHECK(changed(x, y) == 0);
  CHECK(changed(x, z) > 0);
  // In-place works too.
  cv::Mat inplace = in.clone();
  Rng r4 = rng_for(42, 7, 3);
  a.apply(inplace.data, inplace.rows, inplace.cols, 1, inplace.data, r4);
  CHECK(changed(inplace, x) == 0);
}

TEST_CASE("a fixed rotation list gives one variant per angle", "[augment]") {
  Augmenter a(json::parse(R"([{"rotate": [-90, 90]}])"));
  CHECK(a.variants() == 2);
  cv::Mat in = sample_image();
  Rng rng = rng_for(0, 0);
  cv::Mat out(in.size(), in.type());
  a.apply_variant(in.data, 28, 28, 1, out.data, 1, rng);
  cv::Mat cw, ccw;
  cv::rotate(in, cw, cv::ROTATE_90_CLOCKWISE);
  cv::rotate(in, ccw, cv::ROTATE_90_COUNTERCLOCKWISE);
  CHECK(std::min(changed(out, cw), changed(out, ccw)) == 0);  // exactly a quarter turn
  cv::Mat other(in.size(), in.type());
  a.apply_variant(in.data, 28, 28, 1, other.data, 0, rng);
  CHECK(changed(other, out) > 0);
  CHECK(Augmenter(json::parse(R"([{"rotate": 10}])")).variants() == 0);
}

TEST_CASE("ops run in the order given", "[augment]") {
  Augmenter a(json::parse(R"([{"flip_h": 1}, {"flip_h": 1}])"));
  cv::Mat in = sample_image();
  Rng rng = rng_for(3, 3);
  CHECK(changed(apply(a, in, rng), in) == 0);  // two flips cancel
}

TEST_CASE("bad op lists are configuration errors naming the op", "[augment]") {
  auto error_of = [](const char* text) {
    try {
      Augmenter a(json::parse(text));
    } catch (const pipe::Error& e) {
      CHECK(e.kind() == pipe::ErrorKind::kConfig);
      return e.message() + " | " + e.hint_text();
    }
    return std::string("no error");
  };
  CHECK(error_of(R"([{"spin": 3}])") ==
        "ops[0]: unknown op 'spin' | ops: flip_h, flip_v, rotate, shift, zoom, aspect, shear, brightness, contrast, "
        "noise, blur, elastic, erasing, stroke, fill");
  CHECK(error_of(R"([{"rotate": 3, "shift": 1}])") ==
        "ops[0]: expected an op name or a one-key mapping like {rotate: 10} | ops: flip_h, flip_v, rotate, shift, "
        "zoom, aspect, shear, brightness, contrast, noise, blur, elastic, erasing, stroke, fill");
  CHECK(error_of(R"([{"shift": [1, 2]}])") == "ops[0].shift: a list of values is only allowed for rotate | ");
  CHECK(error_of(R"(["flip_h", {"elastic": {"alpha": 3, "sigmaa": 2}}])") ==
        "ops[1].elastic.sigmaa: unknown key 'sigmaa' | known keys: alpha, sigma, p");
  CHECK(error_of(R"([{"elastic": {"alpha": 3, "sigma": 0}}])") == "ops[0].elastic.sigma: must be > 0 | ");
  CHECK(error_of(R"([{"flip_h": 2}])") == "ops[0].flip_h: p must be between 0 and 1 | ");
  CHECK(error_of(R"([{"erasing": {"p": 1.5}}])") == "ops[0].erasing.p: p must be between 0 and 1 | ");
  CHECK(error_of(R"([{"erasing": {"area": [0.5, 0.1]}}])") == "ops[0].erasing.area: expected 0 < min ≤ max | ");
  CHECK(error_of(R"([{"zoom": 1.5}])") == "ops[0].zoom: must be below 1 (scale 1 ± zoom) | ");
  CHECK(error_of(R"([{"aspect": 1}])") == "ops[0].aspect: must be below 1 (width/height ratio × (1 ± aspect)) | ");
  CHECK(error_of(R"([{"shift": {"x": 0.1, "y": -1}}])") == "ops[0].shift.y: the strength must be ≥ 0 | ");
  CHECK(error_of(R"([{"rotate": "a lot"}])") == "ops[0].rotate: expected a number, got \"a lot\" | ");
  CHECK(error_of(R"([{"rotate": {"degrees": [10, "x"]}}])") ==
        "ops[0].rotate.degrees[1]: expected a number, got \"x\" | ");
  CHECK(error_of(R"([{"rotate": [10, 20]}, {"rotate": [1]}])") == "ops[1]: only one op may have a list of values | ");
  CHECK(error_of(R"({"rotate": 3})") == "ops: expected a list, e.g. [ {rotate: 10}, {shift: 0.1} ] | ");
}

TEST_CASE("an augmenter loads from an augment.json file", "[augment]") {
  pipe::image::testing::TempDir tmp;
  pipe::image::testing::write_bytes(tmp.at("augment.json"), R"({"version": 1, "online": true, "ops": [{"rotate": 5}, "flip_h"]})");
  Augmenter a = Augmenter::load(tmp.at("augment.json"));
  CHECK(a.ops().size() == 2);
  CHECK_FALSE(a.empty());
  pipe::image::testing::write_bytes(tmp.at("bad.json"), "{not json");
  CHECK_THROWS_WITH(Augmenter::load(tmp.at("bad.json")), Catch::Contains("not valid JSON"));
}

TEST_CASE("aspect changes the width/height ratio and keeps the area", "[augment]") {
  // A centred square: after `aspect` it is a rectangle of about the same area.
  cv::Mat in(64, 64, CV_8UC1, cv::Scalar(0));
  in(cv::Rect(22, 22, 20, 20)).setTo(255);
  Augmenter a(json::array({json{{"aspect", 0.5}}}));
  Rng rng = rng_for(3, 4);
  int distinct_ratios = 0;
  for (int k = 0; k < 8; ++k) {
    cv::Mat out = apply(a, in, rng);
    cv::Rect box = cv::boundingRect(out > 127);
    double ratio = static_cast<double>(box.width) / box.height;
    CHECK(ratio > 0.45);  // 1 - 0.5, less a pixel of rounding
    CHECK(ratio < 1.6);
    distinct_ratios += std::abs(ratio - 1) > 0.08;
    CHECK(cv::countNonZero(out > 127) == Approx(400).epsilon(0.15));
  }
  CHECK(distinct_ratios >= 4);
}
