#include "engine/posix.h"  // first: see posix.h
#include "stages/image/dataset.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the dataset file format is little-endian");

namespace pipe::image {

namespace {

constexpr char kMagic[8] = {'P', 'I', 'P', 'E', 'D', 'S', 'E', 'T'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kAlign = 64;
constexpr int kMaxChannels = 4;  // gray, gray+alpha, RGB, RGBA

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint64_t samples;
  uint32_t classes;
  uint32_t flags;
  uint64_t meta_offset, meta_size;
  uint64_t pixels_offset, pixels_size;
};
static_assert(sizeof(Header) == 64, "header layout");

struct Record {
  int32_t label, height, width, channels;
  uint64_t offset;  // into the pixel block
};

uint64_t aligned(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

void put_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void put_string(std::string& out, const std::string& s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

size_t pixel_count(int h, int w, int c) {
  return static_cast<size_t>(h) * static_cast<size_t>(w) * static_cast<size_t>(c);
}

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

// Writes header, metadata and pixels; `pixels_of(i)` yields sample i's bytes.
template <typename SampleAt>
void write_file(const std::string& file, const std::vector<std::string>& classes, size_t n, SampleAt sample_at) {
  std::string meta;
  for (const auto& c : classes) put_string(meta, c);
  uint64_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    auto s = sample_at(i);
    if (s.height < 0 || s.width < 0 || s.channels < 0)
      throw Error("sample " + std::to_string(i) + " has a negative shape").at(file);
    Record r{s.label, s.height, s.width, s.channels, offset};
    meta.append(reinterpret_cast<const char*>(&r), sizeof r);
    put_string(meta, *s.path);
    put_string(meta, *s.group);
    put_string(meta, *s.split);
    offset += pixel_count(s.height, s.width, s.channels);
  }
  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.header_size = sizeof(Header);
  h.samples = n;
  h.classes = static_cast<uint32_t>(classes.size());
  h.meta_offset = sizeof(Header);
  h.meta_size = meta.size();
  h.pixels_offset = aligned(h.meta_offset + h.meta_size);
  h.pixels_size = offset;

  std::string tmp = file + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw Error(system_error("cannot create a temporary file")).at(file);
  ::fchmod(fd, 0644);
  std::FILE* f = ::fdopen(fd, "wb");
  if (!f) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(system_error("cannot open a temporary file")).at(file);
  }
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  bool ok = std::fwrite(&h, sizeof h, 1, f) == 1 && std::fwrite(meta.data(), 1, meta.size(), f) == meta.size();
  static const char zeros[kAlign] = {};
  size_t gap = h.pixels_offset - h.meta_offset - h.meta_size;
  ok = ok && std::fwrite(zeros, 1, gap, f) == gap;
  for (size_t i = 0; ok && i < n; ++i) {
    auto s = sample_at(i);
    size_t bytes = pixel_count(s.height, s.width, s.channels);
    ok = std::fwrite(s.pixels, 1, bytes, f) == bytes;
  }
  ok = std::fflush(f) == 0 && ok;
  int saved = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    errno = saved ? saved : errno;
    std::string msg = system_error("cannot write the dataset");
    ::unlink(tmp.c_str());
    throw Error(msg).at(file);
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    std::string msg = system_error("cannot rename the dataset into place");
    ::unlink(tmp.c_str());
    throw Error(msg).at(file);
  }
}

struct SampleRef {
  int32_t label, height, width, channels;
  const uint8_t* pixels;
  const std::string* path;
  const std::string* group;
  const std::string* split;
};

}  // namespace

void Dataset::common_shape(int* height, int* width, int* channels) const {
  *height = *width = *channels = 0;
  if (samples.empty()) return;
  const Sample& first = samples.front();
  for (const auto& s : samples)
    if (s.height != first.height || s.width != first.width || s.channels != first.channels) return;
  *height = first.height;
  *width = first.width;
  *channels = first.channels;
}

