#include "report/run_report.h"

#include <cmath>

#include "report/class_scores_figure.h"
#include "report/confusion_figure.h"

namespace pipe::report {

namespace {

double metric(const RunReportInput& in, const std::string& name) {
  auto it = in.metrics.find(name);
  return it == in.metrics.end() ? NAN : it->second;
}

void summary(const RunReportInput& in, Report& r) {
  Section& s = r.section("summary", "Summary");
  if (!in.run.empty()) s.key_values(in.run);
  DataTable t;
  t.header = {"metric", "value"};
  const std::pair<const char*, std::string> rows[] = {
      {"accuracy", "accuracy"},
      {"macro_f1", "macro F1"},
      {"weighted_f1", "weighted F1"},
      {"top_k_accuracy", "top-" + std::to_string(in.top_k) + " accuracy"},
      {"loss", "loss (cross-entropy)"},
      {"ece", "expected calibration error (15 bins)"}};
  for (const auto& [key, label] : rows) t.add({label, Cell::number(metric(in, key))});
  if (std::isnan(metric(in, "accuracy")) && in.confusion.empty())
    s.note("this run has no evaluation on a test set: metrics and the evaluation sections are empty");
  s.table(t, "test-set metrics");
}

void stages(const RunReportInput& in, Report& r) {
  if (in.stages.empty()) return;
  DataTable t;
  t.header = {"stage", "kind", "status", "seconds", "cache key"};
  for (const auto& st : in.stages) {
    Cell status(st.status);
    status.tone = st.status == "failed" ? Tone::kBad : st.status == "cached" ? Tone::kMuted : Tone::kPlain;
    t.add({st.id, st.kind, status, Cell::number(st.seconds, 2), st.key.substr(0, 12)});
  }
  r.section("stages", "Stages").table(t);
}

void data(const RunReportInput& in, Report& r) {
  if (in.counts.empty() && in.preprocessing.empty()) return;
  Section& s = r.section("data", "Data");
  if (!in.preprocessing.empty()) s.key_values(in.preprocessing);
  if (in.counts.empty()) return;
  DataTable t;
  t.header = {"class"};
  for (const auto& n : in.split_names) t.header.push_back(n);
  t.header.push_back("total");
  std::vector<long long> totals(in.split_names.size() + 1, 0);
  for (size_t c = 0; c < in.counts.size(); ++c) {
    std::vector<Cell> row{c < in.count_classes.size() ? in.count_classes[c] : std::to_string(c)};
    long long sum = 0;
    for (size_t k = 0; k < in.split_names.size(); ++k) {
      long long v = k < in.counts[c].size() ? in.counts[c][k] : 0;
      row.push_back(Cell::integer(v));
      sum += v;
      totals[k] += v;
    }
    totals.back() += sum;
    row.push_back(Cell::integer(sum));
    t.add(row);
  }
  std::vector<Cell> total_row{Cell("total")};
  for (long long v : totals) total_row.push_back(Cell::integer(v));
  for (auto& c : total_row) c.tone = Tone::kStrong;
  t.add(total_row);
  s.table(t, "images per class and split");
}

void curves(const RunReportInput& in, Report& r) {
  Section& s = r.section("learning-curves", "Learning curves");
  if (in.history.epoch.empty()) {
    s.text("No per-epoch history was recorded for this run.");
    return;
  }
  std::string caption = "Loss and accuracy per epoch on the training and validation sets";
  if (in.history.best_epoch >= 0)
    caption += "; the dotted line marks the best epoch (" + format_number(in.history.best_epoch, 0) + ")";
  s.figure("learning_curves", learning_curves_figure(in.history), caption + ".");
}

void evaluation(const RunReportInput& in, Report& r) {
  if (in.confusion.empty()) return;
  ClassificationReport cr = classification_report(in.confusion, in.classes);
  r.section("confusion-matrix", "Confusion matrix")
      .text("Rows are the true class, columns the predicted class. Colours follow the square root of the value "
            "so that rare confusions stay visible.")
      .figure("confusion_counts", confusion_figure(in.confusion, in.classes, ConfusionStyle::kCounts),
              "Counts of test images.")
      .figure("confusion_normalized", confusion_figure(in.confusion, in.classes, ConfusionStyle::kRowNormalized),
              "Each row divided by the number of test images of its true class (the diagonal is the recall).");

  DataTable t;
  t.header = {"class", "precision", "recall", "F1", "support"};
  for (const auto& c : cr.classes)
    t.add({c.name, Cell::number(c.precision), Cell::number(c.recall), Cell::number(c.f1), Cell::integer(c.support)});
  auto strong = [](std::vector<Cell> row) {
    for (auto& c : row) c.tone = Tone::kStrong;
    return row;
  };
  t.add(strong({"macro average", Cell::number(cr.macro_precision), Cell::number(cr.macro_recall),
                Cell::number(cr.macro_f1), Cell::integer(cr.total)}));
  t.add(strong({"weighted average", Cell::number(cr.weighted_precision), Cell::number(cr.weighted_recall),
                Cell::number(cr.weighted_f1), Cell::integer(cr.total)}));
  t.add(strong({"accuracy", "", "", Cell::number(cr.accuracy), Cell::integer(cr.total)}));
  r.section("classification-report", "Classification report")
      .table(t, "Precision, recall and F1 per class on the test set; a dash where a class was never predicted "
                "or has no test images.")
      .figure("class_scores", class_scores_figure(cr.classes));

  Section& mc = r.section("most-confused", "Most-confused class pairs");
  auto pairs = most_confused(in.confusion, 15);
  if (pairs.empty()) {
    mc.text("No test image was misclassified.");
  } else {
    DataTable p;
    p.header = {"true class", "predicted as", "count", "share of true class"};
    for (const auto& x : pairs)
      p.add({in.classes[x.true_class], in.classes[x.pred_class], Cell::integer(x.count),
             Cell::number(100 * x.row_fraction, 1)});
    mc.table(p, "The largest off-diagonal cells of the confusion matrix (share in %).");
  }
}

void gallery(const RunReportInput& in, Report& r) {
  if (in.confusion.empty() && in.misclassified.empty()) return;
  Section& s = r.section("misclassified", "Misclassified test images");
  if (in.misclassified.empty()) {
    s.text(in.misclassified_total == 0 ? "No misclassified test images to show."
                                       : "The misclassified images could not be read.");
    return;
  }
  std::string caption = "Captions read true class → predicted class (probability of the prediction).";
  if (in.misclassified_total > in.misclassified.size())
    caption = "The " + std::to_string(in.misclassified.size()) + " most confident of " +
              std::to_string(in.misclassified_total) + " misclassified images. " + caption;
  s.figure("misclassified", gallery_figure(in.misclassified, ""), caption);
}

void topk(const RunReportInput& in, Report& r) {
  if (in.topk.empty()) return;
  r.section("top-k", "Top-k predictions")
      .figure("top_k", topk_figure(in.topk),
              "Predicted probabilities of the most likely classes for sample test images; green is the true "
              "class, red a wrong top prediction.");
}

void gradcam(const RunReportInput& in, Report& r) {
  if (in.gradcam.empty() && in.gradcam_note.empty()) return;
  Section& s = r.section("grad-cam", "Grad-CAM");
  if (in.gradcam.empty()) {
    s.text(in.gradcam_note);
    return;
  }
  s.text("Where the network looked: the gradient-weighted activation of the last convolution for the predicted "
         "class, upsampled over the image.")
      .figure("grad_cam", gradcam_figure(in.gradcam, "Grad-CAM of sample test images"));
}

}  // namespace

Report build_run_report(const RunReportInput& in) {
  Report r;
  r.title = "Report: " + in.title;
  for (const auto& [k, v] : in.run)
    if (k == "run" || k == "id") r.subtitle = "run " + v;
  summary(in, r);
  stages(in, r);
  if (!in.parameters.empty()) r.section("parameters", "Parameters").key_values(in.parameters);
  data(in, r);
  if (!in.environment.empty()) r.section("environment", "Environment").key_values(in.environment);
  curves(in, r);
  evaluation(in, r);
  gallery(in, r);
  topk(in, r);
  gradcam(in, r);
  return r;
}

}  // namespace pipe::report
