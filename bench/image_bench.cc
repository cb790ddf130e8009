// image_bench — cold ingest + clean of the multiscript images to 28×28 (the
// cache is not involved: the library functions behind the ingest and clean
// stages run directly, writing their dataset files as the stages do),
// against a bare OpenCV loop that decodes and resizes the same files on the
// same number of threads.  Prints
//   bench ingest_clean pipe <v> img/s reference <r> img/s speedup <pipe÷reference>
//   bench ingest_clean_nostroke ...   (the same without stroke normalisation)
//
// Case png_decode: every vendored PNG (under --png-data, default data/) read
// into memory, then decoded on one thread by pipe's PNG decoder
// (stages/image/png.cc), by libspng (its CRC checks on, the zlib Adler-32
// off as in pipe's decoder; the default with the Adler-32 is on stderr) and
// by OpenCV's imdecode (libpng), all to the stored channels.  Prints
//   bench png_decode pipe <v> img/s reference <libspng> img/s speedup <pipe÷libspng>
//   bench png_decode_opencv pipe <v> img/s reference <imdecode> img/s speedup <pipe÷imdecode>
//
// image_bench [CASE ...] [--data DIR] [--png-data DIR] [--threads N] [--repeat R] [--out DIR]
//   CASE     ingest_clean | png_decode (default: both)
//   DIR      the multiscript folder (default data/multiscript)
//   N        threads for both sides (default 2)
//   R        measurements per side, alternating; the best of each is kept (default 3)
//   --out    where the dataset files go (default a temporary folder, removed)
//   --only pipe|reference   run one side only (for profiling); prints no bench line
//
// image_bench --case dedup: perceptual de-duplication of 10^4 and 10^5
// synthetic pHashes (random clusters of near-copies, a fifth of them
// duplicates) at distances 4 and 10, the indexed search (best of R) against
// the all-pairs loop it replaced (once; same result, checked), in CPU
// seconds of the one thread each uses.  Prints
//   bench dedup_<n>k_d<distance> pipe <s> s reference <s> s speedup <reference÷pipe>
//
// The settings are those of pipelines/multiscript.yaml: ingest decodes gray and
// shrinks images larger than 128 pixels by a whole factor; clean: gray,
// invert auto, crop to content, stroke 2 (adjust), pad 2, 28×28, centre of mass,
// exact de-duplication.
#include "engine/posix.h"  // first: see posix.h

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "stages/image/clean.h"
#include "stages/image/dataset.h"
#include "stages/image/dedup.h"
#include "stages/image/ingest.h"
#include "stages/image/parallel.h"
#include "stages/image/png.h"

#include <spng.h>

namespace fs = std::filesystem;
using namespace pipe::image;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// pipe: ingest → dataset file → clean → dataset file.  Returns images/s.
// `stroke`: the recommended multiscript clean (with stroke normalisation);
// otherwise the basic one (invert, crop, pad, resize).
double run_pipe(const std::string& data, const std::string& out, int threads, bool stroke, size_t* count) {
  auto t0 = std::chrono::steady_clock::now();
  IngestOptions in;
  SourceSpec source;
  source.path = fs::absolute(data).lexically_normal().string();
  source.layout = "folder";
  in.sources.push_back(source);
  in.decode = DecodeMode::kGray;
  in.max_side = 128;
  IngestResult ingested = ingest(in, threads);
  double t_ingest = seconds_since(t0);
  std::string ingest_file = out + "/ingest.bin", clean_file = out + "/clean.bin";
  write_dataset(ingest_file, ingested.data);
  ingested = IngestResult();
  double t_write = seconds_since(t0);
  DatasetView view = DatasetView::open(ingest_file);
  CleanOptions c;
  c.color = "gray";
  c.invert = "auto";
  c.crop = "content";
  c.stroke = stroke ? 2.0 : 0;
  c.stroke_mode = "adjust";
  c.pad = 2;
  c.height = c.width = 28;
  c.center = "mass";
  c.dedupe = "exact";
  Dataset cleaned = clean_dataset(view, c, threads, nullptr);
  double t_clean = seconds_since(t0);
  write_dataset(clean_file, cleaned);
  *count = cleaned.samples.size();
  double total = seconds_since(t0);
  std::fprintf(stderr, "image_bench: pipe%s %.3fs: ingest %.3fs, write %.3fs, clean %.3fs, write %.3fs\n",
               stroke ? "" : " (no stroke)", total, t_ingest, t_write - t_ingest, t_clean - t_write, total - t_clean);
  return *count / total;
}

