#include "stages/preprocess.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "engine/paths.h"
#include "engine/schema.h"
#include "stages/image/decode.h"
#include "stages/image/ingest.h"
#include "stages/image/augmenter.h"
#include "stages/image/parallel.h"
#include "stages/image/recipe.h"
#include "stages/image/source.h"
#include "stages/model_io.h"

namespace fs = std::filesystem;

namespace pipe {

using json = nlohmann::json;

OnlineAugmentation online_augmentation(const std::string& artifact_dir) {
  OnlineAugmentation out;
  std::string file = join_path(artifact_dir, "augment.json");
  if (!fs::exists(file)) return out;
  json spec;
  try {
    std::ifstream in(file);
    spec = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(std::string("malformed augmentation spec: ") + e.what()).at(display_path(file));
  }
  if (!spec.value("online", false)) return out;
  auto augmenter = std::make_shared<image::Augmenter>(image::Augmenter::load(file));
  if (augmenter->empty()) return out;
  out.seed = spec.value("seed", 0ULL);
  out.transform = [augmenter](const uint8_t* in, int h, int w, int c, uint8_t* o, std::mt19937_64& rng) {
    augmenter->apply(in, h, w, c, o, rng);
  };
  return out;
}

json upstream_preprocess(const std::string& artifact_dir) {
  image::Recipe recipe;
  if (!image::Recipe::load(artifact_dir, &recipe)) return nullptr;
  return recipe.to_json();
}

std::string preprocess_mismatch(const ModelInfo& model) {
  if (model.preprocess.is_null()) return "";
  image::Recipe recipe = image::Recipe::from_json(model.preprocess);
  if (recipe.cleans.empty() || recipe.clean_version == image::kCleanVersion) return "";
  const std::string now = std::to_string(image::kCleanVersion);
  std::string made = recipe.clean_version > 0 ? "clean version " + std::to_string(recipe.clean_version)
                                              : "a clean older than version " + now;
  return "the model's training images came from " + made + ", new images from clean version " + now +
         ": they may differ slightly (run the pipeline again to retrain)";
}

namespace {

bool prepare_or_throw(const cv::Mat& decoded, const ModelInfo& model, std::vector<uint8_t>* out, std::string* reason) {
  if (decoded.empty() || decoded.depth() != CV_8U) {
    *reason = "not an 8-bit image";
    return false;
  }
  const auto& in = model.input;
  cv::Mat img = decoded;
  if (!model.preprocess.is_null()) img = image::Recipe::from_json(model.preprocess).apply(decoded);
  int c = img.channels();
  if (in.channels == 1 && c != 1) cv::cvtColor(img, img, c == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
  if (in.channels == 3 && c == 1) cv::cvtColor(img, img, cv::COLOR_GRAY2RGB);
  if (in.channels == 3 && c == 4) cv::cvtColor(img, img, cv::COLOR_RGBA2RGB);
  if (img.channels() != in.channels) {
    *reason = "has " + std::to_string(c) + " channels, the model takes " + std::to_string(in.channels);
    return false;
  }
  if (img.rows != in.height || img.cols != in.width) {
    bool shrink = img.rows > in.height || img.cols > in.width;
    cv::resize(img, img, cv::Size(in.width, in.height), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (!img.isContinuous()) img = img.clone();
  out->assign(img.data, img.data + img.total() * img.channels());
  return true;
}

}  // namespace

bool prepare_image(const cv::Mat& decoded, const ModelInfo& model, std::vector<uint8_t>* out, std::string* reason) {
  try {
    return prepare_or_throw(decoded, model, out, reason);
  } catch (...) {
    *reason = image::current_exception_reason();
    return false;
  }
}

namespace {

image::SourceSpec source_for(const std::string& input) {
  image::SourceSpec spec;
  std::string path = absolute_path(input);
  if (fs::is_directory(path)) {
    spec.path = path;
    spec.layout = "folder";
    return spec;
  }
  if (!fs::is_regular_file(path))
    throw ConfigError("no such file or folder").at(input)
        .hint("give a folder DIR/<class>/<file>, a CSV manifest (path,label) or an IDX images file");
  std::string name = fs::path(path).filename().string();
  if (name.size() > 4 && name.substr(name.size() - 4) == ".csv") {
    spec.path = parent_dir(path);
    spec.layout = "manifest";
    spec.manifest = name;
    return spec;
  }
  if (name.find("idx") != std::string::npos || name.find("ubyte") != std::string::npos) {
    spec.path = path;
    spec.layout = "idx";
    return spec;
  }
  throw ConfigError("not a folder, a .csv manifest or an IDX file").at(input)
      .hint("give a folder DIR/<class>/<file>, a CSV manifest (path,label) or an IDX images file");
}

// Prepares decoded samples in place (in parallel); failures move to skipped.
void prepare_all(image::Dataset& data, const ModelInfo& model, int threads,
                 std::vector<std::pair<std::string, std::string>>* skipped) {
  std::vector<std::string> reasons(data.samples.size());
  image::parallel_for(data.samples.size(), threads, [&](size_t i) {
    image::Sample& s = data.samples[i];
    cv::Mat img(s.height, s.width, CV_8UC(s.channels), s.pixels.data());
    std::vector<uint8_t> out;
    if (!prepare_image(img, model, &out, &reasons[i])) return;
    s.pixels = std::move(out);
    s.height = model.input.height;
    s.width = model.input.width;
    s.channels = model.input.channels;
  });
  std::vector<image::Sample> kept;
  for (size_t i = 0; i < data.samples.size(); ++i) {
    if (reasons[i].empty()) kept.push_back(std::move(data.samples[i]));
    else skipped->push_back({data.samples[i].path, reasons[i]});
  }
  data.samples = std::move(kept);
}

}  // namespace

NewImages read_labelled_images(const std::string& input, const ModelInfo& model, int threads, uint64_t max_pixels) {
  image::IngestOptions options;
  options.sources.push_back(source_for(input));
  options.max_pixels = max_pixels;
  image::IngestResult r = image::ingest(options, threads);
  NewImages out;
  for (const auto& s : r.skipped) out.skipped.push_back({s.path, s.reason});
  // The data's class names → the model's class indices.
  std::vector<int> to_model;
  for (const auto& name : r.data.classes) {
    auto it = std::find(model.classes.begin(), model.classes.end(), name);
    if (it == model.classes.end())
      throw ConfigError("class '" + name + "' is not one the model was trained on").at(input)
          .hint("the model's classes: " + join(model.classes));
    to_model.push_back(static_cast<int>(it - model.classes.begin()));
  }
  for (auto& s : r.data.samples) s.label = to_model.at(s.label);
  r.data.classes = model.classes;
  prepare_all(r.data, model, threads, &out.skipped);
  out.data = std::move(r.data);
  return out;
}

NewImages read_unlabelled_images(const std::string& input, const ModelInfo& model, int threads, uint64_t max_pixels) {
  std::vector<std::string> shown, files;  // as the user will read it, and where to read it
  std::string path = absolute_path(input);
  if (fs::is_directory(path)) {
    for (const auto& e : fs::recursive_directory_iterator(path, fs::directory_options::follow_directory_symlink))
      if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) shown.push_back(join_path(input, fs::path(f).lexically_relative(path).string()));
  } else if (fs::is_regular_file(path) && fs::path(path).extension() == ".csv") {
    std::ifstream in(path);
    std::string line;
    int col = -1;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::vector<std::string> fields;
      size_t start = 0;
      for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
        fields.push_back(line.substr(start, comma - start));
      fields.push_back(line.substr(start));
      if (col < 0) {
        auto it = std::find(fields.begin(), fields.end(), "path");
        if (it == fields.end())
          throw ConfigError("the manifest header has no `path` column").at(input).hint("a CSV with a header path[,label]");
        col = static_cast<int>(it - fields.begin());
        continue;
      }
      if (col >= static_cast<int>(fields.size())) continue;
      shown.push_back(fields[col]);
      files.push_back(resolve_path(parent_dir(path), fields[col]));
    }
  } else if (fs::is_regular_file(path)) {
    shown.push_back(input);
    files.push_back(path);
  } else {
    throw ConfigError("no such file or folder").at(input).hint("give an image file, a folder or a CSV manifest");
  }

  NewImages out;
  out.data.classes = model.classes;
  std::vector<image::Sample> samples(files.size());
  std::vector<std::string> reasons(files.size());
  image::parallel_for(files.size(), threads, [&](size_t i) {
    std::vector<uint8_t> bytes;
    try {
      if (!image::read_file_bytes(files[i], &bytes, &reasons[i])) return;
    } catch (...) {  // out of memory for a huge file
      reasons[i] = image::current_exception_reason();
      return;
    }
    image::Decoded d =
        image::decode_image(bytes.data(), bytes.size(), image::DecodeMode::kUnchanged, 0, max_pixels);
    if (d.image.empty()) {
      reasons[i] = d.error.empty() ? "cannot decode" : d.error;
      return;
    }
    if (!prepare_image(d.image, model, &samples[i].pixels, &reasons[i])) return;
    samples[i].height = model.input.height;
    samples[i].width = model.input.width;
    samples[i].channels = model.input.channels;
  });
  for (size_t i = 0; i < files.size(); ++i) {
    if (!reasons[i].empty()) {
      out.skipped.push_back({shown[i], reasons[i]});
      continue;
    }
    samples[i].path = shown[i];
    out.data.samples.push_back(std::move(samples[i]));
  }
  return out;
}

}  // namespace pipe
