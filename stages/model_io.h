// TrainedModel — what a train stage leaves in its artifact folder, loaded
// again for inference (evaluate, predict, report, Grad-CAM).
//
//   model.safetensors   weights (and optimizer state) as nn::Net::save writes them
//   model.json          {"format": 1, "layers": [...], "input": {"channels","height","width"},
//                        "classes": [...], "normalize": {"mode", "mean", "std"},
//                        "preprocess": {"stage","kind","params"} | null,
//                        "last_conv_layer": "conv2d_2" | "", "params": N, "seed": S,
//                        "best_epoch": k, "epochs": e}
//
// `preprocess` holds the parameters of the clean stage the training data came
// through, so new images (pipe evaluate, pipe predict) are prepared the same
// way; `normalize` holds the statistics of the training data.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stages/loader.h"
#include "stages/nn/net.h"

namespace pipe {

class Store;
struct RunRecord;

struct ModelInfo {
  nlohmann::json layers = nlohmann::json::array();
  nn::InputShape input;
  std::vector<std::string> classes;
  Normalization normalization;
  nlohmann::json preprocess;  // null when unknown
  std::string last_conv_layer;
  nlohmann::json extra = nlohmann::json::object();  // params, seed, best_epoch, epochs ...

  nlohmann::json to_json() const;
  // `where` names the file in errors.
  static ModelInfo from_json(const nlohmann::json& j, const std::string& where);
};

class TrainedModel {
 public:
  // Loads model.json and model.safetensors from a train artifact folder and
  // builds the net for inference with `threads` OpenMP threads (0: as set).
  static std::unique_ptr<TrainedModel> load(const std::string& dir, int threads = 0);

  const ModelInfo& info() const { return info_; }
  const std::vector<std::string>& classes() const { return info_.classes; }
  const std::string& dir() const { return dir_; }
  nn::Net& net() { return *net_; }

  // Class probabilities (size() × classes) of images already in the model's
  // input shape (uint8 HWC); normalisation is applied here.
  void predict(const ImageSource& images, std::vector<float>* probs, int batch = 256);
  // One image's network input (C×H×W floats), for Grad-CAM.
  std::vector<float> input_tensor(const uint8_t* hwc) const;

 private:
  std::string dir_;
  ModelInfo info_;
  std::unique_ptr<nn::Net> net_;
};

// The train artifact folder of a run (its last finished train stage).
std::string trained_model_dir(const Store& store, const RunRecord& run);

}  // namespace pipe
