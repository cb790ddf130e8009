// nn_bench — times pipe's Net on the benchmark models, on the shapes and data sizes of
// bench/torch_reference.py, and prints one JSON object a line (read by bench/run.sh).
//
//   nn_bench [--threads N] [--reps R] [--steps S] CASE ...
//     cases: cnn_train_epoch cnn_infer mlp_train_epoch rnn_train_epoch hiero_train_epoch
//            eng_train_step sgemm_peak          (default: all)
//     {"case": ..., "value": ..., "unit": "s" | "img/s" | "GFLOP/s", "threads": N, ...}
//   nn_bench --exec -- COMMAND [ARGS ...]
//     runs COMMAND and prints {"case": "exec", "seconds", "peak_rss_mb", "exit_code"}
//
// Methodology (as the reference): random data of the model's input shape, labels uniform
// over the classes; an epoch shuffles the images, gathers each batch into one buffer and
// takes an Adam step on it (the last batch partial); one warm-up epoch, then the median of
// R timed epochs.  cnn_infer runs predict() in batches of 256 over the epoch's images.
// eng_train_step: two warm-up steps, then the median of S steps.  cnn_train_epoch also
// reports the FLOP of a training image, the resident-set growth from the second epoch to
// the last, and the peak of oneDNN's sgemm on this machine with the same thread count.
#include "engine/posix.h"  // first: <unistd.h>'s pipe() clashes with namespace pipe

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <utility>
#include <ctime>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <nlohmann/json.hpp>

