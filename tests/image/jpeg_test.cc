// Damaged and oversized images through decode_image: a reason each, nothing
// on stderr; and the direct libjpeg decoder gives OpenCV's pixels exactly.
#include "engine/posix.h"  // first: see posix.h

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "stages/image/decode.h"
#include "stages/image/jpeg.h"
#include "tests/image/helpers.h"

using namespace pipe::image;
using namespace pipe::image::testing;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// What decode_image says about `bytes`, and what reached file descriptor 2
// meanwhile (libjpeg and libpng write there directly).
struct Outcome {
  Decoded decoded;
  std::string stderr_text;
};

Outcome decode_capturing(const std::string& bytes, DecodeMode mode = DecodeMode::kGray, int max_side = 0,
                         uint64_t max_pixels = kDefaultMaxPixels) {
  TempDir t;
  std::string file = t.path() + "/stderr";
  std::fflush(stderr);
  int saved = ::dup(2);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 2);
  ::close(fd);
  Outcome o;
  std::vector<uint8_t> b = bytes_of(bytes);
  o.decoded = decode_image(b.data(), b.size(), mode, max_side, max_pixels);
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  o.stderr_text = read_bytes(file);
  return o;
}

// OpenCV's imdecode with the flags decode_image used before it decoded JPEGs
// itself: IMREAD_REDUCED_* for the power of two of the shrink factor.
cv::Mat opencv_reference(const std::vector<uint8_t>& b, DecodeMode mode, int max_side) {
  int flags = mode == DecodeMode::kGray ? cv::IMREAD_GRAYSCALE
              : mode == DecodeMode::kColor ? cv::IMREAD_COLOR
                                           : cv::IMREAD_UNCHANGED;
  uint64_t w = 0, h = 0;
  if (max_side > 0 && mode != DecodeMode::kUnchanged && peek_image_size(b.data(), b.size(), &w, &h) &&
      std::max(w, h) > static_cast<uint64_t>(max_side)) {
    int k = static_cast<int>((std::max(w, h) + max_side - 1) / max_side);
    int r = std::min(k & -k, 8);
    bool gray = mode == DecodeMode::kGray;
    if (r == 8) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8;
    else if (r == 4) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4;
    else if (r == 2) flags = gray ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2;
  }
  cv::Mat img = cv::imdecode(b, flags);
  if (img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  return shrink_to_fit(img, max_side);
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

// JPEGs under `root`: every one with PIPE_CHECK_ALL=1 in the environment,
// else every 40th.
std::vector<std::string> jpegs_under(const std::string& root) {
  std::vector<std::string> files;
  if (!fs::is_directory(root)) return files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".jpg" || e.path().extension() == ".jpeg") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  size_t stride = std::getenv("PIPE_CHECK_ALL") ? 1 : 40;
  std::vector<std::string> picked;
  for (size_t i = 0; i < files.size(); i += stride) picked.push_back(files[i]);
  return picked;
}

}  // namespace

TEST_CASE("JPEGs decode to exactly OpenCV's pixels, in every mode and reduced size", "[jpeg][data]") {
  std::vector<std::string> files = jpegs_under(std::string(PIPE_SOURCE_DIR) + "/data");
  const char* shared = std::getenv("PIPE_SHARED_DATA");  // default: ../shared/data beside the checkout
  for (const auto& f : jpegs_under(shared ? shared : std::string(PIPE_SOURCE_DIR) + "/../shared/data"))
    files.push_back(f);
  std::vector<uint8_t> synthetic = bytes_of(small_jpeg(300, 211));
  cv::Mat colour(97, 131, CV_8UC3);
  cv::randu(colour, 0, 255);
  cv::GaussianBlur(colour, colour, cv::Size(9, 9), 3);
  std::vector<uint8_t> rgb;
  REQUIRE(cv::imencode(".jpg", colour, rgb));
  int checked = 0, differ = 0;
  auto check = [&](const std::vector<uint8_t>& b, const std::string& name) {
    for (DecodeMode mode : {DecodeMode::kUnchanged, DecodeMode::kGray, DecodeMode::kColor})
      for (int max_side : {0, 128, 64, 16}) {
        cv::Mat ours = decode_image(b.data(), b.size(), mode, max_side).image;
        if (!identical(ours, opencv_reference(b, mode, max_side))) {
          ++differ;
          UNSCOPED_INFO(name << " mode " << static_cast<int>(mode) << " max_side " << max_side);
        }
        ++checked;
      }
  };
  check(synthetic, "gray synthetic");
  check(rgb, "colour synthetic");
  for (const auto& f : files) check(bytes_of(read_bytes(f)), f);
  WARN(checked << " decodes compared (" << files.size() << " vendored JPEGs), " << differ << " differ");
  CHECK(differ == 0);
}

TEST_CASE("a JPEG whose damaged header declares 44096 x 64 pixels is a reason, not an OpenCV assertion",
          "[jpeg]") {
  std::string damaged = jpeg_declaring(small_jpeg(64, 48), 44096, 64);
  Outcome o = decode_capturing(damaged, DecodeMode::kGray, 128);
  CHECK(o.decoded.image.empty());
  CHECK(o.decoded.error == "corrupt JPEG data: premature end of data segment");
  CHECK(o.stderr_text == "");
}

