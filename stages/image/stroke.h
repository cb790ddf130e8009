// Stroke width — measure it, normalise it, nudge it.
//
// All of these work on light ink on a dark background (what clean produces
// after `invert`).  Ink is the set of pixels above a threshold (Otsu's when
// none is given); the skeleton is its Zhang–Suen thinning.  Normalising
// means: take the skeleton and draw it again with a round pen of the target
// width, anti-aliased, so every source ends up with the same strokes.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace pipe::image {

// Zhang–Suen thinning of a mask (pixels above 127 are ink), as 0/255: the
// same result as cv::ximgproc::thinning(THINNING_ZHANGSUEN), which rescans
// the whole image once per peeled layer with per-pixel accessor calls (about
// 1 ms for a 112×112 glyph).  This version visits only the current contour,
// with a 256-entry table per sub-iteration, and is 10–20× faster; clean
// calls it for every image.  Pixels on the image border are never removed.
cv::Mat thin(const cv::Mat& mask);

// The skeleton pixels of the ink of `gray` (pixels above `threshold`; Otsu's
// threshold when it is negative), in row order.  Unlike thin(), a blob that
// Zhang–Suen would erase completely (a small dot) keeps one pixel.  `dark_ink`: the image is
// still dark on light; ink is then below 255 - threshold.
std::vector<cv::Point> skeleton_points(const cv::Mat& gray, int threshold = -1, bool dark_ink = false);

// Draws a round pen `width` pixels wide centred on each point (continuous
// coordinates: pixel (x, y) covers [x, x+1) × [y, y+1)) into `canvas`
// (CV_8UC1): each pixel becomes the max of itself and its coverage by the
// discs, so edges are anti-aliased and overlapping discs do not brighten.
void draw_pen(cv::Mat& canvas, const std::vector<cv::Point2f>& centres, double width);

// The ink of `gray` redrawn: its skeleton with a round pen `width` pixels
// wide, on a black image of the same size (0..255, anti-aliased).
cv::Mat redraw_strokes(const cv::Mat& gray, double width, int threshold = -1);

// The ink of `gray` (pixels above `threshold`; Otsu's when negative) as 255
// on 0, with a mean stroke width of `width` pixels: dilated or eroded as
// a whole by a disc, so the glyph keeps its own stroke ends, junctions and
// local width variation.  A fractional disc radius blends the masks of the
// two whole radii around it (the band between them gray), so the width
// follows the target continuously.  Strokes narrower than the erosion would
// vanish; they are kept at `width` along the skeleton instead.
cv::Mat set_stroke_width(const cv::Mat& gray, double width, int threshold = -1);

// Mean stroke width in pixels (0 when no ink): from the ink area, the
// skeleton's length and its end points (area ≈ width · length + ends · width² / 2).
double stroke_width(const cv::Mat& gray);

// Thickens (amount > 0) or thins (amount < 0) ink by `amount` pixels in
// total width, fractional amounts blended between whole-pixel steps; any
// channel count.  amount 0 returns the input unchanged.
cv::Mat adjust_stroke(const cv::Mat& img, double amount);

}  // namespace pipe::image
