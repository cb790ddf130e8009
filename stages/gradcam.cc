#include "stages/gradcam.h"

#include <algorithm>

#include "engine/error.h"
#include "stages/model_io.h"

namespace pipe {

GradCam grad_cam(TrainedModel& model, const uint8_t* hwc, int target_class, const std::string& layer) {
  GradCam out;
  out.layer = layer.empty() ? model.info().last_conv_layer : layer;
  if (out.layer.empty())
    throw Error("grad-cam needs a convolution layer; this model has none").hint("Grad-CAM applies to CNN models");
  std::vector<float> x = model.input_tensor(hwc);
  const int classes = static_cast<int>(model.classes().size());
  if (target_class < 0 || target_class >= classes)
    throw Error("grad-cam: class " + std::to_string(target_class) + " is outside the " + std::to_string(classes) +
                " classes");
  std::vector<float> probs(classes);
  model.net().predict(x.data(), 1, probs.data());

  // The score: the target's logit minus the other logits weighted by their
  // share of the remaining probability.  Backward is linear in the logit
  // gradient, so it is one pass for the target plus one per competitor that
  // carries weight (>= 0.1% of the rest).
  std::vector<double> weight(classes, 0.0);
  double rest = 0;
  for (int k = 0; k < classes; ++k)
    if (k != target_class) rest += probs[k];
  for (int k = 0; k < classes; ++k)
    if (k != target_class) weight[k] = rest > 0 ? probs[k] / rest : 1.0 / std::max(1, classes - 1);
  double kept = 0;
  for (int k = 0; k < classes; ++k)
    if (k != target_class && weight[k] >= 1e-3) kept += weight[k];

  std::vector<float> act, grad, g;
  std::vector<int> shape;
  model.net().activation_and_grad(x.data(), target_class, out.layer, &act, &grad, &shape);
  if (shape.size() != 3)
    throw Error("grad-cam: layer " + out.layer + " has no spatial output (" + std::to_string(shape.size()) +
                " dimensions)").hint("choose a convolution or pooling layer");
  for (int k = 0; k < classes; ++k) {
    if (k == target_class || weight[k] < 1e-3) continue;
    model.net().activation_and_grad(x.data(), k, out.layer, nullptr, &g, nullptr);
    const float w = static_cast<float>(weight[k] / kept);
    for (size_t i = 0; i < grad.size(); ++i) grad[i] -= w * g[i];
  }

  const int channels = shape[0];
  out.height = shape[1], out.width = shape[2];
  const size_t plane = static_cast<size_t>(out.height) * out.width;
  out.heat.assign(plane, 0.0f);
  // Gradient times activation per position (HiResCAM), summed over channels.
  for (int c = 0; c < channels; ++c) {
    const float* gc = grad.data() + c * plane;
    const float* ac = act.data() + c * plane;
    for (size_t i = 0; i < plane; ++i) out.heat[i] += gc[i] * ac[i];
  }
  for (float& v : out.heat) v = std::max(v, 0.0f);
  return out;
}

}  // namespace pipe
