// dedup — which images of a dataset to drop as duplicates of earlier ones.
//
// Images are taken in order: one that duplicates an image kept before it is
// dropped, recorded against the earliest such kept image; otherwise it is
// kept.  Two modes:
//   exact       same shape, type and bytes (a hash of the bytes finds candidates)
//   perceptual  64-bit pHashes (OpenCV img_hash) within Hamming distance `distance`
//
// Perceptual matching is indexed (multi-index hashing), so 100,000 images
// cost seconds at most, not the half a minute of 10^10 / 2 comparisons
// (bench/image_bench.cc --case dedup): the 64 bits
// are cut into m bands (m ≥ 4, chosen by the number of hashes and the
// distance), and two hashes within distance d differ in at most d / m bits
// (rounded down) in at least one band (pigeonhole).  Every hash is filed
// under each of its band values; a new hash is checked in full only against
// the earlier kept hashes filed under band values within d / m bits of its
// own, and the earliest match over all of them is the earliest match overall:
// the result is exactly that of comparing with every kept hash in order
// (near_duplicates_all_pairs, the definition).  Above kMaxIndexedDistance the
// probes outnumber the comparisons they save and the plain loop is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace pipe::image {

struct Duplicate {
  size_t removed;  // index in the input dataset
  size_t kept;     // the earlier sample it duplicates
};

// mode: none | exact | perceptual.  pHashes are computed on `threads` threads.
std::vector<Duplicate> find_duplicates(const std::vector<cv::Mat>& images, const std::string& mode, int distance,
                                       int threads = 1);

// The 64-bit pHash of an image.
uint64_t perceptual_hash(const cv::Mat& image);

constexpr int kMaxIndexedDistance = 11;

// Perceptual de-duplication of precomputed hashes: indexed, same result as
// near_duplicates_all_pairs.
std::vector<Duplicate> near_duplicates(const std::vector<uint64_t>& hashes, int distance);
// Each hash against every kept one, in order.
std::vector<Duplicate> near_duplicates_all_pairs(const std::vector<uint64_t>& hashes, int distance);

}  // namespace pipe::image
