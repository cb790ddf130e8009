#include "report/figure.h"

#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "engine/error.h"

namespace pipe::report {

Rgb Rgb::hex(uint32_t v) {
  return {((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0};
}

Rgb Rgb::mix(const Rgb& o, double t) const {
  return {r + (o.r - r) * t, g + (o.g - g) * t, b + (o.b - b) * t};
}

double Rgb::luminance() const { return 0.2126 * r + 0.7152 * g + 0.0722 * b; }

namespace colors {
const Rgb kText = Rgb::hex(0x222222);
const Rgb kMuted = Rgb::hex(0x666666);
const Rgb kGrid = Rgb::hex(0xe3e3e3);
const Rgb kFrame = Rgb::hex(0x888888);
const Rgb kBlue = Rgb::hex(0x1f77b4);
const Rgb kOrange = Rgb::hex(0xff7f0e);
const Rgb kGreen = Rgb::hex(0x2ca02c);
const Rgb kRed = Rgb::hex(0xd62728);
const Rgb kPurple = Rgb::hex(0x9467bd);
const Rgb kWhite = Rgb::hex(0xffffff);
}  // namespace colors

namespace {

constexpr const char* kFontFamily = "DejaVu Sans";

void set_font_options(cairo_t* cr) {
  cairo_font_options_t* opt = cairo_font_options_create();
  // Unhinted metrics: text measures the same on image and SVG surfaces.
  cairo_font_options_set_hint_metrics(opt, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(opt, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options(cr, opt);
  cairo_font_options_destroy(opt);
}

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS)
    throw Error(std::string(what) + ": " + cairo_status_to_string(status));
}

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

// An ARGB32 surface of `image`, repeated `factor` times in each direction
// (nearest neighbour), so that a small image stays sharp where the viewer
// (a browser showing the SVG) would smooth it.
SurfacePtr image_surface(const Image& image, int factor) {
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw Error("figure image: " + std::to_string(image.channels) + " channels").hint("allowed: 1, 3, 4");
  if (image.pixels.size() != static_cast<size_t>(image.height) * image.width * image.channels)
    throw Error("figure image: pixel buffer does not match " + std::to_string(image.height) + "x" +
                std::to_string(image.width) + "x" + std::to_string(image.channels));
  int w = image.width * factor, h = image.height * factor;
  SurfacePtr s(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h));
  check(cairo_surface_status(s.get()), "figure image");
  cairo_surface_flush(s.get());
  unsigned char* data = cairo_image_surface_get_data(s.get());
  int stride = cairo_image_surface_get_stride(s.get());
  for (int y = 0; y < h; ++y) {
    uint32_t* row = reinterpret_cast<uint32_t*>(data + static_cast<size_t>(y) * stride);
    const uint8_t* src = image.pixels.data() + static_cast<size_t>(y / factor) * image.width * image.channels;
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = src + (x / factor) * image.channels;
      uint32_t r, g, b, a = 255;
      if (image.channels == 1) {
        r = g = b = p[0];
      } else {
        r = p[0], g = p[1], b = p[2];
        if (image.channels == 4) a = p[3];
      }
      // Cairo wants premultiplied alpha.
      r = r * a / 255, g = g * a / 255, b = b * a / 255;
      row[x] = (a << 24) | (r << 16) | (g << 8) | b;
    }
  }
  cairo_surface_mark_dirty(s.get());
  return s;
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

// ---- Canvas -----------------------------------------------------------------

Canvas::Canvas(cairo_t* cr, double width, double height) : cr_(cr), width_(width), height_(height) {
  set_font_options(cr_);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_BUTT);
  font(12);
}

Canvas& Canvas::measuring() {
  static cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  static cairo_t* cr = cairo_create(surface);
  static Canvas canvas(cr, 1, 1);
  return canvas;
}

void Canvas::font(double size, bool bold) {
  font_size_ = size;
  bold_ = bold;
  cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size);
}

TextSize Canvas::measure(const std::string& text) const {
  cairo_font_extents_t fe;
  cairo_font_extents(cr_, &fe);
  cairo_text_extents_t te;
  cairo_text_extents(cr_, text.c_str(), &te);
  TextSize s;
  // The advance, or the ink when a glyph overhangs it (italics, some symbols).
  s.width = std::max(te.x_advance, te.x_bearing + te.width);
  s.ascent = fe.ascent;
  s.descent = fe.descent;
  return s;
}

double Canvas::max_width(const std::vector<std::string>& texts) const {
  double w = 0;
  for (const auto& t : texts) w = std::max(w, measure(t).width);
  return w;
}

std::string Canvas::ellipsize(const std::string& text, double max_width) const {
  if (measure(text).width <= max_width) return text;
  const std::string dots = "\xe2\x80\xa6";  // …
  std::string cut = text;
  while (!cut.empty()) {
    // Drop one whole UTF-8 character.
    size_t end = cut.size() - 1;
    while (end > 0 && (static_cast<unsigned char>(cut[end]) & 0xc0) == 0x80) --end;
    cut.erase(end);
    if (measure(cut + dots).width <= max_width) return cut + dots;
  }
  return measure(dots).width <= max_width ? dots : "";
}

std::vector<std::string> Canvas::wrap(const std::string& text, double max_width, int max_lines) const {
  std::vector<std::string> words;
  for (size_t pos = 0; pos <= text.size();) {
    size_t space = text.find(' ', pos);
    if (space == std::string::npos) space = text.size();
    if (space > pos) words.push_back(text.substr(pos, space - pos));
    pos = space + 1;
  }
  std::vector<std::string> lines;
  std::string line;
  size_t i = 0;
  for (; i < words.size(); ++i) {
    std::string candidate = line.empty() ? words[i] : line + " " + words[i];
    if (line.empty() || measure(candidate).width <= max_width) {
      line = candidate;
      continue;
    }
    lines.push_back(line);
    line = words[i];
    if (static_cast<int>(lines.size()) == max_lines - 1) break;
  }
  // The last line takes whatever is left.
  for (++i; i < words.size(); ++i) line += " " + words[i];
  if (!line.empty()) lines.push_back(line);
  for (auto& l : lines) l = ellipsize(l, max_width);
  return lines;
}

void Canvas::text(double x, double y, const std::string& text, Rgb color, Align align,
                  Baseline baseline, double angle) {
  if (text.empty()) return;
  TextSize ts = measure(text);
  double dx = align == Align::kStart ? 0 : align == Align::kCenter ? -ts.width / 2 : -ts.width;
  double dy = 0;
  switch (baseline) {
    case Baseline::kTop: dy = ts.ascent; break;
    case Baseline::kMiddle: dy = (ts.ascent - ts.descent) / 2; break;
    case Baseline::kAlphabetic: dy = 0; break;
    case Baseline::kBottom: dy = -ts.descent; break;
  }
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  if (angle != 0) cairo_rotate(cr_, angle * M_PI / 180);
  cairo_set_source_rgb(cr_, color.r, color.g, color.b);
  cairo_move_to(cr_, dx, dy);
  cairo_show_text(cr_, text.c_str());
  cairo_restore(cr_);
}

void Canvas::fill_rect(double x, double y, double w, double h, Rgb c, double alpha) {
  cairo_set_source_rgba(cr_, c.r, c.g, c.b, alpha);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
}

void Canvas::stroke_rect(double x, double y, double w, double h, Rgb c, double line_width) {
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  cairo_set_line_width(cr_, line_width);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_stroke(cr_);
}

void Canvas::line(double x0, double y0, double x1, double y1, Rgb c, double line_width, bool dashed) {
  polyline({x0, x1}, {y0, y1}, c, line_width, dashed);
}

void Canvas::polyline(const std::vector<double>& xs, const std::vector<double>& ys, Rgb c,
                      double line_width, bool dashed) {
  if (xs.size() < 2) return;
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  cairo_set_line_width(cr_, line_width);
  if (dashed) {
    double dash[] = {5, 3};
    cairo_set_dash(cr_, dash, 2, 0);
  }
  cairo_move_to(cr_, xs[0], ys[0]);
  for (size_t i = 1; i < xs.size() && i < ys.size(); ++i) cairo_line_to(cr_, xs[i], ys[i]);
  cairo_stroke(cr_);
  cairo_set_dash(cr_, nullptr, 0, 0);
}

void Canvas::circle(double x, double y, double radius, Rgb c) {
  cairo_set_source_rgb(cr_, c.r, c.g, c.b);
  cairo_new_sub_path(cr_);
  cairo_arc(cr_, x, y, radius, 0, 2 * M_PI);
  cairo_fill(cr_);
}

void Canvas::clip(double x, double y, double w, double h) {
  cairo_save(cr_);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_clip(cr_);
}

void Canvas::unclip() { cairo_restore(cr_); }

void Canvas::image(const Image& img, double x, double y, double w, double h, bool smooth, double alpha) {
  if (img.empty() || w <= 0 || h <= 0) return;
  int factor = 1;
  if (!smooth) {
    double enlarge = std::max(w / img.width, h / img.height);
    // Enough repetition that viewer smoothing only touches block edges; capped
    // so a large image does not balloon.
    factor = std::clamp(static_cast<int>(std::ceil(enlarge)), 1, 16);
    while (factor > 1 && static_cast<long>(img.width) * img.height * factor * factor > 4'000'000) --factor;
  }
  SurfacePtr s = image_surface(img, factor);
  double sw = img.width * factor, sh = img.height * factor;
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  cairo_scale(cr_, w / sw, h / sh);
  cairo_set_source_surface(cr_, s.get(), 0, 0);
  cairo_pattern_t* p = cairo_get_source(cr_);
  cairo_pattern_set_filter(p, smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend(p, CAIRO_EXTEND_PAD);
  cairo_rectangle(cr_, 0, 0, sw, sh);
  cairo_clip(cr_);
  cairo_paint_with_alpha(cr_, alpha);
  cairo_restore(cr_);
}

void Canvas::cells(const std::vector<Rgb>& colors, int rows, int cols, double x, double y, double w,
                   double h, double alpha, bool smooth) {
  if (rows <= 0 || cols <= 0) return;
  if (colors.size() != static_cast<size_t>(rows) * cols)
    throw Error("figure cells: " + std::to_string(colors.size()) + " colours for " + std::to_string(rows) +
                "x" + std::to_string(cols) + " cells");
  Image img;
  img.height = rows;
  img.width = cols;
  img.channels = 3;
  img.pixels.resize(colors.size() * 3);
  for (size_t i = 0; i < colors.size(); ++i) {
    img.pixels[3 * i] = static_cast<uint8_t>(std::lround(std::clamp(colors[i].r, 0.0, 1.0) * 255));
    img.pixels[3 * i + 1] = static_cast<uint8_t>(std::lround(std::clamp(colors[i].g, 0.0, 1.0) * 255));
    img.pixels[3 * i + 2] = static_cast<uint8_t>(std::lround(std::clamp(colors[i].b, 0.0, 1.0) * 255));
  }
  image(img, x, y, w, h, smooth, alpha);
}

// ---- Figure -----------------------------------------------------------------

Figure::Figure(double width, double height, Draw draw)
    : width_(std::ceil(width)), height_(std::ceil(height)), draw_(std::move(draw)) {}

std::string Figure::png(double scale) const {
  int w = static_cast<int>(std::ceil(width_ * scale)), h = static_cast<int>(std::ceil(height_ * scale));
  SurfacePtr s(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h));
  check(cairo_surface_status(s.get()), "png figure");
  cairo_t* cr = cairo_create(s.get());
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_scale(cr, scale, scale);
  Canvas canvas(cr, width_, height_);
  if (draw_) draw_(canvas);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  check(status, "png figure");
  std::string out;
  check(cairo_surface_write_to_png_stream(s.get(), append_to_string, &out), "png figure");
  return out;
}

void Figure::write_png(const std::string& path, double scale) const {
  std::string bytes = png(scale);
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw Error("cannot write figure").at(path);
}

std::string Figure::svg() const {
  std::string out;
  cairo_surface_t* raw = cairo_svg_surface_create_for_stream(append_to_string, &out, width_, height_);
  SurfacePtr s(raw);
  check(cairo_surface_status(raw), "svg figure");
  cairo_svg_surface_set_document_unit(raw, CAIRO_SVG_UNIT_PX);
  cairo_t* cr = cairo_create(raw);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  Canvas canvas(cr, width_, height_);
  if (draw_) draw_(canvas);
  cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  check(status, "svg figure");
  cairo_surface_finish(raw);  // flushes the document into `out`
  check(cairo_surface_status(raw), "svg figure");
  return out;
}

Figure image_figure(const Image& image, double scale) {
  double w = image.width * scale, h = image.height * scale;
  return Figure(w, h, [image, w, h](Canvas& c) { c.image(image, 0, 0, w, h, false); });
}

// ---- Ticks ------------------------------------------------------------------

std::string format_number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::max(0, decimals), v);
  std::string s = buf;
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

std::string Ticks::label(double v) const { return format_number(v, decimals); }

Ticks nice_ticks(double lo, double hi, int max_ticks) {
  Ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12) {
    double pad = std::fabs(lo) > 1e-12 ? std::fabs(lo) * 0.1 : 1;
    lo -= pad, hi += pad;
  }
  max_ticks = std::max(2, max_ticks);
  double raw = (hi - lo) / (max_ticks - 1);
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw * (1 - 1e-9)) break;
  }
  t.step = step;
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  for (double v = t.lo; v <= t.hi + step * 1e-6; v += step) t.values.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  t.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  if (std::fabs(step / std::pow(10, -t.decimals) - std::round(step / std::pow(10, -t.decimals))) > 1e-6)
    ++t.decimals;  // 0.25 needs two decimals
  return t;
}

}  // namespace pipe::report
