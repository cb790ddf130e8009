#include "stages/nn/layer.h"

#include <cstring>
#include <functional>
#include <memory>

#include "engine/error.h"
#include "stages/nn/dnnl_util.h"

namespace pipe::nn {

// ---- Options -----------------------------------------------------------------------

namespace {

Error bad_value(const std::string& key, const char* want, const nlohmann::json& got) {
  return ConfigError(key + " must be " + want + ", got " + got.dump());
}

}  // namespace

int Options::integer(const std::string& key) const {
  if (!has(key)) throw ConfigError("missing key '" + key + "'");
  return integer(key, 0);
}

int Options::integer(const std::string& key, int fallback) const {
  if (!has(key)) return fallback;
  const auto& v = map_.at(key);
  if (!v.is_number_integer()) throw bad_value(key, "an integer", v);
  return v.get<int>();
}

double Options::number(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  const auto& v = map_.at(key);
  if (!v.is_number()) throw bad_value(key, "a number", v);
  return v.get<double>();
}

bool Options::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = map_.at(key);
  if (!v.is_boolean()) throw bad_value(key, "true or false", v);
  return v.get<bool>();
}

std::string Options::text(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  const auto& v = map_.at(key);
  if (!v.is_string()) throw bad_value(key, "a string", v);
  return v.get<std::string>();
}

Dims Options::ints(const std::string& key, size_t count, int64_t fallback) const {
  if (!has(key)) return Dims(count, fallback);
  const auto& v = map_.at(key);
  if (v.is_number_integer()) return Dims(count, v.get<int64_t>());
  if (v.is_array() && v.size() == count) {
    Dims out;
    for (const auto& x : v) {
      if (!x.is_number_integer()) break;
      out.push_back(x.get<int64_t>());
    }
    if (out.size() == count) return out;
  }
  throw bad_value(key, ("an integer or a list of " + std::to_string(count) + " integers").c_str(), v);
}

// ---- Layer -------------------------------------------------------------------------

void Layer::init(const dnnl::engine& eng, uint64_t seed) {
  eng_ = eng;
  seed_ = derive_seed(seed, name_);
  params_.clear();
  create_params();
  for (Param& p : params_) {
    Rng rng(derive_seed(seed, name_ + "." + p.name));
    std::vector<float> values(product(p.torch_shape));
    fill(p.init, values, p.torch_shape.empty() ? 1 : p.torch_shape[0], rng);
    import_param(p, values.data(), static_cast<float*>(p.value.get_data_handle()));
  }
  post_init();
}

Param& Layer::add_param(const dnnl::engine& eng, std::string name, Dims torch_shape,
                        const dnnl::memory::desc& torch_md, InitSpec init, bool decay) {
  Param p;
  p.name = std::move(name);
  p.torch_shape = std::move(torch_shape);
  p.torch_md = torch_md;
  p.init = init;
  p.decay = decay;
  p.value = dnnl::memory(torch_md, eng);
  std::memset(p.value.get_data_handle(), 0, torch_md.get_size());
  p.grad = dnnl::memory(torch_md, eng);
  std::memset(p.grad.get_data_handle(), 0, torch_md.get_size());
  params_.push_back(std::move(p));
  return params_.back();
}

void Layer::export_param(const Param& p, const float* internal, float* torch) const {
  dnn::reorder_now(dnnl::memory(p.value.get_desc(), eng_, const_cast<float*>(internal)),
                   dnnl::memory(p.torch_md, eng_, torch));
}

void Layer::import_param(const Param& p, const float* torch, float* internal) const {
  dnn::reorder_now(dnnl::memory(p.torch_md, eng_, const_cast<float*>(torch)),
                   dnnl::memory(p.value.get_desc(), eng_, internal));
}

dnnl::memory Layer::param_as(Plan& plan, Param& p, const dnnl::memory::desc& want) {
  if (p.value.get_desc() == want) {
    p.layout_fixed = true;
    return p.value;
  }
  if (p.layout_fixed || want.data.format_kind != dnnl_blocked) {
    // A copy in the wanted layout, made again only after the parameter changed.
    const dnnl::memory copy = plan.alloc(want);
    auto seen = std::make_shared<uint64_t>(~uint64_t{0});
    const Param* param = &p;
    std::function<bool()> stale = [param, seen]() { return *seen != param->version; };
    std::function<bool()> refresh = [param, seen]() {
      const bool was_stale = *seen != param->version;
      *seen = param->version;
      return was_stale;
    };
    auto add = [&](const dnnl::memory& from, const dnnl::memory& to, const std::function<bool()>& needed) {
      plan.add_if(Plan::kForward, dnn::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, needed);
    };
    try {
      add(p.value, copy, refresh);
    } catch (const dnnl::error&) {
      // oneDNN makes some layouts (Winograd's weights) only from plain ones
      const dnnl::memory flat = plan.alloc(p.torch_md);
      add(p.value, flat, stale);
      add(flat, copy, refresh);
    }
    return copy;
  }
  // Move value, gradient and optimizer state to the new layout.
  auto move = [&](void* from_data, void* to_data) {
    dnn::reorder_now(dnnl::memory(p.value.get_desc(), eng_, from_data), dnnl::memory(want, eng_, to_data));
  };
  dnnl::memory value(want, eng_);
  std::memset(value.get_data_handle(), 0, want.get_size());
  move(p.value.get_data_handle(), value.get_data_handle());
  for (auto& slot : p.state) {
    std::vector<float> moved(dnn::floats(want), 0.0f);
    move(slot.data(), moved.data());
    slot.swap(moved);
  }
  p.value = value;
  p.grad = dnnl::memory(want, eng_);
  std::memset(p.grad.get_data_handle(), 0, want.get_size());
  p.layout_fixed = true;
  return p.value;
}

dnnl::memory Layer::grad_target(Plan& plan, Param& p) {
  if (!plan.private_grads()) return p.grad;
  const dnnl::memory own = plan.alloc(p.grad.get_desc());
  plan.add_grad(&p, own);
  return own;
}

dnnl::memory Layer::grad_buffer(Plan& plan, Param& p, const dnnl::memory::desc& have) {
  if (p.grad.get_desc() == have) return grad_target(plan, p);
  return plan.alloc(have);
}

void Layer::finish_grad(Plan& plan, Param& p, const dnnl::memory& buffer) {
  if (buffer.get_desc() == p.grad.get_desc()) return;
  const dnnl::memory target = grad_target(plan, p);
  plan.add(Plan::kBackward, dnn::reorder(buffer, target), {{DNNL_ARG_FROM, buffer}, {DNNL_ARG_TO, target}});
}

}  // namespace pipe::nn
