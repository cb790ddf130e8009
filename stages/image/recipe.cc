#include "stages/image/recipe.h"

#include <fstream>

#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "stages/image/ingest.h"

namespace pipe::image {

using json = nlohmann::json;

namespace {

const char* mode_name(DecodeMode m) {
  switch (m) {
    case DecodeMode::kGray: return "gray";
    case DecodeMode::kColor: return "color";
    default: return "unchanged";
  }
}

}  // namespace

json clean_options_to_json(const CleanOptions& o) {
  return json{{"color", o.color},
              {"invert", o.invert},
              {"illumination", o.illumination},
              {"illumination_kernel", o.illumination_kernel},
              {"stretch", o.stretch},
              {"binarize", o.binarize},
              {"adaptive_block", o.adaptive_block},
              {"adaptive_offset", o.adaptive_offset},
              {"crop", o.crop},
              {"crop_threshold", o.crop_threshold},
              {"despeckle", o.despeckle},
              {"pad", o.pad},
              {"stroke", o.stroke},
              {"stroke_mode", o.stroke_mode},
              {"size", json::array({o.height, o.width})},
              {"fit", o.fit},
              {"center", o.center},
              {"interpolation", o.interpolation},
              {"dedupe", o.dedupe},
              {"dedupe_distance", o.dedupe_distance}};
}

CleanOptions clean_options_from_json(const json& j) {
  CleanOptions o;
  auto get = [&](const char* key, auto& field) {
    if (j.contains(key) && !j[key].is_null()) field = j[key].get<std::decay_t<decltype(field)>>();
  };
  get("color", o.color);
  get("invert", o.invert);
  get("illumination", o.illumination);
  get("illumination_kernel", o.illumination_kernel);
  get("stretch", o.stretch);
  get("binarize", o.binarize);
  get("adaptive_block", o.adaptive_block);
  get("adaptive_offset", o.adaptive_offset);
  get("crop", o.crop);
  get("crop_threshold", o.crop_threshold);
  get("despeckle", o.despeckle);
  get("pad", o.pad);
  get("stroke", o.stroke);
  get("stroke_mode", o.stroke_mode);
  if (j.contains("size") && j["size"].is_array() && j["size"].size() == 2) {
    o.height = j["size"][0].get<int>();
    o.width = j["size"][1].get<int>();
  }
  get("fit", o.fit);
  get("center", o.center);
  get("interpolation", o.interpolation);
  get("dedupe", o.dedupe);
  get("dedupe_distance", o.dedupe_distance);
  return o;
}

json Recipe::to_json() const {
  json cleans_json = json::array();
  for (const auto& c : cleans) cleans_json.push_back(clean_options_to_json(c));
  json j{{"version", 1}, {"decode", mode_name(decode)}, {"max_side", max_side}, {"clean", cleans_json}};
  if (clean_version > 0) j["clean_version"] = clean_version;
  return j;
}

Recipe Recipe::from_json(const json& j) {
  Recipe r;
  if (j.contains("decode")) r.decode = decode_mode(j["decode"].get<std::string>());
  if (j.contains("max_side")) r.max_side = j["max_side"].get<int>();
  if (j.contains("clean"))
    for (const auto& c : j["clean"]) r.cleans.push_back(clean_options_from_json(c));
  r.clean_version = j.value("clean_version", 0);
  return r;
}

bool Recipe::load(const std::string& dir, Recipe* out) {
  std::string file = dir + "/" + recipe_file_name();
  std::ifstream in(file);
  if (!in) return false;
  try {
    *out = from_json(json::parse(in));
  } catch (const json::exception& e) {
    throw Error(std::string("not a valid preprocessing record: ") + e.what()).at(file);
  }
  return true;
}

void Recipe::save(const std::string& dir) const {
  std::string file = dir + "/" + recipe_file_name();
  std::ofstream out(file);
  out << to_json().dump(2) << "\n";
  if (!out) throw Error("cannot write the preprocessing record").at(file);
}

cv::Mat Recipe::apply(const cv::Mat& decoded) const {
  cv::Mat img = decoded;
  if (decode == DecodeMode::kGray && img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_RGB2GRAY);
  else if (decode == DecodeMode::kGray && img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_RGBA2GRAY);
  else if (decode == DecodeMode::kColor && img.channels() == 1) cv::cvtColor(img, img, cv::COLOR_GRAY2RGB);
  else if (decode == DecodeMode::kColor && img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_RGBA2RGB);
  img = shrink_to_fit(img, max_side);
  for (const auto& c : cleans) img = clean_image(img, c).image;
  return img.isContinuous() ? img : img.clone();
}

cv::Mat Recipe::read(const std::string& file, std::string* error) const {
  std::vector<uint8_t> bytes;
  if (!read_file_bytes(file, &bytes, error)) return cv::Mat();
  Decoded d = decode_image(bytes.data(), bytes.size(), decode, max_side);
  if (d.image.empty()) {
    *error = d.error;
    return cv::Mat();
  }
  cv::Mat img = d.image;
  for (const auto& c : cleans) img = clean_image(img, c).image;
  return img.isContinuous() ? img : img.clone();
}

}  // namespace pipe::image
