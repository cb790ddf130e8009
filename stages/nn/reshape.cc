#include "stages/nn/reshape.h"

#include "engine/error.h"
#include "stages/nn/flatten.h"

namespace pipe::nn {

namespace {

class Reshape : public Layer {
 public:
  explicit Reshape(const Options& o) {
    if (!o.has("shape")) throw ConfigError("missing key 'shape'");
    const auto& v = o.raw("shape");
    if (!v.is_array() || v.empty() || v.size() > 3)
      throw ConfigError("shape must be a list of 1 to 3 integers, got " + v.dump());
    for (const auto& x : v) {
      if (!x.is_number_integer() || (x.get<int64_t>() < 1 && x.get<int64_t>() != -1))
        throw ConfigError("shape must be a list of positive integers (one may be -1), got " + v.dump());
      target_.push_back(x.get<int64_t>());
    }
  }

  Dims configure(const Dims& in) override {
    Dims out = target_;
    int64_t known = 1, unknown = -1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == -1) {
        if (unknown >= 0) throw ConfigError("shape may have only one -1");
        unknown = static_cast<int64_t>(i);
      } else {
        known *= out[i];
      }
    }
    const int64_t total = product(in);
    if (unknown >= 0 && total % known == 0) out[unknown] = total / known;
    if (product(out) != total)
      throw ConfigError("reshape cannot make " + shape_str(in) + " (" + std::to_string(total) +
                        " values) into " + shape_str(target_));
    return out;
  }

  std::unique_ptr<LayerRun> forward(Plan& plan, const Tensor& in) override {
    return reshape_run(plan, in, out_shape);
  }

 private:
  Dims target_;
};

}  // namespace

LayerSpec reshape_layer() {
  return {"reshape", {}, "shape", {"shape"}, [](const Options& o) { return std::make_unique<Reshape>(o); }};
}

}  // namespace pipe::nn
