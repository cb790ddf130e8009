#include "engine/posix.h"  // first: see posix.h (zlib.h)

#include <catch2/catch.hpp>

#include <filesystem>

#include "stages/image/decode.h"
#include "stages/image/png.h"
#include "stages/image/random.h"
#include "tests/image/helpers.h"

using namespace pipe::image;

namespace {

std::vector<uint8_t> encode_png(const cv::Mat& m, int compression = 3) {
  std::vector<uint8_t> out;
  REQUIRE(cv::imencode(".png", m, out, {cv::IMWRITE_PNG_COMPRESSION, compression}));
  return out;
}

// OpenCV's decode of the same bytes, in pipe's channel order.
cv::Mat opencv_decode(const std::vector<uint8_t>& bytes, int flags) {
  cv::Mat m = cv::imdecode(bytes, flags);
  if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
  return m;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

cv::Mat textured(int h, int w, int type, uint64_t seed) {
  // Smooth areas, edges and noise, so the encoder uses every row filter.
  cv::Mat m(h, w, type);
  Rng rng = rng_for(seed, 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * m.channels(); ++x)
      m.ptr<uint8_t>(y)[x] = static_cast<uint8_t>(y < h / 3 ? (x + y) * 3 : y < 2 * h / 3 ? ((x / 7) % 2) * 200 : uniform_index(rng, 256));
  return m;
}

// A PNG encoded here, row y with filter y % 5 and the stream split over two
// IDAT chunks: OpenCV's encoder picks its filters itself and cannot write
// gray+alpha.  Filtering follows the PNG specification, section 9.  The
// header may declare another height than the data holds.
std::vector<uint8_t> handmade_png(const cv::Mat& m, int declared_rows = -1) {
  const int bpp = m.channels();
  const size_t stride = static_cast<size_t>(m.cols) * bpp;
  std::vector<uint8_t> raw;
  for (int y = 0; y < m.rows; ++y) {
    const uint8_t* row = m.ptr<uint8_t>(y);
    const uint8_t* up = y > 0 ? m.ptr<uint8_t>(y - 1) : nullptr;
    int filter = y % 5;
    raw.push_back(static_cast<uint8_t>(filter));
    for (size_t i = 0; i < stride; ++i) {
      int a = i >= size_t(bpp) ? row[i - bpp] : 0, b = up ? up[i] : 0, c = up && i >= size_t(bpp) ? up[i - bpp] : 0;
      int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
      int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      int predicted = filter == 0 ? 0 : filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2 : paeth;
      raw.push_back(static_cast<uint8_t>(row[i] - predicted));
    }
  }
  std::vector<uint8_t> z(compressBound(raw.size()));
  uLongf z_size = z.size();
  REQUIRE(compress2(z.data(), &z_size, raw.data(), raw.size(), 6) == Z_OK);
  z.resize(z_size);
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const char* type, const std::vector<uint8_t>& body) {
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<uint8_t>(body.size() >> (8 * k)));
    std::vector<uint8_t> typed(type, type + 4);
    typed.insert(typed.end(), body.begin(), body.end());
    out.insert(out.end(), typed.begin(), typed.end());
    uint32_t crc = static_cast<uint32_t>(crc32(0L, typed.data(), static_cast<uInt>(typed.size())));
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<uint8_t>(crc >> (8 * k)));
  };
  std::vector<uint8_t> header;
  for (uint32_t v : {static_cast<uint32_t>(m.cols), static_cast<uint32_t>(declared_rows < 0 ? m.rows : declared_rows)})
    for (int k = 3; k >= 0; --k) header.push_back(static_cast<uint8_t>(v >> (8 * k)));
  const uint8_t color[5] = {0, 0, 4, 2, 6};  // by channel count: gray, gray+alpha, RGB, RGBA
  header.insert(header.end(), {8, color[bpp], 0, 0, 0});
  chunk("IHDR", header);
  size_t half = z.size() / 2;
  chunk("IDAT", std::vector<uint8_t>(z.begin(), z.begin() + half));
  chunk("IDAT", std::vector<uint8_t>(z.begin() + half, z.end()));
  chunk("IEND", {});
  return out;
}

}  // namespace

