#include "report/topk_figure.h"

#include <algorithm>
#include <cmath>

namespace pipe::report {

namespace {
constexpr double kPad = 14, kFont = 10, kTitleFont = 13, kImage = 112, kBarW = 240, kRowGap = 18, kColGap = 28;
constexpr double kMaxLabelW = 160;
const Rgb kOther = Rgb::hex(0x8fa8c8);
}  // namespace

Figure topk_figure(const std::vector<TopKSample>& samples) {
  Canvas& m = Canvas::measuring();
  m.font(kFont);
  double label_w = 0;
  size_t most = 1;
  for (const auto& s : samples) {
    for (const auto& t : s.top) label_w = std::max(label_w, m.measure(m.ellipsize(t.first, kMaxLabelW)).width);
    most = std::max(most, s.top.size());
  }
  double line_h = m.measure("Ag").height();
  double pct_w = m.measure("100.0%").width + 6;
  // Bars share the image's height, but never thinner than the text.
  double bar_row = std::max(line_h + 4, kImage / std::max<size_t>(most, 4));
  double row_h = std::max(kImage, most * bar_row) + 2 * line_h + 6;
  m.font(kTitleFont, true);
  double title_h = m.measure("Ag").height() + 8;
  // Two samples side by side when there are several: the figure stays about as wide as a page.
  const double cell_w = kImage + 16 + label_w + 8 + kBarW + pct_w;
  const int columns = samples.size() >= 3 ? 2 : 1;
  const int rows = static_cast<int>((samples.size() + columns - 1) / columns);
  double width = kPad + columns * (cell_w + kColGap) - kColGap + kPad;
  double height = kPad + title_h + rows * (row_h + kRowGap) - kRowGap + kPad;

  return Figure(width, height, [=](Canvas& c) {
    c.font(kTitleFont, true);
    c.text(width / 2, kPad, "Top-k predicted probabilities", colors::kText, Align::kCenter, Baseline::kTop);
    for (size_t k = 0; k < samples.size(); ++k) {
      const TopKSample& s = samples[k];
      const double x0 = kPad + (k % columns) * (cell_w + kColGap);
      const double y = kPad + title_h + (k / columns) * (row_h + kRowGap);
      // The image, fitted into a kImage square with its aspect ratio.
      double iw = kImage, ih = kImage;
      if (!s.image.empty()) {
        double k = std::min(kImage / s.image.width, kImage / s.image.height);
        iw = s.image.width * k, ih = s.image.height * k;
        c.image(s.image, x0 + (kImage - iw) / 2, y + (kImage - ih) / 2, iw, ih, k < 1.5);
      }
      c.stroke_rect(x0, y, kImage, kImage, colors::kGrid, 1);
      c.font(kFont);
      double below = y + std::max(kImage, s.top.size() * bar_row) + 4;
      c.text(x0, below, c.ellipsize("true: " + s.true_class, kImage + 16 + label_w),
             colors::kText, Align::kStart, Baseline::kTop);
      if (!s.caption.empty())
        c.text(x0, below + 2 + line_h, c.ellipsize(s.caption, cell_w), colors::kMuted,
               Align::kStart, Baseline::kTop);

      double bx = x0 + kImage + 16 + label_w + 8;
      c.line(bx, y, bx, y + s.top.size() * bar_row, colors::kFrame, 1);
      for (size_t i = 0; i < s.top.size(); ++i) {
        const auto& [name, p] = s.top[i];
        double top = y + i * bar_row;
        Rgb fill = name == s.true_class ? colors::kGreen : i == 0 ? colors::kRed : kOther;
        double len = std::clamp(p, 0.0, 1.0) * kBarW;
        c.fill_rect(bx, top + 2, len, bar_row - 4, fill);
        c.text(bx - 6, top + bar_row / 2, c.ellipsize(name, kMaxLabelW), colors::kText, Align::kEnd,
               Baseline::kMiddle);
        c.text(bx + len + 4, top + bar_row / 2, format_number(100 * p, 1) + "%", colors::kText,
               Align::kStart, Baseline::kMiddle);
      }
    }
  });
}

}  // namespace pipe::report
