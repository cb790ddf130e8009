// Figure — a picture drawn once, by one function, onto a Canvas, and
// rendered from that same drawing code to PNG (Cairo image surface) and to
// SVG (Cairo SVG surface, returned as a string for inline HTML).
//
// Canvas is a thin layer over cairo_t: shapes, images and text in the DejaVu
// Sans font, with text measured by cairo_text_extents so that figure code
// can lay labels out before drawing them (rotate, shrink, ellipsize, skip).
// Metric hinting is off on every surface, so a layout measured on
// Canvas::measuring() holds on the PNG and the SVG alike.  Units are CSS
// pixels at scale 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

typedef struct _cairo cairo_t;

namespace pipe::report {

struct Rgb {
  double r = 0, g = 0, b = 0;  // 0..1
  static Rgb hex(uint32_t rrggbb);
  Rgb mix(const Rgb& other, double t) const;  // t = 0: this, t = 1: other
  double luminance() const;                   // relative, 0..1
};

namespace colors {
extern const Rgb kText, kMuted, kGrid, kFrame, kBlue, kOrange, kGreen, kRed, kPurple, kWhite;
}

// An 8-bit image, row-major, interleaved channels: 1 (gray) or 3 (RGB).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 1;
  std::vector<uint8_t> pixels;  // height * width * channels
  bool empty() const { return pixels.empty(); }
};

enum class Align { kStart, kCenter, kEnd };          // along the text direction
enum class Baseline { kTop, kMiddle, kAlphabetic, kBottom };

struct TextSize {
  double width = 0;    // advance along the baseline
  double ascent = 0;   // of the font, so equal for all strings of a size
  double descent = 0;
  double height() const { return ascent + descent; }
};

class Canvas {
 public:
  Canvas(cairo_t* cr, double width, double height);
  // A canvas on a 1x1 surface, for laying a figure out before its size is known.
  static Canvas& measuring();

  cairo_t* cr() const { return cr_; }
  double width() const { return width_; }
  double height() const { return height_; }

  // Text.
  void font(double size, bool bold = false);
  double font_size() const { return font_size_; }
  TextSize measure(const std::string& text) const;
  // The widest of `texts` at the current font.
  double max_width(const std::vector<std::string>& texts) const;
  // `text` cut with "…" to fit max_width (whole UTF-8 characters).
  std::string ellipsize(const std::string& text, double max_width) const;
  // `text` broken at spaces into lines no wider than max_width (at most
  // max_lines; the last one ellipsized if the text does not fit).
  std::vector<std::string> wrap(const std::string& text, double max_width, int max_lines = 3) const;
  // Draws text anchored at (x, y); angle in degrees, clockwise (-90 reads upwards).
  void text(double x, double y, const std::string& text, Rgb color = colors::kText,
            Align align = Align::kStart, Baseline baseline = Baseline::kAlphabetic, double angle = 0);

  // Shapes.
  void fill_rect(double x, double y, double w, double h, Rgb color, double alpha = 1);
  void stroke_rect(double x, double y, double w, double h, Rgb color, double line_width = 1);
  void line(double x0, double y0, double x1, double y1, Rgb color, double line_width = 1,
            bool dashed = false);
  void polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb color,
                double line_width = 1.5, bool dashed = false);
  void circle(double x, double y, double radius, Rgb color);
  // Clips following drawing to a rectangle until unclip().
  void clip(double x, double y, double w, double h);
  void unclip();

  // Images.  `smooth` = false keeps pixels square (small images shown large).
  void image(const Image& image, double x, double y, double w, double h, bool smooth = false,
             double alpha = 1);
  // A grid of colours (row-major, rows x cols), each cell drawn as a square
  // block into the rectangle: heatmaps with many cells stay one image.
  void cells(const std::vector<Rgb>& colors, int rows, int cols, double x, double y, double w,
             double h, double alpha = 1, bool smooth = false);

 private:
  cairo_t* cr_;
  double width_, height_;
  double font_size_ = 12;
  bool bold_ = false;
};

class Figure {
 public:
  using Draw = std::function<void(Canvas&)>;
  Figure() = default;
  Figure(double width, double height, Draw draw);

  double width() const { return width_; }
  double height() const { return height_; }

  // PNG file bytes; scale 2 gives a sharper picture of the same layout.
  std::string png(double scale = 1) const;
  void write_png(const std::string& path, double scale = 1) const;
  // An SVG document (starts with <?xml ...>), in px units with a viewBox.
  std::string svg() const;

 private:
  double width_ = 0, height_ = 0;
  Draw draw_;
};

// A figure that is just `image`, each pixel `scale` px wide, kept square.
Figure image_figure(const Image& image, double scale = 1);

// Nicely rounded axis ticks covering [lo, hi].
struct Ticks {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> values;
  int decimals = 1;  // enough to tell ticks apart
  std::string label(double v) const;
};
Ticks nice_ticks(double lo, double hi, int max_ticks = 6);

// A formatted number: fixed with `decimals`, no "-0".
std::string format_number(double v, int decimals);

}  // namespace pipe::report
