#include "engine/posix.h"  // first: see posix.h
#include "stages/image/contact_sheet.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "stages/image/random.h"

namespace pipe::image {

namespace {

constexpr int kMargin = 10, kGap = 4;
const cv::Scalar kBackground(48, 48, 48), kFrame(110, 110, 110), kText(235, 235, 235), kDim(160, 160, 160);

cv::Mat to_bgr(const cv::Mat& m) {
  cv::Mat out;
  if (m.channels() == 1) cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
  else if (m.channels() == 3) cv::cvtColor(m, out, cv::COLOR_RGB2BGR);
  else if (m.channels() == 4) cv::cvtColor(m, out, cv::COLOR_RGBA2BGR);
  else out = cv::Mat(m.size(), CV_8UC3, cv::Scalar::all(0));
  return out;
}

}  // namespace

cv::Mat contact_sheet(const DatasetView& data, const SheetOptions& o) {
  const auto& classes = data.classes();
  int h0, w0, c0;
  data.common_shape(&h0, &w0, &c0);
  int cell = o.cell;
  int magnify = 0;
  if (cell <= 0) {
    if (h0 > 0 && std::max(h0, w0) <= 64) {
      magnify = std::max(1, 64 / std::max(h0, w0));
      cell = std::max(h0, w0) * magnify;
    } else {
      cell = 72;
    }
  }
  std::vector<std::vector<size_t>> by_class(classes.size());
  for (size_t i = 0; i < data.size(); ++i) by_class[data.label(i)].push_back(i);
  Rng rng = rng_for(o.seed, 0x5a3e);
  int per = std::max(1, o.per_class);
  std::vector<std::vector<size_t>> picked(classes.size());
  for (size_t c = 0; c < classes.size(); ++c) {
    std::vector<size_t> members = by_class[c];
    shuffle(members, rng);
    if (members.size() > static_cast<size_t>(per)) members.resize(per);
    std::sort(members.begin(), members.end());
    picked[c] = members;
  }

  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const double name_scale = 0.5, small_scale = 0.38;
  int label_w = 60, baseline = 0;
  for (size_t c = 0; c < classes.size(); ++c) {
    label_w = std::max(label_w, cv::getTextSize(classes[c], font, name_scale, 1, &baseline).width);
    label_w = std::max(label_w, cv::getTextSize("n=" + std::to_string(by_class[c].size()), font, small_scale, 1,
                                                &baseline).width);
  }
  label_w = std::min(label_w, 240) + 12;
  int cell_h = cell;
  int cols = per;
  int title_h = o.title.empty() ? 0 : 26;
  int width = 2 * kMargin + label_w + cols * (cell + kGap);
  int title_w = o.title.empty() ? 0 : cv::getTextSize(o.title, font, name_scale, 1, &baseline).width + 2 * kMargin;
  width = std::max(width, title_w);
  int rows = std::max<int>(1, static_cast<int>(classes.size()));
  int height = 2 * kMargin + title_h + rows * (cell_h + kGap);
  cv::Mat sheet(height, width, CV_8UC3, kBackground);
  if (!o.title.empty()) cv::putText(sheet, o.title, {kMargin, kMargin + 14}, font, name_scale, kText, 1, cv::LINE_AA);
  if (classes.empty() || data.size() == 0)
    cv::putText(sheet, "(no samples)", {kMargin, kMargin + title_h + 20}, font, name_scale, kDim, 1, cv::LINE_AA);

  for (size_t c = 0; c < classes.size(); ++c) {
    int top = kMargin + title_h + static_cast<int>(c) * (cell_h + kGap);
    std::string name = classes[c];
    while (name.size() > 1 && cv::getTextSize(name, font, name_scale, 1, &baseline).width > label_w - 12) name.pop_back();
    cv::putText(sheet, name, {kMargin, top + cell_h / 2}, font, name_scale, kText, 1, cv::LINE_AA);
    cv::putText(sheet, "n=" + std::to_string(by_class[c].size()), {kMargin, top + cell_h / 2 + 16}, font, small_scale,
                kDim, 1, cv::LINE_AA);
    for (size_t k = 0; k < picked[c].size(); ++k) {
      size_t i = picked[c][k];
      int left = kMargin + label_w + static_cast<int>(k) * (cell + kGap);
      cv::Mat stored(data.height(i), data.width(i), CV_8UC(std::max(1, data.channels(i))),
                     const_cast<uint8_t*>(data.pixels(i)));
      if (o.transform && !stored.empty()) {
        cv::Mat transformed(stored.size(), stored.type());
        o.transform(stored.data, stored.rows, stored.cols, stored.channels(), transformed.data, rng);
        stored = transformed;
      }
      cv::Mat img = to_bgr(stored);
      if (img.empty()) continue;
      cv::Mat shown;
      if (magnify > 0) {
        cv::resize(img, shown, cv::Size(), magnify, magnify, cv::INTER_NEAREST);
      } else {
        double s = std::min(static_cast<double>(cell) / img.cols, static_cast<double>(cell_h) / img.rows);
        cv::Size to(std::max(1, static_cast<int>(img.cols * s)), std::max(1, static_cast<int>(img.rows * s)));
        cv::resize(img, shown, to, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_NEAREST);
      }
      int x = left + (cell - shown.cols) / 2, y = top + (cell_h - shown.rows) / 2;
      shown.copyTo(sheet(cv::Rect(x, y, shown.cols, shown.rows)));
      cv::rectangle(sheet, cv::Rect(x - 1, y - 1, shown.cols + 2, shown.rows + 2), kFrame, 1);
    }
  }
  return sheet;
}

void write_png(const std::string& file, const cv::Mat& image) {
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", image, bytes)) throw Error("cannot encode the PNG").at(file);
  std::string tmp = file + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw Error("cannot create the file").at(file);
  ::fchmod(fd, 0644);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("cannot write the file").at(file);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error("cannot rename the file into place").at(file);
  }
}

}  // namespace pipe::image
