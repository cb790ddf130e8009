// Grad-CAM on a tiny CNN trained on synthetic images whose class is decided
// by one region: the heat of the class falls mostly on that region, not on
// equally bright distractors elsewhere.
#include "engine/posix.h"  // first: see posix.h

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/paths.h"
#include "report/gradcam_figure.h"
#include "stages/gradcam.h"
#include "stages/model_io.h"

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kSide = 16;

// Class 1: a bright 6x6 square at rows/cols 2..7.  Both classes: noise, and in
// half of the images an equally bright square somewhere in the lower right.
std::vector<uint8_t> make_image(int label, std::mt19937& rng) {
  std::uniform_int_distribution<int> noise(0, 90), coin(0, 1), where(8, kSide - 6);
  std::vector<uint8_t> img(kSide * kSide);
  for (auto& p : img) p = static_cast<uint8_t>(noise(rng));
  auto square = [&](int r0, int c0) {
    for (int r = r0; r < r0 + 6; ++r)
      for (int c = c0; c < c0 + 6; ++c) img[r * kSide + c] = static_cast<uint8_t>(200 + noise(rng) / 3);
  };
  if (label == 1) square(2, 2);
  if (coin(rng)) square(where(rng), where(rng));
  return img;
}

}  // namespace

TEST_CASE("grad-cam puts the heat of a class on the region that decides it", "[gradcam]") {
  const json layers = json::parse(R"([
    {"conv": {"filters": 8, "kernel": 3, "padding": "same", "activation": "relu"}},
    {"maxpool": 2},
    {"conv": {"filters": 8, "kernel": 3, "padding": "same", "activation": "relu"}},
    "flatten",
    {"dense": {"units": 2, "activation": "softmax"}}])");
  pipe::nn::InputShape shape{1, kSide, kSide};
  auto net = pipe::nn::Net::build(layers, shape, 2, /*seed=*/3, /*threads=*/1);
  net->set_optimizer({{"adam", {{"lr", 0.003}}}});
  REQUIRE_FALSE(net->last_conv_layer().empty());

  std::mt19937 rng(7);
  const int n = 512, batch = 32;
  std::vector<std::vector<uint8_t>> images;
  std::vector<int32_t> labels;
  for (int i = 0; i < n; ++i) {
    labels.push_back(i % 2);
    images.push_back(make_image(i % 2, rng));
  }
  std::vector<float> x(batch * kSide * kSide);
  for (int epoch = 0; epoch < 6; ++epoch)
    for (int b = 0; b + batch <= n; b += batch) {
      for (int i = 0; i < batch; ++i)
        for (int p = 0; p < kSide * kSide; ++p) x[i * kSide * kSide + p] = images[b + i][p] / 255.0f;
      net->train_step(x.data(), labels.data() + b, batch);
    }

  // Save it as a train stage would, and load it the way the report does.
  fs::path dir = fs::temp_directory_path() / ("pipe_gradcam_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  pipe::ModelInfo info;
  info.layers = layers;
  info.input = shape;
  info.classes = {"off", "on"};
  info.last_conv_layer = net->last_conv_layer();
  info.extra["seed"] = 3;
  std::ofstream(dir / "model.json") << info.to_json().dump(2);
  net->save((dir / "model.safetensors").string(), json::object());
  auto model = pipe::TrainedModel::load(dir.string(), 1);

  // The model learned the task (otherwise the heat means nothing).
  int right = 0;
  std::vector<std::vector<uint8_t>> test;
  for (int i = 0; i < 40; ++i) test.push_back(make_image(i % 2, rng));
  for (int i = 0; i < 40; ++i) {
    std::vector<float> probs(2);
    std::vector<float> xi = model->input_tensor(test[i].data());
    model->net().predict(xi.data(), 1, probs.data());
    right += (probs[1] > probs[0]) == (i % 2 == 1);
  }
  REQUIRE(right >= 36);

  // Heat of class "on" over the class-1 images.  The square (pixels 2..7) lies in cells
  // 1..3 of the 8x8 map; one more cell for the receptive field of the last convolution.
  double inside = 0, total = 0;
  std::vector<pipe::report::GradcamItem> shown;
  for (int i = 1; i < 40; i += 2) {
    pipe::GradCam cam = pipe::grad_cam(*model, test[i].data(), 1);
    if (shown.size() < 6)
      shown.push_back({{kSide, kSide, 1, test[i]}, cam.heat, cam.height, cam.width, {"on (" + cam.layer + ")"}});
    REQUIRE(cam.height == 8);
    REQUIRE(cam.width == 8);
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c) {
        double h = cam.heat[r * 8 + c];
        CHECK(h >= 0);
        total += h;
        if (r >= 1 && r <= 4 && c >= 1 && c <= 4) inside += h;
      }
  }
  REQUIRE(total > 0);
  // The region is 16 of 64 cells; most of the heat must be there, not on the distractors.
  INFO("share of heat on the deciding region: " << inside / total);
  CHECK(inside / total > 0.6);

  if (const char* keep = std::getenv("PIPE_FIGURE_DIR"))
    pipe::report::gradcam_figure(shown, "Grad-CAM of 'on': the square at the top left decides")
        .write_png(std::string(keep) + "/gradcam_trained.png");

  // A model without convolutions says so.
  pipe::ModelInfo mlp = info;
  mlp.last_conv_layer.clear();
  std::ofstream(dir / "model.json") << mlp.to_json().dump(2);
  auto no_conv = pipe::TrainedModel::load(dir.string(), 1);
  CHECK_THROWS_WITH(pipe::grad_cam(*no_conv, test[0].data(), 1), Catch::Contains("convolution"));
  fs::remove_all(dir);
}
