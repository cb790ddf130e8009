// Stroke width — measure it, normalise it, nudge it.
//
// All three work on light ink on a dark background (what clean produces
// after `invert`).  Ink is the set of pixels above the image's Otsu
// threshold; the skeleton is its Zhang–Suen thinning.
#pragma once

#include <opencv2/core.hpp>

namespace pipe::image {

// Zhang–Suen thinning of a 0/255 mask: the same result as
// cv::ximgproc::thinning(THINNING_ZHANGSUEN), which rescans the whole image
// once per peeled layer with per-pixel accessor calls (about 1 ms for a
// 112×112 glyph).  This version visits only the current contour, with a
// 256-entry table per sub-iteration, and is 20–50× faster; clean calls it
// for every image.  Pixels on the image border are never removed (as there).
cv::Mat thin(const cv::Mat& mask);

// Mean stroke width in pixels: ink area ÷ skeleton length (0 when no ink).
double stroke_width(const cv::Mat& gray);

// The ink mask of `gray` (Otsu, or `threshold` when ≥ 0) thinned to its
// skeleton and redrawn with round strokes `width` pixels wide (the nearest odd
// width, so the pen stays centred): 0/255.
cv::Mat redraw_strokes(const cv::Mat& gray, double width, int threshold = -1);

// Thickens (amount > 0) or thins (amount < 0) ink by `amount` pixels in
// total width, fractional amounts blended between whole-pixel steps; any
// channel count.  amount 0 returns the input unchanged.
cv::Mat adjust_stroke(const cv::Mat& img, double amount);

}  // namespace pipe::image
