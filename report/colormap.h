// Colormaps (value in [0, 1] -> colour) and the colour bar that explains one.
#pragma once

#include <string>

#include "report/figure.h"

namespace pipe::report {

enum class Colormap {
  kBlues,     // white to dark blue: counts and fractions (confusion matrices)
  kViridis,   // perceptually uniform, dark to yellow
  kTurbo,     // rainbow-like, for heat over images (Grad-CAM)
  kDiverging, // blue (negative) - white - red (positive): differences
};

// t is clamped to [0, 1].
Rgb colormap(Colormap map, double t);
// With a power scale: t^gamma (gamma < 1 makes small values visible); for
// kDiverging the power applies to the distance from the centre.
Rgb colormap(Colormap map, double t, double gamma);

// A vertical colour bar at (x, y) of size w x h: top is `ticks.hi`, bottom
// `ticks.lo`, tick labels to its right, `label` rotated beside them.
// Ticks are spaced linearly; the colours follow `gamma` as in colormap().
void draw_colorbar(Canvas& canvas, Colormap map, double x, double y, double w, double h,
                   const Ticks& ticks, const std::string& label, double font_size = 10, double gamma = 1);
// The horizontal room draw_colorbar needs for a bar of width w (bar, ticks, labels).
double colorbar_width(Canvas& canvas, double w, const Ticks& ticks, const std::string& label,
                      double font_size = 10);

}  // namespace pipe::report
