#include "stages/loader.h"

#include <cmath>

#include "engine/error.h"
#include "stages/image/dataset.h"

namespace pipe {

using json = nlohmann::json;

Normalization::Normalization(std::string mode, std::vector<double> mean, std::vector<double> std)
    : mode_(std::move(mode)), mean_(std::move(mean)), std_(std::move(std)) {
  if (mode_ != "scale" && mode_ != "standardize" && mode_ != "none")
    throw ConfigError("normalize: '" + mode_ + "' is not allowed").hint("allowed: scale | standardize | none");
  if (mode_ == "standardize" && (mean_.empty() || mean_.size() != std_.size()))
    throw Error("standardize needs one mean and one std per channel");
  size_t k = mode_ == "standardize" ? mean_.size() : 1;
  table_.resize(256 * k);
  for (size_t c = 0; c < k; ++c)
    for (int v = 0; v < 256; ++v) {
      double x = v;
      if (mode_ == "scale") x = v / 255.0;
      if (mode_ == "standardize") x = (v / 255.0 - mean_[c]) / std_[c];
      table_[c * 256 + v] = static_cast<float>(x);
    }
}

void Normalization::apply(const uint8_t* hwc, int height, int width, int channels, float* chw) const {
  const size_t plane = static_cast<size_t>(height) * width;
  const size_t k = table_.size() / 256;
  if (k != 1 && k != static_cast<size_t>(channels))
    throw Error("normalisation has " + std::to_string(k) + " channels, the images " + std::to_string(channels));
  for (int c = 0; c < channels; ++c) {
    const float* t = &table_[(k == 1 ? 0 : c) * 256];
    float* out = chw + c * plane;
    const uint8_t* in = hwc + c;
    for (size_t p = 0; p < plane; ++p) out[p] = t[in[p * channels]];
  }
}

json Normalization::to_json() const {
  json j = {{"mode", mode_}};
  if (mode_ == "standardize") {
    j["mean"] = mean_;
    j["std"] = std_;
  }
  return j;
}

Normalization Normalization::from_json(const json& j) {
  std::string mode = j.at("mode").get<std::string>();
  if (mode != "standardize") return Normalization(mode, {}, {});
  return Normalization(mode, j.at("mean").get<std::vector<double>>(), j.at("std").get<std::vector<double>>());
}

size_t DatasetViewSource::size() const { return view_.size(); }
const uint8_t* DatasetViewSource::pixels(size_t i) const { return view_.pixels(i); }
int32_t DatasetViewSource::label(size_t i) const { return view_.label(i); }

size_t DatasetSource::size() const { return data_.samples.size(); }
const uint8_t* DatasetSource::pixels(size_t i) const { return data_.samples[i].pixels.data(); }
int32_t DatasetSource::label(size_t i) const { return data_.samples[i].label; }

Normalization standardize_stats(const ImageSource& source, const std::vector<uint32_t>& indices, int height,
                                int width, int channels) {
  // Histograms per channel: exact sums, no float drift over millions of pixels.
  std::vector<uint64_t> hist(256 * channels, 0);
  const size_t pixels = static_cast<size_t>(height) * width;
  for (uint32_t i : indices) {
    const uint8_t* p = source.pixels(i);
    for (size_t q = 0; q < pixels; ++q)
      for (int c = 0; c < channels; ++c) ++hist[c * 256 + p[q * channels + c]];
  }
  std::vector<double> mean(channels), std(channels);
  for (int c = 0; c < channels; ++c) {
    double n = 0, s = 0, s2 = 0;
    for (int v = 0; v < 256; ++v) {
      double h = static_cast<double>(hist[c * 256 + v]), x = v / 255.0;
      n += h;
      s += h * x;
      s2 += h * x * x;
    }
    if (n == 0) throw Error("cannot standardise: the training data is empty");
    mean[c] = s / n;
    double var = std::max(0.0, s2 / n - mean[c] * mean[c]);
    std[c] = std::sqrt(var) > 1e-6 ? std::sqrt(var) : 1.0;  // a constant channel stays centred, unscaled
  }
  return Normalization("standardize", mean, std);
}

uint64_t derive_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  // splitmix64 over a mix of the three: well spread, cheap, platform independent.
  uint64_t z = seed ^ (stream * 0x9E3779B97F4A7C15ULL) ^ (index * 0xD1B54A32D192ED03ULL);
  for (int round = 0; round < 2; ++round) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
  }
  return z;
}

