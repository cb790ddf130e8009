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
  std::vector<float> act, grad;
  std::vector<int> shape;
  model.net().activation_and_grad(x.data(), target_class, out.layer, &act, &grad, &shape);
  if (shape.size() != 3)
    throw Error("grad-cam: layer " + out.layer + " has no spatial output (" + std::to_string(shape.size()) +
                " dimensions)").hint("choose a convolution or pooling layer");
  const int channels = shape[0];
  out.height = shape[1], out.width = shape[2];
  const size_t plane = static_cast<size_t>(out.height) * out.width;
  out.heat.assign(plane, 0.0f);
  for (int c = 0; c < channels; ++c) {
    const float* g = grad.data() + c * plane;
    const float* a = act.data() + c * plane;
    double alpha = 0;
    for (size_t i = 0; i < plane; ++i) alpha += g[i];
    alpha /= static_cast<double>(plane);
    for (size_t i = 0; i < plane; ++i) out.heat[i] += static_cast<float>(alpha * a[i]);
  }
  for (float& v : out.heat) v = std::max(v, 0.0f);
  return out;
}

}  // namespace pipe
