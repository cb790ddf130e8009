#include "engine/posix.h"  // first: see posix.h
#include "stages/image/idx.h"


#include <algorithm>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "engine/error.h"

namespace pipe::image {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const {
    if (f) gzclose(f);
  }
};

// Reads up to `size` bytes; returns how many were read, throws on a corrupt stream.
size_t read_some(gzFile f, uint8_t* out, size_t size, const std::string& file) {
  size_t done = 0;
  while (done < size) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
    int got = gzread(f, out + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      throw Error(std::string("corrupt compressed data: ") + (msg ? msg : "unknown error")).at(file);
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx(const std::string& file) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(file.c_str(), "rb"));
  if (!f) throw Error("cannot open the IDX file").at(file);
  gzbuffer(f.get(), 1 << 17);
  uint8_t magic[4];
  if (read_some(f.get(), magic, 4, file) != 4) throw Error("truncated IDX file: no header").at(file);
  if (magic[0] != 0 || magic[1] != 0)
    throw Error("not an IDX file (bad magic)").at(file).hint("expected the MNIST format: magic 0x00000803 for images, 0x00000801 for labels");
  if (magic[2] != 0x08)
    throw Error(fmt::format("IDX data type 0x{:02x} is not supported", magic[2])).at(file).hint("only unsigned bytes (0x08)");
  int ndims = magic[3];
  if (ndims < 1 || ndims > 4) throw Error("IDX file has " + std::to_string(ndims) + " dimensions").at(file).hint("1 to 4");
  IdxArray out;
  uint64_t total = 1;
  bool overflow = false;
  for (int d = 0; d < ndims; ++d) {
    uint8_t b[4];
    if (read_some(f.get(), b, 4, file) != 4) throw Error("truncated IDX file: header ends early").at(file);
    uint32_t v = (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
    out.dims.push_back(v);
    overflow = __builtin_mul_overflow(total, uint64_t{v}, &total) || overflow;
  }
  auto dims_text = [&] {
    std::string s;
    for (uint32_t v : out.dims) s += (s.empty() ? "" : " x ") + std::to_string(v);
    return s;
  };
  if (overflow || total > kMaxIdxBytes)
    throw Error("IDX header declares " + dims_text() + " bytes of data, more than " + std::to_string(kMaxIdxBytes))
        .at(file)
        .hint("the header is damaged, or the file is not an IDX file");
  // Read in doubling steps, so a header that promises more than the file
  // holds costs no more than twice the memory of what the file does hold.
  size_t got = 0;
  while (got < total) {
    size_t want = std::min<size_t>(total - got, std::max<size_t>(got, size_t{1} << 16));
    out.data.resize(got + want);
    size_t n = read_some(f.get(), out.data.data() + got, want, file);
    got += n;
    if (n < want) break;
  }
  if (got != total)
    throw Error("truncated IDX file: the header declares " + dims_text() + " = " + std::to_string(total) +
                " bytes of data, the file holds " + std::to_string(got))
        .at(file);
  return out;
}

IdxImages read_idx_images(const std::string& images_file, const std::string& labels_file) {
  IdxArray images = read_idx(images_file);
  if (images.dims.size() < 3)
    throw Error("IDX images file has " + std::to_string(images.dims.size()) + " dimensions").at(images_file)
        .hint("images are N×H×W (magic 0x00000803) or N×H×W×C");
  // An images file may hold no images, but an image has at least one pixel
  // and is gray, gray+alpha, RGB or RGBA.
  for (size_t d = 0; d < images.dims.size(); ++d) {
    uint32_t most = d == 3 ? 4 : static_cast<uint32_t>(std::numeric_limits<int>::max());
    if ((d > 0 && images.dims[d] == 0) || images.dims[d] > most)
      throw Error("IDX images file declares " + std::to_string(images.dims[d]) + " " +
                  (d == 0 ? "images" : d == 1 ? "rows" : d == 2 ? "columns" : "channels"))
          .at(images_file)
          .hint("rows and columns are at least 1, channels 1 to 4");
  }
  IdxArray labels = read_idx(labels_file);
  if (labels.dims.size() != 1)
    throw Error("IDX labels file has " + std::to_string(labels.dims.size()) + " dimensions").at(labels_file)
        .hint("labels are one byte per image (magic 0x00000801)");
  if (labels.dims[0] != images.dims[0])
    throw Error("labels file has " + std::to_string(labels.dims[0]) + " labels for " + std::to_string(images.dims[0]) +
                " images")
        .at(labels_file);
  IdxImages out;
  out.count = static_cast<int>(images.dims[0]);
  out.height = static_cast<int>(images.dims[1]);
  out.width = static_cast<int>(images.dims[2]);
  out.channels = images.dims.size() == 4 ? static_cast<int>(images.dims[3]) : 1;
  out.pixels = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

std::string idx_labels_beside(const std::string& images_file) {
  std::string out = images_file;
  size_t slash = out.find_last_of('/');
  size_t start = slash == std::string::npos ? 0 : slash + 1;
  for (const char* from : {"images-idx3", "images.idx3", "-images-", "_images_", "images"}) {
    size_t at = out.rfind(from);
    if (at == std::string::npos || at < start) continue;
    std::string to = from;
    size_t i = to.find("images");
    to.replace(i, 6, "labels");
    if (size_t j = to.find("idx3"); j != std::string::npos) to.replace(j, 4, "idx1");
    out.replace(at, std::string(from).size(), to);
    return out;
  }
  return "";
}

}  // namespace pipe::image
