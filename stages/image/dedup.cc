#include "stages/image/dedup.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include <opencv2/img_hash.hpp>

#include "stages/image/parallel.h"

namespace pipe::image {

namespace {

int distance_between(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

std::vector<Duplicate> exact_duplicates(const std::vector<cv::Mat>& images) {
  std::vector<Duplicate> dups;
  std::unordered_map<size_t, std::vector<size_t>> seen;
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat& m = images[i];
    size_t bytes = m.total() * m.elemSize();
    std::string_view view(reinterpret_cast<const char*>(m.data), bytes);
    size_t h = std::hash<std::string_view>()(view) ^ (static_cast<size_t>(m.rows) * 0x9E3779B97F4A7C15ull + m.cols);
    auto& bucket = seen[h];
    bool dup = false;
    for (size_t j : bucket) {
      const cv::Mat& o = images[j];
      if (o.rows == m.rows && o.cols == m.cols && o.type() == m.type() && std::memcmp(o.data, m.data, bytes) == 0) {
        dups.push_back({i, j});
        dup = true;
        break;
      }
    }
    if (!dup) bucket.push_back(i);
  }
  return dups;
}

// The 64 bits cut into `count` bands as even as can be (lowest bits first).
struct Bands {
  std::vector<int> shift, bits;
  explicit Bands(int count) {
    for (int b = 0, at = 0; b < count; ++b) {
      shift.push_back(at);
      bits.push_back(64 / count + (b < 64 % count ? 1 : 0));
      at += bits.back();
    }
  }
  int count() const { return static_cast<int>(bits.size()); }
  uint32_t of(uint64_t hash, int b) const { return static_cast<uint32_t>((hash >> shift[b]) & ((1ull << bits[b]) - 1)); }
};

// Every mask of `bits` bits with at most `radius` set: the band values within
// `radius` of a value v are v ^ mask.
std::vector<uint32_t> masks_within(int bits, int radius) {
  std::vector<uint32_t> out;
  for (uint32_t m = 0; m < (1u << bits); ++m)
    if (__builtin_popcount(m) <= radius) out.push_back(m);
  return out;
}

double choose(int n, int k) {
  double c = 1;
  for (int i = 0; i < k; ++i) c = c * (n - i) / (i + 1);
  return c;
}

// The band count for n hashes at `distance`: more bands make each probe
// cheaper and buckets fuller, fewer bands need more probes per band (every
// value within distance / bands bits).  Estimated cost per hash: probes ×
// (a lookup, dearer once the band's table leaves the cache, + the bucket).
int band_count(size_t n, int distance) {
  int best = 4;
  double best_cost = 1e300;
  for (int count = 4; count <= std::max(4, std::min(distance + 1, 16)); ++count) {
    Bands bands(count);
    int radius = distance / count, bits = bands.bits[0];
    double probes = 0;
    for (int k = 0; k <= radius; ++k) probes += choose(bits, k);
    double cost = count * probes * ((bits > 12 ? 32 : 4) + n / std::ldexp(1.0, bands.bits.back()));
    if (cost < best_cost) {
      best_cost = cost;
      best = count;
    }
  }
  return best;
}

}  // namespace

uint64_t perceptual_hash(const cv::Mat& image) {
  thread_local cv::Ptr<cv::img_hash::PHash> hasher = cv::img_hash::PHash::create();
  cv::Mat h;
  hasher->compute(image, h);
  uint64_t v = 0;
  std::memcpy(&v, h.data, std::min<size_t>(8, h.total()));
  return v;
}

std::vector<Duplicate> near_duplicates_all_pairs(const std::vector<uint64_t>& hashes, int distance) {
  std::vector<Duplicate> dups;
  std::vector<size_t> kept;
  for (size_t i = 0; i < hashes.size(); ++i) {
    auto match = std::find_if(kept.begin(), kept.end(),
                              [&](size_t j) { return distance_between(hashes[i], hashes[j]) <= distance; });
    if (match != kept.end()) dups.push_back({i, *match});
    else kept.push_back(i);
  }
  return dups;
}

std::vector<Duplicate> near_duplicates(const std::vector<uint64_t>& hashes, int distance) {
  const size_t n = hashes.size();
  if (distance > kMaxIndexedDistance || n >= UINT32_MAX) return near_duplicates_all_pairs(hashes, distance);
  distance = std::max(0, distance);
  const Bands bands(band_count(n, distance));
  // Every hash filed under each of its band values, in index order, laid out
  // flat (band b, value v: filed[b][first[b][v] .. first[b][v + 1])): a few
  // contiguous reads per probe.  A filed hash counts once it is kept.
  struct Entry {
    uint64_t hash;
    uint32_t index;
  };
  std::vector<std::vector<uint32_t>> first(bands.count());
  std::vector<std::vector<Entry>> filed(bands.count(), std::vector<Entry>(n));
  std::vector<std::vector<uint32_t>> probes(bands.count());
  for (int b = 0; b < bands.count(); ++b) {
    std::vector<uint32_t>& f = first[b];
    f.assign((size_t(1) << bands.bits[b]) + 1, 0);
    for (uint64_t h : hashes) ++f[bands.of(h, b) + 1];
    for (size_t v = 0; v + 1 < f.size(); ++v) f[v + 1] += f[v];
    std::vector<uint32_t> fill(f.begin(), f.end() - 1);
    for (size_t i = 0; i < n; ++i) filed[b][fill[bands.of(hashes[i], b)]++] = {hashes[i], static_cast<uint32_t>(i)};
    probes[b] = masks_within(bands.bits[b], distance / bands.count());
  }
  std::vector<uint8_t> kept(n, 0);
  std::vector<Duplicate> dups;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = hashes[i];
    size_t match = i;  // only earlier hashes can match; once one does, only earlier ones than it
    for (int b = 0; b < bands.count(); ++b) {
      const uint32_t* f = first[b].data();
      const Entry* e = filed[b].data();
      for (uint32_t probe : probes[b]) {
        const uint32_t v = bands.of(h, b) ^ probe;
        for (uint32_t k = f[v]; k < f[v + 1] && e[k].index < match; ++k)
          if (kept[e[k].index] && distance_between(h, e[k].hash) <= distance) {
            match = e[k].index;
            break;
          }
      }
    }
    if (match != i) dups.push_back({i, match});
    else kept[i] = 1;
  }
  return dups;
}

std::vector<Duplicate> find_duplicates(const std::vector<cv::Mat>& images, const std::string& mode, int distance,
                                       int threads) {
  if (mode == "none") return {};
  if (mode == "exact") return exact_duplicates(images);
  std::vector<uint64_t> hashes(images.size());
  parallel_for(images.size(), threads, [&](size_t i) { hashes[i] = perceptual_hash(images[i]); });
  return near_duplicates(hashes, distance);
}

}  // namespace pipe::image
