// stroke_mode: adjust — the ink itself dilated or eroded to one mean width.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "stages/image/clean.h"
#include "stages/image/stroke.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using namespace pipe::image::testing;

namespace {

CleanOptions adjust(double stroke) {
  CleanOptions o;
  o.crop = "content";
  o.height = o.width = 28;
  o.pad = 2;
  o.stroke = stroke;
  o.stroke_mode = "adjust";
  return o;
}

}  // namespace

TEST_CASE("set_stroke_width thickens and thins to the target", "[stroke]") {
  cv::Mat thin_pen = pen_glyph(2), thick_pen = pen_glyph(15);
  REQUIRE(stroke_width(thin_pen) < 5);
  REQUIRE(stroke_width(thick_pen) > 12);
  cv::Mat a = set_stroke_width(thin_pen, 9), b = set_stroke_width(thick_pen, 9);
  CHECK(stroke_width(a) == Approx(9).margin(1.5));
  CHECK(stroke_width(b) == Approx(9).margin(1.5));
  // A fractional target moves the width by a fraction of a whole step:
  // half-pixel targets give strictly more ink each time.
  double previous = 0;
  for (double target : {8.0, 8.5, 9.0, 9.5}) {
    double ink = cv::sum(set_stroke_width(thin_pen, target))[0];
    CHECK(ink > previous);
    previous = ink;
  }
  // Gray only on the band between the two whole radii: ink inside stays 255.
  CHECK(cv::countNonZero(a == 255) > cv::countNonZero((a > 0) & (a < 255)));
  // Already at the target: unchanged.
  cv::Mat same = set_stroke_width(thick_pen, stroke_width(thick_pen));
  CHECK(cv::countNonZero(same != (thick_pen > 127)) == 0);
}

TEST_CASE("set_stroke_width keeps strokes that an erosion would erase", "[stroke]") {
  // A thick bar and a hairline: eroding to the target width removes the
  // hairline, which must survive at the target width along its skeleton.
  cv::Mat m(80, 80, CV_8UC1, cv::Scalar(0));
  m(cv::Rect(10, 10, 16, 60)).setTo(255);  // thick
  m(cv::Rect(50, 10, 2, 60)).setTo(255);   // hairline
  cv::Mat out = set_stroke_width(m, 6);
  CHECK(cv::countNonZero(out(cv::Rect(40, 20, 30, 40))) > 0);
  cv::Mat eroded;
  cv::erode(m, eroded, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9)));
  CHECK(cv::countNonZero(eroded(cv::Rect(40, 20, 30, 40))) == 0);
  // The thick bar is thinner than before, but still a bar.
  int bar = cv::countNonZero(out(cv::Rect(0, 40, 40, 1)));
  CHECK(bar < 16);
  CHECK(bar >= 4);
}

TEST_CASE("clean with stroke_mode adjust gives thin and thick pens the same width", "[clean][stroke]") {
  cv::Mat thin_pen = pen_glyph(2), thick_pen = pen_glyph(14);
  CleanOptions keep = adjust(0);
  double before = stroke_width(clean_image(thick_pen, keep).image) - stroke_width(clean_image(thin_pen, keep).image);
  CHECK(before > 2);
  CleanOptions o = adjust(3);
  cv::Mat a = clean_image(thin_pen, o).image, b = clean_image(thick_pen, o).image;
  REQUIRE(a.size() == cv::Size(28, 28));
  double wa = stroke_width(a), wb = stroke_width(b);
  CHECK(wa == Approx(3).margin(0.8));
  CHECK(wb == Approx(3).margin(0.8));
  CHECK(std::abs(wa - wb) < 0.6);
  // The pen's extent fills the box inside the pad; nothing is clipped at the edge.
  cv::Rect ra = cv::boundingRect(a > 60), rb = cv::boundingRect(b > 60);
  CHECK(ra.height >= 22);
  CHECK(std::abs(ra.height - rb.height) <= 1);
  CHECK(ra.y >= 1);
  CHECK(ra.y + ra.height <= 27);
  // Dark ink on light gives the same light-on-dark result.
  cv::Mat neg;
  cv::bitwise_not(thick_pen, neg);
  CleanedImage c = clean_image(neg, o);
  CHECK(c.inverted);
  CHECK(cv::countNonZero(c.image != b) == 0);
}

TEST_CASE("stroke_mode must be redraw or adjust", "[clean]") {
  CleanOptions o = adjust(2);
  o.stroke_mode = "skeleton";
  CHECK_THROWS_WITH(o.check(), "stroke_mode: 'skeleton' is not allowed");
}