BatchLoader::BatchLoader(const ImageSource& source, int height, int width, int channels,
                         const Normalization& norm, int batch, SampleTransform augment)
    : source_(source), height_(height), width_(width), channels_(channels), norm_(norm), batch_(batch),
      augment_(std::move(augment)) {
  if (batch_ < 1) throw Error("batch must be at least 1");
  size_t sample = static_cast<size_t>(height) * width * channels;
  for (Slot& s : slots_) {
    s.x.resize(sample * batch_);
    s.labels.resize(batch_);
    s.indices.resize(batch_);
  }
  scratch_.resize(sample);
  worker_ = std::thread([this] { work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

int BatchLoader::batches() const { return static_cast<int>((order_.size() + batch_ - 1) / batch_); }

void BatchLoader::start(const std::vector<uint32_t>& order, uint64_t augment_seed) {
  std::unique_lock<std::mutex> lock(mu_);
  ++generation_;
  cv_.wait(lock, [&] { return !filling_; });
  order_ = order;
  seed_ = augment_seed;
  next_fill_ = next_take_ = 0;
  in_use_ = -1;
  error_ = nullptr;
  for (Slot& s : slots_) {
    s.ready = false;
    s.index = -1;
  }
  lock.unlock();
  cv_.notify_all();
}

void BatchLoader::work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] {
      if (quit_) return true;
      if (next_fill_ >= batches() || error_) return false;
      int s = next_fill_ % 2;
      return !slots_[s].ready && in_use_ != s;
    });
    if (quit_) return;
    int b = next_fill_;
    long generation = generation_;
    Slot& slot = slots_[b % 2];
    filling_ = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      fill(slot, b, generation);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    filling_ = false;
    if (generation == generation_) {
      slot.ready = true;
      slot.index = b;
      ++next_fill_;
      if (error) error_ = error;
    }
    cv_.notify_all();
  }
}

void BatchLoader::fill(Slot& slot, int batch_index, long generation) {
  const size_t begin = static_cast<size_t>(batch_index) * batch_;
  const size_t end = std::min(order_.size(), begin + batch_);
  const size_t sample = static_cast<size_t>(height_) * width_ * channels_;
  slot.n = static_cast<int>(end - begin);
  for (size_t k = begin; k < end; ++k) {
    uint32_t idx = order_[k];
    if (idx >= source_.size()) throw Error("sample index " + std::to_string(idx) + " out of range");
    const uint8_t* pixels = source_.pixels(idx);
    if (augment_) {
      std::mt19937_64 rng(derive_seed(seed_, 1, k));
      augment_(pixels, height_, width_, channels_, scratch_.data(), rng);
      pixels = scratch_.data();
    }
    norm_.apply(pixels, height_, width_, channels_, slot.x.data() + (k - begin) * sample);
    slot.labels[k - begin] = source_.label(idx);
    slot.indices[k - begin] = idx;
  }
  (void)generation;
}

bool BatchLoader::next(Batch* out) {
  std::unique_lock<std::mutex> lock(mu_);
  if (in_use_ >= 0) {
    slots_[in_use_].ready = false;
    in_use_ = -1;
    cv_.notify_all();
  }
  if (next_take_ >= batches()) return false;
  int s = next_take_ % 2;
  cv_.wait(lock, [&] { return error_ || (slots_[s].ready && slots_[s].index == next_take_); });
  if (error_) std::rethrow_exception(error_);
  in_use_ = s;
  const Slot& slot = slots_[s];
  out->x = slot.x.data();
  out->labels = slot.labels.data();
  out->indices = slot.indices.data();
  out->n = slot.n;
  out->index = next_take_;
  ++next_take_;
  return true;
}

}  // namespace pipe
