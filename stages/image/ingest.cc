#include "engine/posix.h"  // first: see posix.h
#include "stages/image/ingest.h"


#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "stages/image/idx.h"
#include "stages/image/parallel.h"

namespace fs = std::filesystem;

namespace pipe::image {

namespace {

struct Pending {
  SourceEntry entry;
  Sample sample;
  std::string error;
};

// Samples of an IDX source, already decoded.
void read_idx_source(const SourceSpec& spec, const IngestOptions& options, std::vector<Pending>* out,
                     std::vector<Rejected>* rejected) {
  if (!spec.label_from_filename.empty() || !spec.group_from_filename.empty())
    throw ConfigError("label_from_filename and group_from_filename apply to folder and manifest sources, not IDX")
        .at(spec.path);
  std::string labels_file = spec.labels;
  if (labels_file.empty()) {
    labels_file = idx_labels_beside(spec.path);
    if (labels_file.empty() || !fs::exists(labels_file))
      throw ConfigError("cannot find the labels file beside this IDX images file")
          .at(spec.path)
          .hint("name it like x-labels-idx1-ubyte.gz beside x-images-idx3-ubyte.gz, or give `labels:`");
  }
  IdxImages idx = read_idx_images(spec.path, labels_file);
  std::string stem = fs::path(spec.path).filename().string();
  std::vector<std::string> labels;
  std::vector<size_t> rows;
  for (int i = 0; i < idx.count; ++i) {
    int value = idx.labels[i];
    std::string raw = std::to_string(value);
    if (!spec.class_names.empty()) {
      if (value >= static_cast<int>(spec.class_names.size()))
        throw Error("label " + raw + " at row " + std::to_string(i) + " has no name in class_names (" +
                    std::to_string(spec.class_names.size()) + " given)")
            .at(labels_file);
      raw = spec.class_names[value];
    }
    std::string label, reason;
    if (!map_label(spec, raw, &label, &reason)) {
      if (!reason.empty()) rejected->push_back({stem + "#" + std::to_string(i), reason});
      continue;
    }
    labels.push_back(label);
    rows.push_back(static_cast<size_t>(i));
  }
  size_t plane = static_cast<size_t>(idx.height) * idx.width * idx.channels;
  for (size_t k : limit_per_class(labels, spec.limit_per_class)) {
    size_t row = rows[k];
    Pending p;
    p.entry = {stem + "#" + std::to_string(row), spec.path, labels[k], "", spec.split};
    try {
      cv::Mat img(idx.height, idx.width, CV_8UC(idx.channels), idx.pixels.data() + row * plane);
      cv::Mat conv = img;
      if (options.decode == DecodeMode::kGray && img.channels() == 3) cv::cvtColor(img, conv, cv::COLOR_RGB2GRAY);
      else if (options.decode == DecodeMode::kColor && img.channels() == 1) cv::cvtColor(img, conv, cv::COLOR_GRAY2RGB);
      conv = shrink_to_fit(conv, options.max_side);
      if (!conv.isContinuous()) conv = conv.clone();
      p.sample.height = conv.rows;
      p.sample.width = conv.cols;
      p.sample.channels = conv.channels();
      p.sample.pixels.assign(conv.data, conv.data + conv.total() * conv.elemSize());
    } catch (...) {
      p.error = current_exception_reason();
    }
    out->push_back(std::move(p));
  }
}

}  // namespace

bool read_file_bytes(const std::string& path, std::vector<uint8_t>* out, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    *error = std::string("cannot stat: ") + std::strerror(errno);
    ::close(fd);
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t got = ::read(fd, out->data() + done, out->size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      *error = got < 0 ? std::string("cannot read: ") + std::strerror(errno) : "file shrank while being read";
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(got);
  }
  ::close(fd);
  return true;
}

IngestResult ingest(const IngestOptions& options, int threads, const std::function<void(size_t, size_t)>& progress) {
  IngestResult result;
  std::vector<Pending> items;
  std::vector<size_t> to_decode;
  for (const auto& spec : options.sources) {
    std::string layout = resolve_layout(spec);
    result.source_layouts.push_back(layout);
    if (layout == "idx") {
      read_idx_source(spec, options, &items, &result.skipped);
      continue;
    }
    Listing listing = list_source(spec);
    for (auto& r : listing.rejected) result.skipped.push_back(std::move(r));
    for (auto& e : listing.entries) {
      to_decode.push_back(items.size());
      Pending p;
      p.entry = std::move(e);
      items.push_back(std::move(p));
    }
  }

  std::atomic<size_t> done{0};
  size_t total = to_decode.size();
  if (progress) progress(0, total);
  const std::thread::id caller = std::this_thread::get_id();
  parallel_for(total, threads, [&](size_t k) {
    Pending& p = items[to_decode[k]];
    // decode_image never throws; the copy may (out of memory).
    try {
      std::vector<uint8_t> bytes;
      if (read_file_bytes(p.entry.file, &bytes, &p.error)) {
        Decoded d = decode_image(bytes.data(), bytes.size(), options.decode, options.max_side, options.max_pixels);
        if (d.image.empty()) {
          p.error = d.error;
        } else {
          p.sample.height = d.image.rows;
          p.sample.width = d.image.cols;
          p.sample.channels = d.image.channels();
          p.sample.pixels.assign(d.image.data, d.image.data + d.image.total() * d.image.elemSize());
        }
      }
    } catch (...) {
      p.error = current_exception_reason();
    }
    size_t n = ++done;
    // Progress is reported from the calling thread only (a progress display
    // keeps one bar per thread).
    if (progress && n % 64 == 0 && std::this_thread::get_id() == caller) progress(n, total);
  });
  if (progress) progress(total, total);

  std::map<std::string, int, decltype(&natural_less)> index(&natural_less);
  for (const auto& p : items)
    if (p.error.empty()) index[p.entry.label] = 0;
  for (const auto& [name, i] : index) {
    index[name] = static_cast<int>(result.data.classes.size());
    result.data.classes.push_back(name);
  }
  result.considered = result.skipped.size() + items.size();
  result.data.samples.reserve(items.size());
  for (auto& p : items) {
    if (!p.error.empty()) {
      result.skipped.push_back({p.entry.rel, p.error});
      continue;
    }
    Sample& s = p.sample;
    s.label = index[p.entry.label];
    s.path = std::move(p.entry.rel);
    s.group = std::move(p.entry.group);
    s.split = std::move(p.entry.split);
    result.data.samples.push_back(std::move(s));
  }
  return result;
}

}  // namespace pipe::image