#include "stages/nn/net.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Wall and process CPU seconds of fn().  CPU time is the figure a loaded host distorts least
// (with one thread); wall time is the one reported.
template <typename Fn>
std::pair<double, double> timed(Fn&& fn) {
  auto t0 = Clock::now();
  double c0 = cpu_seconds();
  fn();
  return {seconds_since(t0), cpu_seconds() - c0};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double rss_mb() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct Model {
  json layers;
  pipe::nn::InputShape shape;
  int classes, batch, images;
};

json conv(int filters, int kernel, const char* padding, const char* activation) {
  return {{"conv", {{"filters", filters}, {"kernel", kernel}, {"padding", padding}, {"activation", activation}}}};
}
json dense(int units, const char* activation) {
  return {{"dense", {{"units", units}, {"activation", activation}}}};
}

// The models of bench/torch_reference.py, as pipe layer lists.
Model model(const std::string& name) {
  if (name == "cnn")
    return {json::array({conv(32, 3, "same", "elu"), {{"maxpool", 2}}, conv(64, 3, "same", "relu"),
                         {{"maxpool", 2}}, "flatten", dense(6, "softmax")}),
            {1, 28, 28}, 6, 128, 17556};
  if (name == "mlp")
    return {json::array({"flatten", dense(512, "elu"), {{"dropout", 0.2}}, dense(512, "relu"),
                         {{"dropout", 0.2}}, dense(6, "softmax")}),
            {1, 28, 28}, 6, 128, 17556};
  if (name == "rnn")
    return {json::array({{{"simple_rnn", {{"units", 28}, {"activation", "relu"}, {"return_sequences", true}}}},
                         {{"dropout", 0.2}},
                         {{"simple_rnn", {{"units", 28}, {"activation", "relu"}}}},
                         {{"dropout", 0.2}}, dense(6, "softmax")}),
            {1, 28, 28}, 6, 128, 17556};
  if (name == "hiero")
    return {json::array({conv(16, 3, "same", "relu"), {{"maxpool", 2}}, conv(32, 3, "same", "relu"),
                         {{"maxpool", 2}}, conv(64, 3, "same", "relu"), {{"maxpool", 2}}, "flatten",
                         dense(512, "relu"), dense(4, "softmax")}),
            {3, 75, 50}, 4, 64, 1060};
  if (name == "eng")
    return {json::array({conv(64, 5, "valid", "relu"), {{"maxpool", 3}}, {{"dropout", 0.2}},
                         conv(128, 3, "valid", "relu"), {{"maxpool", 2}}, {{"dropout", 0.2}},
                         conv(256, 2, "valid", "relu"), {{"maxpool", 2}}, {{"dropout", 0.2}}, "flatten",
                         {{"dense", {{"units", 512}, {"activation", "relu"}, {"bias", false}}}},
                         dense(128, "relu"), dense(62, "softmax")}),
            {1, 224, 224}, 62, 32, 1736};
  throw std::runtime_error("unknown model " + name);
}

// Forward multiply-accumulates of one image of the multiscript CNN (as torch_bench.py counts).
double cnn_forward_macs() {
  double conv1 = 28.0 * 28 * 32 * (1 * 3 * 3), conv2 = 14.0 * 14 * 64 * (32 * 3 * 3), dense = 64.0 * 7 * 7 * 6;
  return conv1 + conv2 + dense;
}

struct Data {
  std::vector<float> x;
  std::vector<int32_t> y;
};

// Uniform [0, 1) pixels and uniform labels (splitmix64: fast, and the values do not matter).
Data random_data(const Model& m, int n, uint64_t seed) {
  auto next = [&seed] {
    uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  size_t per = size_t(m.shape.channels) * m.shape.height * m.shape.width;
  Data d{std::vector<float>(per * n), std::vector<int32_t>(n)};
  for (float& v : d.x) v = float(next() >> 40) * (1.0f / 16777216.0f);
  for (int32_t& v : d.y) v = int32_t(next() % uint64_t(m.classes));
  return d;
}

// Peak of oneDNN's sgemm (row-major, 2048^3) with the current OpenMP thread count: the best of
// a few runs by wall time, and by CPU time ÷ threads (sgemm keeps every thread busy), which a
// loaded host distorts far less.
struct Peak {
  double wall_gflops = 0, cpu_gflops = 0;
};

Peak sgemm_peak(int threads) {
  const int64_t n = 2048;
  const double flop = 2.0 * n * n * n;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n, 0.f);
  Peak best;
  for (int rep = 0; rep < 6; ++rep) {
    auto [wall, cpu] = timed([&] { dnnl_sgemm('N', 'N', n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n); });
    if (rep == 0) continue;  // warm-up
    best.wall_gflops = std::max(best.wall_gflops, flop / wall / 1e9);
    best.cpu_gflops = std::max(best.cpu_gflops, flop / (cpu / threads) / 1e9);
  }
  return best;
}

json train_epoch(const std::string& name, int threads, int reps) {
  Model m = model(name);
  auto net = pipe::nn::Net::build(m.layers, m.shape, m.classes, 800, threads);
  net->set_optimizer({{"adam", {{"lr", 1e-3}}}});
  Data d = random_data(m, m.images, 1);
  size_t per = d.x.size() / m.images;
  std::vector<float> xb(per * m.batch);
  std::vector<int32_t> yb(m.batch);
  std::vector<int> order(m.images);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(2);
  auto epoch = [&] {
    std::shuffle(order.begin(), order.end(), rng);
    for (int i = 0; i < m.images; i += m.batch) {
      int n = std::min(m.batch, m.images - i);
      for (int k = 0; k < n; ++k) {
        std::memcpy(&xb[k * per], &d.x[size_t(order[i + k]) * per], per * sizeof(float));
        yb[k] = d.y[order[i + k]];
      }
      net->train_step(xb.data(), yb.data(), n);
    }
  };
  double warm = timed(epoch).first;
  std::vector<double> times, cpu, rss;
  for (int r = 0; r < reps; ++r) {
    auto [w, c] = timed(epoch);
    times.push_back(w);
    cpu.push_back(c);
    rss.push_back(rss_mb());
  }
  json rec = {{"case", name + "_train_epoch"}, {"value", median(times)}, {"unit", "s"}, {"threads", threads},
              {"batch", m.batch}, {"images", m.images}, {"times_s", times}, {"cpu_s", cpu},
              {"warmup_s", warm}, {"rss_mb", rss}, {"params", net->param_count()}};
  // Growth from the end of the second epoch (the warm-up counts as the first) to the last.
  if (rss.size() >= 2) rec["rss_growth_mb"] = rss.back() - rss.front();
  if (name == "cnn") {
    rec["train_flop_per_image"] = 6 * cnn_forward_macs();
    rec["train_gflops"] = 6 * cnn_forward_macs() * m.images / median(times) / 1e9;
    Peak peak = sgemm_peak(threads);
    rec["sgemm_peak_gflops"] = peak.wall_gflops;
    rec["sgemm_peak_cpu_gflops"] = peak.cpu_gflops;
  }
  return rec;
}

json cnn_infer(int threads, int reps) {
  Model m = model("cnn");
  const int batch = 256;
  auto net = pipe::nn::Net::build(m.layers, m.shape, m.classes, 800, threads);
  Data d = random_data(m, m.images, 3);
  size_t per = d.x.size() / m.images;
  std::vector<float> probs(size_t(batch) * m.classes);
  auto pass = [&] {
    for (int i = 0; i < m.images; i += batch)
      net->predict(&d.x[size_t(i) * per], std::min(batch, m.images - i), probs.data());
  };
  double warm = timed(pass).first;
  std::vector<double> times, cpu;
  for (int r = 0; r < reps; ++r) {
    auto [w, c] = timed(pass);
    times.push_back(w);
    cpu.push_back(c);
  }
  return {{"case", "cnn_infer"}, {"value", m.images / median(times)}, {"unit", "img/s"}, {"threads", threads},
          {"batch", batch}, {"images", m.images}, {"times_s", times}, {"cpu_s", cpu},
          {"warmup_s", warm}, {"infer_gflops", 2 * cnn_forward_macs() * m.images / median(times) / 1e9}};
}

json eng_step(int threads, int steps) {
  Model m = model("eng");
  auto net = pipe::nn::Net::build(m.layers, m.shape, m.classes, 800, threads);
  net->set_optimizer({{"adam", {{"lr", 1e-3}}}});
  Data d = random_data(m, m.batch, 4);
  auto step = [&] { net->train_step(d.x.data(), d.y.data(), m.batch); };
  std::vector<double> warm = {timed(step).first, timed(step).first}, times, cpu;
  for (int s = 0; s < steps; ++s) {
    auto [w, c] = timed(step);
    times.push_back(w);
    cpu.push_back(c);
  }
  return {{"case", "eng_train_step"}, {"value", median(times)}, {"unit", "s"}, {"threads", threads},
          {"batch", m.batch}, {"images", m.batch}, {"times_s", times}, {"cpu_s", cpu},
          {"warmup_s", warm}};
}

// Runs argv[0..] and reports wall time and the child's peak resident set.
int exec_and_measure(char** argv) {
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("nn_bench: fork");
    return 1;
  }
  if (pid == 0) {
    execvp(argv[0], argv);
    std::perror("nn_bench: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru{};
  wait4(pid, &status, 0, &ru);
  double s = seconds_since(t0);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  json rec = {{"case", "exec"}, {"seconds", s}, {"peak_rss_mb", ru.ru_maxrss / 1024.0}, {"exit_code", code}};
  std::printf("%s\n", rec.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, reps = 3, steps = 5;
  std::vector<std::string> cases;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--exec") {
      if (i + 1 < argc && std::string(argv[i + 1]) == "--") ++i;
      if (i + 1 >= argc) {
        std::fprintf(stderr, "nn_bench: --exec needs a command\n");
        return 2;
      }
      return exec_and_measure(argv + i + 1);
    }
    if ((a == "--threads" || a == "--reps" || a == "--steps") && i + 1 < argc) {
      int v = std::atoi(argv[++i]);
      (a == "--threads" ? threads : a == "--reps" ? reps : steps) = std::max(1, v);
    } else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "nn_bench: unknown option %s\n  allowed: --threads N --reps R --steps S --exec\n",
                   a.c_str());
      return 2;
    } else {
      cases.push_back(a);
    }
  }
  if (cases.empty())
    cases = {"cnn_train_epoch", "cnn_infer", "mlp_train_epoch", "rnn_train_epoch", "hiero_train_epoch",
             "eng_train_step", "sgemm_peak"};
  omp_set_num_threads(threads);
  int failed = 0;
  for (const std::string& c : cases) {
    try {
      json rec;
      if (c == "cnn_infer") rec = cnn_infer(threads, reps);
      else if (c == "eng_train_step") rec = eng_step(threads, steps);
      else if (c == "sgemm_peak") {
        Peak peak = sgemm_peak(threads);
        rec = {{"case", c}, {"value", peak.wall_gflops}, {"unit", "GFLOP/s"}, {"threads", threads},
               {"cpu_gflops", peak.cpu_gflops}};
      }
      else if (c.size() > 12 && c.compare(c.size() - 12, 12, "_train_epoch") == 0)
        rec = train_epoch(c.substr(0, c.size() - 12), threads, reps);
      else
        throw std::runtime_error("unknown case (known: cnn_train_epoch cnn_infer mlp_train_epoch "
                                 "rnn_train_epoch hiero_train_epoch eng_train_step sgemm_peak)");
      std::printf("%s\n", rec.dump().c_str());
      std::fflush(stdout);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "nn_bench: %s: %s\n", c.c_str(), e.what());
      ++failed;
    }
  }
  return failed ? 1 : 0;
}