// The reference: list the files, then imread (gray) + resize (area) each, in parallel.
double run_reference(const std::string& data, int threads, size_t* count) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> files;
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(data))
    if (e.is_directory()) classes.push_back(e.path().string());
  std::sort(classes.begin(), classes.end());
  for (const auto& c : classes) {
    std::vector<std::string> in_class;
    for (const auto& e : fs::directory_iterator(c)) in_class.push_back(e.path().string());
    std::sort(in_class.begin(), in_class.end());
    files.insert(files.end(), in_class.begin(), in_class.end());
  }
  std::vector<cv::Mat> out(files.size());
  parallel_for(files.size(), threads, [&](size_t i) {
    cv::Mat m = cv::imread(files[i], cv::IMREAD_GRAYSCALE);
    if (!m.empty()) cv::resize(m, out[i], cv::Size(28, 28), 0, 0, cv::INTER_AREA);
  });
  *count = files.size();
  double total = seconds_since(t0);
  std::fprintf(stderr, "image_bench: reference %.3fs\n", total);
  return *count / total;
}

// Decodes every PNG in `files` with `decode`; returns images/s and checks
// that each one decoded.
template <typename Decode>
double decode_rate(const std::vector<std::string>& files, Decode decode, const char* name) {
  auto t0 = std::chrono::steady_clock::now();
  size_t failed = 0;
  for (const auto& bytes : files)
    if (!decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) ++failed;
  double s = seconds_since(t0);
  if (failed) std::fprintf(stderr, "image_bench: %s failed on %zu PNGs\n", name, failed);
  return files.size() / s;
}

bool spng_decode(const uint8_t* d, size_t n, bool check_adler) {
  spng_ctx* ctx = spng_ctx_new(check_adler ? 0 : SPNG_CTX_IGNORE_ADLER32);
  spng_set_png_buffer(ctx, d, n);
  size_t size = 0;
  bool ok = spng_decoded_image_size(ctx, SPNG_FMT_PNG, &size) == 0;
  thread_local std::vector<uint8_t> out;
  out.resize(size);
  ok = ok && spng_decode_image(ctx, out.data(), size, SPNG_FMT_PNG, 0) == 0;
  spng_ctx_free(ctx);
  return ok;
}

int run_png_decode(const std::string& root, int repeat) {
  std::vector<std::string> paths;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".png") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) {
    std::fprintf(stderr, "image_bench: no PNG under %s\n", root.c_str());
    return 2;
  }
  std::vector<std::string> files;
  size_t bytes = 0;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    bytes += files.back().size();
  }
  double best_pipe = 0, best_spng = 0, best_spng_adler = 0, best_cv = 0;
  for (int r = 0; r < std::max(1, repeat); ++r) {
    best_pipe = std::max(best_pipe, decode_rate(files, [](const uint8_t* d, size_t n) {
      cv::Mat m;
      std::string error;
      return decode_png(d, n, &m, &error) == PngResult::kDecoded;
    }, "pipe"));
    best_spng = std::max(best_spng, decode_rate(files, [](const uint8_t* d, size_t n) {
      return spng_decode(d, n, false);
    }, "libspng"));
    best_spng_adler = std::max(best_spng_adler, decode_rate(files, [](const uint8_t* d, size_t n) {
      return spng_decode(d, n, true);
    }, "libspng (Adler-32)"));
    best_cv = std::max(best_cv, decode_rate(files, [](const uint8_t* d, size_t n) {
      return !cv::imdecode(cv::Mat(1, static_cast<int>(n), CV_8U, const_cast<uint8_t*>(d)), cv::IMREAD_UNCHANGED).empty();
    }, "imdecode"));
  }
  std::fprintf(stderr,
               "image_bench: %zu PNGs (%.1f MB) under %s, one thread, best of %d: pipe %.0f img/s, libspng %.0f img/s "
               "(%.0f with its Adler-32 check), imdecode %.0f img/s\n",
               files.size(), bytes / 1e6, root.c_str(), repeat, best_pipe, best_spng, best_spng_adler, best_cv);
  std::printf("bench png_decode pipe %.0f img/s reference %.0f img/s speedup %.2f\n", best_pipe, best_spng,
              best_pipe / best_spng);
  std::printf("bench png_decode_opencv pipe %.0f img/s reference %.0f img/s speedup %.2f\n", best_pipe, best_cv,
              best_pipe / best_cv);
  return 0;
}

