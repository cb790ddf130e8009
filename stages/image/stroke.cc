#include "stages/image/stroke.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace pipe::image {

namespace {

// deletable[iter][code]: may the centre pixel go in sub-iteration `iter`,
// given its 8 neighbours as bits p2..p9 (N, NE, E, SE, S, SW, W, NW)?
struct ZhangSuenTable {
  std::array<std::array<uint8_t, 256>, 2> deletable{};
  std::array<uint8_t, 256> sparse{};  // at most 3 ink neighbours
  ZhangSuenTable() {
    for (int code = 0; code < 256; ++code) {
      int bits = 0;
      for (int k = 0; k < 8; ++k) bits += (code >> k) & 1;
      sparse[code] = bits <= 3;
    }
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

}  // namespace

namespace {

// Thins the 0/1 image `img` in place (Zhang–Suen).  Zhang–Suen erases small
// blobs (a 2×2 block) completely; with `keep_blobs` one pixel of such a blob
// stays, so the dot of an i or an Arabic letter survives.
void thin_binary(cv::Mat& img, bool keep_blobs = false) {
  static const ZhangSuenTable table;
  const int rows = img.rows, cols = img.cols;
  if (rows < 3 || cols < 3) return;
  uint8_t* d = img.ptr<uint8_t>(0);
  const int step = static_cast<int>(img.step[0]);
  const int n = -step, s = step;
  auto code_at = [d, n, s](int i) {
    const uint8_t* p = d + i;
    return p[n] | p[n + 1] << 1 | p[1] << 2 | p[s + 1] << 3 | p[s] << 4 | p[s - 1] << 5 | p[-1] << 6 |
           p[n - 1] << 7;
  };
  // Scratch reused by each thread: clean thins every image.  Every list
  // holds distinct ink pixels (the `held` flags see to it), so rows × step
  // entries always suffice.
  thread_local std::vector<uint8_t> held_buffer;
  thread_local std::vector<int> lists;
  const size_t area = static_cast<size_t>(rows) * step;
  held_buffer.assign(area, 0);
  if (lists.size() < 3 * area) lists.resize(3 * area);
  uint8_t* held = held_buffer.data();  // a candidate, or on the border (never removed)
  int* candidates = lists.data();
  int* next = candidates + area;
  int* removed = next + area;
  thread_local std::vector<uint8_t> sparse_buffer;
  if (sparse_buffer.size() < area) sparse_buffer.resize(area);
  uint8_t* sparse = sparse_buffer.data();  // removed pixel r had ≤ 3 ink neighbours
  for (int x = 0; x < cols; ++x) held[x] = held[(rows - 1) * step + x] = 1;
  for (int y = 0; y < rows; ++y) held[y * step] = held[y * step + cols - 1] = 1;
  // Candidates: interior ink pixels that touch the background.
  size_t n_candidates = 0;
  for (int y = 1; y < rows - 1; ++y)
    for (int x = 1; x < cols - 1; ++x) {
      int i = y * step + x;
      if (d[i] && code_at(i) != 0xFF) {
        candidates[n_candidates++] = i;
        held[i] = 1;
      }
    }
  // Branch-free appends: whether a pixel goes is data, not control flow
  // (the branches would mispredict about half the time).
  const int around[8] = {n, n + 1, 1, s + 1, s, s - 1, -1, n - 1};
  std::vector<int> blob;
  int quiet = 0;  // consecutive sub-iterations that removed nothing
  for (int iter = 0; quiet < 2; iter ^= 1) {
    const uint8_t* deletable = table.deletable[iter].data();
    size_t n_removed = 0;
    for (size_t c = 0; c < n_candidates; ++c) {
      int i = candidates[c];
      int code = code_at(i);
      removed[n_removed] = i;
      sparse[n_removed] = table.sparse[code];
      n_removed += deletable[code];
    }
    if (n_removed == 0) {
      ++quiet;
      continue;
    }
    quiet = 0;
    if (keep_blobs) {
      // Mark the doomed pixels 2; a doomed cluster with no surviving
      // neighbour is a whole blob: keep its first pixel.
      for (size_t r = 0; r < n_removed; ++r) d[removed[r]] = 2;
      for (size_t r = 0; r < n_removed; ++r) {
        int i = removed[r];
        // A blob that vanishes in one step is tiny (a 2×2 block): its
        // pixels have at most 3 ink neighbours.
        if (!sparse[r] || d[i] != 2) continue;
        bool survives = false;
        for (int j : around) survives |= d[i + j] == 1;
        if (survives) continue;
        // Walk the doomed cluster (marking it 3) looking for a survivor.
        blob.assign(1, i);
        d[i] = 3;
        for (size_t b = 0; b < blob.size() && !survives; ++b)
          for (int j : around) {
            int k = blob[b] + j;
            if (d[k] == 1) survives = true;
            else if (d[k] == 2) {
              d[k] = 3;
              blob.push_back(k);
            }
          }
        for (int k : blob) d[k] = 2;
        if (!survives) {
          d[i] = 1;  // the blob keeps this pixel
          for (int k : blob)
            if (k != i) d[k] = 4;  // handled: goes, without being checked again
        }
      }
      for (size_t r = 0; r < n_removed; ++r) d[removed[r]] = d[removed[r]] == 1;
    } else {
      for (size_t r = 0; r < n_removed; ++r) d[removed[r]] = 0;
    }
    size_t n_next = 0;
    for (size_t c = 0; c < n_candidates; ++c) {
      int i = candidates[c];
      next[n_next] = i;
      n_next += d[i];
      held[i] = d[i];
    }
    for (size_t r = 0; r < n_removed; ++r)
      for (int j : around) {
        int k = removed[r] + j;
        int take = d[k] & (held[k] ^ 1);
        next[n_next] = k;
        held[k] |= take;
        n_next += take;
      }
    std::swap(candidates, next);
    n_candidates = n_next;
  }
}

}  // namespace

cv::Mat thin(const cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8UC1);
  cv::Mat img;
  cv::threshold(mask, img, 127, 1, cv::THRESH_BINARY);  // 0/1, like ximgproc's src / 255
  thin_binary(img);
  img *= 255;
  return img;
}

namespace {

// The ink of `gray` as a 0/1 image framed by one background pixel: Zhang–Suen
// never removes border pixels, and the frame keeps ink that touches the edge
// (as a cropped glyph does) from leaving a skeleton along the edge.
cv::Mat framed_ink(const cv::Mat& gray, int threshold, bool dark_ink) {
  cv::Mat img(gray.rows + 2, gray.cols + 2, CV_8UC1, cv::Scalar(0));
  cv::Mat inner = img(cv::Rect(1, 1, gray.cols, gray.rows));
  if (threshold < 0)
    cv::threshold(gray, inner, 0, 1, (dark_ink ? cv::THRESH_BINARY_INV : cv::THRESH_BINARY) | cv::THRESH_OTSU);
  else if (dark_ink)
    cv::threshold(gray, inner, 254 - threshold, 1, cv::THRESH_BINARY_INV);
  else
    cv::threshold(gray, inner, threshold, 1, cv::THRESH_BINARY);
  return img;
}

// Mean stroke width from the ink's area and its framed, thinned skeleton.
double width_from_skeleton(const cv::Mat& skeleton, double area) {
  // Skeleton length along its links (diagonal steps count √2, except where
  // an orthogonal path already joins the two pixels), and its end points.
  // The frame is background, so every skeleton pixel has 8 neighbours.
  const double diagonal = std::sqrt(2.0);
  const ptrdiff_t step = static_cast<ptrdiff_t>(skeleton.step[0]);
  double length = 0;
  int ends = 0, pixels = 0;
  for (int y = 1; y < skeleton.rows - 1; ++y) {
    const uint8_t* row = skeleton.ptr<uint8_t>(y);
    for (int x = 1; x < skeleton.cols - 1; ++x) {
      const uint8_t* p = row + x;
      if (!*p) continue;
      ++pixels;
      const uint8_t* up = p - step;
      const uint8_t* down = p + step;
      bool e = p[1] != 0, s = down[0] != 0, w = p[-1] != 0;
      int neighbours = (up[-1] != 0) + (up[0] != 0) + (up[1] != 0) + w + e + (down[-1] != 0) + s + (down[1] != 0);
      ends += neighbours <= 1;
      // Links to the right and downward, each counted once.
      length += e + s;
      if (down[1] && !e && !s) length += diagonal;
      if (down[-1] && !w && !s) length += diagonal;
    }
  }
  if (pixels == 1) return std::sqrt(area);  // a dot
  // Thinning shortens each stroke by about half the width at each end:
  // area ≈ w · length + ends · w² / 2.
  if (ends == 0 || length <= 0) return length > 0 ? area / length : 0;
  double e = ends / 2.0;
  return (-length + std::sqrt(length * length + 4 * e * area)) / (2 * e);
}

// The pixels of a framed skeleton, in row order, in the unframed image's coordinates.
std::vector<cv::Point> points_of(const cv::Mat& skeleton) {
  std::vector<cv::Point> points;
  points.reserve(static_cast<size_t>(skeleton.rows + skeleton.cols) * 4);
  for (int y = 1; y < skeleton.rows - 1; ++y) {
    const uint8_t* row = skeleton.ptr<uint8_t>(y);
    const uint8_t* end = row + skeleton.cols;
    // Skip runs of background a machine word at a time.
    for (const uint8_t* p = row; p < end;) {
      if (p + 8 <= end) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        if (word == 0) {
          p += 8;
          continue;
        }
      }
      if (*p) points.emplace_back(static_cast<int>(p - row) - 1, y - 1);
      ++p;
    }
  }
  return points;
}

// The mean stroke width of the ink of `gray` (pixels above `threshold`,
// Otsu's when negative; 0 when flat or without ink), and in *skeleton the
// framed skeleton it was measured on.
double measure_stroke(const cv::Mat& gray, int threshold, cv::Mat* skeleton) {
  double lo, hi;
  cv::minMaxLoc(gray, &lo, &hi);
  if (hi - lo < 16) return 0;
  *skeleton = framed_ink(gray, threshold, false);
  double area = cv::countNonZero(*skeleton);
  if (area == 0) return 0;
  thin_binary(*skeleton, true);
  return width_from_skeleton(*skeleton, area);
}

}  // namespace

