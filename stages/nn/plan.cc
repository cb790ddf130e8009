#include "stages/nn/plan.h"

#include <cstring>

#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

dnnl::memory Plan::alloc(const dnnl::memory::desc& d) {
  dnnl::memory m(d, eng_);
  std::memset(m.get_data_handle(), 0, d.get_size());
  owned_.push_back(m);
  return m;
}

dnnl::memory Plan::view(const dnnl::memory& m, const dnnl::memory::desc& d) {
  dnnl::memory v(d, eng_, m.get_data_handle());
  owned_.push_back(m);  // keeps the buffer alive as long as the view
  return v;
}

void Plan::add(Phase phase, dnnl::primitive p, Args args) {
  (phase == kForward ? forward_ : backward_).push_back(Step{std::move(p), std::move(args), {}});
}

void Plan::add(Phase phase, std::function<void()> host) {
  (phase == kForward ? forward_ : backward_).push_back(Step{{}, {}, std::move(host)});
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

void Plan::run(std::vector<Step>& steps, dnnl::stream& s) {
  for (Step& step : steps) {
    if (step.host) {
      s.wait();
      step.host();
    } else {
      step.prim.execute(s, step.args);
    }
  }
  s.wait();
}

}  // namespace pipe::nn