void write_dataset(const std::string& file, const Dataset& data) {
  for (size_t i = 0; i < data.samples.size(); ++i) {
    const Sample& s = data.samples[i];
    if (s.pixels.size() != pixel_count(s.height, s.width, s.channels))
      throw Error("sample " + std::to_string(i) + " (" + s.path + ") has " + std::to_string(s.pixels.size()) +
                  " bytes of pixels for shape " + std::to_string(s.height) + "x" + std::to_string(s.width) +
                  "x" + std::to_string(s.channels))
          .at(file);
    if (s.label < 0 || s.label >= static_cast<int32_t>(data.classes.size()))
      throw Error("sample " + std::to_string(i) + " (" + s.path + ") has label " + std::to_string(s.label) +
                  " but there are " + std::to_string(data.classes.size()) + " classes")
          .at(file);
  }
  write_file(file, data.classes, data.samples.size(), [&](size_t i) {
    const Sample& s = data.samples[i];
    return SampleRef{s.label, s.height, s.width, s.channels, s.pixels.data(), &s.path, &s.group, &s.split};
  });
}

void write_subset(const std::string& file, const DatasetView& view, const std::vector<size_t>& indices) {
  for (size_t i : indices)
    if (i >= view.size()) throw Error("subset index " + std::to_string(i) + " is out of range").at(file);
  write_file(file, view.classes(), indices.size(), [&](size_t k) {
    size_t i = indices[k];
    return SampleRef{view.label(i), view.height(i), view.width(i), view.channels(i), view.pixels(i),
                     &view.path(i), &view.group(i), &view.split(i)};
  });
}

// ---- DatasetView -------------------------------------------------------------

struct DatasetView::Impl {
  std::string file;
  void* map = nullptr;
  size_t map_size = 0;
  const uint8_t* pixels = nullptr;
  std::vector<std::string> classes;
  std::vector<Record> records;
  std::vector<std::string> paths, groups, splits;
  int common[3] = {0, 0, 0};
  bool contiguous = false;
  ~Impl() {
    if (map && map != MAP_FAILED) ::munmap(map, map_size);
  }
};

DatasetView DatasetView::open(const std::string& file) {
  auto impl = std::make_shared<Impl>();
  impl->file = file;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(system_error("cannot open the dataset")).at(file);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw Error(system_error("cannot stat the dataset")).at(file);
  }
  impl->map_size = static_cast<size_t>(st.st_size);
  if (impl->map_size < sizeof(Header)) {
    ::close(fd);
    throw Error("not a pipe dataset file (too short for its header)").at(file);
  }
  impl->map = ::mmap(nullptr, impl->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (impl->map == MAP_FAILED) throw Error(system_error("cannot map the dataset")).at(file);
  const uint8_t* base = static_cast<const uint8_t*>(impl->map);
  Header h;
  std::memcpy(&h, base, sizeof h);
  if (std::memcmp(h.magic, kMagic, 8) != 0) throw Error("not a pipe dataset file (bad magic)").at(file);
  if (h.version != kVersion)
    throw Error("dataset file version " + std::to_string(h.version) + " is not supported")
        .at(file)
        .hint("this pipe reads version " + std::to_string(kVersion) + "; re-run the stage that wrote it");
  auto truncated = [&]() { return Error("dataset file is truncated or corrupt").at(file); };
  if (h.meta_offset > impl->map_size || h.meta_size > impl->map_size - h.meta_offset ||
      h.pixels_offset > impl->map_size || h.pixels_size > impl->map_size - h.pixels_offset)
    throw truncated();
  const uint8_t* p = base + h.meta_offset;
  const uint8_t* end = p + h.meta_size;
  auto read_u32 = [&]() {
    if (end - p < 4) throw truncated();
    uint32_t v;
    std::memcpy(&v, p, 4);
    p += 4;
    return v;
  };
  auto read_string = [&]() {
    uint32_t len = read_u32();
    if (static_cast<size_t>(end - p) < len) throw truncated();
    std::string s(reinterpret_cast<const char*>(p), len);
    p += len;
    return s;
  };
  // Each class name and sample record takes bytes of the metadata block:
  // counts beyond what it can hold are damage, not memory to reserve.
  if (h.classes > h.meta_size / 4 || h.samples > h.meta_size / (sizeof(Record) + 12)) throw truncated();
  impl->classes.reserve(h.classes);
  for (uint32_t c = 0; c < h.classes; ++c) impl->classes.push_back(read_string());
  impl->records.reserve(h.samples);
  impl->paths.reserve(h.samples);
  impl->groups.reserve(h.samples);
  impl->splits.reserve(h.samples);
  uint64_t expected_offset = 0;
  bool contiguous = true;
  for (uint64_t i = 0; i < h.samples; ++i) {
    if (static_cast<size_t>(end - p) < sizeof(Record)) throw truncated();
    Record r;
    std::memcpy(&r, p, sizeof r);
    p += sizeof r;
    if (r.height < 1 || r.width < 1 || r.channels < 1 || r.channels > kMaxChannels)
      throw Error("dataset sample " + std::to_string(i) + " has shape " + std::to_string(r.height) + "x" +
                  std::to_string(r.width) + "x" + std::to_string(r.channels))
          .at(file)
          .hint("height and width are at least 1, channels 1 to " + std::to_string(kMaxChannels) +
                "; the file is damaged: re-run the stage that wrote it");
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(uint64_t(r.height) * uint64_t(r.width), uint64_t(r.channels), &bytes) ||
        r.offset > h.pixels_size || bytes > h.pixels_size - r.offset)
      throw truncated();
    if (r.label < 0 || r.label >= static_cast<int32_t>(h.classes))
      throw Error("dataset sample " + std::to_string(i) + " has label " + std::to_string(r.label) + " but only " +
                  std::to_string(h.classes) + " classes")
          .at(file);
    contiguous = contiguous && r.offset == expected_offset;
    expected_offset = r.offset + bytes;
    impl->records.push_back(r);
    impl->paths.push_back(read_string());
    impl->groups.push_back(read_string());
    impl->splits.push_back(read_string());
  }
  impl->pixels = base + h.pixels_offset;
  if (!impl->records.empty()) {
    const Record& f = impl->records.front();
    bool same = true;
    for (const auto& r : impl->records)
      if (r.height != f.height || r.width != f.width || r.channels != f.channels) {
        same = false;
        break;
      }
    if (same) {
      impl->common[0] = f.height;
      impl->common[1] = f.width;
      impl->common[2] = f.channels;
    }
    impl->contiguous = same && contiguous;
  }
  DatasetView view;
  view.impl_ = std::move(impl);
  return view;
}

