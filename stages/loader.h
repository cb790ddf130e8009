// BatchLoader — turns uint8 HWC images into the float NCHW batches the net
// reads, on a background thread, one batch ahead of the net (double
// buffering: while the net computes on one buffer the loader fills the
// other).  Per sample it applies the online augmentation, if any, then the
// normalisation.  Buffers are allocated once; an epoch allocates nothing.
//
// Augmentation is deterministic: sample at position p of an epoch draws from
// its own generator seeded by (epoch seed, p), so the batches of an epoch do
// not depend on thread timing, and a resumed epoch repeats exactly.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipe::image {
class DatasetView;
struct Dataset;
}  // namespace pipe::image

namespace pipe {

// How uint8 pixels become floats.  `normalize:` in the train stage.
//   scale:        x / 255
//   standardize:  (x / 255 - mean[c]) / std[c], mean and std per channel from the train data
//   none:         x as is (0..255)
class Normalization {
 public:
  Normalization() : Normalization("scale", {}, {}) {}
  Normalization(std::string mode, std::vector<double> mean, std::vector<double> std);

  const std::string& mode() const { return mode_; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& std() const { return std_; }

  // One sample: HWC uint8 in, CHW float out.
  void apply(const uint8_t* hwc, int height, int width, int channels, float* chw) const;

  nlohmann::json to_json() const;
  static Normalization from_json(const nlohmann::json& j);

 private:
  void build_tables(int channels);
  std::string mode_;
  std::vector<double> mean_, std_;
  std::vector<float> table_;  // 256 values per channel
};

// Uniform-shape labelled images, wherever they live.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual size_t size() const = 0;
  virtual const uint8_t* pixels(size_t i) const = 0;  // height*width*channels, HWC
  virtual int32_t label(size_t i) const = 0;
};

class DatasetViewSource : public ImageSource {
 public:
  explicit DatasetViewSource(const image::DatasetView& v) : view_(v) {}
  size_t size() const override;
  const uint8_t* pixels(size_t i) const override;
  int32_t label(size_t i) const override;

 private:
  const image::DatasetView& view_;
};

class DatasetSource : public ImageSource {
 public:
  explicit DatasetSource(const image::Dataset& d) : data_(d) {}
  size_t size() const override;
  const uint8_t* pixels(size_t i) const override;
  int32_t label(size_t i) const override;

 private:
  const image::Dataset& data_;
};

// Per-channel mean and std (on the x/255 scale) over `indices` of `source`.
Normalization standardize_stats(const ImageSource& source, const std::vector<uint32_t>& indices, int height,
                                int width, int channels);

// An online augmentation of one HWC uint8 sample (same shape out).
using SampleTransform =
    std::function<void(const uint8_t* in, int height, int width, int channels, uint8_t* out, std::mt19937_64& rng)>;

struct Batch {
  const float* x = nullptr;        // n x channels x height x width
  const int32_t* labels = nullptr;  // n
  const uint32_t* indices = nullptr;  // n source indices
  int n = 0;
  int index = 0;                   // batch number within the epoch
};

class BatchLoader {
 public:
  BatchLoader(const ImageSource& source, int height, int width, int channels, const Normalization& norm,
              int batch, SampleTransform augment = {});
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts an epoch over `order` (source indices); an unfinished epoch is
  // abandoned.  `augment_seed` seeds the augmentation of this epoch.
  void start(const std::vector<uint32_t>& order, uint64_t augment_seed);
  // The next batch of the epoch, valid until the next call; false at its end.
  // Rethrows an error raised while preparing the batch.
  bool next(Batch* out);
  int batches() const;

 private:
  struct Slot {
    std::vector<float> x;
    std::vector<int32_t> labels;
    std::vector<uint32_t> indices;
    int n = 0;
    int index = -1;
    bool ready = false;
  };
  void work();
  void fill(Slot& slot, int batch_index, long generation);

  const ImageSource& source_;
  int height_, width_, channels_;
  Normalization norm_;
  int batch_;
  SampleTransform augment_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::thread worker_;
  bool quit_ = false;
  long generation_ = 0;    // bumped by start(): stale work is dropped
  std::vector<uint32_t> order_;
  uint64_t seed_ = 0;
  int next_fill_ = 0;      // next batch index the worker prepares
  int next_take_ = 0;      // next batch index the consumer takes
  int in_use_ = -1;        // slot handed to the consumer
  bool filling_ = false;
  Slot slots_[2];
  std::exception_ptr error_;
  std::vector<uint8_t> scratch_;  // augmented sample
};

// A seed for a (seed, stream, index) triple: independent streams from one seed.
uint64_t derive_seed(uint64_t seed, uint64_t stream, uint64_t index);

}  // namespace pipe