double stroke_width(const cv::Mat& gray) {
  CV_Assert(gray.type() == CV_8UC1);
  cv::Mat skeleton;
  return measure_stroke(gray, -1, &skeleton);
}

std::vector<cv::Point> skeleton_points(const cv::Mat& gray, int threshold, bool dark_ink) {
  CV_Assert(gray.type() == CV_8UC1);
  cv::Mat img = framed_ink(gray, threshold, dark_ink);
  thin_binary(img, true);
  return points_of(img);
}

namespace {

// The pen's coverage of the pixels around a centre, precomputed for centres
// at 1/kSub-pixel offsets: drawing is then a max over a small stamp.
constexpr int kSub = 8;

struct PenStamps {
  double width = -1;
  int reach = 0, side = 0;
  std::vector<uint8_t> cover;  // [sub_y][sub_x][side × side]

  void build(double w) {
    width = w;
    const float r = static_cast<float>(w / 2), outer = r + 0.5f;  // coverage reaches 0 at r + 0.5
    reach = static_cast<int>(std::ceil(outer));
    side = 2 * reach + 1;
    cover.assign(static_cast<size_t>(kSub) * kSub * side * side, 0);
    for (int sy = 0; sy < kSub; ++sy)
      for (int sx = 0; sx < kSub; ++sx) {
        // The centre sits at (sx + 0.5) / kSub inside pixel (reach, reach).
        float cx = reach + (sx + 0.5f) / kSub, cy = reach + (sy + 0.5f) / kSub;
        uint8_t* out = &cover[(static_cast<size_t>(sy) * kSub + sx) * side * side];
        for (int y = 0; y < side; ++y)
          for (int x = 0; x < side; ++x) {
            float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
            float c = std::clamp(outer - std::sqrt(dx * dx + dy * dy), 0.0f, 1.0f);
            out[y * side + x] = static_cast<uint8_t>(c * 255.0f + 0.5f);
          }
      }
  }
};

}  // namespace

