#include <catch2/catch.hpp>

#include <opencv2/ximgproc.hpp>

#include "engine/error.h"
#include "stages/image/clean.h"
#include "stages/image/random.h"
#include "stages/image/stroke.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using namespace pipe::image::testing;

namespace {

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

cv::Mat from_rows(std::vector<std::vector<int>> rows) {
  cv::Mat m(static_cast<int>(rows.size()), static_cast<int>(rows[0].size()), CV_8UC1);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) m.at<uint8_t>(y, x) = static_cast<uint8_t>(rows[y][x]);
  return m;
}

CleanOptions plain() {
  CleanOptions o;
  o.invert = "false";
  return o;
}

double centroid_x(const cv::Mat& m) {
  cv::Moments mo = cv::moments(m);
  return mo.m10 / mo.m00;
}

}  // namespace

TEST_CASE("invert true and false are exact", "[clean]") {
  cv::Mat in = from_rows({{0, 10, 200}, {255, 128, 7}});
  CleanOptions o = plain();
  o.invert = "true";
  CleanedImage c = clean_image(in, o);
  CHECK(c.inverted);
  CHECK(same(c.image, from_rows({{255, 245, 55}, {0, 127, 248}})));
  o.invert = "false";
  c = clean_image(in, o);
  CHECK_FALSE(c.inverted);
  CHECK(same(c.image, in));
}

TEST_CASE("auto-invert makes ink light on dark for both polarities", "[clean]") {
  CleanOptions o;  // invert: auto
  for (auto [ink, paper, expect] : std::vector<std::tuple<int, int, bool>>{
           {0, 255, true}, {255, 0, false}, {40, 150, true}, {220, 100, false}, {90, 60, false}}) {
    cv::Mat in = glyph(32, 3, static_cast<uint8_t>(ink), static_cast<uint8_t>(paper));
    CleanedImage c = clean_image(in, o);
    INFO("ink " << ink << " paper " << paper);
    CHECK(c.inverted == expect);
    CHECK(background_is_light(in) == expect);
    // Afterwards the ink is brighter than the paper.
    CHECK(c.image.at<uint8_t>(16, 8) > c.image.at<uint8_t>(2, 30));
  }
  // An image whose ink touches the border in places is still read by its border's median.
  cv::Mat touching = glyph(32, 3, 0, 255);
  cv::line(touching, {0, 0}, {0, 10}, cv::Scalar(0), 2);
  CHECK(clean_image(touching, o).inverted);
}

TEST_CASE("crop content is the bounding box of the ink, exactly", "[clean]") {
  cv::Mat in(10, 12, CV_8UC1, cv::Scalar(0));
  in(cv::Rect(5, 2, 4, 3)).setTo(200);
  in.at<uint8_t>(3, 6) = 90;
  in.at<uint8_t>(9, 0) = 20;  // faint speck, below Otsu's threshold
  CleanOptions o = plain();
  o.crop = "content";
  cv::Mat out = clean_image(in, o).image;
  CHECK(same(out, in(cv::Rect(5, 2, 4, 3))));
  o.crop_threshold = 10;  // now the speck is ink too
  out = clean_image(in, o).image;
  CHECK(out.size() == cv::Size(9, 8));
  // Dark ink on light paper: found before the inversion, cropped the same.
  cv::Mat neg;
  cv::bitwise_not(in, neg);
  o = CleanOptions();
  o.crop = "content";
  CleanedImage c = clean_image(neg, o);
  CHECK(c.inverted);
  CHECK(same(c.image, in(cv::Rect(5, 2, 4, 3))));
}

TEST_CASE("despeckle removes small blobs before cropping", "[clean]") {
  cv::Mat in(40, 40, CV_8UC1, cv::Scalar(0));
  in(cv::Rect(15, 10, 6, 20)).setTo(200);  // the glyph: 120 pixels
  in(cv::Rect(1, 37, 2, 2)).setTo(220);    // dust: 4 pixels
  CleanOptions o = plain();
  o.crop = "content";
  CHECK(clean_image(in, o).image.size() == cv::Size(20, 29));  // the dust widens the crop
  o.despeckle = 10;
  cv::Mat out = clean_image(in, o).image;
  CHECK(out.size() == cv::Size(6, 20));
  // Dark ink on light paper: the dust becomes paper.
  cv::Mat neg;
  cv::bitwise_not(in, neg);
  o.invert = "auto";
  CHECK(clean_image(neg, o).image.size() == cv::Size(6, 20));
  o.despeckle = -1;
  CHECK_THROWS_AS(o.check(), pipe::Error);
}

