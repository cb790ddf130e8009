#include "stages/model_io.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <omp.h>

#include "engine/error.h"
#include "engine/paths.h"
#include "engine/store.h"

namespace pipe {

using json = nlohmann::json;

json ModelInfo::to_json() const {
  json j = extra;
  j["format"] = 1;
  j["layers"] = layers;
  j["input"] = {{"channels", input.channels}, {"height", input.height}, {"width", input.width}};
  j["classes"] = classes;
  j["normalize"] = normalization.to_json();
  j["preprocess"] = preprocess;
  j["last_conv_layer"] = last_conv_layer;
  return j;
}

ModelInfo ModelInfo::from_json(const json& j, const std::string& where) {
  try {
    if (j.value("format", 0) != 1) throw Error("unknown model description format");
    ModelInfo m;
    m.layers = j.at("layers");
    m.input.channels = j.at("input").at("channels").get<int>();
    m.input.height = j.at("input").at("height").get<int>();
    m.input.width = j.at("input").at("width").get<int>();
    m.classes = j.at("classes").get<std::vector<std::string>>();
    m.normalization = Normalization::from_json(j.at("normalize"));
    m.preprocess = j.value("preprocess", json());
    m.last_conv_layer = j.value("last_conv_layer", "");
    m.extra = j;
    for (const char* k : {"format", "layers", "input", "classes", "normalize", "preprocess", "last_conv_layer"})
      m.extra.erase(k);
    return m;
  } catch (Error& e) {
    throw e.at(where);
  } catch (const json::exception& e) {
    throw Error(std::string("malformed model description: ") + e.what()).at(where);
  }
}

std::unique_ptr<TrainedModel> TrainedModel::load(const std::string& dir, int threads) {
  std::string file = join_path(dir, "model.json");
  std::ifstream in(file);
  if (!in) throw Error("no trained model here (model.json is missing)").at(display_path(dir));
  std::stringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::exception& e) {
    throw Error(std::string("malformed model description: ") + e.what()).at(display_path(file));
  }
  auto m = std::unique_ptr<TrainedModel>(new TrainedModel());
  m->dir_ = dir;
  m->info_ = ModelInfo::from_json(j, display_path(file));
  if (threads > 0) omp_set_num_threads(threads);
  m->net_ = nn::Net::build(m->info_.layers, m->info_.input, static_cast<int>(m->info_.classes.size()),
                           m->info_.extra.value("seed", 0ULL), threads);
  m->net_->load_weights_from(join_path(dir, "model.safetensors"), {}, false);
  return m;
}

void TrainedModel::predict(const ImageSource& images, std::vector<float>* probs, int batch) {
  const auto& in = info_.input;
  const int classes = static_cast<int>(info_.classes.size());
  probs->assign(images.size() * classes, 0.f);
  if (images.size() == 0) return;
  batch = static_cast<int>(std::min<size_t>(batch, images.size()));
  BatchLoader loader(images, in.height, in.width, in.channels, info_.normalization, batch);
  std::vector<uint32_t> order(images.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  loader.start(order, 0);
  Batch b;
  size_t at = 0;
  while (loader.next(&b)) {
    net_->predict(b.x, b.n, probs->data() + at * classes);
    at += b.n;
  }
}

std::vector<float> TrainedModel::input_tensor(const uint8_t* hwc) const {
  const auto& in = info_.input;
  std::vector<float> x(static_cast<size_t>(in.channels) * in.height * in.width);
  info_.normalization.apply(hwc, in.height, in.width, in.channels, x.data());
  return x;
}

std::string trained_model_dir(const Store& store, const RunRecord& run) {
  auto stage = store.finished_stage(run.id, "train");
  if (!stage)
    throw Error("run '" + run.name + "' has no finished train stage").hint("train it with `pipe run FILE` first");
  return store.artifact_dir(stage->key);
}

}  // namespace pipe
