#include "stages/nn/plan.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

Plan::Plan(const dnnl::engine& eng, int n, Mode mode) : eng_(eng), n_(n), mode_(mode) {
  const char* env = std::getenv("PIPE_NN_PROFILE");
  profile_ = env && *env && std::string(env) != "0";
}

Plan::~Plan() {
  if (!profile_) return;
  double total = 0;
  int64_t runs = 0;
  for (const auto* steps : {&forward_, &backward_})
    for (const Step& s : *steps) total += s.seconds, runs = std::max(runs, s.runs);
  if (runs == 0) return;
  std::fprintf(stderr, "plan n=%d mode=%d: %.3f ms per run over %lld runs, %.1f MB of buffers\n", n_,
               static_cast<int>(mode_), 1e3 * total / runs, static_cast<long long>(runs), bytes() / 1e6);
  for (const auto* steps : {&forward_, &backward_})
    for (const Step& s : *steps) {
      if (!s.runs) continue;
      const char* kind =
          s.host ? "host" : dnnl_prim_kind2str(static_cast<dnnl_primitive_kind_t>(s.prim.get_kind()));
      std::fprintf(stderr, "  %-8s %-22s %-24s %8.3f ms\n", steps == &forward_ ? "forward" : "backward",
                   s.label.c_str(), kind, 1e3 * s.seconds / s.runs);
    }
}

dnnl::memory Plan::alloc(const dnnl::memory::desc& d) {
  dnnl::memory m(d, eng_);
  std::memset(m.get_data_handle(), 0, d.get_size());
  allocated_ += d.get_size();
  owned_.push_back(m);
  return m;
}

dnnl::memory Plan::view(const dnnl::memory& m, const dnnl::memory::desc& d) {
  dnnl::memory v(d, eng_, m.get_data_handle());
  owned_.push_back(m);  // keeps the buffer alive as long as the view
  return v;
}

void Plan::add(Phase phase, dnnl::primitive p, Args args) {
  const auto pad = dnn::scratchpad_of(p);
  if (pad.get_size() > 0) {
    // one buffer for all the plan's primitives, which run one after the other
    if (pad.get_size() > scratchpad_size_) scratchpad_size_ = pad.get_size();
    scratchpad_users_.emplace_back(phase, (phase == kForward ? forward_ : backward_).size());
  }
  (phase == kForward ? forward_ : backward_).push_back(Step{std::move(p), std::move(args), {}, label_});
}

void Plan::attach_scratchpad() {
  scratchpad_ = dnnl::memory(dnn::plain({static_cast<int64_t>((scratchpad_size_ + 3) / 4)}), eng_);
  for (const auto& [phase, index] : scratchpad_users_) {
    Step& step = (phase == kForward ? forward_ : backward_)[index];
    step.args[DNNL_ARG_SCRATCHPAD] =
        dnnl::memory(dnn::scratchpad_of(step.prim), eng_, scratchpad_.get_data_handle());
  }
  scratchpad_users_.clear();
}

void Plan::add_if(Phase phase, dnnl::primitive p, Args args, std::function<bool()> needed) {
  add(phase, std::move(p), std::move(args));
  (phase == kForward ? forward_ : backward_).back().needed = std::move(needed);
}

void Plan::add(Phase phase, std::function<void()> host) {
  (phase == kForward ? forward_ : backward_).push_back(Step{{}, {}, std::move(host), label_});
}

dnnl::memory Plan::convert(Phase phase, const dnnl::memory& m, const dnnl::memory::desc& want) {
  const auto have = m.get_desc();
  if (have == want) return m;
  if (have.dims() == want.dims()) {
    dnnl::memory out = alloc(want);
    add(phase, dnn::reorder(m, out), {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, out}});
    return out;
  }
  // Different dims, same elements: go through plain row-major.
  dnnl::memory flat = m;
  if (!dnn::is_plain(have)) flat = convert(phase, m, dnn::plain(have.dims()));
  dnnl::memory viewed = view(flat, dnn::plain(want.dims()));
  return convert(phase, viewed, want);
}

dnnl::memory Plan::plain(Phase phase, const Tensor& t) {
  return convert(phase, t.mem, dnn::plain(with_batch(n_, t.shape)));
}

namespace {

// With one thread the thread's CPU time, which other processes on the machine do not
// inflate; else wall time.
double profile_clock() {
  timespec t;
  clock_gettime(omp_get_max_threads() == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

void Plan::run(std::vector<Step>& steps, dnnl::stream& s) {
  if (!scratchpad_users_.empty()) attach_scratchpad();
  for (Step& step : steps) {
    const double start = profile_ ? profile_clock() : 0;
    if (step.host) {
      s.wait();
      step.host();
    } else if (step.needed && !step.needed()) {
      continue;
    } else {
      step.prim.execute(s, step.args);
    }
    if (profile_) {
      s.wait();
      step.seconds += profile_clock() - start;
      ++step.runs;
    }
  }
  s.wait();
}

}  // namespace pipe::nn