TEST_CASE("crop center is the central square", "[clean]") {
  cv::Mat in = from_rows({{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}, {13, 14, 15, 16, 17, 18}, {19, 20, 21, 22, 23, 24}});
  CleanOptions o = plain();
  o.crop = "center";
  CHECK(same(clean_image(in, o).image, in(cv::Rect(1, 0, 4, 4))));
}

TEST_CASE("size with fit pad keeps the aspect ratio and centres; pad keeps a margin", "[clean]") {
  cv::Mat in(6, 6, CV_8UC1, cv::Scalar(0));
  in(cv::Rect(1, 2, 4, 2)).setTo(255);  // a 2×4 bar
  CleanOptions o = plain();
  o.crop = "content";
  o.height = o.width = 4;
  cv::Mat out = clean_image(in, o).image;
  CHECK(same(out, from_rows({{0, 0, 0, 0}, {255, 255, 255, 255}, {255, 255, 255, 255}, {0, 0, 0, 0}})));
  o.height = o.width = 6;
  o.pad = 1;
  out = clean_image(in, o).image;
  cv::Mat expect(6, 6, CV_8UC1, cv::Scalar(0));
  expect(cv::Rect(1, 2, 4, 2)).setTo(255);
  CHECK(same(out, expect));
  // fit stretch fills the box.
  o.pad = 0;
  o.height = o.width = 4;
  o.fit = "stretch";
  CHECK(same(clean_image(in, o).image, cv::Mat(4, 4, CV_8UC1, cv::Scalar(255))));
}

TEST_CASE("padding takes the background of the image", "[clean]") {
  cv::Mat in(2, 4, CV_8UC1, cv::Scalar(255));
  in.at<uint8_t>(0, 1) = 0;
  CleanOptions o = plain();
  o.height = o.width = 4;
  o.interpolation = "nearest";
  cv::Mat out = clean_image(in, o).image;
  CHECK(out.at<uint8_t>(0, 0) == 255);  // the white paper, not black
  CHECK(out.at<uint8_t>(3, 3) == 255);
  CHECK(out.at<uint8_t>(1, 1) == 0);
}

TEST_CASE("interpolation is the one asked for", "[clean]") {
  cv::Mat in = from_rows({{0, 255}, {255, 0}});
  CleanOptions o = plain();
  o.height = o.width = 4;
  o.fit = "stretch";
  o.interpolation = "nearest";
  CHECK(same(clean_image(in, o).image,
             from_rows({{0, 0, 255, 255}, {0, 0, 255, 255}, {255, 255, 0, 0}, {255, 255, 0, 0}})));
  o.interpolation = "linear";
  cv::Mat lin = clean_image(in, o).image;
  CHECK(lin.at<uint8_t>(1, 1) > 0);
  CHECK(lin.at<uint8_t>(1, 1) < 255);
}

TEST_CASE("stroke normalisation gives thin and thick pens the same width", "[clean][stroke]") {
  CleanOptions o;
  o.crop = "content";
  o.height = o.width = 28;
  o.pad = 2;
  cv::Mat thin_pen = pen_glyph(2), thick_pen = pen_glyph(14);
  double before = stroke_width(clean_image(thick_pen, o).image) - stroke_width(clean_image(thin_pen, o).image);
  CHECK(before > 2);
  o.stroke = 3;
  cv::Mat a = clean_image(thin_pen, o).image, b = clean_image(thick_pen, o).image;
  double wa = stroke_width(a), wb = stroke_width(b);
  CHECK(wa == Approx(3).margin(0.8));
  CHECK(wb == Approx(3).margin(0.8));
  CHECK(std::abs(wa - wb) < 0.5);
  // Both fill the box inside the pad.
  cv::Rect ra = cv::boundingRect(a > 60), rb = cv::boundingRect(b > 60);
  CHECK(ra.height >= 22);
  CHECK(rb.height >= 22);
  CHECK(std::abs(ra.height - rb.height) <= 1);
  // Dark ink is handled too, and the result is light on dark.
  cv::Mat neg;
  cv::bitwise_not(thick_pen, neg);
  CleanedImage c = clean_image(neg, o);
  CHECK(c.inverted);
  CHECK(cv::mean(c.image)[0] < 80);
  CHECK(cv::countNonZero(c.image != b) == 0);  // the same as the light version, pixel for pixel
}