TEST_CASE("libjpeg's messages become the reason or are dropped, never printed", "[jpeg]") {
  std::string jpg = small_jpeg();
  SECTION("image data cut short (its end marker kept)") {
    size_t sos = jpeg_marker(jpg, 0xDA);
    std::string cut = jpg.substr(0, sos + (jpg.size() - sos) / 2) + "\xFF\xD9";
    Outcome o = decode_capturing(cut);
    CHECK(o.decoded.image.empty());
    CHECK(o.decoded.error == "corrupt JPEG data: premature end of data segment");
    CHECK(o.stderr_text == "");
  }
  SECTION("an unknown JFIF revision is harmless: the same pixels, nothing said") {
    std::string odd = jpg;
    REQUIRE(odd.compare(6, 4, "JFIF") == 0);
    odd[11] = 31;  // "Warning: unknown JFIF revision number 31.01"
    Outcome o = decode_capturing(odd);
    CHECK(o.decoded.error == "");
    CHECK(identical(o.decoded.image, decode_capturing(jpg).decoded.image));
    CHECK(o.stderr_text == "");
  }
  SECTION("odd SOS parameters of a sequential JPEG are harmless too") {
    std::string odd = jpg;
    size_t sos = jpeg_marker(odd, 0xDA);
    REQUIRE(odd[sos + 4] == 1);  // one component: Ss, Se, Ah/Al follow its two bytes
    odd[sos + 8] = 0x3E;         // Se 62: "Invalid SOS parameters for sequential JPEG"
    Outcome o = decode_capturing(odd);
    CHECK(o.decoded.error == "");
    CHECK(identical(o.decoded.image, decode_capturing(jpg).decoded.image));
    CHECK(o.stderr_text == "");
  }
  SECTION("a broken frame header is libjpeg's error, in its words") {
    std::string bad = jpg;
    size_t sof = jpeg_marker(bad, 0xC0);
    bad[sof + 4] = 12;  // 12-bit samples: this libjpeg reads 8-bit only
    Outcome o = decode_capturing(bad);
    CHECK(o.decoded.image.empty());
    CHECK(o.decoded.error == "cannot decode JPEG: unsupported JPEG data precision 12");
    CHECK(o.stderr_text == "");
  }
}

TEST_CASE("a 30000 x 30000 PNG bomb is refused from its header", "[decode][limits]") {
  std::string bomb = bomb_png(30000);
  CHECK(bomb.size() < 1000000);
  Outcome o = decode_capturing(bomb);
  CHECK(o.decoded.image.empty());
  CHECK(o.decoded.error == "image too large (30000 × 30000 pixels; max_pixels is 100000000)");
  CHECK(o.stderr_text == "");
  // It is a valid PNG: with room for it, a smaller one of the same making decodes.
  std::string small = bomb_png(250);
  Outcome ok = decode_capturing(small, DecodeMode::kUnchanged, 0, 62500);
  REQUIRE(ok.decoded.error == "");
  CHECK(ok.decoded.image.rows == 250);
  CHECK(cv::countNonZero(ok.decoded.image) == 0);
  CHECK(decode_capturing(small, DecodeMode::kUnchanged, 0, 62499).decoded.error ==
        "image too large (250 × 250 pixels; max_pixels is 62499)");
}

TEST_CASE("the pixel limit holds for JPEG, BMP, PNM, WebP and TIFF headers too", "[decode][limits]") {
  cv::Mat m(30, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const char* ext : {".jpg", ".bmp", ".ppm", ".webp", ".tiff"}) {
    std::vector<uint8_t> b;
    REQUIRE(cv::imencode(ext, m, b));
    uint64_t w = 0, h = 0;
    INFO(ext);
    REQUIRE(peek_image_size(b.data(), b.size(), &w, &h));
    CHECK((w == 40 && h == 30));
    std::string bytes(b.begin(), b.end());
    CHECK(decode_capturing(bytes, DecodeMode::kColor, 0, 1199).decoded.error ==
          "image too large (40 × 30 pixels; max_pixels is 1199)");
    CHECK(decode_capturing(bytes, DecodeMode::kColor, 0, 1200).decoded.image.cols == 40);
  }
}

TEST_CASE("PNGs the fast path leaves aside go to libspng, not to libpng", "[png]") {
  cv::Mat m(20, 30, CV_16UC3);
  cv::randu(m, 0, 65535);
  std::vector<uint8_t> sixteen;
  REQUIRE(cv::imencode(".png", m, sixteen));
  std::string good(sixteen.begin(), sixteen.end());
  Outcome o = decode_capturing(good, DecodeMode::kUnchanged);
  REQUIRE(o.decoded.error == "");
  cv::Mat reference;
  cv::imdecode(sixteen, cv::IMREAD_UNCHANGED).convertTo(reference, CV_8U, 1.0 / 257.0);
  cv::cvtColor(reference, reference, cv::COLOR_BGR2RGB);
  CHECK(identical(o.decoded.image, reference));
  // Its image data damaged: libspng's reason.
  std::string bad = good;
  size_t idat = bad.find("IDAT");
  bad[idat + 20] = static_cast<char>(bad[idat + 20] ^ 0x55);
  Outcome broken = decode_capturing(bad, DecodeMode::kUnchanged);
  CHECK(broken.decoded.image.empty());
  CHECK(broken.decoded.error == "corrupt PNG (IDAT stream error)");
  CHECK(broken.stderr_text == "");
}
