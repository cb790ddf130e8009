// Perceptual de-duplication: the indexed search finds exactly the duplicates,
// in the same order and against the same kept images, as comparing every
// hash with every kept one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "stages/image/dedup.h"

using namespace pipe::image;

namespace {

// Clusters of near-copies: each centre is random, each member flips up to
// `spread` random bits of it; members of all clusters are shuffled together.
std::vector<uint64_t> clustered_hashes(size_t clusters, int spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> out;
  for (size_t c = 0; c < clusters; ++c) {
    uint64_t centre = rng();
    int members = 1 + static_cast<int>(rng() % 5);
    for (int m = 0; m < members; ++m) {
      uint64_t h = centre;
      int flips = static_cast<int>(rng() % (spread + 1));
      for (int f = 0; f < flips; ++f) h ^= 1ull << (rng() % 64);
      out.push_back(h);
    }
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

std::vector<std::pair<size_t, size_t>> pairs(const std::vector<Duplicate>& dups) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const auto& d : dups) out.emplace_back(d.removed, d.kept);
  return out;
}

}  // namespace

TEST_CASE("indexed near-duplicate search equals the all-pairs loop", "[dedup]") {
  for (int distance = 0; distance <= kMaxIndexedDistance + 2; ++distance) {
    for (uint64_t seed : {1, 2, 3}) {
      std::vector<uint64_t> hashes = clustered_hashes(600, 2 * distance + 2, seed * 100 + distance);
      std::vector<Duplicate> reference = near_duplicates_all_pairs(hashes, distance);
      INFO("distance " << distance << ", seed " << seed << ", " << hashes.size() << " hashes");
      CHECK(reference.size() > hashes.size() / 10);  // the data has duplicates to find
      CHECK(pairs(near_duplicates(hashes, distance)) == pairs(reference));
    }
  }
}

TEST_CASE("near-duplicate search: hashes alike in most bands, exact copies, the earliest kept wins", "[dedup]") {
  // Hashes that differ only in their low byte share every other band value.
  std::vector<uint64_t> hashes;
  for (uint64_t low = 0; low < 256; ++low) hashes.push_back(0xABCDEF0123456700ull | low);
  hashes.push_back(hashes[5]);
  for (int distance : {0, 1, 3, 8}) {
    INFO("distance " << distance);
    CHECK(pairs(near_duplicates(hashes, distance)) == pairs(near_duplicates_all_pairs(hashes, distance)));
  }
  CHECK(pairs(near_duplicates(hashes, 0)) == std::vector<std::pair<size_t, size_t>>{{256, 5}});
  // 0b0011 is within 2 of both kept hashes; the earlier one is named.
  CHECK(pairs(near_duplicates({0, 0b1111, 0b0011}, 2)) == std::vector<std::pair<size_t, size_t>>{{2, 0}});
  CHECK(pairs(near_duplicates({0b1111, 0, 0b0011}, 2)) == std::vector<std::pair<size_t, size_t>>{{2, 0}});
  CHECK(near_duplicates({}, 4).empty());
  CHECK(pairs(near_duplicates({7, ~7ull}, 64)) == std::vector<std::pair<size_t, size_t>>{{1, 0}});
}