TEST_CASE("small dots survive stroke normalisation", "[clean][stroke]") {
  // Zhang-Suen alone erases a small blob completely; the dot of an i must stay.
  cv::Mat m(60, 40, CV_8UC1, cv::Scalar(0));
  m(cv::Rect(18, 20, 4, 36)).setTo(255);  // the stem
  m(cv::Rect(19, 8, 2, 2)).setTo(255);    // the dot
  CHECK(cv::countNonZero(thin(m)(cv::Rect(10, 0, 20, 15))) == 0);  // OpenCV-equal thinning loses it
  CleanOptions o;
  o.crop = "content";
  o.height = o.width = 28;
  o.pad = 2;
  o.stroke = 2;
  cv::Mat out = clean_image(m, o).image;
  CHECK(cv::countNonZero(out(cv::Rect(0, 0, 28, 6)) > 100) > 0);
  CHECK(skeleton_points(m, 127).size() > 30);
}

TEST_CASE("stroke without a size redraws at the native resolution", "[clean][stroke]") {
  CleanOptions o;
  o.crop = "content";
  o.stroke = 5;
  cv::Mat out = clean_image(glyph(80, 1, 255, 0), o).image;
  CHECK(stroke_width(out) == Approx(5).margin(1.0));
}

TEST_CASE("binarize leaves only black and white", "[clean]") {
  cv::Mat in = glyph(40, 4, 200, 30);
  cv::GaussianBlur(in, in, cv::Size(5, 5), 1.5);
  CleanOptions o;
  for (const char* mode : {"otsu", "adaptive"}) {
    o.binarize = mode;
    cv::Mat out = clean_image(in, o).image;
    int other = cv::countNonZero((out != 0) & (out != 255));
    CHECK(other == 0);
    CHECK(cv::countNonZero(out) > 40);
    CHECK(out.at<uint8_t>(2, 38) == 0);
  }
}

TEST_CASE("tophat removes an uneven background", "[clean]") {
  cv::Mat in(40, 60, CV_8UC1);
  for (int y = 0; y < in.rows; ++y)
    for (int x = 0; x < in.cols; ++x) in.at<uint8_t>(y, x) = static_cast<uint8_t>(2 * x);
  cv::line(in, {10, 20}, {50, 20}, cv::Scalar(250), 2);
  CleanOptions o = plain();
  o.illumination = "tophat";
  o.illumination_kernel = 9;
  cv::Mat out = clean_image(in, o).image;
  CHECK(out.at<uint8_t>(5, 55) < 15);   // background near the bright side
  CHECK(out.at<uint8_t>(20, 30) > 100);  // the stroke
}

TEST_CASE("stretch brings faint ink to full strength after resizing", "[clean]") {
  cv::Mat in = glyph(64, 1, 90, 10);  // faint thin ink, like the chinese source
  in.at<uint8_t>(0, 0) = 200;         // and one stray bright pixel
  CleanOptions o = plain();
  o.height = o.width = 28;
  cv::Mat faint = clean_image(in, o).image;
  o.stretch = true;
  cv::Mat strong = clean_image(in, o).image;
  double lo, hi, faint_hi;
  cv::minMaxLoc(faint, nullptr, &faint_hi);
  cv::minMaxLoc(strong, &lo, &hi);
  CHECK(faint_hi < 120);
  CHECK(hi == 255);
  CHECK(lo == 0);
  CHECK(cv::countNonZero(strong > 200) >= 10);
}

