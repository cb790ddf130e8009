// Every figure renders to a PNG that decodes and is not blank, and to SVG;
// the confusion matrix puts one cell of the right colour per class pair.
// Set PIPE_FIGURE_DIR to keep the PNGs and SVGs for looking at them.
#include <catch2/catch.hpp>

#include <cairo.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>

#include "report/class_scores_figure.h"
#include "report/colormap.h"
#include "report/confusion_figure.h"
#include "report/curves_figure.h"
#include "report/figure.h"
#include "report/gallery_figure.h"
#include "report/gradcam_figure.h"
#include "report/topk_figure.h"
#include "tests/report/synthetic.h"

using namespace pipe::report;
using namespace pipe::report::testing;

namespace {

struct Decoded {
  int width = 0, height = 0;
  std::vector<uint32_t> argb;  // premultiplied, as Cairo stores it
  uint32_t at(int x, int y) const { return argb[static_cast<size_t>(y) * width + x]; }
};

struct Reader {
  const std::string* data;
  size_t pos = 0;
};

cairo_status_t read_png(void* closure, unsigned char* out, unsigned int length) {
  auto* r = static_cast<Reader*>(closure);
  if (r->pos + length > r->data->size()) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(out, r->data->data() + r->pos, length);
  r->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

Decoded decode(const std::string& png) {
  Reader reader{&png};
  cairo_surface_t* s = cairo_image_surface_create_from_png_stream(read_png, &reader);
  REQUIRE(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
  Decoded d;
  d.width = cairo_image_surface_get_width(s);
  d.height = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  unsigned char* data = cairo_image_surface_get_data(s);
  d.argb.resize(static_cast<size_t>(d.width) * d.height);
  for (int y = 0; y < d.height; ++y)
    std::memcpy(&d.argb[static_cast<size_t>(y) * d.width], data + static_cast<size_t>(y) * stride, d.width * 4);
  cairo_surface_destroy(s);
  return d;
}

double luminance_variance(const Decoded& d) {
  double sum = 0, sq = 0;
  for (uint32_t p : d.argb) {
    double l = 0.3 * ((p >> 16) & 255) + 0.59 * ((p >> 8) & 255) + 0.11 * (p & 255);
    sum += l, sq += l * l;
  }
  double n = static_cast<double>(d.argb.size());
  return sq / n - (sum / n) * (sum / n);
}

void keep(const Figure& f, const std::string& name) {
  const char* dir = std::getenv("PIPE_FIGURE_DIR");
  if (!dir) return;
  f.write_png(std::string(dir) + "/" + name + ".png", 1);
  std::ofstream(std::string(dir) + "/" + name + ".svg") << f.svg();
}

// A real picture: decodes at the figure's size, has pixel variance, and the SVG is a document.
void check_renders(const Figure& f, const std::string& name) {
  INFO(name);
  keep(f, name);
  std::string png = f.png();
  REQUIRE(png.size() > 8);
  CHECK(png.compare(1, 3, "PNG") == 0);
  Decoded d = decode(png);
  CHECK(d.width == static_cast<int>(f.width()));
  CHECK(d.height == static_cast<int>(f.height()));
  CHECK(luminance_variance(d) > 100);
  std::string svg = f.svg();
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
}

}  // namespace

TEST_CASE("ticks are round numbers covering the range", "[figure]") {
  Ticks t = nice_ticks(0.03, 0.97, 6);
  CHECK(t.lo == Approx(0.0));
  CHECK(t.hi == Approx(1.0));
  CHECK(t.step == Approx(0.2));
  CHECK(t.label(0.4) == "0.4");
  Ticks q = nice_ticks(0, 10, 5);
  CHECK(q.step == Approx(2.5));
  CHECK(q.label(2.5) == "2.5");
  CHECK(format_number(-0.0001, 2) == "0.00");
}

TEST_CASE("text is measured and ellipsized to a width", "[figure]") {
  Canvas& c = Canvas::measuring();
  c.font(10);
  double w10 = c.measure("Devanagari").width;
  c.font(20);
  CHECK(c.measure("Devanagari").width == Approx(2 * w10).epsilon(0.05));
  std::string cut = c.ellipsize("a very long class name indeed", 60);
  CHECK(c.measure(cut).width <= 60);
  CHECK(cut.size() < std::string("a very long class name indeed").size());
  CHECK(c.ellipsize("short", 200) == "short");
}

TEST_CASE("learning curves render", "[figure]") {
  EpochHistory h;
  for (int e = 1; e <= 12; ++e) {
    h.epoch.push_back(e);
    h.train_loss.push_back(1.6 * std::exp(-0.3 * e) + 0.05);
    h.val_loss.push_back(1.5 * std::exp(-0.25 * e) + 0.12 + 0.01 * std::max(0, e - 8));
    h.train_accuracy.push_back(1 - 0.7 * std::exp(-0.35 * e));
    h.val_accuracy.push_back(0.97 - 0.65 * std::exp(-0.3 * e));
  }
  h.best_epoch = 8;
  check_renders(learning_curves_figure(h), "curves");

  EpochHistory one;  // one epoch, no validation set
  one.epoch = {1};
  one.train_loss = {0.7};
  one.train_accuracy = {0.8};
  one.val_loss = {NAN};
  one.val_accuracy = {NAN};
  check_renders(learning_curves_figure(one), "curves_one_epoch");
}

TEST_CASE("confusion matrix has one cell of the expected colour per class pair", "[figure]") {
  for (int n : {6, 62}) {
    INFO(n << " classes");
    ConfusionMatrix m(n, std::vector<long long>(n));
    for (int t = 0; t < n; ++t)
      for (int p = 0; p < n; ++p) m[t][p] = 1 + t * n + p;  // every cell different
    auto names = class_names(n);
    Figure f = confusion_figure(m, names, ConfusionStyle::kCounts);
    check_renders(f, "confusion_distinct_" + std::to_string(n));
    ConfusionLayout l = confusion_layout(m, names, ConfusionStyle::kCounts);
    CHECK(std::ceil(l.width) == f.width());
    Decoded d = decode(f.png());
    // The colour bar's top tick is the scale's maximum.
    Ticks ticks = nice_ticks(0, n * n, 6);
    std::set<uint32_t> seen;
    int wrong = 0;
    for (int t = 0; t < n; ++t)
      for (int p = 0; p < n; ++p) {
        // Off the centre, where small matrices print the count.
        double off = n <= 12 ? -0.3 * l.cell : 0;
        int x = static_cast<int>(l.cell_center_x(p) + off), y = static_cast<int>(l.cell_center_y(t) + off);
        uint32_t px = d.at(x, y);
        seen.insert(px & 0xffffff);
        Rgb want = colormap(Colormap::kBlues, (1.0 + t * n + p) / ticks.hi, 0.5);
        int dr = std::abs(static_cast<int>((px >> 16) & 255) - static_cast<int>(std::lround(want.r * 255)));
        int dg = std::abs(static_cast<int>((px >> 8) & 255) - static_cast<int>(std::lround(want.g * 255)));
        int db = std::abs(static_cast<int>(px & 255) - static_cast<int>(std::lround(want.b * 255)));
        wrong += std::max({dr, dg, db}) > 3;
      }
    CHECK(wrong == 0);
    if (n == 6) CHECK(seen.size() == 36u);
  }
}

TEST_CASE("confusion matrices render for 6, 62 and 172 classes in every style", "[figure]") {
  for (int n : {6, 62, 172}) {
    auto names = class_names(n);
    ConfusionMatrix m = synthetic_confusion(n);
    check_renders(confusion_figure(m, names, ConfusionStyle::kCounts), "confusion_counts_" + std::to_string(n));
    check_renders(confusion_figure(m, names, ConfusionStyle::kRowNormalized),
                  "confusion_normalized_" + std::to_string(n));
  }
  ConfusionMatrix a = synthetic_confusion(6), b = a;
  b[1][1] += 5, b[1][2] -= 3, b[2][2] -= 4, b[2][0] += 4;
  ConfusionMatrix diff(6, std::vector<long long>(6));
  for (int t = 0; t < 6; ++t)
    for (int p = 0; p < 6; ++p) diff[t][p] = b[t][p] - a[t][p];
  check_renders(confusion_figure(diff, class_names(6), ConfusionStyle::kDifference), "confusion_difference");
  CHECK_THROWS(confusion_figure(a, class_names(5), ConfusionStyle::kCounts));
}

TEST_CASE("per-class score bars render for few and many classes", "[figure]") {
  for (int n : {6, 62}) {
    auto names = class_names(n);
    ClassificationReport r = classification_report(synthetic_confusion(n), names);
    check_renders(class_scores_figure(r.classes), "class_scores_" + std::to_string(n));
  }
}

TEST_CASE("top-k chart, gallery and grad-cam render", "[figure]") {
  std::vector<TopKSample> samples;
  samples.push_back({synthetic_image(28, 28, 1, 1), "Devanagari",
                     {{"Devanagari", 0.81}, {"Hangul", 0.1}, {"Latin", 0.05}, {"Greek", 0.04}}, "test/0001.png"});
  samples.push_back({synthetic_image(75, 50, 3, 2), "Latin",
                     {{"Cyrillic", 0.55}, {"Latin", 0.4}, {"Greek", 0.05}}, "a_rather_long_file_name_0002.png"});
  check_renders(topk_figure(samples), "topk");

  std::vector<GalleryItem> items;
  auto names = class_names(10);
  for (int i = 0; i < 13; ++i)
    items.push_back({synthetic_image(28, 28, i % 3 == 0 ? 3 : 1, i),
                     {prediction_caption(names[i % 10], names[(i + 3) % 10], 0.5 + 0.03 * i), "img_" + std::to_string(i)},
                     colors::kRed});
  check_renders(gallery_figure(items, "Misclassified test images", 6), "gallery");

  std::vector<GradcamItem> cams;
  for (int i = 0; i < 4; ++i) {
    GradcamItem g;
    g.image = synthetic_image(28, 28, 1, i);
    g.heat_h = 7, g.heat_w = 7;
    for (int y = 0; y < 7; ++y)
      for (int x = 0; x < 7; ++x)
        g.heat.push_back(static_cast<float>(std::exp(-((x - 1 - i) * (x - 1 - i) + (y - 3) * (y - 3)) / 3.0)));
    g.lines = {prediction_caption("Latin", "Latin", 0.9)};
    cams.push_back(g);
  }
  check_renders(gradcam_figure(cams, "Grad-CAM"), "gradcam");
  std::vector<double> h = normalized_heat({-1, 0, 2, 4});
  CHECK(h == std::vector<double>{0, 0, 0.5, 1});
  GradcamItem bad = cams[0];
  bad.heat.pop_back();
  CHECK_THROWS(gradcam_figure({bad}, "x"));
}