void draw_pen(cv::Mat& canvas, const std::vector<cv::Point2f>& centres, double width) {
  CV_Assert(canvas.type() == CV_8UC1);
  thread_local PenStamps pen;
  if (pen.width != width) pen.build(width);
  const int reach = pen.reach, side = pen.side;
  for (const auto& c : centres) {
    // Pixel (x, y) covers [x, x+1) × [y, y+1).
    int px = static_cast<int>(std::floor(c.x)), py = static_cast<int>(std::floor(c.y));
    int sx = std::clamp(static_cast<int>((c.x - px) * kSub), 0, kSub - 1);
    int sy = std::clamp(static_cast<int>((c.y - py) * kSub), 0, kSub - 1);
    const uint8_t* stamp = &pen.cover[(static_cast<size_t>(sy) * kSub + sx) * side * side];
    int x0 = px - reach, y0 = py - reach;
    int ya = std::max(0, -y0), yb = std::min(side, canvas.rows - y0);
    int xa = std::max(0, -x0), xb = std::min(side, canvas.cols - x0);
    for (int y = ya; y < yb; ++y) {
      uint8_t* row = canvas.ptr<uint8_t>(y0 + y) + x0;
      const uint8_t* s = stamp + y * side;
      for (int x = xa; x < xb; ++x) row[x] = std::max(row[x], s[x]);
    }
  }
}