TEST_CASE("center mass puts the ink's centre of mass in the middle", "[clean]") {
  cv::Mat in(30, 30, CV_8UC1, cv::Scalar(0));
  cv::rectangle(in, cv::Rect(5, 5, 8, 20), cv::Scalar(255), cv::FILLED);  // heavy left part
  cv::line(in, {5, 5}, {25, 5}, cv::Scalar(255), 1);                      // light right part
  CleanOptions o = plain();
  o.crop = "content";
  o.height = o.width = 28;
  o.pad = 6;  // MNIST-like: the ink fits 16×16, its centre of mass goes to the middle
  double box = centroid_x(clean_image(in, o).image);
  o.center = "mass";
  double mass = centroid_x(clean_image(in, o).image);
  CHECK(std::abs(box - 14) > 3);
  CHECK(mass == Approx(14).margin(1.0));
}

TEST_CASE("colour: rgb keeps three channels, alpha is composited over white", "[clean]") {
  cv::Mat rgba(2, 2, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent black
  CleanOptions o = plain();
  cv::Mat g = clean_image(rgba, o).image;
  CHECK(g.type() == CV_8UC1);
  CHECK(g.at<uint8_t>(0, 0) == 255);
  o.color = "rgb";
  cv::Mat gray(2, 2, CV_8UC1, cv::Scalar(9));
  cv::Mat c = clean_image(gray, o).image;
  CHECK(c.type() == CV_8UC3);
  CHECK(c.at<cv::Vec3b>(1, 1) == cv::Vec3b(9, 9, 9));
}

TEST_CASE("options that make no sense are configuration errors", "[clean]") {
  CleanOptions o;
  o.color = "rgb";
  o.stroke = 2;
  CHECK_THROWS_WITH(o.check(), "stroke: needs color: gray");
  o = CleanOptions();
  o.height = o.width = 4;
  o.pad = 2;
  CHECK_THROWS_WITH(o.check(), "pad: must leave room for the image");
  o = CleanOptions();
  o.crop = "middle";
  try {
    o.check();
    FAIL("no error");
  } catch (const pipe::Error& e) {
    CHECK(e.kind() == pipe::ErrorKind::kConfig);
    CHECK(e.line() == "crop: 'middle' is not allowed");
    CHECK(e.hint_text() == "allowed: content | center | none");
  }
}

TEST_CASE("thinning equals OpenCV's Zhang-Suen", "[stroke]") {
  Rng rng = rng_for(7, 1);
  for (int t = 0; t < 60; ++t) {
    cv::Mat m(50 + t % 7, 60, CV_8UC1, cv::Scalar(0));
    for (int k = 0; k < 4; ++k)
      cv::line(m, {2 + int(uniform_index(rng, 55)), 2 + int(uniform_index(rng, 45))},
               {2 + int(uniform_index(rng, 55)), 2 + int(uniform_index(rng, 45))}, cv::Scalar(255),
               1 + int(uniform_index(rng, 9)));
    cv::Mat expect;
    cv::ximgproc::thinning(m, expect, cv::ximgproc::THINNING_ZHANGSUEN);
    REQUIRE(same(thin(m), expect));
  }
}

TEST_CASE("stroke width of drawn strokes", "[stroke]") {
  // cv::line's thickness is not the drawn width, so draw exact bands.
  for (int w : {1, 3, 6}) {
    cv::Mat h(40, 80, CV_8UC1, cv::Scalar(0));
    h(cv::Rect(10, 20, 60, w)).setTo(255);
    CHECK(stroke_width(h) == Approx(w).margin(0.5));
    if (w == 1) continue;  // a 1-pixel band at an angle rasterises as a staircase
    cv::Mat d(80, 80, CV_8UC1, cv::Scalar(0));
    cv::RotatedRect band({40, 40}, cv::Size2f(60, static_cast<float>(w)), 35);
    cv::Point2f corners[4];
    band.points(corners);
    std::vector<cv::Point> poly(corners, corners + 4);
    cv::fillConvexPoly(d, poly, cv::Scalar(255));
    CHECK(stroke_width(d) == Approx(w).margin(0.7));
  }
  CHECK(stroke_width(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))) == 0);
}