size_t DatasetView::size() const { return impl_->records.size(); }
const std::vector<std::string>& DatasetView::classes() const { return impl_->classes; }
int32_t DatasetView::label(size_t i) const { return impl_->records[i].label; }
const std::string& DatasetView::path(size_t i) const { return impl_->paths[i]; }
const std::string& DatasetView::group(size_t i) const { return impl_->groups[i]; }
const std::string& DatasetView::split(size_t i) const { return impl_->splits[i]; }
int DatasetView::height(size_t i) const { return impl_->records[i].height; }
int DatasetView::width(size_t i) const { return impl_->records[i].width; }
int DatasetView::channels(size_t i) const { return impl_->records[i].channels; }
const uint8_t* DatasetView::pixels(size_t i) const { return impl_->pixels + impl_->records[i].offset; }
const std::string& DatasetView::file() const { return impl_->file; }

const uint8_t* DatasetView::contiguous_pixels() const {
  return impl_->contiguous ? impl_->pixels : nullptr;
}

void DatasetView::common_shape(int* height, int* width, int* channels) const {
  *height = impl_->common[0];
  *width = impl_->common[1];
  *channels = impl_->common[2];
}

Sample DatasetView::sample(size_t i) const {
  Sample s;
  const Record& r = impl_->records[i];
  s.label = r.label;
  s.height = r.height;
  s.width = r.width;
  s.channels = r.channels;
  s.path = impl_->paths[i];
  s.group = impl_->groups[i];
  s.split = impl_->splits[i];
  const uint8_t* px = pixels(i);
  s.pixels.assign(px, px + pixel_count(r.height, r.width, r.channels));
  return s;
}

Dataset DatasetView::load() const {
  Dataset d;
  d.classes = impl_->classes;
  d.samples.reserve(size());
  for (size_t i = 0; i < size(); ++i) d.samples.push_back(sample(i));
  return d;
}

}  // namespace pipe::image