// n hashes in clusters of near-copies (up to `spread` bits flipped from a
// random centre), shuffled.
std::vector<uint64_t> clustered_hashes(size_t n, int spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> out;
  while (out.size() < n) {
    uint64_t centre = rng();
    for (int m = 1 + static_cast<int>(rng() % 2); m > 0 && out.size() < n; --m) {
      uint64_t h = centre;
      for (int f = static_cast<int>(rng() % (spread + 1)); f > 0; --f) h ^= 1ull << (rng() % 64);
      out.push_back(h);
    }
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

// Both sides are one thread: process CPU time, which other work on the
// machine disturbs less than wall time.
double cpu_seconds_since(std::clock_t t0) { return static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC; }

// Best of `repeat` timings of the indexed search; one of the all-pairs loop.
int bench_dedup(int repeat) {
  for (size_t n : {size_t(10000), size_t(100000)})
    for (int distance : {4, 10}) {
      std::vector<uint64_t> hashes = clustered_hashes(n, distance, n + distance);
      double indexed = 1e300;
      std::vector<Duplicate> a;
      for (int r = 0; r < std::max(1, repeat); ++r) {
        std::clock_t t0 = std::clock();
        a = near_duplicates(hashes, distance);
        indexed = std::min(indexed, cpu_seconds_since(t0));
      }
      std::clock_t t0 = std::clock();  // once: 10^5 take half a minute
      std::vector<Duplicate> b = near_duplicates_all_pairs(hashes, distance);
      double all_pairs = cpu_seconds_since(t0);
      bool same = a.size() == b.size();
      for (size_t i = 0; same && i < a.size(); ++i) same = a[i].removed == b[i].removed && a[i].kept == b[i].kept;
      if (!same) {
        std::fprintf(stderr, "image_bench: dedup: the indexed search disagrees with the all-pairs loop\n");
        return 1;
      }
      std::fprintf(stderr, "image_bench: dedup %zu hashes, distance %d: %zu duplicates\n", n, distance, a.size());
      std::printf("bench dedup_%zuk_d%d pipe %.4f s reference %.4f s speedup %.1f\n", n / 1000, distance, indexed,
                  all_pairs, all_pairs / indexed);
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "data/multiscript", png_data = "data", out, only;
  std::vector<std::string> cases;
  int threads = 2, repeat = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "image_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "ingest_clean" || a == "png_decode" || a == "dedup") cases.push_back(a);
    else if (a == "--data") data = value();
    else if (a == "--png-data") png_data = value();
    else if (a == "--threads") threads = std::atoi(value().c_str());
    else if (a == "--repeat") repeat = std::atoi(value().c_str());
    else if (a == "--out") out = value();
    else if (a == "--only") only = value();
    else {
      std::fprintf(stderr,
                   "usage: image_bench [ingest_clean] [png_decode] [dedup] [--data DIR] [--png-data DIR] [--threads N] "
                   "[--repeat R] [--out DIR] [--only pipe|reference]\n");
      return 2;
    }
  }
  auto wanted = [&](const char* c) { return cases.empty() || std::find(cases.begin(), cases.end(), c) != cases.end(); };
  cv::setNumThreads(1);  // each side parallelises over images itself
  if (wanted("dedup")) {
    int rc = bench_dedup(repeat);
    if (rc != 0 || (!wanted("png_decode") && !wanted("ingest_clean"))) return rc;
  }
  if (wanted("png_decode")) {
    if (!fs::is_directory(png_data)) {
      std::fprintf(stderr, "image_bench: no folder %s (run from the repository root or pass --png-data)\n",
                   png_data.c_str());
      return 2;
    }
    int rc = run_png_decode(png_data, repeat);
    if (rc != 0 || !wanted("ingest_clean")) return rc;
  }
  if (!fs::is_directory(data)) {
    std::fprintf(stderr, "image_bench: no folder %s (run from the repository root or pass --data)\n", data.c_str());
    return 2;
  }
  bool temporary = out.empty();
  if (temporary) {
    char tmpl[] = "/tmp/pipe-image-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::perror("image_bench: mkdtemp");
      return 1;
    }
    out = tmpl;
  }
  fs::create_directories(out);
  try {
    double best_pipe = 0, best_basic = 0, best_ref = 0;
    size_t n_pipe = 0, n_ref = 0;
    for (int r = 0; r < std::max(1, repeat); ++r) {
      if (only.empty() || only == "reference") best_ref = std::max(best_ref, run_reference(data, threads, &n_ref));
      if (only.empty() || only == "pipe") best_pipe = std::max(best_pipe, run_pipe(data, out, threads, true, &n_pipe));
      if (only.empty()) best_basic = std::max(best_basic, run_pipe(data, out, threads, false, &n_pipe));
    }
    if (!only.empty()) {
      if (temporary) fs::remove_all(out);
      return 0;
    }
    std::fprintf(stderr, "image_bench: %zu images (reference %zu files), %d threads, best of %d\n", n_pipe, n_ref,
                 threads, repeat);
    std::printf("bench ingest_clean pipe %.0f img/s reference %.0f img/s speedup %.2f\n", best_pipe, best_ref,
                best_pipe / best_ref);
    std::printf("bench ingest_clean_nostroke pipe %.0f img/s reference %.0f img/s speedup %.2f\n", best_basic, best_ref,
                best_basic / best_ref);
  } catch (const pipe::Error& e) {
    std::fprintf(stderr, "image_bench: %s\n", e.format().c_str());
    if (temporary) fs::remove_all(out);
    return 1;
  }
  if (temporary) fs::remove_all(out);
  return 0;
}