namespace {

// A black image of `size` with the pen `width` wide drawn through the centres
// of the skeleton pixels.
cv::Mat pen_along(const std::vector<cv::Point>& skeleton, cv::Size size, double width) {
  std::vector<cv::Point2f> centres;
  centres.reserve(skeleton.size());
  for (const auto& p : skeleton) centres.emplace_back(p.x + 0.5f, p.y + 0.5f);
  cv::Mat out = cv::Mat::zeros(size, CV_8UC1);
  draw_pen(out, centres, width);
  return out;
}

}  // namespace

cv::Mat redraw_strokes(const cv::Mat& gray, double width, int threshold) {
  return pen_along(skeleton_points(gray, threshold), gray.size(), width);
}

cv::Mat set_stroke_width(const cv::Mat& gray, double width, int threshold) {
  CV_Assert(gray.type() == CV_8UC1);
  cv::Mat mask;
  if (threshold < 0) cv::threshold(gray, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  else cv::threshold(gray, mask, threshold, 255, cv::THRESH_BINARY);
  // stroke_width(mask), keeping the skeleton for the erosion below (on a 0/255
  // mask Otsu's threshold picks the 255s, as 127 does).
  cv::Mat skeleton;
  double measured = measure_stroke(mask, 127, &skeleton);
  // A disc of radius r changes the width by 2r.  A fractional radius blends
  // the two whole ones, so the mean width lands on the target rather than
  // on the nearest whole step.
  const double radius = std::fabs(width - measured) / 2;
  if (measured <= 0 || radius < 1.0 / 16) return mask;  // within a sixteenth: unchanged
  const bool thicken = width > measured;
  auto by_disc = [&](int r) {
    if (r == 0) return mask;
    cv::Mat disc = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)), out;
    if (thicken) cv::dilate(mask, out, disc);
    else cv::erode(mask, out, disc);
    return out;
  };
  const int whole = static_cast<int>(radius);
  const double fraction = radius - whole;
  cv::Mat out;
  if (fraction < 1.0 / 16) out = by_disc(whole);
  else if (fraction > 15.0 / 16) out = by_disc(whole + 1);
  else cv::addWeighted(by_disc(whole), 1 - fraction, by_disc(whole + 1), fraction, 0, out);
  if (thicken) return out;
  cv::Mat pen = pen_along(points_of(skeleton), mask.size(), width);
  cv::threshold(pen, pen, 127, 255, cv::THRESH_BINARY);
  cv::max(out, pen, out);
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
