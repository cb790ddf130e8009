#include "stages/evaluate.h"

#include <omp.h>

#include <cmath>

#include "engine/paths.h"
#include "report/stats.h"
#include "stages/image/dataset.h"
#include "stages/loader.h"
#include "stages/model_io.h"

namespace pipe {

using json = nlohmann::json;

namespace {

class Evaluate : public Stage {
 public:
  void run(StageContext& ctx) override {
    const json& p = ctx.params();
    int threads = std::max(1, ctx.threads());
    omp_set_num_threads(threads);
    InputRef model_ref = ctx.input("model");
    if (model_ref.kind != "train")
      throw ConfigError("model: expected a train stage, got a " + model_ref.kind + " stage").at(ctx.mark("/model"));
    auto model = TrainedModel::load(model_ref.dir, threads);
    const auto& classes = model->classes();
    const auto& shape = model->info().input;

    InputRef in = ctx.input("input");
    auto data = image::DatasetView::open(join_path(in.dir, image::dataset_file_name(in.output)));
    int h, w, c;
    data.common_shape(&h, &w, &c);
    if (data.size() && (h != shape.height || w != shape.width || c != shape.channels))
      throw Error("the images are " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
                  ", the model expects " + std::to_string(shape.height) + "x" + std::to_string(shape.width) + "x" +
                  std::to_string(shape.channels)).at(ctx.mark("/input"))
          .hint("evaluate data prepared by the same clean stage as the training data");
    // The data's class indices → the model's, by name.
    std::vector<int> to_model;
    for (const auto& name : data.classes()) {
      auto it = std::find(classes.begin(), classes.end(), name);
      if (it == classes.end())
        throw Error("class '" + name + "' of the data is not one the model was trained on")
            .at(ctx.mark("/input")).hint("the model's classes: " + join(classes));
      to_model.push_back(static_cast<int>(it - classes.begin()));
    }
    std::vector<int> truth(data.size());
    for (size_t i = 0; i < data.size(); ++i) truth[i] = to_model.at(data.label(i));

    std::vector<float> probs;
    DatasetViewSource source(data);
    model->predict(source, &probs, p["batch"].get<int>());
    Evaluation e = score(probs, truth, classes, p["top_k"].get<int>(), p["ece_bins"].get<int>());

    ctx.metric("accuracy", e.accuracy);
    ctx.metric("loss", e.loss);
    ctx.metric("macro_f1", e.macro_f1);
    ctx.metric("weighted_f1", e.weighted_f1);
    ctx.metric("macro_precision", e.macro_precision);
    ctx.metric("macro_recall", e.macro_recall);
    ctx.metric("top_k_accuracy", e.top_k_accuracy);
    ctx.metric("ece", e.ece);
    ctx.metric("n", static_cast<double>(e.n));
    ctx.table("per_class", e.per_class);
    ctx.table("confusion", e.confusion);
    ctx.table("test_set", {{"key", in.key + (in.output.empty() ? "" : "." + in.output)}, {"n", e.n}});
    const int k = static_cast<int>(classes.size());
    json predictions = json::array();
    for (size_t i = 0; i < data.size(); ++i) {
      const float* row = &probs[i * k];
      int pred = report::argmax(row, k);
      predictions.push_back({{"path", data.path(i)}, {"true", classes[truth[i]]}, {"pred", classes[pred]},
                             {"p", row[pred]}, {"top", top_classes(row, classes, e.top_k)}});
    }
    ctx.table("predictions", predictions);
    ctx.log("accuracy " + fixed(e.accuracy) + "  macro_f1 " + fixed(e.macro_f1) + "  loss " + fixed(e.loss) +
            "  top" + std::to_string(e.top_k) + " " + fixed(e.top_k_accuracy) + "  on " + std::to_string(e.n) +
            " images");
  }

  static std::string fixed(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
  }
};

}  // namespace

StageKind evaluate_stage_kind() {
  Schema schema{{
      required(input("model", "the train stage whose model is scored")),
      required(input("input", "the dataset to score, e.g. split.test")),
      at_least(integer("top_k", 5, "k of top_k_accuracy (capped at the number of classes)"), 1),
      at_least(integer("batch", 256, "images per forward pass"), 1),
      at_least(integer("ece_bins", 15, "confidence bins of the calibration error"), 1),
  }};
  return {"evaluate", 1, "scores a trained model on a dataset", schema, {}, false,
          [] { return std::make_unique<Evaluate>(); }};
}

}  // namespace pipe