TEST_CASE("the PNG fast path decodes exactly as OpenCV does", "[png]") {
  for (int type : {CV_8UC1, CV_8UC3, CV_8UC4})  // OpenCV cannot write gray+alpha
    for (int level : {0, 1, 9}) {
      cv::Mat m = textured(57, 301, type, type * 10 + level);
      std::vector<uint8_t> bytes = encode_png(m, level);
      cv::Mat fast;
      std::string error;
      INFO("channels " << CV_MAT_CN(type) << " level " << level);
      REQUIRE(decode_png(bytes.data(), bytes.size(), &fast, &error) == PngResult::kDecoded);
      CHECK(fast.channels() == CV_MAT_CN(type));
      Decoded d = decode_image(bytes.data(), bytes.size(), DecodeMode::kUnchanged);
      CHECK(same(d.image, opencv_decode(bytes, cv::IMREAD_UNCHANGED)));
      CHECK(same(decode_image(bytes.data(), bytes.size(), DecodeMode::kColor).image, opencv_decode(bytes, cv::IMREAD_COLOR)));
      cv::Mat gray = decode_image(bytes.data(), bytes.size(), DecodeMode::kGray).image;
      cv::Mat reference = opencv_decode(bytes, cv::IMREAD_GRAYSCALE);
      REQUIRE(gray.size() == reference.size());
      double worst;
      cv::minMaxLoc(cv::abs(gray - reference) + cv::abs(reference - gray), nullptr, &worst);
      CHECK(worst <= 2);  // libpng's gray weights (used by imdecode) round differently from cvtColor's
    }
}

TEST_CASE("the vendored PNGs decode as OpenCV decodes them", "[png][data]") {
  namespace fs = std::filesystem;
  std::string root = std::string(PIPE_SOURCE_DIR) + "/data";
  if (!fs::exists(root + "/runes")) return;  // a checkout without data
  int checked = 0;
  for (const char* dir : {"runes", "multiscript/english", "multiscript/arabic", "multiscript/kannada", "hieroglyphs/G43"}) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root + "/" + dir)) {
      if (e.path().extension() != ".png" || n++ >= 40) continue;
      std::string bytes = pipe::image::testing::read_bytes(e.path().string());
      std::vector<uint8_t> b(bytes.begin(), bytes.end());
      cv::Mat fast;
      std::string error;
      REQUIRE(decode_png(b.data(), b.size(), &fast, &error) == PngResult::kDecoded);
      CHECK(same(decode_image(b.data(), b.size(), DecodeMode::kUnchanged).image, opencv_decode(b, cv::IMREAD_UNCHANGED)));
      ++checked;
    }
  }
  CHECK(checked > 150);
}

TEST_CASE("a damaged PNG fails its CRC check; other kinds go to OpenCV", "[png]") {
  std::vector<uint8_t> bytes = encode_png(textured(40, 40, CV_8UC3, 3));
  cv::Mat out;
  std::string error;
  std::vector<uint8_t> flipped = bytes;
  flipped[60] ^= 0x10;  // inside the first IDAT chunk
  CHECK(decode_png(flipped.data(), flipped.size(), &out, &error) == PngResult::kCorrupt);
  CHECK(error.find("CRC") != std::string::npos);
  Decoded d = decode_image(flipped.data(), flipped.size(), DecodeMode::kGray);
  CHECK(d.image.empty());
  CHECK(d.error.find("CRC") != std::string::npos);

  cv::Mat deep(8, 8, CV_16UC1, cv::Scalar(1000));
  std::vector<uint8_t> sixteen = encode_png(deep);
  CHECK(decode_png(sixteen.data(), sixteen.size(), &out, &error) == PngResult::kUnsupported);
  CHECK(decode_image(sixteen.data(), sixteen.size(), DecodeMode::kUnchanged).image.type() == CV_8UC1);
}

TEST_CASE("every row filter unfilters exactly for 1 to 4 channels and any width", "[png]") {
  for (int channels = 1; channels <= 4; ++channels)
    for (int width : {1, 5, 16, 17, 33, 301}) {
      cv::Mat m = textured(23, width, CV_8UC(channels), channels * 1000 + width);
      std::vector<uint8_t> bytes = handmade_png(m);
      cv::Mat out;
      std::string error;
      INFO("channels " << channels << " width " << width);
      REQUIRE(decode_png(bytes.data(), bytes.size(), &out, &error) == PngResult::kDecoded);
      CHECK(same(out, m));
    }
}

TEST_CASE("a PNG whose data is shorter than its header is corrupt; longer goes to OpenCV", "[png]") {
  cv::Mat m = textured(20, 40, CV_8UC1, 7);
  cv::Mat out;
  std::string error;
  std::vector<uint8_t> short_data = handmade_png(m, 21);
  CHECK(decode_png(short_data.data(), short_data.size(), &out, &error) == PngResult::kCorrupt);
  CHECK(error == "corrupt PNG (image data ends early)");
  std::vector<uint8_t> long_data = handmade_png(m, 19);
  CHECK(decode_png(long_data.data(), long_data.size(), &out, &error) == PngResult::kUnsupported);
}
