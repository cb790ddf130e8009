#include "stages/image/stroke.h"

#include <array>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace pipe::image {

namespace {

// deletable[iter][code]: may the centre pixel go in sub-iteration `iter`,
// given its 8 neighbours as bits p2..p9 (N, NE, E, SE, S, SW, W, NW)?
struct ZhangSuenTable {
  std::array<std::array<uint8_t, 256>, 2> deletable{};
  ZhangSuenTable() {
    for (int iter = 0; iter < 2; ++iter)
      for (int code = 0; code < 256; ++code) {
        int p[10];
        for (int k = 0; k < 8; ++k) p[k + 2] = (code >> k) & 1;
        int a = (p[2] == 0 && p[3] == 1) + (p[3] == 0 && p[4] == 1) + (p[4] == 0 && p[5] == 1) +
                (p[5] == 0 && p[6] == 1) + (p[6] == 0 && p[7] == 1) + (p[7] == 0 && p[8] == 1) +
                (p[8] == 0 && p[9] == 1) + (p[9] == 0 && p[2] == 1);
        int b = p[2] + p[3] + p[4] + p[5] + p[6] + p[7] + p[8] + p[9];
        int m1 = iter == 0 ? p[2] * p[4] * p[6] : p[2] * p[4] * p[8];
        int m2 = iter == 0 ? p[4] * p[6] * p[8] : p[2] * p[6] * p[8];
        deletable[iter][code] = a == 1 && b >= 2 && b <= 6 && m1 == 0 && m2 == 0;
      }
  }
};

cv::Mat ink_mask(const cv::Mat& gray, int threshold) {
  cv::Mat mask;
  if (threshold >= 0) cv::threshold(gray, mask, threshold, 255, cv::THRESH_BINARY);
  else cv::threshold(gray, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  return mask;
}

}  // namespace

cv::Mat thin(const cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8UC1);
  static const ZhangSuenTable table;
  const int rows = mask.rows, cols = mask.cols;
  cv::Mat img;
  cv::threshold(mask, img, 127, 1, cv::THRESH_BINARY);  // 0/1, like ximgproc's src / 255
  if (rows >= 3 && cols >= 3) {
    uint8_t* d = img.ptr<uint8_t>(0);
    const int step = static_cast<int>(img.step[0]);
    const int n = -step, s = step;
    auto code_at = [d, n, s](int i) {
      const uint8_t* p = d + i;
      return p[n] | p[n + 1] << 1 | p[1] << 2 | p[s + 1] << 3 | p[s] << 4 | p[s - 1] << 5 | p[-1] << 6 |
             p[n - 1] << 7;
    };
    // held[i]: i is a candidate, or on the image border (never removed).
    std::vector<uint8_t> held(static_cast<size_t>(rows) * step, 0);
    for (int x = 0; x < cols; ++x) held[x] = held[static_cast<size_t>(rows - 1) * step + x] = 1;
    for (int y = 0; y < rows; ++y) held[static_cast<size_t>(y) * step] = held[static_cast<size_t>(y) * step + cols - 1] = 1;
    // Candidates: interior ink pixels that touch the background.
    std::vector<int> candidates, next, removed;
    for (int y = 1; y < rows - 1; ++y)
      for (int x = 1; x < cols - 1; ++x) {
        int i = y * step + x;
        if (d[i] && code_at(i) != 0xFF) {
          candidates.push_back(i);
          held[i] = 1;
        }
      }
    // Branch-free appends: whether a pixel goes is data, not control flow
    // (the branches would mispredict about half the time).
    const int around[8] = {n, n + 1, 1, s + 1, s, s - 1, -1, n - 1};
    int quiet = 0;  // consecutive sub-iterations that removed nothing
    for (int iter = 0; quiet < 2; iter ^= 1) {
      const uint8_t* deletable = table.deletable[iter].data();
      removed.resize(candidates.size());
      size_t count = 0;
      for (int i : candidates) {
        removed[count] = i;
        count += deletable[code_at(i)];
      }
      removed.resize(count);
      if (removed.empty()) {
        ++quiet;
        continue;
      }
      quiet = 0;
      for (int i : removed) d[i] = 0;
      next.resize(candidates.size() + 8 * removed.size());
      count = 0;
      for (int i : candidates) {
        next[count] = i;
        count += d[i];
        held[i] = d[i];
      }
      for (int i : removed)
        for (int j : around) {
          int k = i + j;
          int take = d[k] & (held[k] ^ 1);
          next[count] = k;
          held[k] |= take;
          count += take;
        }
      next.resize(count);
      candidates.swap(next);
    }
  }
  img *= 255;
  return img;
}

double stroke_width(const cv::Mat& gray) {
  CV_Assert(gray.type() == CV_8UC1);
  double lo, hi;
  cv::minMaxLoc(gray, &lo, &hi);
  if (hi - lo < 16) return 0;
  cv::Mat mask = ink_mask(gray, -1);
  int area = cv::countNonZero(mask);
  if (area == 0) return 0;
  cv::Mat skeleton;
  skeleton = thin(mask);
  int length = cv::countNonZero(skeleton);
  return length > 0 ? static_cast<double>(area) / length : 0;
}

cv::Mat redraw_strokes(const cv::Mat& gray, double width, int threshold) {
  CV_Assert(gray.type() == CV_8UC1);
  cv::Mat mask = ink_mask(gray, threshold);
  if (cv::countNonZero(mask) == 0) return cv::Mat::zeros(gray.size(), CV_8UC1);
  cv::Mat skeleton;
  skeleton = thin(mask);
  // A round pen: dilation by a disc whose diameter is the odd number
  // nearest to `width`, so it stays centred on the skeleton.
  int d = 2 * static_cast<int>(std::lround(std::max(0.0, (width - 1) / 2))) + 1;
  if (d <= 1) return skeleton;
  cv::Mat pen = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(d, d));
  cv::Mat out;
  cv::dilate(skeleton, out, pen);
  return out;
}

cv::Mat adjust_stroke(const cv::Mat& img, double amount) {
  if (amount == 0) return img.clone();
  // One dilation/erosion by a 3×3 cross changes the width by 2 pixels.
  double steps = std::fabs(amount) / 2.0;
  int whole = static_cast<int>(std::floor(steps));
  double frac = steps - whole;
  cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
  auto step = [&](const cv::Mat& in) {
    cv::Mat out;
    if (amount > 0) cv::dilate(in, out, cross);
    else cv::erode(in, out, cross);
    return out;
  };
  cv::Mat a = img;
  for (int i = 0; i < whole; ++i) a = step(a);
  if (frac <= 1e-9) return a.clone();
  cv::Mat b = step(a), out;
  cv::addWeighted(a, 1.0 - frac, b, frac, 0.0, out);
  return out;
}

}  // namespace pipe::image
