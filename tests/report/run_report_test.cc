// The report of one run from plain data: expected sections, files written,
// sections that lack data say so.  PIPE_FIGURE_DIR keeps the report for viewing.
#include "engine/posix.h"  // first: <unistd.h> declares ::pipe

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/run_report.h"
#include "tests/report/synthetic.h"
#include "tests/temp_folder.h"

using namespace pipe::report;
using namespace pipe::report::testing;
namespace fs = std::filesystem;
using pipe::testing::slurp;

namespace {

RunReportInput synthetic_run(int classes) {
  RunReportInput in;
  in.title = "multiscript/cnn";
  in.run = {{"run", "3f2a9c01"}, {"name", "multiscript/cnn"}, {"pipeline", "pipelines/multiscript.yaml"},
            {"variant", "cnn"}, {"seed", "800"}, {"status", "done"}};
  in.stages = {{"ingest", "ingest", "cached", 0.01, "a1b2c3d4e5f6a7b8"},
               {"train", "train", "ran", 61.2, "0badc0ffee00"},
               {"evaluate", "evaluate", "ran", 1.4, "feedface0000"}};
  in.parameters = {{"train.epochs", "12"}, {"train.model", "models/cnn.yaml"}, {"clean.invert", "auto"}};
  in.preprocessing = {{"auto-inverted", "412 of 2,000 images"}, {"size", "28 x 28, gray"}};
  in.environment = {{"pipe", "0.1.0"}, {"oneDNN", "2.6 (avx2)"}, {"threads", "2"}};
  in.classes = class_names(classes);
  in.confusion = synthetic_confusion(classes);
  in.split_names = {"train", "val", "test"};
  in.count_classes = in.classes;
  for (int c = 0; c < classes; ++c) in.counts.push_back({700 + c, 100, 200 + c % 7});
  ClassificationReport cr = classification_report(in.confusion, in.classes);
  in.metrics = {{"accuracy", cr.accuracy}, {"macro_f1", cr.macro_f1}, {"weighted_f1", cr.weighted_f1},
                {"loss", 0.2345}, {"top_k_accuracy", 0.991}, {"ece", 0.021}};
  for (int e = 1; e <= 10; ++e) {
    in.history.epoch.push_back(e);
    in.history.train_loss.push_back(1.5 * std::exp(-0.3 * e));
    in.history.val_loss.push_back(1.4 * std::exp(-0.25 * e) + 0.1);
    in.history.train_accuracy.push_back(1 - 0.6 * std::exp(-0.4 * e));
    in.history.val_accuracy.push_back(0.95 - 0.6 * std::exp(-0.35 * e));
  }
  in.history.best_epoch = 9;
  for (int i = 0; i < 10; ++i)
    in.misclassified.push_back({synthetic_image(28, 28, 1, i),
                                {prediction_caption(in.classes[i % classes], in.classes[(i + 1) % classes], 0.9 - 0.05 * i),
                                 "test/" + std::to_string(1000 + i) + ".png"},
                                colors::kRed});
  in.misclassified_total = 57;
  in.topk.push_back({synthetic_image(28, 28, 1, 3), in.classes[0],
                     {{in.classes[0], 0.7}, {in.classes[1], 0.2}, {in.classes[2], 0.1}}, "test/0001.png"});
  GradcamItem g;
  g.image = synthetic_image(28, 28, 1, 2);
  g.heat_h = g.heat_w = 7;
  for (int i = 0; i < 49; ++i) g.heat.push_back(static_cast<float>(i % 7 + i / 7));
  g.lines = {in.classes[0] + " (0.97)"};
  in.gradcam = {g, g};
  return in;
}

}  // namespace

TEST_CASE("a run report has every section and writes html, md and png files", "[report]") {
  for (int classes : {6, 62}) {
    INFO(classes << " classes");
    Report r = build_run_report(synthetic_run(classes));
    for (const char* id : {"summary", "stages", "parameters", "data", "environment", "learning-curves",
                           "confusion-matrix", "classification-report", "most-confused", "misclassified", "top-k",
                           "grad-cam"})
      CHECK(r.find(id) != nullptr);
    fs::path dir = fs::temp_directory_path() / ("pipe_run_report_" + std::to_string(::getpid()));
    const char* keep = std::getenv("PIPE_FIGURE_DIR");
    if (keep) dir = fs::path(keep) / ("run_report_" + std::to_string(classes));
    write_report(r, dir.string());
    std::string html = slurp(dir / "report.html");
    CHECK(html.find("<section id=\"grad-cam\"") != std::string::npos);
    CHECK(html.find("macro average") != std::string::npos);
    std::string md = slurp(dir / "report.md");
    for (const char* png : {"learning_curves.png", "confusion_counts.png", "confusion_normalized.png",
                            "class_scores.png", "misclassified.png", "top_k.png", "grad_cam.png"}) {
      INFO(png);
      CHECK(fs::exists(dir / png));
      CHECK(md.find(std::string("](") + png + ")") != std::string::npos);
    }
    if (!keep) fs::remove_all(dir);
  }
}

TEST_CASE("a run without evaluation or history says so", "[report]") {
  RunReportInput in;
  in.title = "bare";
  in.gradcam_note = "Grad-CAM needs a convolutional model; this one is an MLP.";
  Report r = build_run_report(in);
  REQUIRE(r.find("summary") != nullptr);
  CHECK(r.find("confusion-matrix") == nullptr);
  const Section* curves = r.find("learning-curves");
  REQUIRE(curves != nullptr);
  CHECK(curves->blocks.at(0).text.find("No per-epoch history") != std::string::npos);
  const Section* summary = r.find("summary");
  bool has_note = false;
  for (const auto& b : summary->blocks) has_note |= b.kind == Block::Kind::kNote;
  CHECK(has_note);
  REQUIRE(r.find("grad-cam") != nullptr);
  CHECK(r.find("grad-cam")->blocks.at(0).text.find("MLP") != std::string::npos);
}