TEST_CASE("adjust_stroke thickens and thins, 0 changes nothing", "[stroke]") {
  cv::Mat m(40, 40, CV_8UC1, cv::Scalar(0));
  cv::line(m, {5, 20}, {35, 20}, cv::Scalar(255), 5);
  CHECK(same(adjust_stroke(m, 0), m));
  CHECK(cv::countNonZero(adjust_stroke(m, 2)) > cv::countNonZero(m));
  CHECK(cv::countNonZero(adjust_stroke(m, -2)) < cv::countNonZero(m));
  CHECK(cv::sum(adjust_stroke(m, 1))[0] > cv::sum(m)[0]);  // half a step: blended
}

TEST_CASE("duplicates: exact and perceptual, the first copy is kept", "[clean][dedupe]") {
  cv::Mat a = glyph(28, 3, 255, 0), b = glyph(28, 5, 255, 0);
  cv::Mat a_noisy = a.clone();
  a_noisy.at<uint8_t>(0, 0) = 3;
  std::vector<cv::Mat> images{a, b, a.clone(), a_noisy, b.clone()};
  std::vector<Duplicate> exact = find_duplicates(images, "exact", 0);
  REQUIRE(exact.size() == 2);
  CHECK((exact[0].removed == 2 && exact[0].kept == 0));
  CHECK((exact[1].removed == 4 && exact[1].kept == 1));
  std::vector<Duplicate> perceptual = find_duplicates(images, "perceptual", 2);
  REQUIRE(perceptual.size() == 3);
  CHECK((perceptual[1].removed == 3 && perceptual[1].kept == 0));
  CHECK(find_duplicates(images, "none", 0).empty());
}

TEST_CASE("clean_dataset: order, per-class counts, duplicates across classes", "[clean][dedupe]") {
  TempDir tmp;
  Dataset d;
  d.classes = {"dark", "light"};
  auto add = [&](const cv::Mat& m, int label, const std::string& path) {
    Sample s;
    s.label = label;
    s.height = m.rows;
    s.width = m.cols;
    s.channels = 1;
    s.path = path;
    s.pixels.assign(m.data, m.data + m.total());
    d.samples.push_back(s);
  };
  // Distinct glyphs: an L with a dot at a different place each.
  auto marked = [](int i, uint8_t ink, uint8_t paper) {
    cv::Mat m = glyph(32, 3, ink, paper);
    cv::rectangle(m, cv::Rect(14 + 2 * i, 4, 3, 3), cv::Scalar(ink), cv::FILLED);
    return m;
  };
  for (int i = 0; i < 6; ++i) add(marked(i, 0, 255), 0, "dark/" + std::to_string(i));
  for (int i = 0; i < 4; ++i) add(marked(i, 255, 0), 1, "light/" + std::to_string(i));
  write_dataset(tmp.at("in.bin"), d);
  DatasetView view = DatasetView::open(tmp.at("in.bin"));
  CleanOptions o;
  o.crop = "content";
  o.height = o.width = 16;
  o.dedupe = "exact";
  CleanReport one, two;
  Dataset a = clean_dataset(view, o, 1, &one), b = clean_dataset(view, o, 2, &two);
  CHECK(one.classes[0].inverted == 6);
  CHECK(one.classes[1].inverted == 0);
  // The light glyphs equal the inverted dark ones with the same dot: removed, across classes.
  CHECK(one.duplicates.size() == 4);
  for (const auto& dup : one.duplicates) {
    CHECK(view.label(dup.removed) == 1);
    CHECK(view.label(dup.kept) == 0);
  }
  CHECK(one.classes[1].removed == 4);
  REQUIRE(a.samples.size() == 6);
  REQUIRE(b.samples.size() == 6);
  for (size_t i = 0; i < a.samples.size(); ++i) {
    CHECK(a.samples[i].path == b.samples[i].path);
    CHECK(a.samples[i].pixels == b.samples[i].pixels);
    CHECK(a.samples[i].height == 16);
  }
}
